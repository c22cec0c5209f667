"""One partition of ``book run``: read its tables, run the pure step, write its review file
(and orders, when a trade step is plugged in) and its advice records (``run_records``).

``run_partition`` is what every engine executes (in-process or on a Dask worker); it is a
module-level function of picklable values, idempotent (a retried task rewrites the same bytes
through an atomic rename), and returns a small ``PartitionOutcome`` (the file's SHA-256 and the
partition's counts) that the caller merges in partition order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from roboadvisor.batch.book_files import BookError, read_partition, table_path
from roboadvisor.batch.partitioning import part_name
from roboadvisor.batch.run_records import RECORDS_DIR, records_table
from roboadvisor.batch.schema import (
    BLOCKS_SCHEMA,
    ORDERS_SCHEMA,
    PARQUET_OPTIONS,
    REVIEW_SCHEMA,
    Table,
)
from roboadvisor.batch.step import (
    ACTION_BITS,
    BATCH_TRIGGERS,
    ModelArrays,
    PartitionInputs,
    PartitionResult,
    TradeFunction,
    review_partition,
    trigger_bit,
)
from roboadvisor.data.atomic import atomic_path
from roboadvisor.errors import catalog_text

REVIEW_DIR = "review"
ORDERS_DIR = "orders"


@dataclass(frozen=True, eq=False)
class PartitionTask:
    """Everything a worker needs for one partition (picklable)."""

    book: Path
    partition: int
    out: Path
    model: ModelArrays
    tickers: tuple[str, ...]
    questionnaire: tuple[str, int]
    trades: TradeFunction | None = None
    run_seed: str = ""
    """The seed of the partition's advice-record chain (``run_records.run_seed``)."""


@dataclass(frozen=True)
class PartitionCounts:
    """Counts and sums of one partition (or of several, merged in partition order)."""

    accounts: int = 0
    value: float = 0.0
    drift_sum: float = 0.0
    drift_max: float = 0.0
    triggered: int = 0
    needs_action: int = 0
    knocked_out: int = 0
    flagged: int = 0
    scored_tiers: tuple[int, ...] = (0, 0, 0, 0, 0)
    target_tiers: tuple[int, ...] = (0, 0, 0, 0, 0)
    triggers: tuple[int, ...] = field(default=(0,) * len(BATCH_TRIGGERS))
    orders: int = 0
    turnover: float = 0.0
    block_shares: tuple[float, ...] = ()
    block_orders: tuple[int, ...] = ()

    def merge(self, other: PartitionCounts) -> PartitionCounts:
        return PartitionCounts(
            self.accounts + other.accounts, self.value + other.value,
            self.drift_sum + other.drift_sum, max(self.drift_max, other.drift_max),
            self.triggered + other.triggered, self.needs_action + other.needs_action,
            self.knocked_out + other.knocked_out, self.flagged + other.flagged,
            tuple(a + b for a, b in zip(self.scored_tiers, other.scored_tiers, strict=True)),
            tuple(a + b for a, b in zip(self.target_tiers, other.target_tiers, strict=True)),
            tuple(a + b for a, b in zip(self.triggers, other.triggers, strict=True)),
            self.orders + other.orders, self.turnover + other.turnover,
            _add(self.block_shares, other.block_shares),
            _add(self.block_orders, other.block_orders))


def _add(a: tuple, b: tuple) -> tuple:
    if not a or not b:
        return a or b
    return tuple(x + y for x, y in zip(a, b, strict=True))


@dataclass(frozen=True)
class PartitionOutcome:
    """What a partition task returns: its files (relative to the output), hashes and counts.
    ``orders_file``/``orders_sha256`` only when a trade function was plugged in."""

    partition: int
    file: str
    sha256: str
    counts: PartitionCounts
    orders_file: str | None = None
    orders_sha256: str | None = None
    records_file: str | None = None
    records_sha256: str | None = None
    chain_head: str | None = None


def run_partition(task: PartitionTask) -> PartitionOutcome:
    """Read, review and write one partition (see the module docstring)."""
    tables = read_partition(task.book, task.partition)
    account_ids, inputs = partition_inputs(tables, task)
    result = review_partition(inputs, task.model, task.trades)
    review = review_table(account_ids, inputs, result)
    relative, digest = _write(task, REVIEW_DIR, review)
    counts = partition_counts(result)
    orders = None
    if result.trades is None:
        outcome = PartitionOutcome(task.partition, relative, digest, counts)
    else:
        orders = orders_table(account_ids, task, result)
        value = orders.column("value").to_numpy()
        shares = orders.column("shares").to_numpy()
        asset = pc.index_in(orders.column("ticker"), value_set=pa.array(task.tickers)).to_numpy(
            zero_copy_only=False).astype(np.int64)
        slot = asset + len(task.tickers) * (shares < 0)  # buys 0..A-1, sells A..2A-1
        counts = replace(
            counts, orders=len(value), turnover=float(np.abs(value).sum()),
            block_shares=tuple(float(x) for x in np.bincount(
                slot, weights=np.abs(shares), minlength=2 * len(task.tickers))),
            block_orders=tuple(int(x) for x in np.bincount(slot,
                                                           minlength=2 * len(task.tickers))))
        orders_file, orders_digest = _write(task, ORDERS_DIR, orders)
        outcome = PartitionOutcome(task.partition, relative, digest, counts, orders_file,
                                   orders_digest)
    records, head = records_table(review, orders, task.run_seed, task.partition)
    records_file, records_digest = _write(task, RECORDS_DIR, records)
    return replace(outcome, records_file=records_file, records_sha256=records_digest,
                   chain_head=head)


def _write(task: PartitionTask, folder: str, table: pa.Table) -> tuple[str, str]:
    """Write one partition's file atomically; its path relative to the output and SHA-256."""
    relative = f"{folder}/{part_name(task.partition)}"
    path = Path(task.out) / relative
    # Only the table's folder, never the output folder itself: when a run fails, the output's
    # temporary folder is removed while cancelled tasks may still be running on workers, and
    # they must not bring it back.
    path.parent.mkdir(exist_ok=True)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, **PARQUET_OPTIONS)
    return relative, hashlib.sha256(path.read_bytes()).hexdigest()


def blocks_table(tickers: tuple[str, ...], prices: np.ndarray,
                 counts: PartitionCounts) -> pa.Table:
    """Netting: one block order per ETF and side across all accounts (``schema.BLOCKS_SCHEMA``);
    an account's share of a block is its order's shares over the block's shares."""
    a = len(tickers)
    shares = np.asarray(counts.block_shares or (0.0,) * 2 * a)
    orders = np.asarray(counts.block_orders or (0,) * 2 * a)
    keep = np.flatnonzero(orders > 0)
    side = np.where(keep < a, "buy", "sell")
    asset = keep % a
    return pa.table({
        "ticker": pa.array([tickers[i] for i in asset], pa.string()),
        "side": pa.array(side.tolist(), pa.string()),
        "shares": pa.array(shares[keep]), "price": pa.array(prices[asset]),
        "value": pa.array(shares[keep] * prices[asset]),
        "orders": pa.array(orders[keep], pa.int64()),
    }, schema=BLOCKS_SCHEMA)


def write_table(path: Path, table: pa.Table) -> str:
    """Write a parquet output atomically; its SHA-256."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, **PARQUET_OPTIONS)
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def orders_table(ids: pa.Array, task: PartitionTask, result: PartitionResult) -> pa.Table:
    """The trade function's orders as rows (``schema.ORDERS_SCHEMA``), sorted by account row
    then asset; ValueError when the function broke its contract."""
    t = result.trades
    assert t is not None
    account = np.asarray(t.account, dtype=np.int64)
    asset = np.asarray(t.asset, dtype=np.int64)
    shares = np.asarray(t.shares, dtype=float)
    reason = np.asarray(t.reason, dtype=np.uint8)
    m = len(account)
    if not (len(asset) == len(shares) == len(reason) == m):
        raise ValueError("trade function: account, asset, shares and reason differ in length")
    if m and (account.min() < 0 or account.max() >= len(ids) or asset.min() < 0
              or asset.max() >= len(task.tickers) or not np.isfinite(shares).all()):
        raise ValueError("trade function: an order names no account or asset of the "
                         "partition, or its shares are not finite")
    order = np.lexsort((asset, account))
    account, asset, shares, reason = account[order], asset[order], shares[order], reason[order]
    price = task.model.prices[asset]
    return pa.table({
        "account_id": ids.take(pa.array(account)),
        "ticker": pa.array(np.array(task.tickers, dtype=object)[asset].tolist(), pa.string()),
        "shares": pa.array(shares), "price": pa.array(price),
        "value": pa.array(shares * price), "reason": pa.array(reason, pa.uint8()),
    }, schema=ORDERS_SCHEMA)


def partition_inputs(tables: dict[Table, pa.Table],
                     task: PartitionTask) -> tuple[pa.Array, PartitionInputs]:
    """The accounts' ids and the step's arrays, rows in the accounts table's order."""
    accounts = tables[Table.ACCOUNTS]
    ids = accounts.column("account_id").combine_chunks()
    n, width = len(ids), len(task.tickers)
    where = table_path(task.book, Table.ACCOUNTS, task.partition)
    if pc.count_distinct(ids).as_py() != n:
        raise BookError.from_catalog("batch.book_duplicate_account", path=str(where))

    holdings = tables[Table.HOLDINGS]
    rows = _rows_of(holdings, ids, task, Table.HOLDINGS)
    assets = pc.index_in(holdings.column("ticker"), value_set=pa.array(task.tickers))
    if assets.null_count:
        unknown = pc.filter(holdings.column("ticker"), pc.is_null(assets))[0].as_py()
        raise BookError.from_catalog(
            "batch.book_unknown_ticker", ticker=unknown,
            path=str(table_path(task.book, Table.HOLDINGS, task.partition)),
            known=", ".join(task.tickers))
    flat = rows * width + assets.to_numpy(zero_copy_only=False)
    shares = np.bincount(flat, weights=holdings.column("shares").to_numpy(),
                         minlength=n * width).reshape(n, width)

    answers = tables[Table.ANSWERS]
    codes = _codes(answers, ids, task)

    flows = tables[Table.CASH_FLOWS]
    flow_rows = _rows_of(flows, ids, task, Table.CASH_FLOWS)
    pending = np.bincount(flow_rows, weights=flows.column("amount").to_numpy(), minlength=n)
    has_flow = np.bincount(flow_rows, minlength=n) > 0

    expires = pc.cast(accounts.column("expires_on"), pa.int32()).to_numpy()
    tier = accounts.column("tier").to_numpy()
    cash = accounts.column("cash").to_numpy()
    _check_values(task, tier, cash, holdings.column("shares").to_numpy(),
                  flows.column("amount").to_numpy())
    above = accounts.column("above_level").to_numpy(zero_copy_only=False).astype(bool)
    return ids, PartitionInputs(codes, tier, cash, expires, shares, pending, has_flow, above)


def _check_values(task: PartitionTask, tier: np.ndarray, cash: np.ndarray,
                  shares: np.ndarray, flows: np.ndarray) -> None:
    """Refuse a partition holding what ``book import`` refuses: a tier outside 1..5, cash or
    shares negative, not finite or beyond ``domain.limits``, a zero or unbounded cash flow."""
    from roboadvisor.domain.limits import MAX_MONEY, MAX_SHARES, first_bad_amount

    wrong_tier = (tier < 1) | (tier > 5)
    if wrong_tier.any():
        raise BookError.from_catalog(
            "book.run_bad_tier", value=int(tier[wrong_tier][0]),
            path=str(table_path(task.book, Table.ACCOUNTS, task.partition)))
    wrong = first_bad_amount(cash, shares, flows)
    if wrong is not None:
        what, value, rule = wrong
        table = {"cash": Table.ACCOUNTS, "shares": Table.HOLDINGS}.get(what, Table.CASH_FLOWS)
        raise BookError.from_catalog(
            "book.run_bad_value", what=catalog_text(f"zh_book.what_{what}"), value=value,
            rule=catalog_text(f"book.rule_{rule}",
                              most=f"{MAX_SHARES if what == 'shares' else MAX_MONEY:,}"),
            path=str(table_path(task.book, table, task.partition)))


def _rows_of(table: pa.Table, ids: pa.Array, task: PartitionTask, which: Table) -> np.ndarray:
    rows = pc.index_in(table.column("account_id"), value_set=ids)
    if rows.null_count:
        unknown = pc.filter(table.column("account_id"), pc.is_null(rows))[0].as_py()
        raise BookError.from_catalog(
            "batch.book_unknown_account", account=unknown,
            path=str(table_path(task.book, which, task.partition)))
    return rows.to_numpy(zero_copy_only=False).astype(np.int64)


def _codes(answers: pa.Table, ids: pa.Array, task: PartitionTask) -> np.ndarray:
    path = str(table_path(task.book, Table.ANSWERS, task.partition))
    rows = _rows_of(answers, ids, task, Table.ANSWERS)
    n = len(ids)
    if len(rows) != n or (np.bincount(rows, minlength=n) != 1).any():
        raise BookError.from_catalog("batch.book_answers_per_account", path=path)
    qid, version = task.questionnaire
    same = pc.and_(pc.equal(answers.column("questionnaire_id"), qid),
                   pc.equal(answers.column("questionnaire_version"), version))
    if n and not pc.all(same).as_py():
        raise BookError.from_catalog("batch.book_other_questionnaire", path=path,
                                     questionnaire=f"{qid} v{version}")
    options = answers.column("options").combine_chunks()
    q = task.model.tables.scores.shape[0]
    lengths = pc.list_value_length(options).to_numpy(zero_copy_only=False)
    if n and (lengths != q).any():
        raise BookError.from_catalog("batch.book_answer_length", path=path, questions=q)
    codes = np.empty((n, q), dtype=np.int8)
    codes[rows] = options.flatten().to_numpy(zero_copy_only=False).reshape(n, q)
    return codes


def review_table(ids: pa.Array, inputs: PartitionInputs, result: PartitionResult) -> pa.Table:
    """The review rows of one partition (``schema.REVIEW_SCHEMA``)."""
    r, p = result.review, result.review.profiles
    return pa.table({
        "account_id": ids, "tier_in_force": pa.array(inputs.tier_in_force, pa.int8()),
        "scored_tier": pa.array(p.tier, pa.int8()),
        "target_tier": pa.array(r.target_tier, pa.int8()),
        "level": pa.array(r.level, pa.int8()),
        "tolerance": pa.array(p.tolerance), "capacity": pa.array(p.capacity),
        "combined": pa.array(p.combined), "value": pa.array(r.value),
        "cash": pa.array(inputs.cash), "pending_flow": pa.array(inputs.pending_flow),
        "drift": pa.array(r.drift), "triggers": pa.array(r.triggers, pa.uint8()),
    }, schema=REVIEW_SCHEMA)


def partition_counts(result: PartitionResult) -> PartitionCounts:
    r, p = result.review, result.review.profiles
    action = (r.triggers & ACTION_BITS) != 0
    return PartitionCounts(
        len(r.value), float(r.value.sum()), float(r.drift.sum()),
        float(r.drift.max()) if len(r.drift) else 0.0, int((r.triggers != 0).sum()),
        int(action.sum()), int(p.knocked_out.sum()), int((p.flags != 0).sum()),
        tuple(int(x) for x in np.bincount(p.tier, minlength=6)[1:6]),
        tuple(int(x) for x in np.bincount(r.target_tier, minlength=6)[1:6]),
        tuple(int(((r.triggers & trigger_bit(t)) != 0).sum()) for t in BATCH_TRIGGERS))
