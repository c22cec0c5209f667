"""Write a synthetic book folder: chunks of accounts split into hash partitions, atomically."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from roboadvisor.batch.atomic_dir import atomic_dir
from roboadvisor.batch.book_files import BookManifest, PartitionWriters, write_manifest
from roboadvisor.batch.partitioning import partitions_of
from roboadvisor.batch.schema import SCHEMAS, Table
from roboadvisor.batch.step import ModelArrays
from roboadvisor.batch.synth import CHUNK, SynthChunk, synth_chunk


def account_ids(first: int, n: int) -> np.ndarray:
    """Synthetic account ids ``A000000000``.. (clients ``C...`` carry the same number)."""
    return np.char.add("A", np.char.zfill(np.arange(first, first + n).astype(str), 9))


def write_synthetic_book(out: Path, manifest: BookManifest, model: ModelArrays, seed: int,
                         on_chunk: Callable[[int], None] | None = None) -> None:
    """Draw ``manifest.accounts`` accounts and write them to ``out`` (refused if it exists)."""
    with atomic_dir(out) as tmp:
        writers = PartitionWriters(tmp, manifest.partitions)
        try:
            for chunk, first in enumerate(range(0, manifest.accounts, CHUNK)):
                n = min(CHUNK, manifest.accounts - first)
                _write_chunk(writers, manifest, synth_chunk(model, seed, chunk, first, n))
                if on_chunk is not None:
                    on_chunk(n)
        finally:
            writers.close()
        write_manifest(tmp, manifest)


def _write_chunk(writers: PartitionWriters, manifest: BookManifest, c: SynthChunk) -> None:
    ids = account_ids(c.first, len(c))
    clients = np.char.replace(ids, "A", "C", count=1)
    parts = partitions_of(ids.tolist(), manifest.partitions)
    tickers = np.array(manifest.tickers)
    q = manifest.questionnaire
    flow_parts = parts[c.flow_account]
    for p in range(manifest.partitions):
        rows = np.flatnonzero(parts == p)
        if not len(rows):
            continue
        writers.write(Table.ACCOUNTS, p, pa.table({
            "account_id": pa.array(ids[rows]), "client_id": pa.array(clients[rows]),
            "tier": pa.array(c.tier[rows], pa.int8()),
            "above_level": pa.array(c.above_level[rows], pa.bool_()),
            "cash": pa.array(c.cash[rows]),
            "assessed_on": _dates(c.assessed_day[rows]),
            "expires_on": _dates(c.expires_day[rows])}, schema=SCHEMAS[Table.ACCOUNTS]))
        held = c.shares[rows]
        r, a = np.nonzero(held)
        writers.write(Table.HOLDINGS, p, pa.table({
            "account_id": pa.array(ids[rows][r]), "ticker": pa.array(tickers[a]),
            "shares": pa.array(held[r, a])}, schema=SCHEMAS[Table.HOLDINGS]))
        width = c.codes.shape[1]
        offsets = pa.array(np.arange(0, len(rows) * width + 1, width, dtype=np.int32))
        options = pa.ListArray.from_arrays(offsets, pa.array(c.codes[rows].ravel(), pa.int8()))
        writers.write(Table.ANSWERS, p, pa.table({
            "account_id": pa.array(ids[rows]),
            "questionnaire_id": pa.array([q.id] * len(rows), pa.string()),
            "questionnaire_version": pa.array(np.full(len(rows), q.version, np.int16)),
            "options": options}, schema=SCHEMAS[Table.ANSWERS]))
        flows = np.flatnonzero(flow_parts == p)
        writers.write(Table.CASH_FLOWS, p, pa.table({
            "account_id": pa.array(ids[c.flow_account[flows]]),
            "flow_date": _dates(c.flow_day[flows]), "amount": pa.array(c.flow_amount[flows])},
            schema=SCHEMAS[Table.CASH_FLOWS]))


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype(np.int32), pa.int32()).cast(pa.date32())
