"""The typed specifications the API takes and returns: Enums and frozen dataclasses of the
domain, re-exported under one roof (rules, costs, cash flows, objectives, estimates)."""

from roboadvisor.domain.backtest import CashFlowPlan
from roboadvisor.domain.estimates import CovarianceMethod, ReturnsMethod
from roboadvisor.domain.models import Estimates, Tier
from roboadvisor.domain.policy import Objective
from roboadvisor.domain.rebalancing import Bands, Frequency, RebalanceRule
from roboadvisor.domain.trading import CostModel
from roboadvisor.errors import RoboAdvisorError

__all__ = ["Bands", "CashFlowPlan", "CostModel", "CovarianceMethod", "Estimates", "Frequency",
           "Objective", "RebalanceRule", "ReturnsMethod", "RoboAdvisorError", "Tier"]
