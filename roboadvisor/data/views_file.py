"""Black-Litterman views files (YAML) -> ``tuple[View, ...]``.

Format (see ``roboadvisor/resources/views_example.yaml``): top-level ``views``, a list of
mappings, each either absolute (``asset``, ``expected_return``) or relative (``asset``,
``versus``, ``outperformance``), with an optional ``confidence`` in 0..1 (default 0.5). Returns
are annualised decimals. Errors name the file, the view and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from roboadvisor.data.numbers import number
from roboadvisor.data.yaml_io import load_mapping
from roboadvisor.domain.estimates import View
from roboadvisor.domain.models import Universe
from roboadvisor.errors import ConfigError, shown
from roboadvisor.errors import catalog_text as _msg

_FIELDS = ("asset", "expected_return", "versus", "outperformance", "confidence")


def load_views(path: Path, universe: Universe) -> tuple[View, ...]:
    """The views in ``path``; every ticker must be in ``universe``."""
    path = Path(path)
    data = load_mapping(path, ConfigError)
    raw = data.get("views")
    if not isinstance(raw, list) or not raw:
        raise ConfigError.from_catalog("files.views_list", where=path)
    return tuple(_view(path, i, entry, universe) for i, entry in enumerate(raw))


def _view(path: Path, i: int, raw: Any, universe: Universe) -> View:
    where = _msg("files.where_view", path=path, n=i + 1)
    if not isinstance(raw, dict):
        raise ConfigError.from_catalog("files.view_mapping", where=where)
    unknown = sorted(set(map(str, raw)) - set(_FIELDS))
    if unknown:
        raise ConfigError.from_catalog("files.unknown_fields", where=where,
                                       fields=", ".join(unknown), allowed=", ".join(_FIELDS))
    asset = _ticker(raw.get("asset"), f"{where}: asset", universe)
    where = _msg("files.where_view_asset", path=path, n=i + 1, asset=asset)
    versus = raw.get("versus")
    if versus is None:
        if "outperformance" in raw:
            raise ConfigError.from_catalog("files.view_needs_versus", where=where)
        value = _number(raw.get("expected_return"), f"{where}: expected_return", -1.0, 1.0)
    else:
        versus = _ticker(versus, f"{where}: versus", universe)
        if versus == asset:
            raise ConfigError.from_catalog("files.view_versus_same", where=where, asset=asset)
        if "expected_return" in raw:
            raise ConfigError.from_catalog("files.view_relative", where=where)
        value = _number(raw.get("outperformance"), f"{where}: outperformance", -1.0, 1.0)
    confidence = _number(raw.get("confidence", 0.5), f"{where}: confidence", 0.0, 1.0)
    return View(asset, value, versus, confidence)


def _ticker(value: Any, where: str, universe: Universe) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError.from_catalog("files.view_ticker", where=where)
    ticker = value.strip().upper()
    if ticker not in universe:
        raise ConfigError.from_catalog("files.view_not_in_universe", where=where, ticker=ticker,
                                       universe=shown(universe.name),
                                       tickers=", ".join(universe.tickers))
    return ticker


def _number(value: Any, where: str, lo: float, hi: float) -> float:
    return number(value, where, ConfigError, lo, hi)
