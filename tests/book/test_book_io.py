"""`book export` / `book import`: the client book as the parquet book of `book run` and back,
on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from roboadvisor.batch.book_data import read_book
from roboadvisor.book import schema
from tests.book.daily_helpers import price_table, write_prices
from tests.book.helpers import EXAMPLES, run

CLIENTS = (("a", "tier3_balanced"), ("b", "tier2_moderately_conservative"),
           ("c", "tier5_aggressive"), ("d", "tier4_growth"))


def _clients(url: str, tmp_path: Path) -> Path:
    """Four clients (one with a name and birth date), an account each, holdings, a model
    version; returns a price file."""
    run(url, "client", "add", "a", "--name", "Alice Example", "--birth-date", "1970-01-02")
    for client, answers in CLIENTS:
        if client != "a":
            run(url, "client", "add", client)
        run(url, "client", "assess", client, "--answers", str(EXAMPLES / f"{answers}.yaml"))
        run(url, "account", "open", f"{client.upper()}1", "--client", client)
    holdings = tmp_path / "holdings.csv"
    holdings.write_text("account,ticker,shares\nA1,VTI,40\nA1,AGG,55\nA1,CASH,1250.5\n"
                        "B1,AGG,120\nB1,CASH,300\nC1,VTI,12\nC1,CASH,5000\n"
                        "D1,VTI,30\nD1,VEA,50\nD1,CASH,900\n")
    run(url, "account", "import-holdings", str(holdings))
    run(url, "model", "publish", "--note", "first")
    return write_prices(tmp_path / "prices.csv", price_table(3))


def test_an_exported_book_runs_like_book_rebalance(book_url: str, tmp_path: Path) -> None:
    url = book_url
    prices = _clients(url, tmp_path)
    run(url, "book", "rebalance", "--prices", str(prices), "--apply")  # all on version 1
    moved = tmp_path / "moved.csv"
    moved.write_text("account,ticker,shares\nA1,VTI,80\nA1,CASH,10\nC1,AGG,30\nC1,CASH,200\n")
    run(url, "account", "import-holdings", str(moved))
    run(url, "account", "deposit", "B1", "2500")
    proposed = run(url, "book", "rebalance", "--prices", str(prices), "--json")["accounts"]
    reviewed = run(url, "book", "review", "--prices", str(prices), "--json")["accounts"]
    want_action = {r["account_id"] for r in proposed if r["orders"]}
    assert want_action == {"A1", "B1", "C1"}  # D1 stayed inside its band

    run(url, "book", "export", "--out", str(tmp_path / "book"), "--json")
    run(url, "book", "run", str(tmp_path / "book"), "--out", str(tmp_path / "out"),
        "--prices", str(prices), "--model", "1", "--json")
    review = pq.read_table(tmp_path / "out" / "review" / "part-00000.parquet").to_pylist()
    from roboadvisor.batch.step import ACTION_BITS

    got_action = {r["account_id"] for r in review if r["triggers"] & ACTION_BITS}
    assert got_action == want_action
    drift = {r["account_id"]: r["drift"] for r in review}
    assert drift == pytest.approx({r["account_id"]: r["drift"] for r in reviewed}, abs=1e-7)
    for r in proposed:  # a trade list's drift_before counts a deposit as cash: B1 differs
        if r["account_id"] != "B1":
            assert drift[r["account_id"]] == pytest.approx(r["drift_before"], abs=1e-12)


def test_export_holds_no_names_and_leaves_out_erased_clients(book_url: str,
                                                             tmp_path: Path) -> None:
    url = book_url
    _clients(url, tmp_path)
    run(url, "client", "erase", "d")
    done = run(url, "book", "export", "--out", str(tmp_path / "book"), "--json")
    assert done["accounts"] == 3
    assert done["skipped"] == [{"account": "D1", "reason": "erased"}]
    texts = [(tmp_path / "book" / "book.json").read_text()]
    for path in (tmp_path / "book").rglob("*.parquet"):
        texts.append(str(pq.read_table(path).to_pylist()))
    assert not any("Alice" in text or "1970-01-02" in text for text in texts)


def test_import_of_an_export_gives_the_same_book(book_url: str, tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'source.sqlite'}"
    prices = _clients(source, tmp_path)
    run(source, "account", "deposit", "A1", "1000")
    run(source, "account", "withdraw", "C1", "300")
    run(source, "book", "export", "--out", str(tmp_path / "book"))
    loaded = run(book_url, "book", "import", str(tmp_path / "book"), "--json")
    assert (loaded["clients"], loaded["accounts"], loaded["positions"],
            loaded["cash_flows"]) == (4, 4, 6, 2)
    # client, assessment, account, holdings for each account, one record per cash flow
    assert loaded["records"] == 4 * 4 + 2
    check = run(book_url, "records", "verify", "--recompute", "--json")
    assert check["ok"] and check["recomputed"] == 4 and not check["differences"]
    run(book_url, "model", "publish", "--note", "first")

    def review(url: str) -> dict[str, tuple]:  # type: ignore[type-arg]
        rows = run(url, "book", "review", "--prices", str(prices), "--json")["accounts"]
        return {r["account_id"]: (r["tier"], r["value"], r["drift"],
                                  sorted(t["code"] for t in r["triggers"])) for r in rows}

    assert review(book_url) == review(source)
    run(book_url, "book", "export", "--out", str(tmp_path / "again"))
    _, first = read_book(tmp_path / "book")
    _, again = read_book(tmp_path / "again")
    for name in ("account_id", "client_id", "tier", "cash", "assessed_day", "expires_day",
                 "codes", "holding_account", "holding_ticker", "holding_shares",
                 "flow_account", "flow_day", "flow_amount"):
        assert np.array_equal(getattr(first, name), getattr(again, name)), name


def test_a_synthetic_book_imports_and_exports_back(book_url: str, tmp_path: Path) -> None:
    from roboadvisor.services.batch import SynthRequest, synth_book

    synth_book(SynthRequest(400, tmp_path / "synth", seed=3, partitions=3))
    loaded = run(book_url, "book", "import", str(tmp_path / "synth"), "--json")
    assert loaded["accounts"] == loaded["clients"] == 400
    assert run(book_url, "records", "verify", "--json")["ok"]
    # ids kept counting after the bulk load (PostgreSQL's sequences moved past the copied ids)
    run(book_url, "client", "assess", "C000000007", "--answers",
        str(EXAMPLES / "tier3_balanced.yaml"))
    run(book_url, "account", "deposit", "A000000007", "250")
    run(book_url, "book", "export", "--out", str(tmp_path / "back"), "--partitions", "3")
    _, a = read_book(tmp_path / "synth")
    _, b = read_book(tmp_path / "back")
    assert b.flow_account.tolist().count(7) == a.flow_account.tolist().count(7) + 1
    b = _without_flow(b, 7, 250.0)
    changed = 7  # re-assessed: its answers and dates differ now
    assert a.above_level.any()  # clients who chose a tier above the assessed one
    for name in ("account_id", "client_id", "tier", "above_level", "cash", "assessed_day",
                 "expires_day", "codes"):
        if name in ("assessed_day", "expires_day", "codes"):
            keep = np.arange(len(a)) != changed
            assert np.array_equal(getattr(a, name)[keep], getattr(b, name)[keep]), name
            continue
        assert np.array_equal(getattr(a, name), getattr(b, name)), name

    def rows(d, *names):  # type: ignore[no-untyped-def]
        return sorted(zip(*(getattr(d, n).tolist() for n in names), strict=True))

    assert rows(a, "holding_account", "holding_ticker", "holding_shares") == \
        rows(b, "holding_account", "holding_ticker", "holding_shares")
    assert rows(a, "flow_account", "flow_day", "flow_amount") == \
        rows(b, "flow_account", "flow_day", "flow_amount")
    # the same hash partitions: each partition file holds the same accounts
    for part in sorted((tmp_path / "synth" / "accounts").iterdir()):
        ids = pq.read_table(part).column("account_id").to_pylist()
        back = pq.read_table(tmp_path / "back" / "accounts" / part.name)
        assert sorted(back.column("account_id").to_pylist()) == sorted(ids)


def _without_flow(data, account: int, amount: float):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    drop = (data.flow_account == account) & (data.flow_amount == amount)
    return replace(data, flow_account=data.flow_account[~drop], flow_day=data.flow_day[~drop],
                   flow_amount=data.flow_amount[~drop])


def _counts(store) -> dict[str, object]:  # type: ignore[no-untyped-def]
    with store.transaction() as conn:
        out: dict[str, object] = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar()
            for t in (schema.clients, schema.assessments, schema.accounts, schema.positions,
                      schema.cash_flows, schema.records, schema.settings)}
        out["head"] = conn.execute(select(schema.records.c.hash)
                                   .order_by(schema.records.c.seq.desc()).limit(1)).scalar()
    return out


@pytest.mark.parametrize("fail_after", ["clients", "accounts", "cash_flows", "records"])
def test_a_failed_import_leaves_the_database_as_it_was(store, book_url: str, tmp_path: Path,
                                                       fail_after: str) -> None:
    from roboadvisor.book.bulk import SqlBulk
    from roboadvisor.cli.book_context import cipher, now
    from roboadvisor.services.batch import SynthRequest, synth_book
    from roboadvisor.services.book_io import import_book

    run(book_url, "client", "add", "z", "--name", "Zed")
    synth_book(SynthRequest(200, tmp_path / "synth", seed=5, partitions=2))
    before = _counts(store)

    class Stop(Exception):
        pass

    def stop(table: str) -> None:
        if table == fail_after:
            raise Stop(table)

    with pytest.raises(Stop), store.transaction() as conn:
        import_book(SqlBulk(conn, cipher()), tmp_path / "synth", now(), stop)
    assert _counts(store) == before
    loaded = run(book_url, "book", "import", str(tmp_path / "synth"), "--json")
    assert loaded["accounts"] == 200
    assert run(book_url, "records", "verify", "--json")["ok"]


def test_import_refusals_are_one_line(book_url: str, tmp_path: Path) -> None:
    from roboadvisor.services.batch import SynthRequest, synth_book

    result = run(book_url, "book", "import", str(tmp_path), code=2)
    assert "not a book" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    synth_book(SynthRequest(50, tmp_path / "synth", seed=1, partitions=1))
    run(book_url, "book", "import", str(tmp_path / "synth"))
    again = run(book_url, "book", "import", str(tmp_path / "synth"), code=2)
    assert "already holds clients" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
