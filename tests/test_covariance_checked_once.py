"""A covariance that check_covariance accepted is not decomposed again by the optimiser's own
check (issue 14: one positive-definiteness check per walk-forward date), and the mark cannot
go stale: the accepted matrix is read-only, and a copy is checked afresh."""

from __future__ import annotations

import numpy as np
import pytest

from roboadvisor.domain import estimates as est_mod
from roboadvisor.domain.models import Asset, AssetClass, Estimates, Region, Universe
from roboadvisor.domain.optimizer import aligned_estimates
from roboadvisor.errors import EstimationError


def _universe(n: int) -> Universe:
    return Universe("u", tuple(Asset(f"A{i}", f"a{i}", AssetClass.EQUITY, Region.GLOBAL, "USD",
                                     0.0, 1, 0.0, 1.0) for i in range(n)))


def test_an_accepted_matrix_is_marked_read_only_and_skipped(monkeypatch) -> None:
    x = np.random.default_rng(3).normal(0, 0.01, (300, 6))
    checked = est_mod.check_covariance(np.cov(x, rowvar=False))
    assert est_mod.is_checked_covariance(checked.matrix)
    with pytest.raises(ValueError):
        checked.matrix[0, 0] = 1.0
    u = _universe(6)
    est = Estimates(u.tickers, x.mean(axis=0), checked.matrix, 0.0, "test")
    calls = []
    real = np.linalg.eigvalsh
    monkeypatch.setattr(np.linalg, "eigvalsh", lambda a: calls.append(1) or real(a))
    assert aligned_estimates(est, u) is est
    assert calls == []                                   # not decomposed a second time


def test_a_copy_is_checked_again_and_refused_when_broken() -> None:
    x = np.random.default_rng(4).normal(0, 0.01, (300, 4))
    checked = est_mod.check_covariance(np.cov(x, rowvar=False))
    broken = checked.matrix.copy()
    broken[0, 0] = -1.0                                  # not positive semi-definite
    assert not est_mod.is_checked_covariance(broken)
    u = _universe(4)
    with pytest.raises(EstimationError, match="not positive semi-definite"):
        aligned_estimates(Estimates(u.tickers, np.zeros(4), broken, 0.0, "test"), u)


def test_a_repaired_matrix_is_marked_too() -> None:
    a = np.array([[1.0, 0.999999999999], [0.999999999999, 1.0]])
    checked = est_mod.check_covariance(a, max_condition=1e6)
    assert checked.repaired
    assert est_mod.is_checked_covariance(checked.matrix)
