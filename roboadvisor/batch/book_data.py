"""A whole book as arrays (``BookData``), written to or read from a book folder.

``book export`` fills a ``BookData`` from the database and writes it with ``write_book``
(hash partitions, ``book.json``, all or nothing through ``atomic_dir``); ``book import``
reads a folder back with ``read_book``, checking every row before anything reaches the
database. Rows follow ``schema.SCHEMAS``: dates are days since 1970-01-01; ``codes`` are the
option indices in the order of ``book.json``'s questionnaire; flows are signed (deposits > 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from roboadvisor.batch.atomic_dir import atomic_dir
from roboadvisor.batch.book_files import (
    BookError,
    BookManifest,
    PartitionWriters,
    read_manifest,
    read_partition,
    table_path,
    write_manifest,
)
from roboadvisor.batch.partitioning import partitions_of
from roboadvisor.batch.schema import SCHEMAS, Table


@dataclass(frozen=True, eq=False)
class BookData:
    """n accounts (sorted by id) and their rows.

    ``account_id``, ``client_id`` (n,) str; ``tier`` (n,) 1..5; ``above_level`` (n,) bool,
    the tier is the client's own choice above the assessed one; ``cash`` (n,);
    ``assessed_day``, ``expires_day`` (n,) int; ``codes`` (n, questions) int8;
    holdings as rows: ``holding_account`` (m,) index into the accounts, ``holding_ticker``
    (m,) str, ``holding_shares`` (m,); flows: ``flow_account``, ``flow_day``, ``flow_amount``.
    """

    account_id: np.ndarray
    client_id: np.ndarray
    tier: np.ndarray
    above_level: np.ndarray
    cash: np.ndarray
    assessed_day: np.ndarray
    expires_day: np.ndarray
    codes: np.ndarray
    holding_account: np.ndarray
    holding_ticker: np.ndarray
    holding_shares: np.ndarray
    flow_account: np.ndarray
    flow_day: np.ndarray
    flow_amount: np.ndarray

    def __len__(self) -> int:
        return len(self.account_id)


ACCOUNTS_PER_PARTITION = 100_000
"""Accounts per partition of a book written without an explicit partition count (the memory
of ``book run`` grows with it)."""


def default_partitions(accounts: int, per_partition: int = ACCOUNTS_PER_PARTITION) -> int:
    return max(1, math.ceil(accounts / per_partition))


def write_book(out: Path, manifest: BookManifest, data: BookData) -> None:
    """Write ``data`` as the book folder ``out`` (FileExistsError when it exists); whole or
    not at all."""
    with atomic_dir(out) as tmp:
        writers = PartitionWriters(tmp, manifest.partitions)
        try:
            parts = partitions_of(data.account_id.tolist(), manifest.partitions)
            for p in range(manifest.partitions):
                _write_partition(writers, manifest, data, p, np.flatnonzero(parts == p),
                                 parts)
        finally:
            writers.close()
        write_manifest(tmp, manifest)


def _write_partition(writers: PartitionWriters, manifest: BookManifest, data: BookData,
                     p: int, rows: np.ndarray, parts: np.ndarray) -> None:
    if not len(rows):
        return
    q = manifest.questionnaire
    ids = pa.array(data.account_id[rows].tolist(), pa.string())
    writers.write(Table.ACCOUNTS, p, pa.table({
        "account_id": ids, "client_id": pa.array(data.client_id[rows].tolist(), pa.string()),
        "tier": pa.array(data.tier[rows], pa.int8()),
        "above_level": pa.array(data.above_level[rows], pa.bool_()),
        "cash": pa.array(data.cash[rows], pa.float64()),
        "assessed_on": _dates(data.assessed_day[rows]),
        "expires_on": _dates(data.expires_day[rows])}, schema=SCHEMAS[Table.ACCOUNTS]))
    held = np.flatnonzero(parts[data.holding_account] == p)
    writers.write(Table.HOLDINGS, p, pa.table({
        "account_id": pa.array(data.account_id[data.holding_account[held]].tolist(),
                               pa.string()),
        "ticker": pa.array(data.holding_ticker[held].tolist(), pa.string()),
        "shares": pa.array(data.holding_shares[held], pa.float64())},
        schema=SCHEMAS[Table.HOLDINGS]))
    width = data.codes.shape[1]
    offsets = pa.array(np.arange(0, len(rows) * width + 1, width, dtype=np.int32))
    writers.write(Table.ANSWERS, p, pa.table({
        "account_id": ids,
        "questionnaire_id": pa.array([q.id] * len(rows), pa.string()),
        "questionnaire_version": pa.array(np.full(len(rows), q.version, np.int16)),
        "options": pa.ListArray.from_arrays(
            offsets, pa.array(data.codes[rows].ravel(), pa.int8()))},
        schema=SCHEMAS[Table.ANSWERS]))
    flows = np.flatnonzero(parts[data.flow_account] == p)
    writers.write(Table.CASH_FLOWS, p, pa.table({
        "account_id": pa.array(data.account_id[data.flow_account[flows]].tolist(),
                               pa.string()),
        "flow_date": _dates(data.flow_day[flows]),
        "amount": pa.array(data.flow_amount[flows], pa.float64())},
        schema=SCHEMAS[Table.CASH_FLOWS]))


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(days).astype(np.int32), pa.int32()).cast(pa.date32())


def read_book(folder: Path) -> tuple[BookManifest, BookData]:
    """Every partition of the book at ``folder`` as one ``BookData`` (accounts sorted by id);
    BookError naming the file and what is wrong (duplicate account, a row of an account the
    partition does not hold, answers missing or of the wrong length)."""
    manifest = read_manifest(folder)
    q = len(manifest.questionnaire.questions)
    accounts, holdings, answers, flows = [], [], [], []
    for p in range(manifest.partitions):
        tables = read_partition(folder, p)
        accounts.append(tables[Table.ACCOUNTS])
        holdings.append(tables[Table.HOLDINGS])
        answers.append(tables[Table.ANSWERS])
        flows.append(tables[Table.CASH_FLOWS])
        for which in (Table.HOLDINGS, Table.ANSWERS, Table.CASH_FLOWS):
            _same_partition(tables[which], tables[Table.ACCOUNTS], folder, which, p)
    acc = pa.concat_tables(accounts).combine_chunks()
    order = pc.sort_indices(acc.column("account_id")).to_numpy()
    acc = acc.take(pa.array(order))
    ids = acc.column("account_id").combine_chunks()
    if pc.count_distinct(ids).as_py() != len(ids):
        raise BookError.from_catalog("batch.book_duplicate_account",
                                     path=str(Path(folder) / Table.ACCOUNTS.value))
    ans = pa.concat_tables(answers).combine_chunks()
    rows = _index(ans.column("account_id"), ids)
    n = len(ids)
    where = str(Path(folder) / Table.ANSWERS.value)
    if len(rows) != n or (np.bincount(rows, minlength=n) != 1).any():
        raise BookError.from_catalog("batch.book_answers_per_account", path=where)
    options = ans.column("options").combine_chunks()
    if n and (pc.list_value_length(options).to_numpy(zero_copy_only=False) != q).any():
        raise BookError.from_catalog("batch.book_answer_length", path=where, questions=q)
    same = pc.and_(pc.equal(ans.column("questionnaire_id"), manifest.questionnaire.id),
                   pc.equal(ans.column("questionnaire_version"),
                            manifest.questionnaire.version))
    if n and not pc.all(same).as_py():
        raise BookError.from_catalog(
            "batch.book_other_questionnaire", path=where,
            questionnaire=f"{manifest.questionnaire.id} v{manifest.questionnaire.version}")
    codes = np.empty((n, q), dtype=np.int8)
    codes[rows] = options.flatten().to_numpy(zero_copy_only=False).reshape(n, q)
    hold = pa.concat_tables(holdings).combine_chunks()
    flow = pa.concat_tables(flows).combine_chunks()
    return manifest, BookData(
        np.array(ids.to_pylist(), dtype=object),
        np.array(acc.column("client_id").to_pylist(), dtype=object),
        acc.column("tier").to_numpy(),
        acc.column("above_level").to_numpy(zero_copy_only=False).astype(bool),
        acc.column("cash").to_numpy(),
        pc.cast(acc.column("assessed_on"), pa.int32()).to_numpy(),
        pc.cast(acc.column("expires_on"), pa.int32()).to_numpy(), codes,
        _index(hold.column("account_id"), ids),
        np.array(hold.column("ticker").to_pylist(), dtype=object),
        hold.column("shares").to_numpy(),
        _index(flow.column("account_id"), ids),
        pc.cast(flow.column("flow_date"), pa.int32()).to_numpy(),
        flow.column("amount").to_numpy())


def _index(column: pa.ChunkedArray, ids: pa.Array) -> np.ndarray:
    found = pc.index_in(column, value_set=ids)
    return found.to_numpy(zero_copy_only=False).astype(np.int64)


def _same_partition(table: pa.Table, accounts: pa.Table, folder: Path, which: Table,
                    p: int) -> None:
    """Every row of a partition's table names an account of the same partition."""
    found = pc.is_in(table.column("account_id"), value_set=accounts.column("account_id"))
    if not pc.all(found).as_py() and table.num_rows:
        unknown = pc.filter(table.column("account_id"), pc.invert(found))[0].as_py()
        raise BookError.from_catalog("batch.book_unknown_account", account=unknown,
                                     path=str(table_path(folder, which, p)))
