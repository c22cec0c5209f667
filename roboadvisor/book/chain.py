"""The advice record's hash chain (pure).

Each record's ``body`` is canonical JSON (sorted keys, no whitespace, UTF-8); its hash is
``sha256(prev_hash + "\\n" + body)`` in hex; the first record's ``prev_hash`` is 64 zeros. Changing,
removing or reordering any record breaks every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from roboadvisor.book.models import Record

GENESIS = "0" * 64


def canonical(content: Any) -> str:
    """The JSON text that is hashed and stored."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def link_hash(prev_hash: str, body: str) -> str:
    return hashlib.sha256((prev_hash + "\n" + body).encode("utf-8")).hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    """A record whose link does not hold: ``what`` is 'hash', 'link' or 'sequence'."""

    seq: int
    what: str


def verify_chain(records: Iterable[Record]) -> tuple[ChainProblem, ...]:
    """Every broken link, in order (empty when the chain holds)."""
    problems = []
    prev, expected_seq = GENESIS, 1
    for record in records:
        if record.seq != expected_seq:
            problems.append(ChainProblem(record.seq, "sequence"))
        if record.prev_hash != prev:
            problems.append(ChainProblem(record.seq, "link"))
        if link_hash(record.prev_hash, record.body) != record.hash:
            problems.append(ChainProblem(record.seq, "hash"))
        prev, expected_seq = record.hash, record.seq + 1
    return tuple(problems)
