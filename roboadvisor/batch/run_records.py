"""The advice records of ``book run``: one per account, hash-chained per partition, and their
verification (``book verify-run``).

Each partition's ``records/part-NNNNN.parquet`` holds, in the review's row order, one record
per account: ``body`` is a JSON object with sorted keys holding the account's review row
(and its orders: how many and their traded value, when a trade step ran); ``hash`` is
``chain.link_hash(prev_hash, body)`` as in the book's own advice chain. A partition's chain
starts from ``genesis(seed, partition)``, where the seed is the SHA-256 of the run's inputs
record (book, prices, targets, questionnaire, threshold), so a chain cannot be moved to
another partition or run. The run's ``manifest.json`` lists every partition's files with
their SHA-256 and the chain's last hash.

Bodies are built column-wise (Arrow string kernels; floats in Arrow's shortest round-trip
form, e.g. ``1e-7``): only the chain itself is a loop, one SHA-256 per account.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from roboadvisor.book.chain import GENESIS, canonical, link_hash
from roboadvisor.errors import reason

RECORDS_DIR = "records"
RECORDS_SCHEMA = pa.schema([
    pa.field("account_id", pa.string(), nullable=False),
    pa.field("seq", pa.int64(), nullable=False),
    pa.field("body", pa.string(), nullable=False),
    pa.field("prev_hash", pa.string(), nullable=False),
    pa.field("hash", pa.string(), nullable=False),
])
"""One advice record per account: ``seq`` 1.. within the partition."""


def run_seed(inputs: dict[str, Any]) -> str:
    """The SHA-256 of a run's inputs record (canonical JSON): the seed of every chain."""
    return hashlib.sha256(canonical(inputs).encode("utf-8")).hexdigest()


def genesis(seed: str, partition: int) -> str:
    """The hash the first record of ``partition`` follows."""
    return link_hash(GENESIS, canonical({"partition": partition, "run": seed}))


def record_bodies(review: pa.Table, orders: pa.Table | None) -> pa.Array:
    """The JSON body of each account's record (review row order; keys sorted): every column
    of the review row, plus the number and traded value of its orders."""
    fields: dict[str, pa.Array] = {
        name: _json_strings(column) if pa.types.is_string(column.type)
        else pc.cast(column, pa.string())
        for name, column in zip(review.column_names, review.columns, strict=True)
        if name != "account_id"}
    if orders is not None:
        ids = review.column("account_id")
        rows = pc.index_in(orders.column("account_id"), value_set=ids).to_numpy(
            zero_copy_only=False).astype(np.int64)
        n = review.num_rows
        value = orders.column("value").to_numpy()
        fields["orders"] = pc.cast(pa.array(np.bincount(rows, minlength=n)), pa.string())
        fields["traded"] = pc.cast(pa.array(np.bincount(rows, weights=np.abs(value),
                                                        minlength=n)), pa.string())
    parts: list[Any] = ['{"account_id":', _json_strings(review.column("account_id"))]
    for name in sorted(fields):
        parts += [f',"{name}":', fields[name]]
    parts.append("}")
    return pc.binary_join_element_wise(*parts, "")


def _json_strings(column: Any) -> pa.Array:
    """Strings as JSON string literals, as ``json.dumps(..., ensure_ascii=False)`` writes
    them: quoted as they are when nothing needs escaping (ids are ``[A-Za-z0-9._-]``), else
    one by one."""
    plain = pc.match_substring_regex(column, r'^[^"\\\x00-\x1f]*$')
    if pc.all(plain).as_py() is not False:
        return pc.binary_join_element_wise('"', column, '"', "")
    return pa.array([json.dumps(v, ensure_ascii=False) for v in column.to_pylist()],
                    pa.string())


def chain_hashes(bodies: list[str], start: str) -> list[str]:
    """Each record's hash, chained from ``start``."""
    out, prev, sha = [], start, hashlib.sha256
    for body in bodies:
        prev = sha((prev + "\n" + body).encode("utf-8")).hexdigest()
        out.append(prev)
    return out


def records_table(review: pa.Table, orders: pa.Table | None, seed: str,
                  partition: int) -> tuple[pa.Table, str]:
    """A partition's records (``RECORDS_SCHEMA``) and its chain's last hash."""
    bodies = record_bodies(review, orders)
    start = genesis(seed, partition)
    hashes = pa.array(chain_hashes(bodies.to_pylist(), start), pa.string())
    prev = pa.concat_arrays([pa.array([start], pa.string()), hashes[:-1]]) \
        if len(hashes) else hashes
    table = pa.table({
        "account_id": review.column("account_id"),
        "seq": pa.array(np.arange(1, len(hashes) + 1, dtype=np.int64)),
        "body": bodies, "prev_hash": prev, "hash": hashes}, schema=RECORDS_SCHEMA)
    return table, hashes[-1].as_py() if len(hashes) else start


# --------------------------------------------------------------------------------------------
# verification
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunProblem:
    """Something in a run's output that does not hold: ``kind`` is ``file`` (a file's SHA-256
    differs from the manifest, or it is missing), ``record`` (a record's body differs from
    what its review row gives), ``link`` (a hash or link does not hold), ``head`` (the
    chain's last hash differs from the manifest) or ``manifest`` (a field is missing)."""

    kind: str
    where: str
    detail: str = ""


@dataclass(frozen=True)
class RunVerification:
    partitions: int
    records: int
    manifest_sha256: str
    problems: tuple[RunProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_run(out: Path, manifest_name: str = "manifest.json",
               summary_name: str = "summary.json") -> RunVerification:
    """Recompute every file hash, record body and chain of the run at ``out``; raises
    ValueError (with the reason) when ``out`` holds no readable manifest."""
    out = Path(out)
    raw = (out / manifest_name).read_bytes()
    manifest = json.loads(raw)
    if not isinstance(manifest, dict) or manifest.get("format") != "roboadvisor-review":
        raise ValueError("'format' is not 'roboadvisor-review'")
    problems: list[RunProblem] = []
    seed = run_seed(manifest.get("inputs", {}))
    summary = out / summary_name
    if not summary.is_file() or _sha(summary) != manifest.get("summary_sha256"):
        problems.append(RunProblem("file", summary_name))
    if "blocks_file" in manifest:
        _check_file(out, manifest["blocks_file"], manifest.get("blocks_sha256"), problems)
    count = 0
    for entry in manifest.get("partitions", []):
        p = int(entry["partition"])
        for file_key, sha_key in (("file", "sha256"), ("orders_file", "orders_sha256"),
                                  ("records_file", "records_sha256")):
            if file_key in entry:
                _check_file(out, entry[file_key], entry.get(sha_key), problems)
        if "records_file" not in entry or "chain_head" not in entry:
            problems.append(RunProblem("manifest", f"partition {p}", "records_file"))
            continue
        count += _check_chain(out, entry, seed, p, problems)
    return RunVerification(len(manifest.get("partitions", [])), count,
                           hashlib.sha256(raw).hexdigest(), tuple(problems))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_file(out: Path, relative: str, sha: str | None, problems: list[RunProblem]) -> None:
    path = out / relative
    if not path.is_file() or _sha(path) != sha:
        problems.append(RunProblem("file", relative))


def _check_chain(out: Path, entry: dict[str, Any], seed: str, p: int,
                 problems: list[RunProblem]) -> int:
    try:
        review = pq.read_table(out / entry["file"])
        orders = pq.read_table(out / entry["orders_file"]) if "orders_file" in entry else None
        records = pq.read_table(out / entry["records_file"])
    except (OSError, pa.ArrowException) as exc:
        problems.append(RunProblem("file", entry.get("records_file", f"partition {p}"),
                                   reason(exc).splitlines()[0]))
        return 0
    where = entry["records_file"]
    bodies = records.column("body").to_pylist()
    ids = records.column("account_id").to_pylist()
    expected = record_bodies(review, orders).to_pylist()
    if ids != review.column("account_id").to_pylist() or len(bodies) != len(expected):
        problems.append(RunProblem("record", where, "accounts differ from the review"))
    else:
        for account, got, want in zip(ids, bodies, expected, strict=True):
            if got != want:
                problems.append(RunProblem("record", where, account))
    prev = genesis(seed, p)
    for account, body, before, digest in zip(ids, bodies, records.column("prev_hash").to_pylist(),
                                             records.column("hash").to_pylist(), strict=True):
        if before != prev or link_hash(before, body) != digest:
            problems.append(RunProblem("link", where, account))
        prev = digest
    if prev != entry["chain_head"]:
        problems.append(RunProblem("head", where))
    return len(bodies)
