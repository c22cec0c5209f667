"""`book run` on the local engine: review rows equal an independent per-account computation,
re-runs are byte-identical, outputs are whole or absent."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app
from roboadvisor.domain.models import Tier
from roboadvisor.domain.review import Trigger
from roboadvisor.services.allocate import AllocationRequest, allocate
from roboadvisor.services.assess import assess_answers, get_questionnaire
from tests.batch.conftest import SMALL_ACCOUNTS, SUITABILITY, folder_bytes
from tests.conftest import RESOURCES

runner = CliRunner()


def _run(book: Path, out: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["book", "run", str(book), "--out", str(out), "--json",
                                 *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def local_run(small_book: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "local"
    _run(small_book, out)
    return out


def test_review_equals_the_per_account_path(small_book: Path, local_run: Path) -> None:
    """Every account, recomputed here with assess, the optimiser and plain Python."""
    manifest = json.loads((small_book / "book.json").read_text())
    prices = manifest["prices"]["values"]
    as_of = np.datetime64(manifest["as_of"])
    questionnaire = get_questionnaire()
    targets = {t: allocate(AllocationRequest(tier=int(t), suitability=SUITABILITY)
                           ).allocation.as_dict() for t in Tier}
    risk = {a.ticker: a.risk_level for a in _universe()}
    # a tier may hold what its own model holds (the lowest tier whose model holds a product)
    levels = {t: min([r] + [int(k) for k in Tier if targets[k].get(t, 0.0) > 0])
              for t, r in risk.items()}
    # the lowest category: tier 1's weights on its R1 products, rescaled
    r1 = {t: w for t, w in targets[Tier(1)].items() if risk[t] <= 1}
    lowest_target = {t: w / sum(r1.values()) for t, w in r1.items()}
    lowest_seen = above_seen = 0

    def read(table: str) -> list[dict]:  # type: ignore[type-arg]
        return pq.read_table(sorted((small_book / table).glob("*.parquet"))).to_pylist()

    holdings: dict[str, dict[str, float]] = {}
    for row in read("holdings"):
        holdings.setdefault(row["account_id"], {})[row["ticker"]] = row["shares"]
    answers = {r["account_id"]: r["options"] for r in read("answers")}
    flows: dict[str, float] = {}
    for row in read("cash_flows"):
        flows[row["account_id"]] = flows.get(row["account_id"], 0.0) + row["amount"]
    review = {r["account_id"]: r for r in
              pq.read_table(sorted((local_run / "review").glob("*.parquet"))).to_pylist()}
    assert len(review) == SMALL_ACCOUNTS
    for acc in read("accounts"):
        a = acc["account_id"]
        chosen = {q.id: q.option_ids[c]
                  for q, c in zip(questionnaire.questions, answers[a], strict=True)}
        profile = assess_answers(questionnaire, chosen).profile
        lowest = questionnaire.is_lowest_category(chosen)   # C1-lowest: tier 1, R1 only
        tier = 1 if lowest else int(profile.tier)
        expired = np.datetime64(acc["expires_on"]) <= as_of  # expired from that day on
        if acc["above_level"]:  # the client's own choice: kept, whatever the assessment
            target_tier = acc["tier"]
            above_seen += 1
        else:
            target_tier = min(tier, acc["tier"]) if expired else tier
        held = holdings.get(a, {})
        value = sum(s * prices[t] for t, s in held.items()) + acc["cash"]
        target = lowest_target if lowest and target_tier == 1 else targets[Tier(target_tier)]
        tickers = set(held) | set(target)
        drift = 0.5 * (sum(abs(held.get(t, 0.0) * prices[t] / value - target.get(t, 0.0))
                           for t in tickers) + acc["cash"] / value)
        level_of = risk if lowest else levels
        above = any(level_of[t] > target_tier for t in held)
        fired = {Trigger.DRIFT: drift > 0.03, Trigger.CASH_FLOW: flows.get(a, 0.0) != 0,
                 Trigger.TIER_CHANGE: target_tier != acc["tier"],
                 Trigger.UNSUITABLE_HOLDINGS: above, Trigger.ASSESSMENT_EXPIRED: expired}
        triggers = sum(1 << list(Trigger).index(t) for t, on in fired.items() if on)
        lowest_seen += lowest
        got = review[a]
        assert (got["scored_tier"], got["target_tier"], got["level"], got["tolerance"],
                got["capacity"], got["combined"], got["triggers"]) == (
            int(profile.tier), target_tier, tier, profile.tolerance_score,
            profile.capacity_score, profile.combined_score, triggers), a
        assert got["value"] == pytest.approx(value, rel=1e-12)
        assert got["drift"] == pytest.approx(drift, abs=1e-12)
        assert got["pending_flow"] == pytest.approx(flows.get(a, 0.0), abs=1e-9)
    assert lowest_seen > 0   # the book has lowest-category investors
    assert above_seen > 0    # and clients who chose a tier above their assessed one


def _universe():  # type: ignore[no-untyped-def]
    from roboadvisor.data.universe_file import load_universe

    return load_universe(None)


def test_manifest_and_summary(local_run: Path) -> None:
    manifest = json.loads((local_run / "manifest.json").read_text())
    for part in manifest["partitions"]:
        data = (local_run / part["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == part["sha256"]
    summary_bytes = (local_run / "summary.json").read_bytes()
    assert hashlib.sha256(summary_bytes).hexdigest() == manifest["summary_sha256"]
    summary = json.loads(summary_bytes)
    rows = pq.read_table(sorted((local_run / "review").glob("*.parquet"))).to_pandas()
    assert summary["accounts"] == len(rows) == sum(p["accounts"] for p in
                                                    manifest["partitions"])
    assert summary["triggered"] == int((rows["triggers"] != 0).sum())
    assert summary["scored_tiers"] == {str(k): int((rows["scored_tier"] == k).sum())
                                       for k in range(1, 6)}
    assert summary["triggers"]["drift"] == int((rows["drift"] > 0.03).sum())
    assert summary["value"] == pytest.approx(rows["value"].sum(), rel=1e-12)
    orders = pq.read_table(sorted((local_run / "orders").glob("*.parquet"))).to_pandas()
    assert summary["trades"]["orders"] == len(orders) > 0


def test_rerun_is_byte_identical(small_book: Path, local_run: Path, tmp_path: Path) -> None:
    _run(small_book, tmp_path / "again")
    assert folder_bytes(tmp_path / "again") == folder_bytes(local_run)


def test_prices_file_latest_row(small_book: Path, local_run: Path, tmp_path: Path) -> None:
    prices = RESOURCES / "allocation" / "latest_prices.csv"
    record = _run(small_book, tmp_path / "priced", "--prices", str(prices))
    assert record["summary"]["prices"] == {"as_of": "2026-07-31",
                                           "source": "latest_prices.csv"}
    rows = pq.read_table(tmp_path / "priced" / "review" / "part-00000.parquet")
    base = pq.read_table(local_run / "review" / "part-00000.parquet")
    assert rows.column("value").to_pylist() != base.column("value").to_pylist()


def test_interrupted_run_leaves_nothing(small_book: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(small_book, broken)
    (broken / "holdings" / "part-00004.parquet").write_bytes(b"not parquet")
    result = runner.invoke(app, ["book", "run", str(broken), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "part-00004.parquet" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken"]


@pytest.mark.parametrize(("args", "message"), [
    (["--engine", "spark"], "local or dask"),
    (["--scheduler", "tcp://127.0.0.1:1"], "--engine dask"),
    (["--workers", "0"], "at least 1"),
    (["--drift-threshold", "3"], "between 0 and 1"),
])
def test_bad_options(small_book: Path, tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["book", "run", str(small_book), "--out",
                                 str(tmp_path / "o"), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "o").exists()


def test_not_a_book(tmp_path: Path) -> None:
    result = runner.invoke(app, ["book", "run", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "book.json" in result.output


def test_chinese_tables(small_book: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["book", "run", str(small_book), "--out", str(tmp_path / "o"),
                                 "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert "账簿检查完成" in result.output and "触发条件" in result.output


def test_the_trade_seam_writes_orders(small_book: Path, local_run: Path,
                                      tmp_path: Path) -> None:
    from roboadvisor.services.batch import RunRequest, run_book
    from tests.batch.seam_example import sell_above_level

    out = tmp_path / "traded"
    result = run_book(RunRequest(small_book, out, trades=sell_above_level))
    review = pq.read_table(sorted((out / "review").glob("*.parquet"))).to_pandas()
    # the review is the same with or without a trade step
    for part in sorted((local_run / "review").glob("*.parquet")):
        assert (out / "review" / part.name).read_bytes() == part.read_bytes()
    orders = pq.read_table(sorted((out / "orders").glob("*.parquet"))).to_pandas()
    holdings = pq.read_table(sorted((small_book / "holdings").glob("*.parquet"))).to_pandas()
    risk = {a.ticker: a.risk_level for a in _universe()}
    target = review.set_index("account_id")["target_tier"]
    holdings = holdings[holdings["account_id"].map(target) < holdings["ticker"].map(risk)]
    got = sorted(zip(orders["account_id"], orders["ticker"], -orders["shares"], strict=True))
    want = sorted(zip(holdings["account_id"], holdings["ticker"], holdings["shares"],
                      strict=True))
    assert got == want and len(got) > 0
    assert (orders["value"] == orders["shares"] * orders["price"]).all()
    blocks = pq.read_table(out / "blocks.parquet").to_pandas()
    orders["side"] = np.where(orders["shares"] > 0, "buy", "sell")
    netted = orders.assign(shares=orders["shares"].abs()).groupby(["ticker", "side"]).agg(
        shares=("shares", "sum"), orders=("shares", "size"))
    got_blocks = blocks.set_index(["ticker", "side"])[["shares", "orders"]].sort_index()
    assert got_blocks.to_dict() == netted.sort_index().to_dict()
    assert result.summary["trades"] == {"orders": len(orders), "blocks": len(blocks),
                                        "turnover": round(orders["value"].abs().sum(), 2)}
    manifest = json.loads((out / "manifest.json").read_text())
    blocks_bytes = (out / "blocks.parquet").read_bytes()
    assert hashlib.sha256(blocks_bytes).hexdigest() == manifest["blocks_sha256"]
    for part in manifest["partitions"]:
        data = (out / part["orders_file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == part["orders_sha256"]


def test_the_books_ticker_order_does_not_matter(small_book: Path, local_run: Path,
                                                tmp_path: Path) -> None:
    book = tmp_path / "reordered"
    shutil.copytree(small_book, book)
    doc = json.loads((book / "book.json").read_text())
    doc["tickers"] = doc["tickers"][::-1]
    (book / "book.json").write_text(json.dumps(doc))
    _run(book, tmp_path / "out")
    for part in sorted((local_run / "review").glob("*.parquet")):
        assert (tmp_path / "out" / "review" / part.name).read_bytes() == part.read_bytes()


def _hostile(small_book: Path, tmp_path: Path, change: str) -> Path:
    """A copy of the small book with partition 0's accounts table (or book.json) changed."""
    import pyarrow as pa

    book = tmp_path / "book"
    shutil.copytree(small_book, book)
    if change == "version_1":
        doc = json.loads((book / "book.json").read_text())
        doc["format_version"] = 1
        (book / "book.json").write_text(json.dumps(doc))
        return book
    path = book / "accounts" / "part-00000.parquet"
    table = pq.read_table(path)
    n = table.num_rows
    column = table.column_names.index("above_level")
    tier = table.column_names.index("tier")
    if change == "null":
        table = table.set_column(column, pa.field("above_level", pa.bool_()),
                                 pa.array([None] + [False] * (n - 1), pa.bool_()))
    elif change == "integer":
        table = table.set_column(column, "above_level", pa.array([7] + [0] * (n - 1), pa.int8()))
    elif change == "missing":
        table = table.remove_column(column)
    elif change in ("tier_0", "tier_9"):
        value = 0 if change == "tier_0" else 9
        tiers = [value, *table.column("tier").to_pylist()[1:]]
        table = table.set_column(tier, "tier", pa.array(tiers, pa.int8()))
        table = table.set_column(column, "above_level", pa.array([True] * n, pa.bool_()))
    pq.write_table(table, path)
    return book


@pytest.mark.parametrize(("change", "message"), [
    ("null", "column above_level has empty (null) values"),
    ("integer", "above_level must be boolean (true/false), found int8"),
    ("missing", "columns do not match the accounts schema"),
    ("tier_0", "tier 0 is not allowed; tiers are 1 to 5"),
    ("tier_9", "tier 9 is not allowed; tiers are 1 to 5"),
    ("version_1", "book format version 1 is not supported (this version reads 2)"),
])
def test_hostile_account_rows_are_refused_in_one_line(small_book: Path, tmp_path: Path,
                                                      change: str, message: str) -> None:
    book = _hostile(small_book, tmp_path, change)
    for engine in ("local", "dask") if change == "tier_9" else ("local",):
        result = runner.invoke(app, ["book", "run", str(book), "--out", str(tmp_path / "o"),
                                     "--engine", engine, "--workers", "1"])
        assert result.exit_code == 2, (engine, result.output)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "o").exists()
