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
    # above the assessed tier on request, never for the lowest category (as `account open`)
    before = _counts_of(book_url)
    synth_book(SynthRequest(20, tmp_path / "low", seed=2, partitions=1))
    _make_lowest_above(tmp_path / "low")
    low = run(book_url, "book", "import", str(tmp_path / "low"), code=2)
    assert "is marked above_level but client C000000000 is in the lowest category" \
        in low.stderr and len(low.stderr.strip().splitlines()) == 1
    assert _counts_of(book_url) == before
    synth_book(SynthRequest(50, tmp_path / "synth", seed=1, partitions=1))
    run(book_url, "book", "import", str(tmp_path / "synth"))
    again = run(book_url, "book", "import", str(tmp_path / "synth"), code=2)
    assert "already holds clients" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


def _counts_of(url: str) -> dict[str, object]:
    from roboadvisor.book.store import open_store

    store = open_store(url)
    try:
        return _counts(store)
    finally:
        store.close()


def _make_lowest_above(book: Path) -> None:
    """Account A000000000 of the one-partition ``book``: a lowest-category client's answers,
    tier 2 marked above_level."""
    import pyarrow as pa

    from roboadvisor.data.questionnaire_files import read_answers_file
    from roboadvisor.domain.scoring_batch import encode_answers
    from roboadvisor.services.assess import get_questionnaire
    from tests.book.daily_helpers import lowest_answers

    chosen = dict(read_answers_file(lowest_answers(book)).answers)
    codes = encode_answers(get_questionnaire(), [chosen])[0]
    path = book / "answers" / "part-00000.parquet"
    answers = pq.read_table(path)
    options = answers.column("options").to_pylist()
    row = answers.column("account_id").to_pylist().index("A000000000")
    options[row] = [int(c) for c in codes]
    pq.write_table(answers.set_column(answers.column_names.index("options"), "options",
                                      pa.array(options, pa.list_(pa.int8()))), path)
    path = book / "accounts" / "part-00000.parquet"
    accounts = pq.read_table(path)
    row = accounts.column("account_id").to_pylist().index("A000000000")
    for name, value in (("tier", 2), ("above_level", True)):
        values = accounts.column(name).to_pylist()
        values[row] = value
        accounts = accounts.set_column(accounts.column_names.index(name), name,
                                       pa.array(values, accounts.schema.field(name).type))
    pq.write_table(accounts, path)


def _past_account(url: str, client: str, answers: str, account: str, tier: int,
                  above: bool, days_ago: int) -> None:
    """A client assessed and an account opened ``days_ago`` days ago (the assessment has
    expired by now when that is more than a year): the CLI only assesses today."""
    import os
    from datetime import UTC, datetime, timedelta

    from roboadvisor.book.crypto import Cipher, KeySource
    from roboadvisor.book.repositories import sql_book
    from roboadvisor.book.store import data_dir, open_store
    from roboadvisor.services import book as service
    from roboadvisor.services.assess import assess_answers_file
    from roboadvisor.services.book_assess import assess_client

    then = datetime.now(UTC) - timedelta(days=days_ago)
    store = open_store(url)
    cipher = Cipher(KeySource.from_environ(dict(os.environ), data_dir()))  # the CLI's key
    try:
        with store.transaction() as conn:
            book = sql_book(conn, cipher)
            service.add_client(book, client, None, None, then)
            assess_client(book, client, assess_answers_file(EXAMPLES / f"{answers}.yaml",
                                                            now=then), then)
            service.open_account(book, account, client, tier, above,
                                 "my own choice" if above else None, (), then)
    finally:
        store.close()


def _agreement_book(url: str, tmp_path: Path) -> Path:
    """A book of every case where the batch path could part from the per-account one:
    clients who chose a tier above the assessed one (one re-assessed higher since), a
    lowest-category client, expired assessments (one above-level, one below), a tier change,
    deposits and withdrawals; everyone on model version 1 with drifted holdings. Returns the
    price file."""
    from tests.book.daily_helpers import lowest_account

    prices = _clients(url, tmp_path)
    lowest_account(url, tmp_path)
    for client, answers, account, tier in (("u", "tier2_moderately_conservative", "U1", "4"),
                                           ("w", "tier2_moderately_conservative", "W1", "3")):
        run(url, "client", "add", client)
        run(url, "client", "assess", client, "--answers", str(EXAMPLES / f"{answers}.yaml"))
        run(url, "account", "open", account, "--client", client, "--tier", tier,
            "--above-level", "--acknowledge", "my own choice")
    _past_account(url, "e", "tier3_balanced", "E1", 4, True, 500)
    _past_account(url, "x", "tier3_balanced", "X1", 2, False, 500)
    # assessed a year ago to the day: expired since midnight (the book's now >= expires_at)
    from datetime import UTC, datetime

    from roboadvisor.services.book import add_months

    now = datetime.now(UTC)
    _past_account(url, "t", "tier3_balanced", "T1", 3, False, (now - add_months(now, -12)).days)
    funded = tmp_path / "funded.csv"
    funded.write_text("account,ticker,shares\nU1,AGG,100\nU1,CASH,20000\nW1,VTI,30\n"
                      "W1,CASH,9000\nE1,AGG,50\nE1,CASH,15000\nX1,VTI,60\nX1,CASH,800\n"
                      "T1,VTI,20\nT1,AGG,30\nT1,CASH,500\n")
    run(url, "account", "import-holdings", str(funded))
    run(url, "book", "rebalance", "--prices", str(prices), "--apply")  # all on version 1
    moved = tmp_path / "moved.csv"
    moved.write_text("account,ticker,shares\nA1,VTI,80\nA1,CASH,10\nU1,VTI,90\nU1,CASH,50\n"
                     "E1,AGG,400\nE1,CASH,20\nL1,VTI,25\nL1,CASH,100\n")
    run(url, "account", "import-holdings", str(moved))
    run(url, "account", "deposit", "B1", "2500")
    run(url, "account", "deposit", "W1", "4000")
    run(url, "account", "withdraw", "C1", "700")
    run(url, "account", "deposit", "X1", "3000")
    # w now assessed at tier 4: W1 keeps the tier 3 its client chose; b now tier 3: B1 moves
    run(url, "client", "assess", "w", "--answers", str(EXAMPLES / "tier4_growth.yaml"))
    run(url, "client", "assess", "b", "--answers", str(EXAMPLES / "tier3_balanced.yaml"))
    return prices


@pytest.mark.parametrize("book_url", ["sqlite"], indirect=True)
def test_book_run_equals_account_review_and_rebalance_on_every_account(
        book_url: str, tmp_path: Path) -> None:
    """An exported book run with --model 1 --trades exact: on every account the tier aimed
    at, the triggers and the trade list equal `account review` / `account rebalance`."""
    from roboadvisor.batch.step import BATCH_TRIGGERS, triggers_of
    from roboadvisor.data.universe_file import load_universe
    from roboadvisor.services.book_daily import lowest_category_models

    url = book_url
    prices = _agreement_book(url, tmp_path)
    accounts = sorted(a["account_id"] for a in run(url, "book", "review", "--prices",
                                                    str(prices), "--json")["accounts"])
    assert {"U1", "W1", "E1", "X1", "L1", "T1"} <= set(accounts)
    # the premise of --model N: the version's own R1-only portfolio is not the stop-gap
    universe = load_universe(None)
    shown = run(url, "model", "show", "1", "--json")
    tier1 = np.array([shown["tiers"]["1"]["weights"].get(t, 0.0) for t in universe.tickers])
    own = np.array([a.risk_level for a in universe])
    stop_gap = lowest_category_models(np.vstack([tier1] * 5), own)[0]
    stored = np.array([shown["lowest"]["weights"].get(t, 0.0) for t in universe.tickers])
    assert np.abs(stored / stored.sum() - stop_gap).max() > 1e-3

    run(url, "book", "export", "--out", str(tmp_path / "book"))
    out = tmp_path / "out"
    run(url, "book", "run", str(tmp_path / "book"), "--out", str(out), "--prices",
        str(prices), "--model", "1", "--trades", "exact", "--json")
    review = {r["account_id"]: r for r in pq.read_table(out / "review").to_pylist()}
    orders: dict[str, dict[str, float]] = {}
    for o in pq.read_table(out / "orders").to_pylist():
        orders.setdefault(o["account_id"], {})[o["ticker"]] = o["shares"]
    assert set(review) == set(accounts)
    batch_codes = {t.value for t in BATCH_TRIGGERS}
    seen = set()
    for account in accounts:
        one = run(url, "account", "review", account, "--prices", str(prices), "--json")
        done = run(url, "account", "rebalance", account, "--prices", str(prices), "--json")
        got = review[account]
        codes = {t["code"] for t in one["triggers"]}
        assert codes <= batch_codes, (account, codes)  # no rule, calendar or new version
        assert got["target_tier"] == one["tier"] == done["tier"], account
        assert {t.value for t in triggers_of(got["triggers"])} == codes, account
        assert got["drift"] == pytest.approx(one["drift"], abs=1e-8), account
        want = {o["ticker"]: (o["shares"] if o["side"] == "buy" else -o["shares"])
                for o in done["orders"]}
        assert orders.get(account, {}) == pytest.approx(want, abs=1e-8), account
        seen |= codes | ({"traded"} if want else set())
    assert seen >= batch_codes | {"traded"}  # every trigger of the batch path was exercised
    chosen = {a: review[a] for a in ("U1", "W1", "E1")}
    assert all(r["target_tier"] == r["tier_in_force"] > r["scored_tier"] or a == "W1"
               for a, r in chosen.items())
    assert chosen["W1"]["scored_tier"] == 4 and chosen["W1"]["target_tier"] == 3
    assert "assessment_expired" in {t.value for t in triggers_of(review["T1"]["triggers"])}
