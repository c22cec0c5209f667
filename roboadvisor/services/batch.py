"""Use cases of the book at scale: ``synth_book`` (a seeded synthetic book as parquet) and
``run_book`` (the nightly review of every account, on the local or the Dask engine).

Targets come from the shipped model: the five tier portfolios optimised once each on the shipped
capital market assumptions and policies (``services.allocate``), never per account. Prices: the
latest row of ``--prices FILE``, else the snapshot the book carries in ``book.json``, else the
shipped reference prices (``resources/reference_prices.yaml``, the adjusted closes of the
assumptions' date 2026-07-31).

Outputs are deterministic: the same inputs give byte-identical files on either engine (no
times, hosts or engine names are written; those are only shown).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from roboadvisor.domain.limits import MAX_MONEY
from roboadvisor.domain.models import Tier, Universe
from roboadvisor.domain.review import DEFAULT_DRIFT_THRESHOLD
from roboadvisor.domain.trade_list import DEFAULT_MIN_TRADE

if TYPE_CHECKING:
    from roboadvisor.batch.step import TradeFunction
from roboadvisor.errors import ConfigError, InputError, RoboAdvisorError, reason
from roboadvisor.fields import Field

MAX_PARTITIONS = 4096
SUMMARY = "summary.json"
MANIFEST = "manifest.json"
BLOCKS = "blocks.parquet"


class BatchError(RoboAdvisorError):
    """A run could not finish (a cluster that cannot be reached, a failed partition)."""


# --------------------------------------------------------------------------------------------
# Requests and results
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SynthRequest:
    accounts: int
    out: Path
    seed: int = 0
    partitions: int | None = None
    prices_file: Path | None = None
    suitability: str | None = None
    """portfolio | holdings; None: the shipped policies' mode. Recorded in book.json, so that
    ``book run`` reviews the book against the same model."""


@dataclass(frozen=True)
class SynthResult:
    out: Path
    accounts: int
    partitions: int
    seed: int
    as_of: str
    prices_source: str
    seconds: float


@dataclass(frozen=True)
class RunRequest:
    book: Path
    out: Path
    engine: str = "local"
    scheduler: str | None = None
    workers: int = 2
    prices_file: Path | None = None
    drift_threshold: float = DEFAULT_DRIFT_THRESHOLD
    trades: TradeFunction | str | None = "vectorised"
    """The trade step: "vectorised" (``batch.trades.vectorised_trades``), "exact" (the
    per-account path, ``exact_trades``), a ``step.TradeFunction``, or None: no trades."""
    min_trade: float = DEFAULT_MIN_TRADE
    """Smallest order value (currency), as ``account rebalance --min-trade``."""
    model: ModelTargets | None = None
    """Targets of a published model version (``book run --model N``); None: the shipped
    policies optimised on the shipped assumptions."""


@dataclass(frozen=True, eq=False)
class ModelTargets:
    """A published model version's targets: (5, assets) weights in universe order, rows sum
    to 1, and ``lowest`` (assets,) the version's R1-only portfolio of the lowest category
    (None: a version published before versions carried one; the stop-gap applies)
    (``services.book_io.model_targets``)."""

    version: int
    digest: str
    targets: np.ndarray
    lowest: np.ndarray | None = None


@dataclass(frozen=True)
class RunResult:
    out: Path
    engine: str
    workers: int | None
    summary: dict[str, Any]
    seconds: float

    @property
    def accounts_per_second(self) -> float:
        return self.summary["accounts"] / self.seconds if self.seconds > 0 else math.inf


Progress = Callable[[int, int], None]
"""Called with (done, total) as accounts (synth) or partitions (run) finish."""


# --------------------------------------------------------------------------------------------
# The model: tier targets and the scoring tables
# --------------------------------------------------------------------------------------------
def tier_targets(universe: Universe, suitability: str | None = None) -> np.ndarray:
    """(5, assets) target weights of tiers 1..5 in universe order: the shipped policies
    (under ``suitability`` when given) optimised once per tier on the shipped assumptions."""
    from roboadvisor.services.allocate import AllocationRequest, allocate

    targets = np.zeros((5, len(universe)))
    for tier in Tier:
        allocation = allocate(AllocationRequest(tier=int(tier),
                                                suitability=suitability)).allocation
        for ticker, weight in zip(allocation.tickers, allocation.weights, strict=True):
            targets[tier - 1, universe.index(ticker)] = max(float(weight), 0.0)
        targets[tier - 1] /= targets[tier - 1].sum()
    return targets


def permitted_levels(universe: Universe, targets: np.ndarray) -> np.ndarray:
    """(assets,) the level of each product as the review sees it: its own R-level, lowered
    to the lowest tier whose target holds it (``domain.review.effective_levels``, the rule of
    the account review); a tier k account may hold product a when ``levels[a] <= k``."""
    from roboadvisor.domain.review import effective_levels

    own = np.array([a.risk_level for a in universe], dtype=np.int8)
    return effective_levels(own, targets).astype(np.int8)


def model_arrays(questionnaire: Any, universe: Universe, targets: np.ndarray,
                 prices: np.ndarray, as_of_day: int,
                 drift_threshold: float = DEFAULT_DRIFT_THRESHOLD,
                 rules: Any = None, lowest: np.ndarray | None = None) -> Any:
    """The ``step.ModelArrays`` of a run (or of ``book synth``): the scoring tables, the tier
    targets and levels, and the lowest category treated as ``account review`` treats it
    (``book_daily.Context.lowest_weights``): it aims at ``lowest`` (a model version's R1-only
    portfolio), else at the stop-gap, the tier-1 model on its R1 products
    (``book_daily.lowest_category_models``); judged by the products' own R-levels."""
    from roboadvisor.batch.step import ModelArrays, lowest_rule
    from roboadvisor.domain.scoring_batch import scoring_tables
    from roboadvisor.domain.trade_list import TradeRules
    from roboadvisor.services.book_daily import lowest_category_models

    own = np.array([a.risk_level for a in universe], dtype=np.int8)
    lowest_targets = (lowest_category_models(targets, own)[0] if lowest is None
                      else np.asarray(lowest, dtype=float))
    return ModelArrays(scoring_tables(questionnaire), targets, prices,
                       permitted_levels(universe, targets), as_of_day, drift_threshold,
                       lowest_rule(questionnaire), lowest_targets, own,
                       rules if rules is not None else TradeRules(),
                       questionnaire.expiry_months)


def _layout(questionnaire: Any) -> Any:
    from roboadvisor.batch.book_files import QuestionnaireLayout

    return QuestionnaireLayout(questionnaire.id, questionnaire.version,
                               tuple((q.id, q.option_ids) for q in questionnaire.questions))


# --------------------------------------------------------------------------------------------
# book synth
# --------------------------------------------------------------------------------------------
def synth_book(request: SynthRequest, progress: Progress | None = None) -> SynthResult:
    """Write a seeded synthetic book of ``request.accounts`` accounts to ``request.out``."""
    from roboadvisor.batch.book_data import ACCOUNTS_PER_PARTITION, default_partitions
    from roboadvisor.batch.book_files import BookManifest
    from roboadvisor.batch.book_writer import write_synthetic_book
    from roboadvisor.batch.prices import latest_snapshot, reference_snapshot
    from roboadvisor.data.universe_file import load_universe
    from roboadvisor.services.assess import get_questionnaire

    if request.accounts < 1:
        raise InputError.from_catalog("batch.accounts_positive", accounts=request.accounts)
    if request.accounts > MAX_PARTITIONS * ACCOUNTS_PER_PARTITION:
        raise InputError.from_catalog("batch.accounts_range", accounts=request.accounts,
                                      most=f"{MAX_PARTITIONS * ACCOUNTS_PER_PARTITION:,}")
    if not 0 <= request.seed < 2**63:
        raise InputError.from_catalog("errors.seed_range", value=request.seed)
    partitions = request.partitions if request.partitions is not None else \
        default_partitions(request.accounts)
    if not 1 <= partitions <= MAX_PARTITIONS:
        raise InputError.from_catalog("batch.partitions_range", partitions=partitions,
                                      most=MAX_PARTITIONS)
    _check_out(request.out)
    start = time.perf_counter()
    universe = load_universe(None)
    questionnaire = get_questionnaire()
    snapshot = (latest_snapshot(request.prices_file, universe.tickers)
                if request.prices_file else reference_snapshot())
    prices = _price_vector(snapshot, universe.tickers, request.prices_file)
    as_of = date.fromisoformat(snapshot.as_of)
    targets = tier_targets(universe, request.suitability)
    model = model_arrays(questionnaire, universe, targets, prices,
                         (as_of - date(1970, 1, 1)).days)
    manifest = BookManifest(partitions, request.accounts, snapshot.as_of,
                            _layout(questionnaire), universe.tickers, snapshot,
                            {"kind": "synthetic", "seed": request.seed,
                             "suitability": request.suitability})
    try:
        written = [0]

        def chunk_done(n: int) -> None:
            written[0] += n
            if progress is not None:
                progress(written[0], request.accounts)

        write_synthetic_book(request.out, manifest, model, request.seed, chunk_done)
    except FileExistsError:
        raise InputError.from_catalog("batch.out_exists", path=str(request.out)) from None
    except OSError as exc:
        raise ConfigError.from_catalog("batch.out_unwritable", path=str(request.out),
                                       reason=exc.strerror or reason(exc)) from None
    return SynthResult(request.out, request.accounts, partitions, request.seed, snapshot.as_of,
                       snapshot.source, time.perf_counter() - start)


# --------------------------------------------------------------------------------------------
# book run
# --------------------------------------------------------------------------------------------
def run_book(request: RunRequest, progress: Progress | None = None,
             on_partition: Callable[[Any], None] | None = None) -> RunResult:
    """Review every account of the book at ``request.book``; write review rows, a manifest
    and summary.json to ``request.out`` (whole or not at all)."""
    from roboadvisor.batch.book_files import read_manifest
    from roboadvisor.batch.engines import DaskSession, Engine

    engine = _parse_engine(request.engine)
    if request.workers < 1:
        raise InputError.from_catalog("batch.workers_positive", workers=request.workers)
    if request.scheduler and engine is not Engine.DASK:
        raise InputError.from_catalog("batch.scheduler_needs_dask")
    if not 0 < request.drift_threshold < 1:
        raise InputError.from_catalog("batch.threshold_range", value=request.drift_threshold)
    if not request.min_trade >= 0:
        raise InputError.from_catalog("scaletrades.min_trade_negative", value=request.min_trade)
    if not request.min_trade <= MAX_MONEY:
        raise InputError.from_catalog("model.option_too_large", option=Field.MIN_TRADE,
                                      value=request.min_trade, most=f"{MAX_MONEY:,}")
    _trade_function(request.trades)  # an unknown name is refused before any work
    book = read_manifest(request.book)
    _check_out(request.out)
    start = time.perf_counter()
    # a Dask cluster starts in the background while the model is optimised
    session = (DaskSession(request.scheduler, request.workers) if engine is Engine.DASK
               else None)
    try:
        return _run(request, book, engine, session, start, progress, on_partition)
    finally:
        if session is not None:
            session.close()


def _run(request: RunRequest, book: Any, engine: Any, session: Any, start: float,
         progress: Progress | None, on_partition: Callable[[Any], None] | None) -> RunResult:
    from roboadvisor.batch.atomic_dir import atomic_dir
    from roboadvisor.batch.book_files import write_json
    from roboadvisor.batch.engines import Engine, EngineError, run_dask, run_local
    from roboadvisor.batch.job import PartitionCounts, PartitionTask, blocks_table, write_table
    from roboadvisor.batch.run_records import run_seed

    trade_function = _trade_function(request.trades)
    model, snapshot, questionnaire, tickers = _run_model(book, request)
    inputs = _inputs_record(request.book, book, snapshot, model)
    if request.model is not None:
        inputs["model"] = {"version": request.model.version, "digest": request.model.digest}

    finished = []

    def done(outcome: Any) -> None:
        finished.append(outcome.partition)
        if progress is not None:
            progress(len(finished), book.partitions)
        if on_partition is not None:
            on_partition(outcome)

    try:
        with atomic_dir(request.out) as tmp:
            seed = run_seed(inputs)
            tasks = [PartitionTask(Path(request.book).resolve(), p, tmp.resolve(), model,
                                   tickers, (questionnaire.id, questionnaire.version),
                                   trade_function, seed)
                     for p in range(book.partitions)]
            if engine is Engine.LOCAL:
                outcomes = run_local(tasks, done)
            else:
                outcomes = run_dask(tasks, done, session=session)
            counts = PartitionCounts()
            for outcome in outcomes:
                counts = counts.merge(outcome.counts)
            summary = summary_record(counts, book, snapshot, request.drift_threshold,
                                     traded=trade_function is not None)
            blocks_sha = None if trade_function is None else write_table(
                tmp / BLOCKS, blocks_table(tickers, model.prices, counts))
            write_json(tmp / SUMMARY, _dumps(summary))
            write_json(tmp / MANIFEST, _dumps(_manifest_record(inputs, outcomes, summary,
                                                               blocks_sha)))
    except FileExistsError:
        raise InputError.from_catalog("batch.out_exists", path=str(request.out)) from None
    except EngineError as exc:
        raise BatchError.from_catalog("batch.cluster_failed",
                                      scheduler=request.scheduler or "LocalCluster",
                                      reason=reason(exc)) from None
    except OSError as exc:
        raise ConfigError.from_catalog("batch.out_unwritable", path=str(request.out),
                                       reason=exc.strerror or reason(exc)) from None
    workers = request.workers if engine is Engine.DASK and not request.scheduler else None
    return RunResult(request.out, engine.value, workers, summary, time.perf_counter() - start)


def _run_model(book: Any, request: RunRequest) -> tuple[Any, Any, Any, tuple[str, ...]]:
    """The model arrays, the price snapshot, the questionnaire and the tickers in the order of
    every asset axis (the universe's; a book may list its tickers in any order)."""
    from roboadvisor.batch.prices import latest_snapshot, reference_snapshot
    from roboadvisor.data.universe_file import load_universe
    from roboadvisor.domain.trade_list import TradeRules
    from roboadvisor.services.assess import get_questionnaire

    universe = load_universe(None)
    unknown = [t for t in book.tickers if t not in universe]
    if unknown:
        raise InputError.from_catalog("batch.book_tickers", path=str(request.book),
                                      tickers=", ".join(unknown))
    q = book.questionnaire
    questionnaire = get_questionnaire(q.id, q.version)
    if _layout(questionnaire) != q:
        raise InputError.from_catalog("batch.book_layout", path=str(request.book),
                                      questionnaire=questionnaire.key)
    if request.prices_file is not None:
        snapshot = latest_snapshot(request.prices_file, universe.tickers)
    else:
        snapshot = book.prices or reference_snapshot()
    prices = _price_vector(snapshot, universe.tickers, request.prices_file)
    as_of = date.fromisoformat(book.as_of)
    suitability = (book.generator or {}).get("suitability")
    targets = (request.model.targets if request.model is not None
               else tier_targets(universe, suitability))
    model = model_arrays(questionnaire, universe, targets, prices,
                         (as_of - date(1970, 1, 1)).days, request.drift_threshold,
                         TradeRules(min_trade=request.min_trade),
                         request.model.lowest if request.model is not None else None)
    return model, snapshot, questionnaire, universe.tickers


def _price_vector(snapshot: Any, tickers: tuple[str, ...], source: Path | None) -> np.ndarray:
    values = dict(snapshot.values)
    missing = [t for t in tickers if t not in values]
    if missing:
        raise ConfigError.from_catalog("batch.prices_missing",
                                       path=str(source or snapshot.source),
                                       tickers=", ".join(missing))
    prices = np.array([values[t] for t in tickers], dtype=float)
    if not np.isfinite(prices).all() or (prices <= 0).any():
        raise ConfigError.from_catalog("batch.prices_positive",
                                       path=str(source or snapshot.source))
    return prices


def _inputs_record(folder: Path, book: Any, snapshot: Any, model: Any) -> dict[str, Any]:
    from roboadvisor.batch.book_files import manifest_sha256

    return {
        "book_json_sha256": manifest_sha256(folder),
        "prices": {"as_of": snapshot.as_of, "source": snapshot.source,
                   "sha256": _array_sha(model.prices)},
        "targets_sha256": _array_sha(model.targets),
        "lowest_targets_sha256": None if model.lowest_targets is None
        else _array_sha(model.lowest_targets),
        "questionnaire": f"{book.questionnaire.id} v{book.questionnaire.version}",
        "drift_threshold": model.drift_threshold,
    }


def summary_record(counts: Any, book: Any, snapshot: Any, threshold: float, *,
                   traded: bool = False) -> dict[str, Any]:
    """The run's summary (JSON-safe, deterministic)."""
    from roboadvisor.batch.step import BATCH_TRIGGERS

    n = counts.accounts
    return {
        "as_of": book.as_of,
        "partitions": book.partitions,
        "accounts": n,
        "value": round(counts.value, 2),
        "prices": {"as_of": snapshot.as_of, "source": snapshot.source},
        "drift_threshold": threshold,
        "mean_drift": counts.drift_sum / n if n else 0.0,
        "max_drift": counts.drift_max,
        "triggered": counts.triggered,
        "needs_action": counts.needs_action,
        "knocked_out": counts.knocked_out,
        "flagged": counts.flagged,
        "scored_tiers": {str(k): v for k, v in enumerate(counts.scored_tiers, 1)},
        "target_tiers": {str(k): v for k, v in enumerate(counts.target_tiers, 1)},
        "triggers": {t.value: v for t, v in zip(BATCH_TRIGGERS, counts.triggers, strict=True)},
        "trades": {"orders": counts.orders, "turnover": round(counts.turnover, 2),
                   "blocks": sum(1 for x in counts.block_orders if x)}
        if traded else None,
    }


def _manifest_record(inputs: dict[str, Any], outcomes: list[Any], summary: dict[str, Any],
                     blocks_sha: str | None) -> dict[str, Any]:
    return {
        **({"blocks_file": BLOCKS, "blocks_sha256": blocks_sha} if blocks_sha else {}),
        "format": "roboadvisor-review", "format_version": 1, "inputs": inputs,
        "partitions": [{"partition": o.partition, "file": o.file, "accounts": o.counts.accounts,
                        "sha256": o.sha256,
                        **({"orders_file": o.orders_file, "orders_sha256": o.orders_sha256}
                           if o.orders_file else {}),
                        **({"records_file": o.records_file, "records_sha256": o.records_sha256,
                            "chain_head": o.chain_head} if o.records_file else {})}
                       for o in outcomes],
        "summary_sha256": hashlib.sha256(_dumps(summary).encode("utf-8")).hexdigest(),
    }


def _dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _array_sha(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array, dtype="<f8").tobytes()).hexdigest()


def _trade_function(trades: Any) -> Any:
    """The trade step of a request: a function, None, or the name of one of
    ``batch.trades``."""
    from roboadvisor.batch.trades import exact_trades, vectorised_trades

    if trades is None or callable(trades):
        return trades
    named = {"vectorised": vectorised_trades, "exact": exact_trades}
    try:
        return named[str(trades).strip().lower()]
    except KeyError:
        raise InputError.from_catalog("scaletrades.trades_unknown", trades=trades) from None


def _parse_engine(value: str) -> Any:
    from roboadvisor.batch.engines import Engine

    try:
        return Engine(str(value).strip().lower())
    except ValueError:
        raise InputError.from_catalog("batch.engine_unknown", engine=value) from None


def _check_out(out: Path) -> None:
    if Path(out).exists():
        raise InputError.from_catalog("batch.out_exists", path=str(out))
