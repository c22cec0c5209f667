"""Tier policy files (YAML) -> ``dict[Tier, Policy]``. The default ships as package data.

Format (see ``roboadvisor/resources/policies.yaml``): top-level ``tiers``, a mapping from the
tier (1..5, or C1..C5) to its policy:

- ``objective``: min_variance, max_sharpe, target_volatility or utility (required);
- ``target_volatility`` (annualised decimal, with target_volatility) or ``risk_aversion``
  (positive, with utility);
- ``max_product_risk``: 1..5 (R1..R5), at most the tier (suitability); defaults to the tier;
- ``class_bounds``, ``region_bounds``, ``asset_bounds``: mappings from an asset class, a region
  or a ticker to ``[min, max]`` (or ``{min: .., max: ..}``), weight fractions in 0..1;
- optional ``name``, ``description``, ``max_turnover`` (0..2), ``transaction_cost`` (0..0.1),
  ``min_position`` (0 <= x < 0.5, default 0: the smallest weight worth holding; a held asset
  gets 0 or at least this).

Every error names the file, the tier and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from roboadvisor.config import RESOURCES_DIR
from roboadvisor.data.file_cache import once_per_file_version
from roboadvisor.data.numbers import number
from roboadvisor.data.yaml_io import load_mapping
from roboadvisor.domain.models import AssetClass, Region, Tier, Universe
from roboadvisor.domain.policy import Bound, Objective, Policy
from roboadvisor.errors import ConfigError, reason, shown
from roboadvisor.errors import catalog_text as _msg

DEFAULT_POLICIES = RESOURCES_DIR / "policies.yaml"

_TOP_LEVEL = ("id", "version", "description", "tiers",
              "suitability", "portfolio_rating")  # suitability_rules.py
_FIELDS = ("name", "objective", "target_volatility", "risk_aversion", "max_product_risk",
           "class_bounds", "region_bounds", "asset_bounds", "max_turnover", "transaction_cost",
           "min_position", "description",
           "suitability", "holdings_class_bounds")  # suitability_rules.py


def load_policies(path: Path | None = None,
                  universe: Universe | None = None,
                  suitability: str | None = None) -> dict[Tier, Policy]:
    """The five tier policies in ``path``, or the shipped defaults when ``path`` is None.

    With ``universe``, every ticker named in ``asset_bounds`` must be in it (a typo there
    would otherwise bound nothing, silently). ``suitability`` (portfolio or holdings)
    overrides the file's suitability mode (see ``suitability_rules``). The file is parsed once
    per version of it.
    """
    from roboadvisor.data.suitability_rules import apply_suitability

    path = Path(path) if path is not None else DEFAULT_POLICIES
    policies, data = _parse_policies(path)
    if universe is not None:
        _check_tickers(path, policies, universe)
    return dict(sorted(apply_suitability(path, dict(data), dict(policies), suitability).items()))


@once_per_file_version
def _parse_policies(path: Path) -> tuple[dict[Tier, Policy], Mapping[str, Any]]:
    """The validated tiers of ``path`` and its raw mapping, read-only (callers copy the dict;
    policies are frozen)."""
    data = load_mapping(path, ConfigError)
    unknown = sorted(set(map(str, data)) - set(_TOP_LEVEL))
    if unknown:
        raise ConfigError.from_catalog("files.unknown_top_fields", where=path,
                                       fields=", ".join(unknown), allowed=", ".join(_TOP_LEVEL))
    raw_tiers = data.get("tiers")
    if not isinstance(raw_tiers, dict) or not raw_tiers:
        raise ConfigError.from_catalog("files.tiers_mapping", where=path)
    policies: dict[Tier, Policy] = {}
    for key, raw in raw_tiers.items():
        try:
            tier = Tier.parse(key)
        except ValueError as exc:
            raise ConfigError.from_catalog("files.field", path=path, field="tiers",
                                           problem=reason(exc)) from None
        if tier in policies:
            raise ConfigError.from_catalog("files.tier_twice", where=path, k=tier.value)
        policies[tier] = _policy(path, tier, raw)
    missing = [str(t.value) for t in Tier if t not in policies]
    if missing:
        raise ConfigError.from_catalog("files.tiers_missing", where=path,
                                       tiers=", ".join(missing))
    return dict(sorted(policies.items())), MappingProxyType(data)


def _check_tickers(path: Path, policies: dict[Tier, Policy], universe: Universe) -> None:
    for tier, policy in policies.items():
        unknown = [t for t, _ in policy.asset_bounds if t not in universe]
        if unknown:
            raise ConfigError.from_catalog("files.bounds_not_in_universe",
                                           where=_msg("files.where_tier", path=path,
                                                      k=tier.value),
                                           tickers=", ".join(unknown),
                                           universe=shown(universe.name))


def _policy(path: Path, tier: Tier, raw: Any) -> Policy:
    where = _msg("files.where_tier", path=path, k=tier.value)
    if not isinstance(raw, dict):
        raise ConfigError.from_catalog("files.policy_mapping", where=where)
    unknown = sorted(set(map(str, raw)) - set(_FIELDS))
    if unknown:
        raise ConfigError.from_catalog("files.unknown_fields", where=where,
                                       fields=", ".join(unknown), allowed=", ".join(_FIELDS))
    if raw.get("objective") in (None, ""):
        raise ConfigError.from_catalog("files.missing_objective", where=where,
                                       choices=", ".join(o.value for o in Objective))
    objective = _enum(Objective, raw["objective"], f"{where}: objective")
    target = _optional_number(raw, "target_volatility", where, 0.0, 1.0, open_low=True)
    aversion = _optional_number(raw, "risk_aversion", where, 0.0, 1e6, open_low=True)
    if objective is Objective.TARGET_VOLATILITY and target is None:
        raise ConfigError.from_catalog("files.needs_target_volatility", where=where)
    if objective is Objective.UTILITY and aversion is None:
        raise ConfigError.from_catalog("files.needs_risk_aversion", where=where)
    if target is not None and objective is not Objective.TARGET_VOLATILITY:
        raise ConfigError.from_catalog("files.only_with_objective", where=where,
                                       field="target_volatility", objective="target_volatility")
    if aversion is not None and objective is not Objective.UTILITY:
        raise ConfigError.from_catalog("files.only_with_objective", where=where,
                                       field="risk_aversion", objective="utility")
    max_risk = raw.get("max_product_risk", tier.max_product_risk)
    max_risk = int(number(max_risk, f"{where}: max_product_risk", ConfigError, 1, 5,
                          whole=True, hint=_msg("files.hint_risk_level")))
    if max_risk > tier.max_product_risk:
        raise ConfigError.from_catalog("files.product_risk_above_tier", where=where,
                                       risk=max_risk, level=tier.suitability_level,
                                       top=tier.max_product_risk)
    class_bounds = _bounds(raw, "class_bounds", where, AssetClass)
    region_bounds = _bounds(raw, "region_bounds", where, Region)
    asset_bounds = _bounds(raw, "asset_bounds", where, None)
    for name, bounds in (("class_bounds", class_bounds), ("region_bounds", region_bounds)):
        floor = sum(b.lower for _, b in bounds)
        if floor > 1 + 1e-9:
            raise ConfigError.from_catalog("files.minimums_sum", where=where, name=name,
                                           total=f"{floor:g}")
    return Policy(
        name=str(raw.get("name") or tier.label),
        objective=objective,
        target_volatility=target,
        risk_aversion=aversion,
        max_product_risk=max_risk,
        class_bounds=class_bounds,
        region_bounds=region_bounds,
        asset_bounds=asset_bounds,
        max_turnover=_optional_number(raw, "max_turnover", where, 0.0, 2.0, open_low=True),
        transaction_cost=_optional_number(raw, "transaction_cost", where, 0.0, 0.1) or 0.0,
        tier=tier,
        description=" ".join(str(raw.get("description", "")).split()),
        min_position=_min_position(raw, where),
    )


def _min_position(raw: dict[str, Any], where: str) -> float:
    value = raw.get("min_position")
    if value is None:
        return 0.0
    return number(value, f"{where}: min_position", ConfigError, 0.0, 0.5, hi_open=True,
                  hint=_msg("files.hint_weight_eg"))


def _optional_number(raw: dict[str, Any], key: str, where: str, lo: float, hi: float,
                     open_low: bool = False) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    return number(value, f"{where}: {key}", ConfigError, lo, hi, lo_open=open_low)


def _bounds(raw: dict[str, Any], key: str, where: str,
            kind: type[StrEnum] | None) -> tuple[tuple[Any, Bound], ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ConfigError.from_catalog("files.bounds_mapping", where=where, key=key)
    result: list[tuple[Any, Bound]] = []
    for name, spec in value.items():
        label = f"{where}: {key}.{name}"
        if kind is None:
            member: Any = str(name).strip().upper()
        else:
            member = _enum(kind, name, f"{where}: {key}")
        result.append((member, _bound(spec, label)))
    return tuple(result)


def _bound(spec: Any, label: str) -> Bound:
    if isinstance(spec, dict):
        extra = sorted(set(map(str, spec)) - {"min", "max"})
        if extra:
            raise ConfigError.from_catalog("files.bound_keys", where=label,
                                           keys=", ".join(extra))
        pair = [spec.get("min", 0.0), spec.get("max", 1.0)]
    elif isinstance(spec, list) and len(spec) == 2:
        pair = spec
    else:
        raise ConfigError.from_catalog("files.bound_shape", where=label, value=shown(spec))
    lower, upper = (number(v, f"{label}: {side}", ConfigError, 0.0, 1.0,
                           hint=_msg("files.hint_weight"))
                    for v, side in zip(pair, ("min", "max"), strict=True))
    if lower > upper:
        raise ConfigError.from_catalog("files.min_exceeds_max", where=label, min=f"{lower:g}",
                                       max=f"{upper:g}")
    return Bound(lower, upper)


def _enum(kind: type[StrEnum], value: Any, where: str) -> Any:
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        raise ConfigError.from_catalog("files.not_one_of", where=where, value=shown(value),
                                       choices=", ".join(m.value for m in kind)) from None
