"""`project` and `report` for clients and accounts of the book, on SQLite and PostgreSQL: the
tier in force, the account's value as the amount, the report's record, bad input."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from roboadvisor.data.questionnaire_files import read_answers_file
from roboadvisor.services.assess import assess_answers_file
from tests.book.helpers import EXAMPLES, record_count, run
from tests.synthetic_prices import write_synthetic_prices

POSITIONS = {"VTI": "40", "AGG": "55", "VEA": "60"}
CASH = "1250.50"


def _holdings(tmp_path: Path, account: str) -> Path:
    path = tmp_path / f"holdings_{account}.csv"
    rows = ["account,ticker,shares", *(f"{account},{t},{s}" for t, s in POSITIONS.items()),
            f"{account},CASH,{CASH}"]
    path.write_text("\n".join(rows) + "\n")
    return path


def _last_closes(prices: Path) -> dict[str, float]:
    """The last non-empty close of every column, read with the csv module."""
    last: dict[str, float] = {}
    with prices.open(newline="") as f:
        for row in csv.DictReader(f):
            for ticker, value in row.items():
                if ticker != "Date" and value:
                    last[ticker] = float(value)
    return last


@pytest.fixture
def booked(book_url: str, tmp_path: Path) -> dict[str, object]:
    """A client assessed from the tier-4 example with account A1 holding POSITIONS and cash;
    a client 'cashonly' with an empty account; an erased client."""
    run(book_url, "client", "add", "alice", "--name", "Alice Secretname")
    run(book_url, "client", "assess", "alice", "--answers", str(EXAMPLES / "tier4_growth.yaml"))
    run(book_url, "account", "open", "A1", "--client", "alice")
    run(book_url, "account", "import-holdings", str(_holdings(tmp_path, "A1")))
    run(book_url, "client", "add", "bob")
    run(book_url, "client", "assess", "bob", "--answers", str(EXAMPLES / "tier1_conservative.yaml"))
    run(book_url, "account", "open", "B1", "--client", "bob")
    run(book_url, "client", "add", "gone")
    run(book_url, "client", "assess", "gone", "--answers", str(EXAMPLES / "tier3_balanced.yaml"))
    run(book_url, "client", "erase", "gone")
    prices = write_synthetic_prices(tmp_path / "prices.csv")
    return {"url": book_url, "prices": prices}


def _value(prices: Path) -> float:
    last = _last_closes(prices)
    return float(CASH) + sum(float(s) * last[t] for t, s in POSITIONS.items())


def test_project_for_an_account_takes_its_tier_and_value(booked: dict) -> None:
    url, prices = booked["url"], booked["prices"]
    data = run(url, "project", "--account", "A1", "--prices", str(prices), "--years", "5",
               "--paths", "500", "--json")
    tier = int(assess_answers_file(EXAMPLES / "tier4_growth.yaml").tier)
    assert data["tier"] == tier and data["book"]["account_id"] == "A1"
    assert data["amount"] == pytest.approx(_value(prices), rel=1e-9)
    assert data["bands"][0]["p50"] == pytest.approx(_value(prices), rel=1e-9)
    # An explicit --amount wins; no prices are needed then.
    given = run(url, "project", "--account", "A1", "--amount", "1000", "--years", "5",
                "--paths", "500", "--json")
    assert given["amount"] == 1000 and given["book"]["account_value"]["total"] is None
    text = run(url, "project", "--account", "A1", "--prices", str(prices), "--years", "5",
               "--paths", "500")
    assert "account A1 is worth" in text.stderr


def test_project_for_a_client_takes_the_latest_assessment(booked: dict) -> None:
    url = booked["url"]
    data = run(url, "project", "--client", "bob", "--amount", "5000", "--years", "5",
               "--paths", "500", "--json")
    assert data["tier"] == int(assess_answers_file(EXAMPLES / "tier1_conservative.yaml").tier)
    assert data["book"]["client_id"] == "bob" and data["book"]["account_id"] is None
    assert "Secretname" not in json.dumps(run(url, "project", "--client", "alice", "--amount",
                                              "5000", "--paths", "500", "--json"))


def test_a_cash_only_account_needs_no_prices(booked: dict) -> None:
    url = booked["url"]
    run(url, "account", "import-holdings", str(_cash_only(booked["prices"].parent)))
    data = run(url, "project", "--account", "B1", "--years", "3", "--paths", "500", "--json")
    assert data["amount"] == 777.25


def _cash_only(folder: Path) -> Path:
    path = folder / "cash_b1.csv"
    path.write_text("account,ticker,shares\nB1,CASH,777.25\n")
    return path


PROJECT_BAD = [
    (("project", "--account", "A1"), "no price for them"),
    (("project", "--account", "Z9", "--amount", "10"), "unknown account Z9"),
    (("project", "--client", "nobody", "--amount", "10"), "unknown client nobody"),
    (("project", "--client", "gone", "--amount", "10"), "was erased"),
    (("project", "--client", "alice", "--account", "A1", "--amount", "10"), "not both"),
    (("project", "--client", "alice", "--answers", str(EXAMPLES / "tier3_balanced.yaml"),
      "--amount", "10"), "drop --answers"),
    (("project", "--account", "A1", "--tier", "2", "--amount", "10"), "drop --tier"),
]


@pytest.mark.parametrize(("args", "says"), PROJECT_BAD,
                         ids=[f"project-{i}" for i in range(len(PROJECT_BAD))])
def test_project_bad_input_is_one_line_exit_2(booked: dict, args: tuple[str, ...],
                                              says: str) -> None:
    url = booked["url"]
    before = record_count(url)
    result = run(url, *args, code=2)
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert record_count(url) == before


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _report(url: str, out: Path, *args: str, code: int = 0) -> object:
    return run(url, "report", "--out", str(out), "--paths", "500", "--years", "5", *args,
               code=code)


def _records(url: str) -> list[dict]:
    return run(url, "records", "list", "--json")


def test_report_for_an_account_is_recorded_with_its_page(booked: dict, tmp_path: Path) -> None:
    url, prices = booked["url"], booked["prices"]
    out = tmp_path / "a1.html"
    data = _report(url, out, "--account", "A1", "--prices", str(prices), "--goal", "100000",
                   "--json")
    last = _records(url)[-1]
    assert last["kind"] == "report" and data["book"]["report_record"] == last["seq"]
    content = run(url, "records", "show", str(last["seq"]), "--json")["content"]
    assert content["outputs"]["html_sha256"] == sha256(out)
    assert content["inputs"]["prices"] == sha256(prices)
    assert content["account_id"] == "A1" and content["client_id"] == "alice"
    assessed = [r for r in _records(url) if r["kind"] == "assessment" and
                r["client_id"] == "alice"][-1]
    assert data["book"]["assessment_record"] == assessed["seq"]
    assert data["book"]["previous_hash"] == _records(url)[-2]["hash"]
    # The profile is the stored assessment's, equal to assessing the example afresh.
    fresh = assess_answers_file(EXAMPLES / "tier4_growth.yaml").profile
    assert data["profile"]["tolerance_score"] == fresh.tolerance_score
    assert data["profile"]["capacity_score"] == fresh.capacity_score
    assert data["audit_key"] == content["inputs"]["answers"]
    # Holdings against the portfolio, valued at the file's last closes.
    held = data["book"]["holdings"]
    assert held["total"] == pytest.approx(_value(prices), rel=1e-9)
    assert data["projection"]["amount"] == pytest.approx(_value(prices), rel=1e-9)
    lines = {line["ticker"]: line for line in held["lines"]}
    assert {t: lines[t]["shares"] for t in POSITIONS} == POSITIONS
    assert {t: line["target"] for t, line in lines.items() if line["target"] > 0} == {
        h["ticker"]: h["weight"] for h in data["portfolio"]["holdings"]}
    # The page names the record, the client (the key is here), and no personal data in JSON.
    page = out.read_text()
    assert f"record #{last['seq']}" in page and "Alice Secretname" in page
    everything = json.dumps(data, ensure_ascii=False)
    assert "Secretname" not in everything
    answers = read_answers_file(EXAMPLES / "tier4_growth.yaml").answers
    for option in set(answers.values()):
        assert f'"{option}"' not in everything, option
    verified = run(url, "records", "verify", "--recompute", "--json")
    assert verified["ok"] and not [s for s in verified["skipped"] if s["kind"] == "report"]


def test_the_page_given_to_the_client_comes_back_and_tampering_shows(
        booked: dict, tmp_path: Path) -> None:
    from sqlalchemy import update

    from roboadvisor.book import schema
    from roboadvisor.book.store import open_store

    url, prices = booked["url"], booked["prices"]
    out = tmp_path / "a1.html"
    _report(url, out, "--account", "A1", "--prices", str(prices), "--json")
    seq = _records(url)[-1]["seq"]
    again = tmp_path / "again.html"
    run(url, "records", "show", str(seq), "--page", str(again))
    assert again.read_bytes() == out.read_bytes()
    before = run(url, "records", "verify", "--recompute", "--json")
    assert before["ok"] and before["recomputed"] >= 1
    # Not a report: refused in one line, nothing written.
    assessed = next(r["seq"] for r in _records(url) if r["kind"] == "assessment")
    refused = run(url, "records", "show", str(assessed), "--page",
                  str(tmp_path / "no.html"), code=2)
    assert "no kept page" in refused.stderr and not (tmp_path / "no.html").exists()
    # Someone edits the kept page: the record no longer matches it.
    opened = open_store(url)
    with opened.transaction() as conn:
        conn.execute(update(schema.blobs).where(schema.blobs.c.sha256 == sha256(out))
                     .values(data=out.read_bytes().replace(b"</body>", b"<p>x</p></body>")))
    opened.close()
    after = json.loads(run(url, "records", "verify", "--recompute", "--json", code=1).stdout)
    assert not after["ok"]
    assert [(d["seq"], d["field"]) for d in after["differences"]] == [(seq, "page sha256")]


def test_report_for_a_client_without_the_key_uses_a_neutral_label(
        booked: dict, tmp_path: Path, _isolated_book: Path) -> None:
    url = booked["url"]
    (_isolated_book / "roboadvisor" / "book.key").unlink()
    out = tmp_path / "alice.html"
    data = _report(url, out, "--client", "alice", "--json")
    page = out.read_text()
    assert "Secretname" not in page and "client alice" in page
    assert data["projection"]["amount"] == 100000 and data["book"]["holdings"] is None
    # Without the key the explanation is the text recorded at the assessment.
    assessed = [r for r in _records(url) if r["kind"] == "assessment" and
                r["client_id"] == "alice"][-1]
    shown = run(url, "records", "show", str(assessed["seq"]), "--json")["content"]["text"]
    assert data["profile"]["explanation"] == shown
    assert _records(url)[-1]["kind"] == "report"


def test_an_expired_assessment_is_shown_as_expired(booked: dict, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import update

    from roboadvisor.book import schema
    from roboadvisor.book.store import open_store

    url = booked["url"]
    opened = open_store(url)
    with opened.transaction() as conn:
        conn.execute(update(schema.assessments)
                     .where(schema.assessments.c.client_id == "bob")
                     .values(expires_at=datetime(2020, 1, 2, tzinfo=UTC)))
    opened.close()
    out = tmp_path / "bob.html"
    result = _report(url, out, "--client", "bob", "--amount", "1000")
    assert "expired on 2020-01-02" in result.stderr
    page = out.read_text()
    assert 'data-key="assessment_expired"' in page and "2020-01-02" in page


REPORT_BAD = [
    (("--client", "nobody"), "unknown client nobody"),
    (("--account", "Z9"), "unknown account Z9"),
    (("--client", "gone"), "was erased"),
    (("--client", "alice", "--answers", str(EXAMPLES / "tier4_growth.yaml")), "drop --answers"),
    (("--client", "alice", "--account", "A1"), "not both"),
    (("--account", "A1"), "no price for them"),
]


@pytest.mark.parametrize(("args", "says"), REPORT_BAD,
                         ids=[f"report-{i}" for i in range(len(REPORT_BAD))])
def test_report_bad_input_is_one_line_exit_2_nothing_written(
        booked: dict, tmp_path: Path, args: tuple[str, ...], says: str) -> None:
    url = booked["url"]
    before = _records(url)
    out = tmp_path / "bad.html"
    result = _report(url, out, *args, code=2)
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert _records(url) == before and not out.exists()
