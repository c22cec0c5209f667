"""The daily job on both backends: model versions, reviews, rebalances with --apply, cash
flows, notices, records re-computed; bad input refused in one line with nothing written."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from tests.book.daily_helpers import drifted_book, lowest_account, universe_tickers
from tests.book.helpers import record_count, run


def _last_prices(path: Path) -> dict[str, float]:
    import pandas as pd

    frame = pd.read_csv(path, index_col=0)
    return {t: float(frame[t].iloc[-1]) for t in frame.columns}


def test_publish_stores_a_version_once_and_says_when_nothing_changed(book_url: str,
                                                                     tmp_path: Path) -> None:
    drifted_book(book_url, tmp_path)
    versions = run(book_url, "model", "list", "--json")
    assert [v["version"] for v in versions] == [1] and versions[0]["source"] == "cma"
    shown = run(book_url, "model", "show", "--json")
    for tier in map(str, range(1, 6)):
        weights = shown["tiers"][tier]["weights"]
        assert abs(sum(weights.values()) - 1) < 1e-4 and min(weights.values()) > 0
    vols = [shown["tiers"][str(k)]["volatility"] for k in range(1, 6)]
    assert vols == sorted(vols)  # a higher tier never has less risk
    count = record_count(book_url)
    again = run(book_url, "model", "publish", "--json")
    assert again["unchanged"] and again["version"] == 1 and again["record"] is None
    assert record_count(book_url) == count
    text = run(book_url, "model", "publish").stdout
    assert "identical to version 1" in text
    record = run(book_url, "records", "show", str(shown["record_seq"]), "--json")
    assert record["content"]["kind"] == "model"
    assert set(record["content"]["inputs"]) >= {"universe", "policies", "assumptions"}


def test_review_rebalance_apply_deposit_withdraw_and_recompute(book_url: str,
                                                               tmp_path: Path) -> None:
    prices_file = drifted_book(book_url, tmp_path)
    prices = _last_prices(prices_file)
    review = run(book_url, "book", "review", "--prices", str(prices_file), "--json")
    accounts = review["accounts"]
    assert {a["account_id"] for a in accounts} == {"A1", "B1", "C1"}
    assert [a["urgency"] for a in accounts] == sorted((a["urgency"] for a in accounts),
                                                       reverse=True)
    assert all("model_version" in [t["code"] for t in a["triggers"]] for a in accounts)
    one = run(book_url, "account", "review", "A1", "--prices", str(prices_file), "--json")
    held = {"VTI": 40 * prices["VTI"], "AGG": 55 * prices["AGG"]}
    total = sum(held.values()) + 1250.5
    assert one["value"] == pytest.approx(total)
    weights = {a["ticker"]: a["weight"] for a in one["assets"]}
    assert weights["VTI"] == pytest.approx(held["VTI"] / total, abs=1e-7)

    # a proposal changes nothing but the record
    before = run(book_url, "account", "show", "A1", "--json")
    n = record_count(book_url)
    proposal = run(book_url, "account", "rebalance", "A1", "--prices", str(prices_file),
                   "--json")
    assert not proposal["applied"] and proposal["record"]["kind"] == "rebalance"
    assert record_count(book_url) == n + 1
    assert run(book_url, "account", "show", "A1", "--json") == before

    # --apply books the fills at the prices used
    done = run(book_url, "book", "rebalance", "--prices", str(prices_file), "--apply",
               "--json")["accounts"]
    assert {d["account_id"] for d in done} == {"A1", "B1", "C1"}
    for d in done:
        assert d["applied"] and d["drift_after"] <= d["drift_before"]
    a1 = next(d for d in done if d["account_id"] == "A1")
    expect = {"VTI": Decimal(40), "AGG": Decimal(55)}
    cash = 1250.5
    for o in a1["orders"]:
        sign = 1 if o["side"] == "buy" else -1
        assert o["shares"] == int(o["shares"]) and o["value"] >= 50
        assert o["price"] == pytest.approx(prices[o["ticker"]])
        expect[o["ticker"]] = expect.get(o["ticker"], Decimal(0)) + sign * Decimal(
            int(o["shares"]))
        cash -= sign * o["shares"] * o["price"]
    after = run(book_url, "account", "show", "A1", "--json")
    assert {t: Decimal(s) for t, s in after["positions"].items()} == \
        {t: s for t, s in expect.items() if s != 0}
    assert float(after["cash"]) == pytest.approx(cash, abs=1e-3) and cash >= 0
    quiet = run(book_url, "book", "review", "--prices", str(prices_file), "--json")
    assert all(a["action"] is None for a in quiet["accounts"])

    # a deposit only buys, a withdrawal only sells; both are marked applied
    run(book_url, "account", "deposit", "A1", "5000")
    run(book_url, "account", "withdraw", "B1", "1000")
    flows = run(book_url, "book", "rebalance", "--prices", str(prices_file), "--apply",
                "--json")["accounts"]
    by_id = {d["account_id"]: d for d in flows}
    assert set(by_id) == {"A1", "B1"}
    assert by_id["A1"]["orders"] and all(o["side"] == "buy" for o in by_id["A1"]["orders"])
    assert by_id["B1"]["orders"] and all(o["side"] == "sell" for o in by_id["B1"]["orders"])
    b1 = run(book_url, "account", "show", "B1", "--json")
    assert [f["status"] for f in b1["cash_flows"]] == ["applied"]
    assert float(b1["cash"]) >= 0

    verified = run(book_url, "records", "verify", "--recompute", "--json")
    assert verified["ok"] and not verified["differences"]
    kinds = [r["kind"] for r in run(book_url, "records", "list", "--json")]
    assert verified["recomputed"] == sum(k in ("assessment", "model", "rebalance")
                                         for k in kinds)


def test_the_notice_is_in_both_languages_and_names_the_orders(book_url: str,
                                                             tmp_path: Path) -> None:
    prices_file = drifted_book(book_url, tmp_path)
    en = run(book_url, "account", "rebalance", "C1", "--prices", str(prices_file)).stdout
    zh = run(book_url, "account", "rebalance", "C1", "--prices", str(prices_file),
             "--lang", "zh").stdout
    assert "Rebalancing notice" in en and "first time" in en and "proposal only" in en
    assert "再平衡通知" in zh and "仅为建议" in zh
    assert en.count("\n- ") == zh.count("\n- ") > 0


BAD = [
    (("account", "rebalance", "NOPE"), "unknown account NOPE"),
    (("account", "rebalance", "A1", "--min-trade", "-5"), "--min-trade -5"),
    (("account", "rebalance", "A1", "--rule", "monthly"), "--rule monthly"),
    (("account", "rebalance", "A1", "--tier", "5"), "above"),
    (("account", "rebalance", "A1", "--csv", "/nonexistent/dir/o.csv"), "does not exist"),
    (("book", "rebalance", "--cost-bps", "nan"), "--cost-bps nan"),
    (("account", "deposit", "A1", "1e300"), "at most 100,000,000,000"),
    (("account", "withdraw", "A1", "100000000000.0001"), "at most 100,000,000,000"),
    (("account", "rebalance", "A1", "--cost-bps", "1e9"), "from 0 to 1,000"),
    (("book", "rebalance", "--cost-fixed", "1e300"), "from 0 to 1,000,000,000"),
    (("records", "show", str(2**64)), f"no record #{2**64}"),
    (("model", "show", str(2**70)), f"no model version {2**70}"),
    (("model", "diff", "1", str(2**63)), f"no model version {2**63}"),
    (("model", "diff", "1", "7"), "no model version 7"),
    (("model", "show", "3"), "no model version 3"),
    (("model", "publish", "--source", "guess"), "--source guess"),
    (("model", "publish", "--prices", "x.csv"), "--source history"),
]


@pytest.mark.parametrize(("args", "says"), BAD, ids=[b[1] for b in BAD])
def test_bad_input_is_one_line_exit_2_and_nothing_is_written(book_url: str, tmp_path: Path,
                                                            args: tuple[str, ...],
                                                            says: str) -> None:
    prices_file = drifted_book(book_url, tmp_path)
    before = (record_count(book_url), run(book_url, "account", "show", "A1", "--json"),
              run(book_url, "model", "list", "--json"))
    extra = ("--prices", str(prices_file)) if args[1] in ("rebalance", "review") else ()
    result = run(book_url, *args, *extra, code=2)
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    after = (record_count(book_url), run(book_url, "account", "show", "A1", "--json"),
             run(book_url, "model", "list", "--json"))
    assert after == before


def test_orders_csv_lists_what_the_record_holds(book_url: str, tmp_path: Path) -> None:
    prices_file = drifted_book(book_url, tmp_path)
    out = tmp_path / "orders.csv"
    result = run(book_url, "account", "rebalance", "B1", "--prices", str(prices_file),
                 "--csv", str(out), "--json")
    import csv

    rows = list(csv.DictReader(out.open()))
    assert [(r["ticker"], r["side"], float(r["shares"])) for r in rows] == \
        [(o["ticker"], o["side"], o["shares"]) for o in result["orders"]]
    assert set(r["ticker"] for r in rows) <= set(universe_tickers())
    assert np.all(np.array([float(r["shares"]) for r in rows]) > 0)


def test_a_book_run_skips_an_account_it_cannot_handle_and_goes_on(store, book_url: str,
                                                                   tmp_path: Path) -> None:
    from decimal import Decimal

    from roboadvisor.book.crypto import Cipher, KeySource
    from roboadvisor.book.repositories import sql_book

    prices_file = drifted_book(book_url, tmp_path)
    import os

    cipher = Cipher(KeySource.from_environ(dict(os.environ),
                                           Path(os.environ["XDG_DATA_HOME"])))
    with store.transaction() as conn:  # a position the holdings import would refuse
        sql_book(conn, cipher).accounts.replace_holdings("B1", None, {"XYZ": Decimal(3)})
    review = run(book_url, "book", "review", "--prices", str(prices_file), "--json")
    assert [f["account_id"] for f in review["failed"]] == ["B1"]
    assert "XYZ" in review["failed"][0]["error"]
    done = run(book_url, "book", "rebalance", "--prices", str(prices_file), "--apply",
               "--json")
    assert {d["account_id"] for d in done["accounts"]} == {"A1", "C1"}
    assert [f["account_id"] for f in done["failed"]] == ["B1"]
    text = run(book_url, "book", "rebalance", "--prices", str(prices_file))
    assert "account B1 skipped" in text.stderr


def test_a_lowest_category_account_is_kept_in_r1_products(book_url: str,
                                                          tmp_path: Path) -> None:
    """C1-lowest may hold R1 products only, although the tier-1 model (rated as a whole)
    holds equity: its rebalance sells the rest and buys R1 products alone."""
    from roboadvisor.data.universe_file import load_universe

    prices_file = drifted_book(book_url, tmp_path)
    levels = {a.ticker: a.risk_level for a in load_universe(None)}
    model = run(book_url, "model", "show", "--json")["tiers"]["1"]["weights"]
    assert any(levels[t] > 1 for t, w in model.items() if w > 0)  # the premise
    lowest_account(book_url, tmp_path, cash="2000")
    done = run(book_url, "account", "rebalance", "L1", "--prices", str(prices_file),
               "--apply", "--json")
    assert done["orders"]
    assert {o["ticker"] for o in done["orders"] if o["side"] == "buy"} <= \
        {t for t, level in levels.items() if level == 1}
    after = run(book_url, "account", "show", "L1", "--json")
    held = {t for t, shares in after["positions"].items() if float(shares) > 0}
    assert held and {levels[t] for t in held} == {1}
    verified = run(book_url, "records", "verify", "--recompute", "--json")
    assert verified["ok"] and not verified["differences"]


def test_a_withdrawal_larger_than_the_account_pays_what_there_is_and_says_so(
        book_url: str, tmp_path: Path) -> None:
    prices_file = drifted_book(book_url, tmp_path)
    last = _last_prices(prices_file)
    shown = run(book_url, "account", "show", "C1", "--json")
    worth = float(shown["cash"]) + sum(float(n) * last[ticker]
                                       for ticker, n in shown["positions"].items())
    asked = round(worth * 3 + 1234.5, 2)
    run(book_url, "account", "withdraw", "C1", f"{asked:.2f}")
    result = run(book_url, "account", "rebalance", "C1", "--prices", str(prices_file),
                 "--json", "--apply")
    assert result["outcome"] == "liquidated"
    assert result["flow_requested"] == pytest.approx(-asked)
    # shares sell whole and the last cents of costs stay out, so paid is at most the worth
    assert -result["flow_paid"] == pytest.approx(worth, rel=1e-6)
    assert result["flow_unpaid"] == pytest.approx(asked - worth, rel=1e-6)
    record = run(book_url, "records", "show", str(result["record"]["seq"]), "--json")
    assert record["content"]["outputs"]["withdrawal_unpaid"] == pytest.approx(asked - worth,
                                                                              rel=1e-6)
    text = "\n".join(record["content"]["text"])
    assert f"{asked:,.2f}" in text and "cannot be paid" in text
    after = run(book_url, "account", "show", "C1", "--json")
    assert float(after["cash"]) == 0 and not after["positions"]
    verified = run(book_url, "records", "verify", "--recompute", "--json")
    assert verified["ok"] and not verified["differences"]


def test_a_second_book_rebalance_says_there_is_nothing_to_do(book_url: str,
                                                             tmp_path: Path) -> None:
    prices_file = drifted_book(book_url, tmp_path)
    first = run(book_url, "book", "rebalance", "--prices", str(prices_file), "--apply").stdout
    assert "rebalanced and booked" in first
    count = record_count(book_url)
    again = run(book_url, "book", "rebalance", "--prices", str(prices_file), "--apply").stdout
    assert "no account needs trades" in again and "proposed" not in again.replace(
        "nothing proposed", "")
    assert record_count(book_url) == count
