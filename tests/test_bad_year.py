"""The 'bad year, one in twenty' sentence comes from the projection engine and says how."""

from __future__ import annotations

import numpy as np
import pandas as pd

from roboadvisor.domain.projection import ReturnModel, bad_year_normal
from roboadvisor.services.allocate import AllocationRequest, allocate
from roboadvisor.services.project import bad_year_for


def test_explanation_uses_the_engine_normal_model_without_prices() -> None:
    result = allocate(AllocationRequest(tier=4))
    a = result.allocation
    bad = bad_year_normal(a.expected_return, a.volatility)
    assert f"could fall by about {-bad.value * 100:.0f}%" in result.explanation.summary
    assert "normal model" in result.explanation.summary
    zh = allocate(AllocationRequest(tier=4, lang="zh")).explanation.summary
    assert f"下跌约 {-bad.value * 100:.0f}%" in zh and "正态模型" in zh


def test_bootstrap_when_history_is_at_hand() -> None:
    a = allocate(AllocationRequest(tier=5)).allocation
    held = [t for t, w in zip(a.tickers, a.weights, strict=True) if w > 1e-4]
    days = pd.bdate_range("2010-01-01", "2019-12-31")
    rng = np.random.default_rng(0)
    steps = rng.normal(0.0003, 0.01, size=(days.size, len(held)))
    prices = pd.DataFrame(100 * np.exp(np.cumsum(steps, axis=0)), index=days, columns=held)
    bad = bad_year_for(a, prices, None)
    assert bad.model is ReturnModel.BOOTSTRAP and bad.window == "2010-02..2019-12"
    # daily sd 1% -> about 16% a year; the 5% quantile of a year lies well below 0
    assert -0.4 < bad.value < 0.0
    assert bad_year_for(a, None, None).model is ReturnModel.NORMAL
