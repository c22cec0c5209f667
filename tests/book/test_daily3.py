"""Issue 11 on both backends: the lowest category's R1-only model portfolio (published with
each version, shown, diffed, used by reviews and rebalances; older versions fall back to the
stop-gap) and account settings from the CLI (`account set`), recorded and used."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.book.daily_helpers import drifted_book, lowest_account
from tests.book.helpers import record_count, run


def _levels() -> dict[str, int]:
    from roboadvisor.data.universe_file import load_universe

    return {a.ticker: a.risk_level for a in load_universe(None)}


def test_a_version_carries_an_r1_only_portfolio_that_lowest_accounts_aim_at(
        book_url: str, tmp_path: Path) -> None:
    prices = drifted_book(book_url, tmp_path)
    levels = _levels()
    shown = run(book_url, "model", "show", "--json")
    lowest = shown["lowest"]["weights"]
    assert lowest and {levels[t] for t, w in lowest.items() if w > 0} == {1}
    assert sum(lowest.values()) == pytest.approx(1, abs=1e-4)
    tier1 = shown["tiers"]["1"]["weights"]
    assert any(levels[t] > 1 for t, w in tier1.items() if w > 0)  # so the two differ
    assert "R1 products only" in run(book_url, "model", "show").stdout
    lowest_account(book_url, tmp_path)
    review = run(book_url, "account", "review", "L1", "--prices", str(prices), "--json")
    assert review["lowest"] and review["lowest_target"] == "own"
    targets = {a["ticker"]: a["target"] for a in review["assets"] if a["target"] > 0}
    total = sum(lowest.values())
    assert targets.keys() == {t for t, w in lowest.items() if w > 0}
    for t, w in targets.items():
        assert w == pytest.approx(lowest[t] / total, abs=1e-7)
    done = run(book_url, "account", "rebalance", "L1", "--prices", str(prices), "--apply",
               "--json")
    bought = {o["ticker"] for o in done["orders"] if o["side"] == "buy"}
    assert bought and bought <= set(targets)
    verified = run(book_url, "records", "verify", "--recompute", "--json")
    assert verified["ok"] and not verified["differences"]


def test_an_older_version_without_it_falls_back_to_the_stop_gap(book_url: str,
                                                               tmp_path: Path) -> None:
    import os

    from roboadvisor.book.crypto import Cipher, KeySource
    from roboadvisor.book.models import ModelVersion
    from roboadvisor.book.repositories import sql_book
    from roboadvisor.book.store import open_store
    from roboadvisor.services.model import digest

    prices = drifted_book(book_url, tmp_path)
    lowest_account(book_url, tmp_path)
    store = open_store(book_url)
    cipher = Cipher(KeySource.from_environ(dict(os.environ), Path(os.environ["XDG_DATA_HOME"])))
    with store.transaction() as conn:  # version 2 as published before versions carried one
        book = sql_book(conn, cipher)
        v1 = book.models.get(1)
        book.models.add(ModelVersion(2, datetime.now(UTC), v1.source, "old style", v1.inputs,
                                     digest(v1.tiers), v1.record_seq, v1.tiers))
    store.close()
    review = run(book_url, "account", "review", "L1", "--prices", str(prices), "--json")
    assert review["lowest_target"] == "stop_gap"
    levels = _levels()
    tier1 = {t: w for t, w in v1.tiers[1].weights.items() if levels[t] == 1 and w > 0}
    targets = {a["ticker"]: a["target"] for a in review["assets"] if a["target"] > 0}
    assert targets.keys() == tier1.keys()
    for t, w in targets.items():
        assert w == pytest.approx(tier1[t] / sum(tier1.values()), abs=1e-7)
    assert "carries no R1-only portfolio" in run(book_url, "model", "show", "2").stdout
    text = run(book_url, "account", "review", "L1", "--prices", str(prices)).stdout
    assert "tier 1's R1 products rescaled" in text
    notice = run(book_url, "model", "diff", "2", "1").stdout
    assert "adds a portfolio of its own for the lowest category" in notice
    zh = run(book_url, "model", "diff", "2", "1", "--lang", "zh").stdout
    assert "最低类别" in zh
    same = run(book_url, "model", "diff", "1", "1").stdout
    assert "Lowest category (R1 products only): unchanged." in same


def test_account_set_is_recorded_shown_and_used(book_url: str, tmp_path: Path) -> None:
    prices = drifted_book(book_url, tmp_path)
    run(book_url, "book", "rebalance", "--prices", str(prices), "--apply")
    quiet = run(book_url, "account", "review", "A1", "--prices", str(prices), "--json")
    assert quiet["action"] is None and quiet["settings"] == {
        "drift_threshold": "0.030000", "allow_fractional": False, "cash_reserve": "0.0000",
        "min_trade": None}
    count = record_count(book_url)
    done = run(book_url, "account", "set", "A1", "--drift-threshold", "0.01",
               "--fractional", "--cash-reserve", "2500", "--min-trade", "10", "--json")
    assert done["changed"] and done["record"]["kind"] == "account"
    assert done["settings"] == {"drift_threshold": "0.000100", "allow_fractional": True,
                                "cash_reserve": "2500.0000", "min_trade": "10.0000"}
    assert record_count(book_url) == count + 1
    record = run(book_url, "records", "show", str(done["record"]["seq"]), "--json")
    assert record["content"]["outputs"]["before"]["cash_reserve"] == "0.0000"
    again = run(book_url, "account", "set", "A1", "--cash-reserve", "2500.00", "--json")
    assert not again["changed"] and again["record"] is None
    assert record_count(book_url) == count + 1
    shown = run(book_url, "account", "show", "A1", "--json")
    assert (shown["cash_reserve"], shown["min_trade"], shown["allow_fractional"]) == \
        ("2500.0000", "10.0000", True)
    assert "cash reserve 2,500.00" in run(book_url, "account", "show", "A1").stdout
    # the review now holds 2,500 in cash as target, and the 0.01% threshold fires
    review = run(book_url, "account", "review", "A1", "--prices", str(prices), "--json")
    assert "drift" in [t["code"] for t in review["triggers"]]
    rebalanced = run(book_url, "account", "rebalance", "A1", "--prices", str(prices),
                     "--apply", "--json")
    assert rebalanced["cash_after"] >= 2500 - 1e-6
    assert any(float(o["shares"]) != int(o["shares"]) for o in rebalanced["orders"])
    assert all(o["value"] >= 10 - 1e-9 for o in rebalanced["orders"])
    after = run(book_url, "account", "show", "A1", "--json")
    assert Decimal(after["cash"]) >= Decimal(2500)
    zh = run(book_url, "account", "set", "A1", "--whole-shares", "--min-trade", "default",
             "--lang", "zh").stdout
    assert "设置已修改" in zh
    assert run(book_url, "account", "show", "A1", "--json")["min_trade"] is None
    verified = run(book_url, "records", "verify", "--recompute", "--json")
    assert verified["ok"] and not verified["differences"]


@pytest.mark.parametrize("args", [("--drift-threshold", "0"), ("--drift-threshold", "60"),
                                  ("--cash-reserve", "-5"), ("--min-trade", "abc"),
                                  ("--cash-reserve", "1.123456"), ("--cash-reserve", "1e300"),
                                  ("--min-trade", "200000000000"), ()])
def test_account_set_refuses_bad_values_in_one_line(book_url: str, tmp_path: Path,
                                                    args: tuple[str, ...]) -> None:
    drifted_book(book_url, tmp_path)
    count = record_count(book_url)
    result = run(book_url, "account", "set", "A1", *args, code=2)
    assert len(result.stderr.strip().splitlines()) == 1
    assert record_count(book_url) == count


def test_an_above_level_choice_ends_when_the_client_falls_into_the_lowest_category(
        book_url: str, tmp_path: Path) -> None:
    """Tier 1 only for the lowest category, even on request: an account opened above the
    assessed tier is brought to the R1-only portfolio once the client is re-assessed into the
    lowest category, and no longer carries the earlier choice."""
    from tests.book.daily_helpers import lowest_answers

    prices_file = drifted_book(book_url, tmp_path)
    run(book_url, "account", "open", "X1", "--client", "a", "--tier", "4", "--above-level",
        "--acknowledge", "I asked for more risk")
    holdings = tmp_path / "x1.csv"
    holdings.write_text("account,ticker,shares\nX1,VTI,30\nX1,CASH,5000\n")
    run(book_url, "account", "import-holdings", str(holdings))
    kept = run(book_url, "account", "review", "X1", "--prices", str(prices_file), "--json")
    assert kept["tier"] == 4 and "tier_change" not in {f["code"] for f in kept["triggers"]}
    run(book_url, "client", "assess", "a", "--answers", str(lowest_answers(tmp_path)))
    review = run(book_url, "account", "review", "X1", "--prices", str(prices_file), "--json")
    assert review["tier"] == 1
    assert {"code": "tier_change", "new": 1, "old": 4} in review["triggers"]
    done = run(book_url, "account", "rebalance", "X1", "--prices", str(prices_file), "--apply",
               "--json")
    assert {o["ticker"] for o in done["orders"] if o["side"] == "buy"} <= {"SHY", "BIL"}
    shown = run(book_url, "account", "show", "X1", "--json")
    assert shown["tier"] == 1 and shown["above_level"] is False
    assert set(shown["positions"]) <= {"SHY", "BIL"}
