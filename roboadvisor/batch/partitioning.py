"""Which partition an account lives in: a stable hash of its id.

SHA-256 of the UTF-8 id, first 8 bytes big-endian, modulo the number of partitions: the same on
every machine, Python version and run (Python's ``hash()`` is salted per process).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np


def partition_of(account_id: str, partitions: int) -> int:
    """The partition (0..partitions-1) of ``account_id``."""
    digest = hashlib.sha256(account_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % partitions


def partitions_of(account_ids: Iterable[str], partitions: int) -> np.ndarray:
    """``partition_of`` for many ids, as an int32 array."""
    sha = hashlib.sha256
    return np.fromiter((int.from_bytes(sha(a.encode("utf-8")).digest()[:8], "big") % partitions
                        for a in account_ids), dtype=np.int32)


def part_name(partition: int) -> str:
    """The file name of a partition: ``part-00007.parquet``."""
    return f"part-{partition:05d}.parquet"
