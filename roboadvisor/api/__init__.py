"""The Python API: ``import roboadvisor as ra`` (the names below are re-exported there).

Every function here is what the command line runs too (``assess``, ``allocate``,
``frontier``, ``backtest run``): the CLI parses its options, calls one of these, and renders
the result. Names load on first use, so importing the package stays cheap.

Units everywhere: returns, volatilities and rates are decimals (0.05 = 5%), annualised;
weights are fractions that sum to 1; prices are daily adjusted closes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from roboadvisor.api.allocation import Allocation, Frontier, allocate, estimates, frontier
    from roboadvisor.api.assessment import Assessment, assess
    from roboadvisor.api.backtesting import BacktestResult, backtest
    from roboadvisor.api.prices import check_prices
    from roboadvisor.api.projection import Projection, project
    from roboadvisor.api.specs import (
        Bands,
        CashFlowPlan,
        CostModel,
        CovarianceMethod,
        Estimates,
        Frequency,
        Objective,
        RebalanceRule,
        ReturnsMethod,
        Tier,
    )
    from roboadvisor.errors import RoboAdvisorError

EXPORTS: dict[str, str] = {
    "assess": "assessment", "Assessment": "assessment",
    "allocate": "allocation", "Allocation": "allocation", "estimates": "allocation",
    "frontier": "allocation", "Frontier": "allocation",
    "backtest": "backtesting", "BacktestResult": "backtesting",
    "check_prices": "prices", "project": "projection", "Projection": "projection",
    "Tier": "specs", "Objective": "specs", "RebalanceRule": "specs", "Bands": "specs",
    "Frequency": "specs", "CostModel": "specs", "CashFlowPlan": "specs",
    "ReturnsMethod": "specs", "CovarianceMethod": "specs", "Estimates": "specs",
    "RoboAdvisorError": "specs",
}
"""Public name -> the module of ``roboadvisor.api`` that defines it."""

__all__ = [
    "Allocation", "Assessment", "BacktestResult", "Bands", "CashFlowPlan", "CostModel",
    "CovarianceMethod", "Estimates", "Frequency", "Frontier", "Objective", "Projection",
    "RebalanceRule", "ReturnsMethod", "RoboAdvisorError", "Tier", "allocate", "assess",
    "backtest", "check_prices", "estimates", "frontier", "project",
]


def __getattr__(name: str) -> Any:
    """Load a public name's module on first use (PEP 562)."""
    module = EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'roboadvisor.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"roboadvisor.api.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
