"""Model portfolios as versions: ``publish`` optimises the five tiers (``allocate``) and keeps
them as version N with the hashes of every input and a record in the advice chain; a version
equal to the last one (same digest) is not stored. ``tiers_from`` turns allocations into the
stored ``ModelTier`` values, so that ``records verify --recompute`` compares the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from roboadvisor.book.chain import canonical, sha256_bytes
from roboadvisor.book.models import ModelTier, ModelVersion, Record, RecordKind
from roboadvisor.book.repositories import Book, tier_body
from roboadvisor.errors import BookError
from roboadvisor.services import book_records as records
from roboadvisor.services.allocate import HELD_WEIGHT, AllocationRequest, AllocationResult

DIGITS = 6
"""Figures of a model are kept to 1e-6 (weights, returns, volatilities): the digest and the
comparison of versions see the same rounded numbers."""


@dataclass(frozen=True)
class PublishRequest:
    """``source`` cma|history; ``prices_file`` for history (else the price cache); a
    ``note`` kept with the version; other input files default to the shipped ones."""

    source: str = "cma"
    prices_file: Path | None = None
    note: str | None = None
    universe_file: Path | None = None
    policies_file: Path | None = None
    assumptions_file: Path | None = None

    def allocation(self, tier: int = 1) -> AllocationRequest:
        from roboadvisor.services.allocate import MarketRequest

        market = MarketRequest(source=self.source, prices_file=self.prices_file,
                               universe_file=self.universe_file,
                               assumptions_file=self.assumptions_file)
        return AllocationRequest(tier=tier, market=market, policies_file=self.policies_file)


@dataclass(frozen=True)
class Published:
    """The version published (or, ``unchanged``, the latest one, equal to what was asked)."""

    model: ModelVersion
    unchanged: bool
    record: Record | None


def tiers_from(results: dict[Any, AllocationResult]) -> dict[int, ModelTier]:
    """The stored form of five allocations (rounded to ``DIGITS``)."""
    out = {}
    for tier, result in results.items():
        a, est = result.allocation, result.estimates
        vols = est.covariance.diagonal() ** 0.5
        out[int(tier)] = ModelTier(
            int(tier), {t: round(w, DIGITS) for t, w in a.as_dict(HELD_WEIGHT).items()},
            round(float(a.expected_return), DIGITS), round(float(a.volatility), DIGITS),
            {f"{b.kind.value}:{b.name}": round(float(b.limit), DIGITS)
             for b in result.explanation.binding},
            {t: round(float(m), DIGITS) for t, m in zip(est.tickers, est.expected_returns,
                                                        strict=True)},
            {t: round(float(v), DIGITS) for t, v in zip(est.tickers, vols, strict=True)})
    return out


def digest(tiers: dict[int, ModelTier], lowest: ModelTier | None = None) -> str:
    """What makes two versions the same: the tiers' weights, figures and binding constraints
    (and the lowest category's portfolio, kept as tier "0", when the version carries one)."""
    return sha256_bytes(canonical({str(k): tier_body(v) for k, v in
                                   sorted(_with_lowest(tiers, lowest).items())})
                        .encode("utf-8"))


def _with_lowest(tiers: dict[int, ModelTier], lowest: ModelTier | None
                 ) -> dict[int, ModelTier]:
    return tiers if lowest is None else {LOWEST_TIER: lowest, **tiers}


def model_outputs(tiers: dict[int, ModelTier], lowest: ModelTier | None = None
                  ) -> dict[str, Any]:
    """What a model record keeps and ``--recompute`` compares (per tier; "0": the lowest
    category's R1-only portfolio)."""
    return {str(k): {"weights": v.weights, "expected_return": v.expected_return,
                     "volatility": v.volatility}
            for k, v in sorted(_with_lowest(tiers, lowest).items())}


LOWEST_TIER = 0
"""The number the lowest category's portfolio is stored and recorded under."""


def optimise(request: PublishRequest, lowest: bool = True
             ) -> tuple[dict[int, ModelTier], ModelTier | None]:
    """The five tier portfolios and (``lowest``) the lowest category's: tier 1's policy under
    holdings suitability, where only products rated R1 may be held."""
    from dataclasses import replace

    from roboadvisor.services.allocate import allocate, allocate_tiers
    from roboadvisor.services.book_allocation import LOWEST_CATEGORY_SUITABILITY

    alloc = request.allocation()
    tiers = tiers_from(allocate_tiers(alloc))
    if not lowest:
        return tiers, None
    r1 = allocate(replace(request.allocation(1), suitability=LOWEST_CATEGORY_SUITABILITY))
    return tiers, replace(tiers_from({1: r1})[1], tier=LOWEST_TIER)


def publish(book: Book, request: PublishRequest, now: datetime) -> Published:
    from roboadvisor.services.book_allocation import cache_snapshot, input_files

    if request.source not in ("cma", "history"):
        raise BookError.from_catalog("model.source_bad", value=request.source)
    if request.source == "cma" and request.prices_file is not None:
        raise BookError.from_catalog("model.prices_cma")
    alloc = request.allocation()
    tiers, lowest = optimise(request)
    found = digest(tiers, lowest)
    last = book.models.latest()
    if last is not None and last.digest == found:
        return Published(last, True, None)
    inputs = {name: book.records.put_blob(path.read_bytes())
              for name, path in input_files(alloc).items()}
    suffix = Path(request.prices_file).suffix if request.prices_file else None
    if request.prices_file is None and request.source == "history":
        inputs["prices"] = book.records.put_blob(cache_snapshot(alloc))
        suffix = ".parquet"
    version = (last.version + 1) if last is not None else 1
    content = {**records._base(**inputs),
               "outputs": {"version": version, "digest": found,
                           "tiers": model_outputs(tiers, lowest)},
               "text": [request.note] if request.note else [],
               "rerun": {"source": request.source, "prices_suffix": suffix}}
    record = book.records.append(RecordKind.MODEL, None, None, content, now)
    model = ModelVersion(version, now, request.source, request.note, inputs, found, record.seq,
                         tiers, lowest)
    book.models.add(model)
    return Published(model, False, record)


def latest(book: Book) -> ModelVersion:
    found = book.models.latest()
    if found is None:
        raise BookError.from_catalog("model.none")
    return found


def get(book: Book, version: int | None) -> ModelVersion:
    if version is None:
        return latest(book)
    found = book.models.get(version)
    if found is None:
        raise BookError.from_catalog("model.unknown", version=version)
    return found
