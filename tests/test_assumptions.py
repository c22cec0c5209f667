"""The shipped universe and capital market assumptions: valid, PD, and reproducible."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from roboadvisor.data.assumptions_file import DEFAULT_ASSUMPTIONS, load_assumptions
from roboadvisor.data.policy_file import DEFAULT_POLICIES, load_policies
from roboadvisor.data.universe_file import load_universe
from roboadvisor.errors import ConfigError, UniverseError
from tests.conftest import SHARED_DATA

SHARED_MONTHLY = SHARED_DATA / "etf_adjclose_monthly_1993_2026.csv"


def test_default_universe_covers_the_required_exposures() -> None:
    u = load_universe()
    assert 14 <= len(u) <= 18
    classes = {a.asset_class.value for a in u}
    assert classes == {"equity", "real_estate", "fixed_income", "commodity", "cash"}
    regions = {a.region.value for a in u if a.asset_class.value == "equity"}
    assert regions == {"us", "developed_ex_us", "emerging", "china"}
    assert abs(u.market_weights().sum() - 1) < 1e-12
    assert {a.risk_level for a in u} == {1, 2, 3, 4, 5}


def test_default_assumptions_are_positive_definite_and_ordered() -> None:
    u = load_universe()
    est = load_assumptions(u)
    assert est.tickers == u.tickers
    assert np.linalg.eigvalsh(est.covariance).min() > 0
    mu = dict(zip(est.tickers, est.expected_returns, strict=True))
    # Equilibrium returns: cash earns about the risk-free rate, equity more than bonds.
    assert abs(mu["BIL"] - est.risk_free_rate) < 0.002
    assert min(mu[t] for t in ("VTI", "VEA", "VWO")) > max(mu[t] for t in ("AGG", "SHY", "BNDX"))


def test_expected_returns_are_the_reverse_optimised_equilibrium() -> None:
    """mu - rf = delta * Sigma @ w_mkt, with the file's own delta (to the file's rounding)."""
    u = load_universe()
    est = load_assumptions(u)
    implied = est.risk_free_rate + 3.0 * est.covariance @ u.market_weights()
    np.testing.assert_allclose(est.expected_returns, implied, atol=1e-5)


def test_unknown_ticker_in_universe_is_named(tmp_path: Path) -> None:
    text = Path(load_universe.__globals__["DEFAULT_UNIVERSE"]).read_text()
    path = tmp_path / "u.yaml"
    path.write_text(text.replace("ticker: BIL,", "ticker: SGOV,"))
    with pytest.raises(ConfigError, match="SGOV"):
        load_assumptions(load_universe(path))


@pytest.mark.parametrize("edit, message", [
    (("VTI:  {expected_return: 0.07350", "VTI:  {expected_return: .nan"),
     r"assets\.VTI\.expected_return must be a (finite )?number"),
    (("VEA:  {expected_return: 0.07966, volatility: 0.1781",
      "VEA:  {expected_return: 0.07966, volatility: .inf"), r"assets\.VEA\.volatility must be"),
])
def test_assumptions_refuse_non_finite_figures(tmp_path: Path, edit: tuple[str, str],
                                               message: str) -> None:
    text = DEFAULT_ASSUMPTIONS.read_text()
    assert edit[0] in text
    path = tmp_path / "cma.yaml"
    path.write_text(text.replace(*edit, 1))
    with pytest.raises(ConfigError, match=message):
        load_assumptions(load_universe(), path)


@pytest.mark.parametrize("edit, message", [
    (("risk_level: 1,", "risk_level: 7,"), "risk_level"),
    (("asset_class: cash,", "asset_class: crypto,"), "asset_class"),
    (("ticker: SHY,", "ticker: AGG,"), "appears twice"),
])
def test_universe_file_errors_name_the_asset(tmp_path: Path, edit: tuple[str, str],
                                             message: str) -> None:
    text = Path(load_universe.__globals__["DEFAULT_UNIVERSE"]).read_text()
    path = tmp_path / "u.yaml"
    path.write_text(text.replace(*edit, 1))
    with pytest.raises(UniverseError, match=message):
        load_universe(path)


def test_figures_reproduce_from_the_real_history() -> None:
    """Volatilities and correlations match a recomputation from ../shared/data."""
    if not SHARED_MONTHLY.is_file():
        pytest.skip(f"real monthly prices absent at {SHARED_MONTHLY}")
    u = load_universe()
    est = load_assumptions(u)
    prices = pd.read_csv(SHARED_MONTHLY, index_col=0, parse_dates=True)[list(u.tickers)]
    returns = prices.pct_change(fill_method=None)
    vol = returns.std().to_numpy() * np.sqrt(12)
    corr = returns.dropna().corr().to_numpy()
    np.testing.assert_allclose(est.volatilities, vol, atol=5e-5 + 1e-12)
    shipped_corr = est.covariance / np.outer(est.volatilities, est.volatilities)
    np.testing.assert_allclose(shipped_corr, corr, atol=5e-4 + 1e-9)


@pytest.mark.parametrize("field", ["target_volatility", "transaction_cost"])
def test_policies_refuse_a_nan_number(tmp_path: Path, field: str) -> None:
    """(Beside the other shipped-file loaders: a .nan policy number used to load silently.)"""
    text = DEFAULT_POLICIES.read_text()
    old = "target_volatility: 0.015"
    new = old.replace("0.015", ".nan") if field == "target_volatility" else \
        f"{old}\n    transaction_cost: .nan"
    assert old in text
    path = tmp_path / "policies.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError, match=rf"tier 1: {field} must be a finite number, got nan"):
        load_policies(path)
