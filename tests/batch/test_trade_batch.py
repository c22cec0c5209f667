"""The vectorised trade lists of ``book run`` against the per-account path of ``account
rebalance`` (``domain.review.review`` + ``plan_trades``, the exact whole-share search) on every
account of a synthetic book, and their rules on hand-made accounts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from roboadvisor.batch.book_files import read_manifest, read_partition
from roboadvisor.batch.job import PartitionTask, partition_inputs
from roboadvisor.batch.step import (
    ModelArrays,
    PartitionInputs,
    TradeInputs,
    investor_tiers,
    review_partition,
)
from roboadvisor.batch.trades import exact_trades, vectorised_trades
from roboadvisor.domain.review import AccountFacts, ReviewPolicy, plan_trades, review
from roboadvisor.domain.trade_batch import (
    BUY_ONLY,
    FULL,
    SELL_ONLY,
    a_priori_bound,
    plan_many,
    trade_many,
)
from roboadvisor.domain.trade_list import Side, TradeMode, TradeRules
from roboadvisor.services.batch import RunRequest, _run_model
from roboadvisor.services.book_daily import lowest_category_models

MODE_CODE = {TradeMode.FULL: FULL, TradeMode.BUY_ONLY: BUY_ONLY, TradeMode.SELL_ONLY: SELL_ONLY}


@dataclass
class Sample:
    model: ModelArrays
    inputs: list[PartitionInputs]
    seen: list[TradeInputs]


@pytest.fixture(scope="module")
def sample(small_book: Path, tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """Every partition of the small book (3,000 accounts) read as the job reads it."""
    book = read_manifest(small_book)
    out = tmp_path_factory.mktemp("trades")
    model, _snapshot, q, tickers = _run_model(book, RunRequest(small_book, out))
    inputs, seen = [], []
    for p in range(book.partitions):
        task = PartitionTask(small_book, p, out, model, tickers, (q.id, q.version))
        inputs.append(partition_inputs(read_partition(small_book, p), task)[1])
        review_partition(inputs[-1], model, seen.append)  # type: ignore[arg-type]
    return Sample(model, inputs, seen)


def _per_account(model: ModelArrays, inputs: PartitionInputs, i: int):  # type: ignore[no-untyped-def]
    """The per-account path on account i, from the book's facts (as ``account review``)."""
    rev, policy = _review(model, inputs, i)
    return plan_trades(inputs.shares[i], model.prices, float(inputs.cash[i]), rev,
                       TradeRules(), policy)


def _review(model: ModelArrays, inputs: PartitionInputs, i: int):  # type: ignore[no-untyped-def]
    """``domain.review.review`` of account i from the book's facts, as ``review_of`` builds
    them (the assessed tier requested unless the tier is the client's own choice)."""
    profiles, _tier, lowest = investor_tiers(model, inputs.codes[i:i + 1])
    assessed = 1 if lowest[0] else int(profiles.tier[0])
    in_force = int(inputs.tier_in_force[i])
    chosen = inputs.above_level is not None and bool(inputs.above_level[i])
    follows = assessed != in_force and (not chosen or bool(lowest[0]))
    facts = AccountFacts(in_force, assessed if follows else None,
                         bool(inputs.expires_day[i] <= model.as_of_day),
                         pending_flow=float(inputs.pending_flow[i]))
    own = model.own_levels
    assert own is not None
    weights, levels = ((lowest_category_models(model.targets, own), own) if lowest[0]
                       else (model.targets, model.risk_levels))
    policy = ReviewPolicy(drift_threshold=model.drift_threshold)
    rev = review(inputs.shares[i], model.prices, float(inputs.cash[i]), weights, levels, facts,
                 policy)
    return rev, policy


def test_lowest_category_clients_above_their_level_follow_the_per_account_path(
        sample: Sample) -> None:
    """A state the database can hold (an above-level account whose client was re-assessed
    into the lowest category): the batch step aims where ``account review`` does: tier 1's
    R1-only portfolio, the earlier choice notwithstanding (tier 1 only, even on request)."""
    from dataclasses import replace

    from roboadvisor.batch.step import triggers_of

    model, inputs = sample.model, sample.inputs[0]
    lowest = investor_tiers(model, inputs.codes)[2]
    rows = np.flatnonzero(lowest)[:25]
    assert len(rows) >= 5
    above = np.zeros(len(inputs), dtype=bool)
    above[rows] = True
    in_force = inputs.tier_in_force.copy()
    in_force[rows] = np.arange(len(rows)) % 4 + 2         # tiers 2..5, chosen
    changed = replace(inputs, tier_in_force=in_force, above_level=above)
    seen: list[TradeInputs] = []
    result = review_partition(changed, model, seen.append)  # type: ignore[arg-type]
    for i in rows:
        rev, _policy = _review(model, changed, i)
        assert result.review.target_tier[i] == rev.tier == 1 != in_force[i], i
        assert np.array_equal(seen[0].targets[i], rev.targets), i
        assert np.array_equal(seen[0].allowed[i], rev.allowed), i
        assert set(triggers_of(result.review.triggers[i])) == set(rev.triggers), i


def _under(h: np.ndarray, p: np.ndarray, cash: float, flow: float, t: np.ndarray,
           d: np.ndarray) -> float:
    """The trade-list objective without costs: money under target after trading."""
    value = float(h @ p) + cash + flow
    return float(np.maximum(t * value - (h + d) * p, 0.0).sum())


def test_batch_trades_against_the_per_account_path(sample: Sample) -> None:
    model, prices = sample.model, sample.model.prices
    bound = a_priori_bound(prices, TradeRules())
    accounts = traded = same = mode_differs = 0
    gaps = []
    for inputs, seen in zip(sample.inputs, sample.seen, strict=True):
        rows = np.flatnonzero(seen.needs_trade)
        batch = plan_many(seen.shares[rows], prices, seen.cash[rows], seen.pending_flow[rows],
                          seen.targets[rows], seen.allowed[rows],
                          np.asarray(seen.rebalance)[rows], seen.drift_threshold)
        net = batch.bought - batch.sold
        position = {int(r): k for k, r in enumerate(rows)}
        for i in range(len(inputs)):
            accounts += 1
            exact = _per_account(model, inputs, i)
            k = position.get(i)
            # the same accounts need a trade list
            assert (exact is None) == (k is None), i
            if exact is None or k is None:
                continue
            traded += 1
            d_exact = np.zeros(len(prices))
            for o in exact.orders:
                d_exact[o.index] = o.shares if o.side is Side.BUY else -o.shares
            same += bool(np.array_equal(d_exact, net[k]))
            if MODE_CODE[exact.mode] != batch.mode[k]:
                mode_differs += 1   # the flow alone was enough on one path only
                continue
            h, cash, flow = inputs.shares[i], float(inputs.cash[i]), float(inputs.pending_flow[i])
            j_batch = _under(h, prices, cash, flow, seen.targets[i], net[k])
            j_exact = _under(h, prices, cash, flow, seen.targets[i], d_exact)
            tol = 1e-6 * max(1.0, float(h @ prices) + cash)
            assert j_batch >= j_exact - tol, i          # the exact path is optimal
            assert j_batch - j_exact <= batch.gap_bound[k] + tol, i   # the bound holds
            assert batch.gap_bound[k] <= bound
            gaps.append(j_batch - j_exact)
    assert accounts == sum(len(x) for x in sample.inputs) >= 2_000
    assert mode_differs <= 0.02 * traded
    print(f"\n{traded} traded accounts: {same} identical trade lists, modes differ on "
          f"{mode_differs}; gap to the exact optimum mean {np.mean(gaps):.2f}, "
          f"max {np.max(gaps):.2f} (a-priori bound {bound:.2f})")


def test_partition_trade_functions_share_the_seam(sample: Sample) -> None:
    """Both trade functions return orders for the accounts that need one, signed shares."""
    seen = sample.seen[0]
    fast = vectorised_trades(seen)
    rows = np.flatnonzero(seen.needs_trade)[:40]
    mask = np.zeros(len(seen.needs_trade), dtype=bool)
    mask[rows] = True
    some = TradeInputs(mask, seen.shares, seen.cash, seen.pending_flow, seen.prices,
                       seen.targets, seen.allowed, seen.rebalance, seen.triggers,
                       seen.drift_threshold, seen.rules)
    exact = exact_trades(some)
    assert set(exact.account.tolist()) <= set(rows.tolist())
    assert set(fast.account.tolist()) <= set(np.flatnonzero(seen.needs_trade).tolist())
    assert seen.triggers is not None
    assert (fast.reason == seen.triggers[fast.account]).all()


# --- the rules on hand-made accounts --------------------------------------------------------
P = np.array([100.0, 50.0, 20.0])
T = np.array([0.5, 0.5, 0.0])
OK = np.array([True, True, False])


def _one(shares: list[float], cash: float, flow: float, mode: np.int8,
         rules: TradeRules = TradeRules(min_trade=0.0)):  # type: ignore[no-untyped-def]
    return trade_many(np.array([shares], dtype=float), P, np.array([cash]), np.array([flow]),
                      T[None, :], OK[None, :], np.array([mode]), rules)


def test_deposit_buys_underweights_and_never_sells() -> None:
    r = _one([50, 0, 10], 0.0, 5_000.0, BUY_ONLY)      # R5 asset held, deposit waiting
    assert (r.sold == 0).all()
    # value 10,200, targets 5,100 each: 5,000 of cash buys 100 shares of the larger gap
    assert r.bought[0].tolist() == [0.0, 100.0, 0.0] and r.cash_after[0] == 0.0


def test_withdrawal_sells_and_never_buys() -> None:
    r = _one([60, 100, 0], 0.0, -3_000.0, SELL_ONLY)
    assert (r.bought == 0).all()
    assert r.cash_after[0] >= -1e-9 and r.paid[0] == -3_000.0
    # 6,000 + 5,000 - 3,000 = 8,000, targets 4,000 each: the overweights pay the withdrawal
    assert r.sold[0].tolist() == [20.0, 20.0, 0.0] and r.objective[0] == 0.0


def test_full_rebalance_sells_unsuitable_first_and_keeps_the_reserve() -> None:
    rules = TradeRules(min_trade=0.0, reserve=500.0)
    r = _one([10, 10, 50], 1_000.0, 0.0, FULL, rules)
    assert r.sold[0, 2] == 50.0                          # the R5 asset, all of it
    assert r.cash_after[0] >= 500.0 - 1e-9
    assert (r.shares_after >= 0).all()
    assert ((r.bought > 0) & (r.sold > 0)).sum() == 0    # one side per asset


def test_minimum_trade_and_liquidation() -> None:
    r = _one([50, 101, 0], 0.0, 0.0, FULL, TradeRules(min_trade=100.0))
    # 25 over and 25 under target: no order of at least 100 brings it closer
    assert (r.bought == 0).all() and (r.sold == 0).all()
    r = _one([1, 1, 0], 0.0, -1_000.0, SELL_ONLY)
    assert r.liquidated[0] and r.sold[0].tolist() == [1.0, 1.0, 0.0]
    assert r.paid[0] == -150.0


def test_vectorised_shortcut_refuses_costs() -> None:
    from roboadvisor.domain.trading import Fees

    with pytest.raises(ValueError, match="no costs"):
        _one([1, 1, 0], 0.0, 0.0, FULL, TradeRules(fees=Fees(np.full(3, 0.001))))


def test_cli_trade_options(small_book: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from roboadvisor.cli.app import app

    runner = CliRunner()
    result = runner.invoke(app, ["book", "run", str(small_book), "--out", str(tmp_path / "a"),
                                 "--trades", "none", "--json"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "a" / "orders").exists()
    assert not (tmp_path / "a" / "blocks.parquet").exists()
    for args, message in ((["--trades", "greedy"], "vectorised, exact or none"),
                          (["--min-trade", "-5"], "--min-trade -5")):
        result = runner.invoke(app, ["book", "run", str(small_book), "--out",
                                     str(tmp_path / "b"), *args])
        assert result.exit_code == 2 and message in result.output, result.output
        assert not (tmp_path / "b").exists()
