"""Holdings import (validated whole, all or nothing), cash flows, expiry of assessments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from roboadvisor.book.crypto import Cipher, KeySource
from roboadvisor.book.repositories import sql_book
from roboadvisor.errors import BookError
from roboadvisor.services import book as service
from roboadvisor.services.assess import assess_answers_file
from roboadvisor.services.book_assess import assess_client
from tests.book.helpers import EXAMPLES, record_count, run


def _accounts(url: str) -> None:
    for client, account in (("c1", "A1"), ("c2", "A2")):
        run(url, "client", "add", client)
        run(url, "client", "assess", client, "--answers", str(EXAMPLES / "tier3_balanced.yaml"))
        run(url, "account", "open", account, "--client", client)


def _csv(tmp_path: Path, *rows: str) -> str:
    path = tmp_path / "h.csv"
    path.write_text("account,ticker,shares\n" + "\n".join(rows) + "\n")
    return str(path)


CASES = [
    (("A1,VTI,10", "A2,XYZ,5"), 3, "ticker XYZ is not in the universe"),
    (("A1,VTI,10", "A9,VTI,5"), 3, "unknown account A9"),
    (("A1,VTI,10", "A2,VTI,-1"), 3, "negative"),
    (("A1,VTI,10", "A2,VTI,1.5"), 3, "fractional"),
    (("A1,VTI,10", "A2,AGG,2", "A1,VTI,4"), 4, "listed twice (first on line 2)"),
    (("A1,VTI,ten",), 2, "not a number"),
    (("A1,VTI",), 2, "expected 3 cells"),
    (("A1,VTI,10", "A2,VTI,1e20"), 3, "at most 10,000,000,000"),
    (("A1,VTI,10", "A2,CASH,1e300"), 3, "at most 100,000,000,000"),
]


@pytest.mark.parametrize(("rows", "line", "says"), CASES, ids=[c[2][:20] for c in CASES])
def test_a_bad_row_names_its_line_and_nothing_is_imported(book_url: str, tmp_path: Path,
                                                          rows: tuple[str, ...], line: int,
                                                          says: str) -> None:
    _accounts(book_url)
    run(book_url, "account", "import-holdings", _csv(tmp_path, "A1,AGG,7", "A1,CASH,12.5"))
    before = (run(book_url, "account", "show", "A1", "--json"), record_count(book_url))
    result = run(book_url, "account", "import-holdings", _csv(tmp_path, *rows), code=2)
    assert f"line {line}:" in result.stderr and says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (run(book_url, "account", "show", "A1", "--json"), record_count(book_url)) == before


def test_an_import_replaces_the_positions_of_the_accounts_it_names(book_url: str,
                                                                   tmp_path: Path) -> None:
    _accounts(book_url)
    run(book_url, "account", "import-holdings", _csv(tmp_path, "A1,AGG,7", "A2,VTI,3"))
    run(book_url, "account", "import-holdings", _csv(tmp_path, "A1,VTI,2", "A1,CASH,99.5"))
    a1 = run(book_url, "account", "show", "A1", "--json")
    a2 = run(book_url, "account", "show", "A2", "--json")
    assert {k: Decimal(v) for k, v in a1["positions"].items()} == {"VTI": Decimal(2)}
    assert Decimal(a1["cash"]) == Decimal("99.5")
    assert {k: Decimal(v) for k, v in a2["positions"].items()} == {"VTI": Decimal(3)}


def test_account_show_values_positions_at_the_last_close(book_url: str, tmp_path: Path) -> None:
    _accounts(book_url)
    run(book_url, "account", "import-holdings", _csv(tmp_path, "A1,VTI,10", "A1,AGG,4",
                                                      "A1,CASH,100"))
    prices = tmp_path / "p.csv"
    prices.write_text("Date,VTI,AGG\n2024-01-02,200,90\n2024-01-03,210,95\n")
    shown = run(book_url, "account", "show", "A1", "--prices", str(prices), "--json")
    total = 10 * 210 + 4 * 95 + 100
    assert shown["valuation"]["total"] == pytest.approx(total)
    weights = {x["ticker"]: x["weight"] for x in shown["valuation"]["lines"]}
    assert weights["VTI"] == pytest.approx(2100 / total)
    assert sum(x["target"] for x in shown["valuation"]["lines"]) == pytest.approx(1, abs=1e-3)


def test_an_expired_assessment_is_shown_and_blocks_opening(store) -> None:
    long_ago = datetime(2020, 1, 31, tzinfo=UTC)
    assessment = assess_answers_file(EXAMPLES / "tier3_balanced.yaml", now=long_ago)
    with store.transaction() as conn:
        book = sql_book(conn, _cipher(store))
        service.add_client(book, "old", None, None, long_ago)
        stored, _, _ = assess_client(book, "old", assessment, long_ago)
    assert stored.expires_at == datetime(2021, 1, 31, tzinfo=UTC)
    now = datetime.now(UTC)
    with store.transaction() as conn:
        view = service.client_view(sql_book(conn, _cipher(store)), "old", now)
    assert view.expired and view.assessment is not None
    with pytest.raises(BookError, match="expired on 2021-01-31"), \
            store.transaction() as conn:
        service.open_account(sql_book(conn, _cipher(store)), "O1", "old", None, False, None, (),
                             now)
    listed = run(store.url, "client", "list")
    assert "EXPIRED on 2021-01-31" in listed.stdout
    assert run(store.url, "client", "list", "--json")[0]["assessment"]["expired"] is True
    assert datetime(2020, 1, 31, tzinfo=UTC) + timedelta(days=366) == stored.expires_at


def test_expiry_months_come_from_the_questionnaire() -> None:
    assert service.add_months(datetime(2024, 1, 31, tzinfo=UTC), 1) == \
        datetime(2024, 2, 29, tzinfo=UTC)
    assert service.add_months(datetime(2023, 3, 15, tzinfo=UTC), 12) == \
        datetime(2024, 3, 15, tzinfo=UTC)
    q = assess_answers_file(EXAMPLES / "tier3_balanced.yaml").questionnaire
    assert q.expiry_months == 12


def _cipher(store) -> Cipher:
    import os

    return Cipher(KeySource.from_environ(dict(os.environ), Path(os.environ["XDG_DATA_HOME"])))
