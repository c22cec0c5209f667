"""Allocations for a client of the book: the tier in force, and the record of what was shown.

The record keeps the SHA-256 of every input file (universe, policies, assumptions, views, the
price file) and the files themselves by hash (they hold no personal data), so that
``records verify --recompute`` re-runs the allocation from exactly those inputs.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from roboadvisor.book.models import Record, RecordKind
from roboadvisor.book.repositories import Book
from roboadvisor.data.assumptions_file import DEFAULT_ASSUMPTIONS
from roboadvisor.data.policy_file import DEFAULT_POLICIES
from roboadvisor.data.universe_file import DEFAULT_UNIVERSE
from roboadvisor.errors import BookError
from roboadvisor.services import book as service
from roboadvisor.services import book_records as records
from roboadvisor.services.allocate import HELD_WEIGHT, AllocationRequest, AllocationResult

SOLVER = "cvxpy (Clarabel, then SCS)"
LOWEST_CATEGORY_SUITABILITY = "holdings"
"""The lowest category (C1-lowest) may hold R1 products only, whatever the policies' mode: its
tier 1 portfolio is built under holdings suitability, where tier 1 admits R1 products alone."""


def suitability_for(book: Book, client_id: str, requested: str | None) -> str | None:
    """The suitability mode of an allocation for ``client_id``: holdings (R1 products only)
    for the lowest category, else ``requested`` (None: the policies file's mode)."""
    latest = book.assessments.latest(client_id)
    return LOWEST_CATEGORY_SUITABILITY if latest is not None and latest.lowest else requested


def tier_in_force(book: Book, client_id: str, requested: int | None, now: datetime) -> int:
    """The client's tier in force (lowest category: 1); a lower ``requested`` tier is allowed,
    a higher one only through an account opened with --above-level; an expired assessment
    allows nothing until the client is assessed again."""
    service.live_client(book, client_id)
    latest = service.valid_assessment(book, client_id, now)
    if requested is not None and requested > latest.tier:
        raise BookError.from_catalog("book.allocate_above", id=client_id, tier=requested,
                                     assessed=latest.tier)
    return latest.tier if requested is None else requested


def input_files(request: AllocationRequest) -> dict[str, Path]:
    """The files an allocation read, by input name."""
    m = request.market
    files = {"universe": m.universe_file or DEFAULT_UNIVERSE,
             "policies": request.policies_file or DEFAULT_POLICIES,
             "assumptions": m.assumptions_file or DEFAULT_ASSUMPTIONS}
    if m.prices_file is not None:
        files["prices"] = m.prices_file
    if m.views_file is not None:
        files["views"] = m.views_file
    return {name: Path(path) for name, path in files.items()}


def allocation_outputs(result: AllocationResult) -> dict[str, Any]:
    """What ``--recompute`` compares: tier, weights (to 1e-6), expected return and volatility."""
    a = result.allocation
    return {"tier": int(result.tier), "status": "optimal",
            "weights": {t: round(w, 6) for t, w in a.as_dict(HELD_WEIGHT).items()},
            "expected_return": round(a.expected_return, 6), "volatility": round(a.volatility, 6)}


def record_allocation(book: Book, client_id: str, account_id: str | None,
                      request: AllocationRequest, result: AllocationResult,
                      now: datetime) -> Record:
    inputs = {name: book.records.put_blob(path.read_bytes())
              for name, path in input_files(request).items()}
    m = request.market
    suffix = Path(m.prices_file).suffix if m.prices_file else None
    if m.prices_file is None and result.source.value == "history":
        inputs["prices"] = book.records.put_blob(cache_snapshot(request))
        suffix = ".parquet"
    rerun = {"tier": int(result.tier), "source": result.source.value, "method": m.method,
             "prices_suffix": suffix, "suitability": request.suitability}
    text = (result.explanation.summary, *(b.text for b in result.explanation.binding))
    content = records.allocation(inputs, {**allocation_outputs(result), "solver": SOLVER},
                                 text, rerun)
    return book.records.append(RecordKind.ALLOCATION, client_id, account_id, content, now)


def cache_snapshot(request: AllocationRequest) -> bytes:
    """The aligned prices a history allocation read from the cache, as parquet bytes (the
    price snapshot whose hash the record keeps)."""
    import io

    from roboadvisor.services.allocate import load_market

    prices = load_market(request.market).prices
    buffer = io.BytesIO()
    if prices is not None:
        prices.rename_axis("Date").to_parquet(buffer)
    return buffer.getvalue()
