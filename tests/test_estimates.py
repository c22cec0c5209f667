"""Estimators: equal to PyPortfolioOpt / scikit-learn on the same data, and refuse bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypfopt import expected_returns as pexp
from pypfopt import risk_models
from pypfopt.black_litterman import BlackLittermanModel
from sklearn.covariance import ledoit_wolf as sk_ledoit_wolf

from roboadvisor.data.universe_file import load_universe
from roboadvisor.domain.estimates import (
    View,
    black_litterman_return,
    capm_return,
    check_covariance,
    ema_return,
    equilibrium_return,
    estimates_from_prices,
    estimates_from_returns,
    exponential_covariance,
    ledoit_wolf,
    ledoit_wolf_covariance,
    mean_return,
    nearest_positive_definite,
    returns_from_prices,
    sample_covariance,
    shrunk_correlation_covariance,
)
from roboadvisor.errors import EstimationError


def random_returns(days: int = 252, n: int = 25, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    loadings = rng.normal(0, 0.006, (n, 3))
    x = (rng.normal(0, 1, (days, 3)) @ loadings.T + rng.normal(0, 0.004, (days, n))
         + rng.normal(0.0003, 0.0002, n))
    dates = pd.bdate_range("2020-01-01", periods=days)
    return pd.DataFrame(x, index=dates, columns=[f"A{i:02d}" for i in range(n)])


def prices_of(returns: pd.DataFrame) -> pd.DataFrame:
    start = pd.DataFrame([np.full(returns.shape[1], 100.0)], columns=returns.columns,
                         index=[returns.index[0] - pd.offsets.BDay()])
    return pd.concat([start, 100.0 * (1 + returns).cumprod()])


# --- covariance -----------------------------------------------------------------------------
@pytest.mark.parametrize("days, n", [(252, 25), (60, 40), (1000, 5)])
def test_ledoit_wolf_equals_sklearn_and_pypfopt(days: int, n: int) -> None:
    r = random_returns(days, n)
    ours, shrinkage = ledoit_wolf(r.to_numpy())
    sk, sk_shrinkage = sk_ledoit_wolf(r.to_numpy())
    np.testing.assert_allclose(ours, sk, rtol=1e-10, atol=1e-16)
    assert shrinkage == pytest.approx(sk_shrinkage, rel=1e-10)
    assert 0 < shrinkage < 1
    if days >= n + 10:
        ref = risk_models.CovarianceShrinkage(r, returns_data=True).ledoit_wolf().to_numpy()
        np.testing.assert_allclose(ledoit_wolf_covariance(r), ref, rtol=1e-10, atol=1e-14)


def test_ledoit_wolf_on_real_prices(real_prices_csv: Path) -> None:
    prices = pd.read_csv(real_prices_csv, index_col=0, parse_dates=True)
    tickers = list(load_universe().tickers)
    window = prices.loc["2019-01-01":"2019-12-31", tickers]
    r = returns_from_prices(window)
    ref = risk_models.CovarianceShrinkage(r, returns_data=True).ledoit_wolf().to_numpy()
    np.testing.assert_allclose(ledoit_wolf_covariance(r), ref, rtol=1e-10, atol=1e-14)


def test_sample_and_exponential_covariance_equal_pypfopt() -> None:
    r = random_returns(300, 8)
    np.testing.assert_allclose(sample_covariance(r),
                               risk_models.sample_cov(r, returns_data=True).to_numpy(),
                               rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(exponential_covariance(r, span=60),
                               risk_models.exp_cov(r, returns_data=True, span=60).to_numpy(),
                               rtol=1e-10, atol=1e-16)


def test_too_few_observations_are_refused() -> None:
    r = random_returns(30, 25)
    for estimator in (sample_covariance, ledoit_wolf_covariance, exponential_covariance):
        with pytest.raises(EstimationError, match=r"30 return observations are too few .* 25 "
                                                  r"assets; use at least 35"):
            estimator(r)


def test_non_positive_definite_matrix_is_repaired_with_a_note() -> None:
    r = random_returns(252, 6)
    cov = sample_covariance(r)
    vals, vecs = np.linalg.eigh(cov)
    vals[0] = -1e-4
    broken = (vecs * vals) @ vecs.T
    checked = check_covariance(broken, list(r.columns))
    assert checked.repaired
    assert "1 eigenvalue(s)" in checked.note and "-1.00e-04" in checked.note
    assert np.linalg.eigvalsh(checked.matrix).min() > 0
    np.testing.assert_allclose(checked.matrix, checked.matrix.T, atol=0)
    # Nearest: only the broken direction moved.
    np.testing.assert_allclose(checked.matrix @ vecs[:, 1:], broken @ vecs[:, 1:], atol=1e-12)
    with pytest.raises(EstimationError, match="ill-conditioned"):
        check_covariance(broken, list(r.columns), repair=False)
    # A healthy matrix passes unchanged.
    ok = check_covariance(cov)
    assert not ok.repaired and ok.note == ""
    np.testing.assert_array_equal(ok.matrix, cov)
    assert not nearest_positive_definite(cov).repaired


def test_ill_conditioned_matrix_is_refused_without_repair() -> None:
    r = random_returns(252, 4)
    r["COPY"] = r["A00"] * (1 + 1e-9)  # a near-duplicate asset
    cov = sample_covariance(r)
    with pytest.raises(EstimationError, match=r"condition number .* > 1e\+10"):
        check_covariance(cov, list(r.columns), repair=False)
    fixed = check_covariance(cov, list(r.columns))
    vals = np.linalg.eigvalsh(fixed.matrix)
    assert vals.max() / vals.min() == pytest.approx(1e10, rel=1e-3)


def test_zero_variance_asset_is_named() -> None:
    r = random_returns(100, 3)
    r["FLAT"] = 0.0
    with pytest.raises(EstimationError, match="FLAT has zero or negative variance"):
        check_covariance(sample_covariance(r), list(r.columns))


# --- expected returns -----------------------------------------------------------------------
def test_mean_ema_and_capm_equal_pypfopt() -> None:
    r = random_returns(400, 6)
    np.testing.assert_allclose(
        mean_return(r),
        pexp.mean_historical_return(r, returns_data=True, compounding=False).to_numpy(),
        rtol=1e-12)
    np.testing.assert_allclose(
        ema_return(r, span=100),
        pexp.ema_historical_return(r, returns_data=True, compounding=False,
                                   span=100).to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(
        capm_return(r, 0.02),
        pexp.capm_return(r.copy(), returns_data=True, compounding=False,
                         risk_free_rate=0.02).to_numpy(), rtol=1e-10)


def test_capm_with_market_weights_uses_that_market() -> None:
    r = random_returns(400, 4)
    w = np.array([0.7, 0.1, 0.1, 0.1])
    market = pd.DataFrame({"mkt": r.to_numpy() @ w}, index=r.index)
    ref = pexp.capm_return(r.copy(), market_prices=market, returns_data=True,
                           compounding=False, risk_free_rate=0.01)
    np.testing.assert_allclose(capm_return(r, 0.01, w), ref.to_numpy(), rtol=1e-10)


def test_equilibrium_is_reverse_optimisation() -> None:
    cov = sample_covariance(random_returns(300, 5))
    w = np.array([4.0, 3, 2, 1, 0])  # caps, normalised inside
    expected = 0.02 + 2.5 * cov @ (w / w.sum())
    np.testing.assert_allclose(equilibrium_return(cov, w, 0.02, 2.5), expected, rtol=1e-12)
    from pypfopt.black_litterman import market_implied_prior_returns

    ref = market_implied_prior_returns(pd.Series(w / w.sum()), 2.5, pd.DataFrame(cov), 0.02)
    np.testing.assert_allclose(equilibrium_return(cov, w, 0.02, 2.5), ref.to_numpy(),
                               rtol=1e-12)


def test_black_litterman_equals_pypfopt() -> None:
    r = random_returns(300, 5)
    tickers = list(r.columns)
    cov = sample_covariance(r)
    w = np.array([0.4, 0.3, 0.15, 0.1, 0.05])
    views = [View("A00", 0.10, confidence=0.6), View("A02", 0.02, versus="A01", confidence=0.3)]
    ours = black_litterman_return(cov, w, tickers, views, 0.02, risk_aversion=2.5)
    prior = 0.02 + 2.5 * cov @ w
    p = np.array([[1.0, 0, 0, 0, 0], [0, -1.0, 1.0, 0, 0]])
    bl = BlackLittermanModel(pd.DataFrame(cov, index=tickers, columns=tickers),
                             pi=pd.Series(prior, index=tickers), Q=np.array([0.10, 0.02]), P=p,
                             omega="idzorek", view_confidences=[0.6, 0.3], risk_aversion=2.5)
    np.testing.assert_allclose(ours, bl.bl_returns().to_numpy(), rtol=1e-12)


def test_black_litterman_confidence_moves_from_prior_to_view() -> None:
    r = random_returns(300, 5)
    tickers = list(r.columns)
    cov = sample_covariance(r)
    w = np.array([0.4, 0.3, 0.15, 0.1, 0.05])
    prior = equilibrium_return(cov, w, 0.02)
    none = black_litterman_return(cov, w, tickers, [View("A00", 0.2, confidence=0.0)], 0.02)
    np.testing.assert_allclose(none, prior, atol=1e-6)
    full = black_litterman_return(cov, w, tickers,
                                  [View("A00", 0.2, confidence=1.0),
                                   View("A03", 0.01, versus="A04", confidence=1.0)], 0.02)
    assert full[0] == pytest.approx(0.2, abs=1e-10)
    assert full[3] - full[4] == pytest.approx(0.01, abs=1e-10)
    half = black_litterman_return(cov, w, tickers, [View("A00", 0.2, confidence=0.5)], 0.02)
    assert prior[0] < half[0] < 0.2
    with pytest.raises(EstimationError, match="view on ZZZ: not in the universe"):
        black_litterman_return(cov, w, tickers, [View("ZZZ", 0.1)], 0.02)
    with pytest.raises(EstimationError, match=r"confidence 1\.5"):
        black_litterman_return(cov, w, tickers, [View("A00", 0.1, confidence=1.5)], 0.02)


# --- prices -> estimates --------------------------------------------------------------------
def test_estimates_from_prices_round_trip() -> None:
    r = random_returns(300, 5)
    prices = prices_of(r)
    np.testing.assert_allclose(returns_from_prices(prices).to_numpy(), r.to_numpy(),
                               rtol=1e-9, atol=1e-14)
    est = estimates_from_prices(prices, risk_free_rate=0.03)
    assert est.tickers == tuple(r.columns)
    np.testing.assert_allclose(est.expected_returns, r.mean().to_numpy() * 252, rtol=1e-8)
    np.testing.assert_allclose(est.covariance, ledoit_wolf_covariance(r), rtol=1e-7)
    assert est.risk_free_rate == 0.03
    assert "ledoit_wolf covariance" in est.source and "300 days" in est.source
    assert est.as_of == str(r.index[-1].date())
    bl = estimates_from_returns(r, returns_method="black_litterman", cov_method="sample",
                                market_weights=np.full(5, 0.2), risk_free_rate=0.01,
                                views=[View("A01", 0.3, confidence=1.0)])
    assert bl.expected_returns[1] == pytest.approx(0.3, abs=1e-10)
    with pytest.raises(EstimationError, match="need market weights"):
        estimates_from_returns(r, returns_method="equilibrium")


def test_late_asset_and_bad_prices_are_named() -> None:
    prices = prices_of(random_returns(100, 4))
    late = prices.copy()
    late.iloc[:95, 2] = np.nan
    with pytest.raises(EstimationError, match=r"A02 starts on 20\d\d-\d\d-\d\d"):
        estimates_from_prices(late)
    bad = prices.copy()
    bad.iloc[10, 1] = 0.0
    with pytest.raises(EstimationError, match=f"A01 has a non-positive price on "
                                              f"{bad.index[10].date()}"):
        returns_from_prices(bad)


def test_real_history_estimates_are_sane(real_prices_csv: Path) -> None:
    u = load_universe()
    prices = pd.read_csv(real_prices_csv, index_col=0, parse_dates=True)[list(u.tickers)]
    est = estimates_from_prices(prices.loc["2014-01-01":], risk_free_rate=0.03,
                                returns_method="equilibrium", market_weights=u.market_weights())
    vols = dict(zip(est.tickers, est.volatilities, strict=True))
    # Shrinkage towards the mean variance lifts the smallest variances (BIL's ~0.3% a little).
    assert vols["BIL"] < 0.02 < vols["AGG"] < 0.1 < vols["VTI"] < 0.3
    assert vols["TLT"] > vols["AGG"] > vols["SHY"]
    assert np.linalg.eigvalsh(est.covariance).min() > 0


def test_shrunk_correlation_keeps_variances_and_shrinks_correlations() -> None:
    r = random_returns(120, 20)
    r["BILL"] = r["A00"] * 0.02 + np.random.default_rng(1).normal(0, 1e-4, len(r))
    x = r.to_numpy()
    ours = shrunk_correlation_covariance(r)
    sd = x.std(axis=0)
    np.testing.assert_allclose(np.diag(ours), sd**2 * 252, rtol=1e-12)
    corr_ref, shrinkage = sk_ledoit_wolf(x / sd)
    np.testing.assert_allclose(ours / np.outer(sd, sd) / 252, corr_ref, rtol=1e-10, atol=1e-14)
    assert 0 < shrinkage < 1
    sample_corr = np.corrcoef(x, rowvar=False)
    off = ~np.eye(len(sd), dtype=bool)
    shrunk = ours / np.sqrt(np.outer(np.diag(ours), np.diag(ours)))
    assert np.all(np.abs(shrunk[off]) <= np.abs(sample_corr[off]) + 1e-12)
    # The identity target instead lifts the low-volatility asset's variance.
    assert ledoit_wolf_covariance(r)[-1, -1] > 2 * ours[-1, -1]


@pytest.mark.parametrize("views, named", [
    ([View("A00", 0.07, confidence=1.0), View("A00", 0.03, confidence=1.0)], "A00 +3.00%"),
    ([View("A01", 0.02, versus="A02", confidence=1.0),
      View("A02", 0.01, versus="A01", confidence=1.0)], "A02 vs A01 +1.00%"),
    ([View("A00", 0.05, confidence=1.0), View("A01", 0.03, confidence=1.0),
      View("A00", 0.01, versus="A01", confidence=1.0)], "A00 vs A01 +1.00%"),
])
def test_contradictory_certain_views_are_refused(views: list[View], named: str) -> None:
    r = random_returns(300, 5)
    cov = sample_covariance(r)
    w = np.array([0.4, 0.3, 0.15, 0.1, 0.05])
    with pytest.raises(EstimationError, match="contradict each other") as info:
        black_litterman_return(cov, w, list(r.columns), views, 0.02)
    assert named in str(info.value)
    # the same views below full confidence are a compromise, not a contradiction
    soft = [View(v.asset, v.value, v.versus, 0.9) for v in views]
    assert np.isfinite(black_litterman_return(cov, w, list(r.columns), soft, 0.02)).all()
    # and agreeing certain views are fine
    same = [views[0], View(views[0].asset, views[0].value, views[0].versus, 1.0)]
    assert np.isfinite(black_litterman_return(cov, w, list(r.columns), same, 0.02)).all()
