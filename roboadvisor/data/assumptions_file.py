"""Capital market assumptions files (YAML) -> ``Estimates``. The default ships as package data.

Format: ``as_of``, ``risk_free_rate``, ``assets`` (ticker -> {expected_return, volatility},
annualised decimals) and ``correlation`` ({tickers: [...], matrix: [[...]]}). The covariance
is D C D with D the volatilities and C the correlation matrix, which must be symmetric with a
unit diagonal and positive definite.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from roboadvisor.config import RESOURCES_DIR
from roboadvisor.data.numbers import number
from roboadvisor.data.yaml_io import load_mapping
from roboadvisor.domain.models import Estimates, Universe
from roboadvisor.errors import ConfigError, MissingAssumptionsError
from roboadvisor.errors import catalog_text as _msg

DEFAULT_ASSUMPTIONS = RESOURCES_DIR / "cma_default.yaml"


def load_assumptions(universe: Universe, path: Path | None = None) -> Estimates:
    """Estimates for every asset of ``universe`` (in its order) from an assumptions file."""
    path = Path(path) if path is not None else DEFAULT_ASSUMPTIONS
    data = load_mapping(path, ConfigError)
    assets = _field(data, "assets", dict, path)
    corr_block = _field(data, "correlation", dict, path)
    names = [str(t).upper() for t in _field(corr_block, "tickers", list, path)]
    matrix = np.asarray(_field(corr_block, "matrix", list, path), dtype=float)
    if matrix.shape != (len(names), len(names)):
        raise ConfigError.from_catalog("files.corr_shape", path=path, n=len(names),
                                       shape=matrix.shape)
    missing = tuple(t for t in universe.tickers if t not in assets or t not in names)
    if missing:
        params = {"path": path, "tickers": ", ".join(missing)}
        error = MissingAssumptionsError(_msg("files.no_assumptions", **params), path, missing)
        error.key, error.params = "files.no_assumptions", params
        raise error
    idx = [names.index(t) for t in universe.tickers]
    corr = matrix[np.ix_(idx, idx)]
    _check_correlation(corr, path)
    mu = np.array([_number(assets[t], "expected_return", path, t) for t in universe.tickers])
    vol = np.array([_number(assets[t], "volatility", path, t) for t in universe.tickers])
    if np.any(vol <= 0):
        bad = universe.tickers[int(np.argmin(vol))]
        raise ConfigError.from_catalog("files.volatility_positive", path=path, ticker=bad)
    rf = _risk_free(data, path)
    return Estimates(universe.tickers, mu, np.outer(vol, vol) * corr, rf,
                     source=_msg("zh_hardening.e_source_assumptions", name=path.name),
                     as_of=str(data.get("as_of")) if data.get("as_of") else None)


def load_risk_free_rate(path: Path | None = None) -> float:
    """Only the file's ``risk_free_rate`` (annual decimal): its asset figures need not cover
    any particular universe."""
    path = Path(path) if path is not None else DEFAULT_ASSUMPTIONS
    return _risk_free(load_mapping(path, ConfigError), path)


def _risk_free(data: dict[str, Any], path: Path) -> float:
    return number(data.get("risk_free_rate"), f"{path}: field 'risk_free_rate'", ConfigError,
                  -0.05, 0.30, hint=_msg("files.hint_annual_decimal_eg"))


def _field(data: dict[str, Any], key: str, kind: Any, path: Path) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ConfigError.from_catalog("files.field_wrong_type", path=path, key=key)
    return value


def _number(entry: Any, key: str, path: Path, ticker: str) -> float:
    value = entry.get(key) if isinstance(entry, dict) else None
    lo, hi = (-1.0, 1.0) if key == "expected_return" else (0.0, 2.0)
    return number(value, f"{path}: assets.{ticker}.{key}", ConfigError, lo, hi,
                  lo_open=key == "volatility", hint=_msg("files.hint_annual_decimal"))


def _check_correlation(corr: np.ndarray, path: Path) -> None:
    if not np.allclose(corr, corr.T, atol=1e-9):
        raise ConfigError.from_catalog("files.corr_not_symmetric", path=path)
    if not np.allclose(np.diag(corr), 1.0):
        raise ConfigError.from_catalog("files.corr_diagonal", path=path)
    if np.any(np.abs(corr) > 1 + 1e-12):
        raise ConfigError.from_catalog("files.corr_range", path=path)
    smallest = float(np.linalg.eigvalsh(corr).min())
    if smallest <= 1e-10:
        raise ConfigError.from_catalog("files.corr_not_pd", path=path,
                                       smallest=f"{smallest:.2e}")
