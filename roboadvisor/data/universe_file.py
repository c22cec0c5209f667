"""Universe files (YAML) -> ``Universe``. The default ships as package data.

Format: top-level ``id``, ``name`` and ``assets``, a list of mappings with ``ticker``, ``name``,
``asset_class`` (equity, real_estate, fixed_income, commodity, cash), ``region`` (us,
developed_ex_us, emerging, china, global), ``currency``, ``expense_ratio`` (decimal per year),
``risk_level`` (1..5 = R1..R5) and optional ``min_weight``, ``max_weight`` (0..1),
``market_weight`` (>= 0) and ``description``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from roboadvisor.config import RESOURCES_DIR
from roboadvisor.data.file_cache import once_per_file_version
from roboadvisor.data.numbers import number
from roboadvisor.data.yaml_io import load_mapping
from roboadvisor.domain.models import Asset, AssetClass, Region, Universe
from roboadvisor.errors import UniverseError, shown

DEFAULT_UNIVERSE = RESOURCES_DIR / "universe_default.yaml"

_REQUIRED = ("ticker", "name", "asset_class", "region", "currency", "expense_ratio",
             "risk_level")
_OPTIONAL = ("min_weight", "max_weight", "market_weight", "description")


def load_universe(path: Path | None = None) -> Universe:
    """The universe in ``path``, or the shipped default when ``path`` is None (parsed once per
    version of the file)."""
    return _parse_universe(Path(path) if path is not None else DEFAULT_UNIVERSE)


@once_per_file_version
def _parse_universe(path: Path) -> Universe:
    data = load_mapping(path, UniverseError)
    raw_assets = data.get("assets")
    if not isinstance(raw_assets, list) or not raw_assets:
        raise UniverseError.from_catalog("files.assets_list", where=path)
    assets = tuple(_asset(path, i, raw) for i, raw in enumerate(raw_assets))
    name = str(data.get("name") or data.get("id") or path.stem)
    universe = Universe(name, assets)  # checks duplicate tickers
    if sum(a.min_weight for a in assets) > 1 + 1e-9:
        raise UniverseError.from_catalog("files.min_weights_sum", where=path)
    return universe


def _asset(path: Path, i: int, raw: Any) -> Asset:
    if not isinstance(raw, dict):
        raise UniverseError.from_catalog("files.asset_mapping", where=path, number=i + 1)
    label = f"{path}: asset {raw.get('ticker', f'#{i + 1}')}"
    unknown = set(raw) - set(_REQUIRED) - set(_OPTIONAL)
    if unknown:
        raise UniverseError.from_catalog("files.unknown_fields", where=label,
                                         fields=", ".join(sorted(map(str, unknown))),
                                         allowed=", ".join(_REQUIRED + _OPTIONAL))
    missing = [f for f in _REQUIRED if raw.get(f) in (None, "")]
    if missing:
        raise UniverseError.from_catalog("files.missing_fields", where=label,
                                         fields=", ".join(missing))
    ticker = str(raw["ticker"]).strip().upper()
    asset = Asset(
        ticker=ticker,
        name=str(raw["name"]),
        asset_class=_enum(AssetClass, raw["asset_class"], f"{label}: asset_class"),
        region=_enum(Region, raw["region"], f"{label}: region"),
        currency=str(raw["currency"]).upper(),
        expense_ratio=_number(raw["expense_ratio"], f"{label}: expense_ratio", 0.0, 0.1),
        risk_level=int(_number(raw["risk_level"], f"{label}: risk_level", 1, 5)),
        min_weight=_number(raw.get("min_weight", 0.0), f"{label}: min_weight", 0.0, 1.0),
        max_weight=_number(raw.get("max_weight", 1.0), f"{label}: max_weight", 0.0, 1.0),
        market_weight=(None if raw.get("market_weight") is None else
                       _number(raw["market_weight"], f"{label}: market_weight", 0.0, 1e12)),
        description=str(raw.get("description", "")),
    )
    if asset.risk_level != raw["risk_level"]:
        raise UniverseError.from_catalog("files.risk_level_whole", where=label)
    if asset.min_weight > asset.max_weight:
        raise UniverseError.from_catalog("files.min_weight_exceeds", where=label,
                                         min=asset.min_weight, max=asset.max_weight)
    return asset


def _number(value: Any, where: str, lo: float, hi: float) -> float:
    return number(value, where, UniverseError, lo, hi)


def _enum(kind: type[AssetClass] | type[Region], value: Any, where: str) -> Any:
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        raise UniverseError.from_catalog("files.value_not_one_of", where=where,
                                         value=shown(value),
                                         choices=", ".join(m.value for m in kind)) from None
