"""``model diff A B``: per tier, what changed between two model versions and why, as facts
(codes and numbers) and as the notice a client reads (catalog ``model.*``, en/zh).

Reasons, in this order: the estimates' source changed; the universe or the tier policies file
changed (by hash); the largest moves of the expected return or volatility estimates of assets
the tier holds before or after; constraints that started or stopped binding.
"""

from __future__ import annotations

from dataclasses import dataclass

from roboadvisor.book.models import ModelTier, ModelVersion
from roboadvisor.reports.i18n import t

MOVES = 2
"""How many moves of expected returns, and of volatilities, a tier's notice names (the
largest of each)."""
MOVE_MIN = 0.0005
"""Estimate moves below 0.05 percentage points are not worth a client's attention."""


@dataclass(frozen=True)
class Reason:
    key: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TierChange:
    """One tier between versions: (ticker, weight before, weight after) for every ticker
    held in either; annualised expected return and volatility before/after; reasons."""

    tier: int
    rows: tuple[tuple[str, float, float], ...]
    return_before: float
    return_after: float
    vol_before: float
    vol_after: float
    reasons: tuple[Reason, ...]

    @property
    def changed(self) -> bool:
        return any(abs(a - b) > 0 for _, a, b in self.rows) or \
            self.return_before != self.return_after or self.vol_before != self.vol_after


@dataclass(frozen=True)
class ModelDiff:
    """``lowest``: the lowest category's R1-only portfolio between the versions (None when
    either lacks one); ``lowest_added``: version ``after`` carries one, ``before`` did not."""

    before: int
    after: int
    tiers: tuple[TierChange, ...]
    lowest: TierChange | None = None
    lowest_added: bool = False


def _pct(x: float) -> str:
    return f"{x * 100:.2f}%"


def diff(a: ModelVersion, b: ModelVersion) -> ModelDiff:
    general: list[Reason] = []
    if a.source != b.source:
        general.append(Reason(f"model.reason.source_{b.source}"))
    for name in ("universe", "policies", "assumptions", "prices"):
        if a.inputs.get(name) != b.inputs.get(name) and a.source == b.source:
            general.append(Reason(f"model.reason.input_{name}"))
    tiers = []
    for k in sorted(set(a.tiers) & set(b.tiers)):
        tiers.append(_tier(a.tiers[k], b.tiers[k], tuple(general)))
    lowest = (_tier(a.lowest, b.lowest, tuple(general))
              if a.lowest is not None and b.lowest is not None else None)
    return ModelDiff(a.version, b.version, tuple(tiers), lowest,
                     a.lowest is None and b.lowest is not None)


def _tier(x: ModelTier, y: ModelTier, general: tuple[Reason, ...]) -> TierChange:
    tickers = sorted(set(x.weights) | set(y.weights))
    rows = tuple((tk, x.weights.get(tk, 0.0), y.weights.get(tk, 0.0)) for tk in tickers)
    reasons = list(general)
    moves = []
    for tk in tickers:
        for field, before, after in (("return", x.asset_returns, y.asset_returns),
                                     ("risk", x.asset_volatility, y.asset_volatility)):
            if tk in before and tk in after and abs(after[tk] - before[tk]) >= MOVE_MIN:
                moves.append((abs(after[tk] - before[tk]), tk, field, before[tk], after[tk]))
    top = [m for f in ("return", "risk")
           for m in sorted((m for m in moves if m[2] == f), reverse=True)[:MOVES]]
    for _, tk, field, old, new in top:
        direction = "up" if new > old else "down"
        reasons.append(Reason(f"model.reason.{field}_{direction}",
                              (("ticker", tk), ("old", _pct(old)), ("new", _pct(new)))))
    for key in sorted(set(y.binding) - set(x.binding)):
        reasons.append(Reason("model.reason.binding_started", _limit(key, y.binding[key])))
    for key in sorted(set(x.binding) - set(y.binding)):
        reasons.append(Reason("model.reason.binding_stopped", _limit(key, x.binding[key])))
    return TierChange(x.tier, rows, x.expected_return, y.expected_return, x.volatility,
                      y.volatility, tuple(reasons))


def _limit(key: str, limit: float) -> tuple[tuple[str, str], ...]:
    kind, _, name = key.partition(":")
    value = str(int(limit)) if kind == "suitability" else _pct(limit)
    return (("kind", kind), ("name", name), ("limit", value))


def _params(reason: Reason, lang: str) -> dict[str, str]:
    """A reason's placeholders; a constraint is put in words from the catalog first."""
    params = dict(reason.params)
    if "kind" in params:
        name = params["name"]
        if params["kind"] in ("class_min", "class_max"):  # an asset class: its name in lang
            name = t(f"tables.class_{name}", lang)
        params = {"constraint": t(f"model.limit.{params['kind']}", lang, name=name,
                                  limit=params["limit"])}
    return params


def tier_notice(change: TierChange, lang: str, lowest: bool = False) -> list[str]:
    """The notice of one tier (``lowest``: of the lowest category's portfolio) in the
    client's voice: a headline, the figures, the reasons and the weights that moved."""
    same, head = (("daily3.lowest_same", "daily3.lowest_head") if lowest
                  else ("model.tier_same", "model.tier_head"))
    if not change.changed:
        return [t(same, lang, tier=change.tier)]
    lines = [t(head, lang, tier=change.tier,
               ret_before=_pct(change.return_before), ret_after=_pct(change.return_after),
               vol_before=_pct(change.vol_before), vol_after=_pct(change.vol_after))]
    lines += ["- " + t(r.key, lang, **_params(r, lang)) for r in change.reasons] or \
        ["- " + t("model.reason.none", lang)]
    moved = [(tk, a, b) for tk, a, b in change.rows if abs(a - b) >= 0.0005]
    for tk, a, b in sorted(moved, key=lambda r: -abs(r[2] - r[1])):
        key = "model.weight_new" if a == 0 else "model.weight_gone" if b == 0 else \
            "model.weight_moved"
        lines.append("  " + t(key, lang, ticker=tk, before=_pct(a), after=_pct(b)))
    return lines


def lowest_notice(d: ModelDiff, lang: str) -> list[str]:
    """The lowest category's part of the notice (empty when neither version has its own
    portfolio)."""
    if d.lowest is not None:
        return tier_notice(d.lowest, lang, lowest=True)
    return [t("daily3.lowest_diff_new", lang, version=d.after)] if d.lowest_added else []


def notice(d: ModelDiff, lang: str, tier: int | None = None) -> list[str]:
    """The whole ``model diff`` notice, or one tier's part of it (tier 0: the lowest
    category's)."""
    lines = [t("model.diff_title", lang, a=d.before, b=d.after)]
    for change in d.tiers:
        if tier is None or change.tier == tier:
            lines += tier_notice(change, lang)
    if tier is None or tier == 0:
        lines += lowest_notice(d, lang)
    return lines
