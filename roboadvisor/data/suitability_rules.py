"""The suitability part of a policies file: the mode and the portfolio rating rules.

Fields (see ``roboadvisor/resources/policies.yaml``):

- top-level ``suitability``: ``portfolio`` (default) or ``holdings``; a tier may set its own
  ``suitability``; a command-line override (``--suitability``) wins over both.
- top-level ``portfolio_rating`` (required when a tier uses ``portfolio``):
  ``volatility_bands`` and ``stress_bands``, four increasing upper edges (R1..R4, decimals),
  and ``scenarios``: name -> {``description``, ``asset_classes`` (a return for every asset
  class), optional ``tickers`` (returns that override the class's)}.
- per tier ``holdings_class_bounds``: the class bounds used under ``holdings`` (default: the
  tier's ``class_bounds``), because a tier that may hold only low-risk products needs other
  class ranges than one rated as a whole.

Every error names the file and the field.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from roboadvisor.domain.models import AssetClass, Tier
from roboadvisor.domain.policy import Policy
from roboadvisor.domain.suitability import RatingRules, Scenario, Suitability
from roboadvisor.errors import ConfigError, shown
from roboadvisor.errors import catalog_text as _msg
from roboadvisor.fields import Field

DEFAULT_MODE = Suitability.PORTFOLIO


def parse_mode(value: Any, where: str | Field) -> Suitability:
    """'portfolio' or 'holdings' -> Suitability; ConfigError naming ``where`` otherwise."""
    try:
        return Suitability(str(value).strip().lower())
    except ValueError:
        raise ConfigError.from_catalog("zh_hardening.s_mode", where=where, value=shown(value),
                                       choices=", ".join(m.value for m in Suitability)
                                       ) from None


def apply_suitability(path: Path, data: dict[str, Any], policies: dict[Tier, Policy],
                      override: Suitability | str | None = None) -> dict[Tier, Policy]:
    """``policies`` with each tier's suitability mode, rating rules and, under holdings, its
    ``holdings_class_bounds``."""
    from roboadvisor.data.policy_file import _bounds

    forced = None if override is None else parse_mode(override, Field.SUITABILITY)
    default = parse_mode(data.get("suitability", DEFAULT_MODE.value), f"{path}: suitability")
    raw_tiers = {Tier.parse(k): v for k, v in data["tiers"].items()}
    rules = None
    if data.get("portfolio_rating") is not None:
        rules = _rules(path, data["portfolio_rating"])
    out: dict[Tier, Policy] = {}
    for tier, policy in policies.items():
        raw = raw_tiers[tier]
        where = _msg("files.where_tier", path=path, k=tier.value)
        mode = forced or (parse_mode(raw["suitability"], where) if "suitability" in raw
                          else default)
        if mode is Suitability.PORTFOLIO and rules is None:
            raise ConfigError.from_catalog("zh_hardening.s_needs_rating", where=where)
        bounds = policy.class_bounds
        if raw.get("holdings_class_bounds") is not None:
            holdings = _bounds(raw, "holdings_class_bounds", where, AssetClass)
            floor = sum(b.lower for _, b in holdings)
            if floor > 1 + 1e-9:
                raise ConfigError.from_catalog("files.minimums_sum", where=where,
                                               name="holdings_class_bounds", total=f"{floor:g}")
            if mode is Suitability.HOLDINGS:
                bounds = holdings
        out[tier] = replace(policy, suitability=mode, rating=rules, class_bounds=bounds)
    return out


def _rules(path: Path, raw: Any) -> RatingRules:
    where = f"{path}: portfolio_rating"
    if not isinstance(raw, dict):
        raise ConfigError.from_catalog("zh_hardening.s_rating_mapping", where=where)
    unknown = sorted(set(map(str, raw)) - {"volatility_bands", "stress_bands", "scenarios",
                                          "description"})
    if unknown:
        raise ConfigError.from_catalog(
            "files.unknown_fields", where=where, fields=", ".join(unknown),
            allowed="volatility_bands, stress_bands, scenarios, description")
    vol = _edges(raw.get("volatility_bands"), f"{where}.volatility_bands")
    stress = _edges(raw.get("stress_bands"), f"{where}.stress_bands")
    scenarios = raw.get("scenarios")
    if not isinstance(scenarios, dict) or not scenarios:
        raise ConfigError.from_catalog("zh_hardening.s_scenarios", where=f"{where}.scenarios")
    parsed = tuple(_scenario(f"{where}.scenarios.{name}", str(name), spec)
                   for name, spec in scenarios.items())
    return RatingRules(vol, stress, parsed)  # type: ignore[arg-type]


def _edges(value: Any, where: str) -> tuple[float, ...]:
    if (not isinstance(value, list) or len(value) != 4
            or any(isinstance(v, bool) or not isinstance(v, int | float) for v in value)):
        raise ConfigError.from_catalog("zh_hardening.s_edges", where=where, value=shown(value))
    edges = tuple(float(v) for v in value)
    if not all(a < b for a, b in zip((0.0, *edges), edges, strict=False)):
        raise ConfigError.from_catalog("zh_hardening.s_edges_order", where=where,
                                       value=shown(value))
    return edges


def _returns(value: Any, where: str) -> dict[str, float]:
    if not isinstance(value, dict):
        raise ConfigError.from_catalog("zh_hardening.s_returns_mapping", where=where)
    out = {}
    for name, v in value.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not -1 <= v <= 10:
            raise ConfigError.from_catalog("zh_hardening.s_return_value", where=f"{where}.{name}",
                                           value=shown(v))
        out[str(name)] = float(v)
    return out


def _scenario(where: str, name: str, spec: Any) -> Scenario:
    """One scenario; tickers outside the universe in use are simply not used (the shipped
    scenarios list every ETF of the default universe; other assets take their class's
    figure)."""
    if not isinstance(spec, dict):
        raise ConfigError.from_catalog("zh_hardening.s_scenario_mapping", where=where)
    unknown = sorted(set(map(str, spec)) - {"asset_classes", "tickers", "description"})
    if unknown:
        raise ConfigError.from_catalog("files.unknown_fields", where=where,
                                       fields=", ".join(unknown),
                                       allowed="asset_classes, tickers, description")
    classes = _returns(spec.get("asset_classes"), f"{where}.asset_classes")
    by_class = []
    for key, v in classes.items():
        try:
            by_class.append((AssetClass(key.strip().lower()), v))
        except ValueError:
            raise ConfigError.from_catalog("zh_hardening.s_class", where=f"{where}.asset_classes",
                                           value=shown(key),
                                           choices=", ".join(c.value for c in AssetClass)
                                           ) from None
    missing = [c.value for c in AssetClass if c not in dict(by_class)]
    if missing:
        raise ConfigError.from_catalog("zh_hardening.s_class_missing",
                                       where=f"{where}.asset_classes", classes=", ".join(missing))
    tickers = {k.strip().upper(): v for k, v in
               _returns(spec.get("tickers") or {}, f"{where}.tickers").items()}
    return Scenario(name, tuple(tickers.items()), tuple(by_class),
                    " ".join(str(spec.get("description", "")).split()))
