"""``ra.backtest``: a strategy rebalanced under a rule over daily prices."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd

from roboadvisor.api.prices import PricesLike, price_input
from roboadvisor.data.backtest_config import BacktestConfig, config_from_mapping, with_overrides
from roboadvisor.domain.backtest import CashFlowPlan
from roboadvisor.domain.models import Tier
from roboadvisor.domain.rebalancing import RebalanceRule
from roboadvisor.domain.trading import CostModel
from roboadvisor.services import backtest as service
from roboadvisor.services.backtest import BacktestRun, ProgressFactory

if TYPE_CHECKING:
    from roboadvisor.api.allocation import Allocation

__all__ = ["BacktestResult", "backtest"]

Strategy: TypeAlias = ("Tier | int | str | Mapping[str, float] | pd.Series | Allocation | "
                       "os.PathLike[str] | BacktestConfig")
"""A tier (1..5, ``"C3"``, ``"balanced"``), target weights by ticker, an allocation (its
``holdings``), a backtest configuration file (a ``pathlib.Path``) or a ``BacktestConfig``."""


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """One finished backtest. ``run`` is the full service result (what the command line
    renders); the properties are pandas views of it."""

    run: BacktestRun = field(repr=False)

    @property
    def name(self) -> str:
        return self.run.config.name

    @property
    def equity(self) -> pd.Series:
        """Portfolio value at each close (currency), indexed by date."""
        res = self.run.result
        return pd.Series(res.values, index=_dates(res.dates), name=self.name, dtype=float)

    @property
    def weights(self) -> pd.DataFrame:
        """Each asset's share of the portfolio at each close, shape (days, assets): the
        weights drift with prices between trades (whole-share runs: the rest is cash)."""
        res, prices = self.run.result, self.run.prices
        index = _dates(res.dates)
        if prices is None:
            return pd.DataFrame(np.nan, index=index, columns=list(res.tickers))
        units = np.zeros_like(prices)
        days = np.asarray(res.event_days, dtype=int)
        np.add.at(units, days, np.asarray(res.event_trades) / prices[days])
        units = np.cumsum(units, axis=0)
        if res.depleted_day is not None:
            units[res.depleted_day:] = 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = prices * units / res.values[:, None]
        return pd.DataFrame(shares, index=index, columns=list(res.tickers))

    @property
    def trades(self) -> pd.DataFrame:
        """One row per asset traded: ``date``, ``event`` (initial, rebalance, flow),
        ``ticker``, ``value`` (currency, buy > 0) and ``cost``."""
        return service.trades_frame(self.run)

    @property
    def metrics(self) -> Mapping[str, Any]:
        """Every reported figure (read-only): ``cagr``, ``volatility``, ``sharpe``,
        ``max_drawdown``, ``final_value``, ``turnover``, ``benchmark``, ... (decimals,
        annualised; the ``summary`` of ``backtest run --json``)."""
        return MappingProxyType(dataclasses.asdict(self.run.summary))

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.run.warnings

    def compare(self, *others: BacktestResult) -> pd.DataFrame:
        """The headline figures of this run and ``others`` side by side (one column each).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> import roboadvisor as ra
        >>> days = pd.bdate_range("2020-01-01", periods=300, name="Date")
        >>> steps = np.random.default_rng(1).normal(0.0003, 0.01, (300, 2))
        >>> table = pd.DataFrame(100 * np.exp(steps.cumsum(axis=0)), index=days,
        ...                      columns=["VTI", "AGG"])
        >>> mix = {"VTI": 0.6, "AGG": 0.4}
        >>> monthly = ra.backtest(mix, table, rule="monthly", name="monthly")
        >>> held = ra.backtest(mix, table, rule="never", name="held")
        >>> monthly.compare(held).columns.tolist()
        ['monthly', 'held']
        """
        runs = (self, *others)
        rows = ("final_value", "total_return", "cagr", "volatility", "sharpe", "sortino",
                "max_drawdown", "turnover", "rebalances", "total_costs")
        return pd.DataFrame({r.name: [r.metrics[k] for k in rows] for r in runs},
                            index=pd.Index(rows, name="metric"))

    def __repr__(self) -> str:
        m = self.metrics
        return (f"BacktestResult({self.name!r}, {m['start']}..{m['end']}, "
                f"final_value={m['final_value']:,.2f}, cagr={m['cagr']:.4f})")


def _dates(days: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(days.astype("datetime64[ns]"), name="date")


def backtest(strategy: Strategy, prices: PricesLike | None = None, *,
             rule: RebalanceRule | str | None = None, costs: CostModel | float | None = None,
             cash_flows: CashFlowPlan | float | None = None,
             start: date | str | None = None, end: date | str | None = None,
             benchmark: str | None = None, risk_free: float | str | None = None,
             suitability: str | None = None, name: str | None = None,
             cache_dir: str | os.PathLike[str] | None = None,
             progress: ProgressFactory | None = None) -> BacktestResult:
    """Simulate a strategy day by day, rebalanced under a rule, with costs and cash flows.

    Parameters
    ----------
    strategy : Tier, int, str, Mapping, pandas.Series, Allocation, Path or BacktestConfig
        A tier (its allocation on the shipped assumptions, as ``ra.allocate(tier)``),
        target weights by ticker (sum 1), an ``Allocation`` (its ``holdings``), or a backtest
        configuration file (``pathlib.Path``, see ``backtests/*.yaml``) whose fields the
        other arguments override.
    prices : pandas.DataFrame or path, optional
        Daily adjusted closes, shape (days, tickers), validated as a price file; default
        the file's ``prices`` or the local price cache.
    rule : RebalanceRule or str, optional
        ``"never"``, ``"monthly"``, ``"quarterly"`` (default), ``"semiannual"``,
        ``"annual"``, ``"bands:5/25"``, ``"drift:0.05"``, ``"quarterly+bands:5/25"``.
    costs : CostModel or float, optional
        Trading costs; a number is basis points of traded value (5 = 0.05%). Default 0.
    cash_flows : CashFlowPlan or float, optional
        Initial capital and periodic flows; a number is the initial capital. Default
        100,000, no flows.
    start, end : date or "YYYY-MM-DD", optional
        First day (the initial purchase) and last day.
    benchmark : str, optional
        A ticker, ``"auto"`` (the tier's iShares allocation ETF; the default) or
        ``"none"``.
    risk_free : float or str, optional
        Annual decimal for Sharpe/Sortino, or a yield CSV's path. Default 0.
    suitability : {"portfolio", "holdings"}, optional
        Overrides the policies' suitability mode (tier strategies).
    name : str, optional
        A label for tables and ``compare``.
    cache_dir : path, optional
        Price cache directory (without ``prices``).
    progress : callable, optional
        ``progress(description, total)`` -> context manager yielding ``advance()``.

    Returns
    -------
    BacktestResult
        ``.equity`` (Series, currency), ``.weights`` (DataFrame, days x assets),
        ``.trades`` (DataFrame), ``.metrics`` (mapping), ``.compare(other)``.

    Raises
    ------
    roboadvisor.errors.RoboAdvisorError
        ``ConfigError`` for a bad field (named), ``DataQualityError``/``CoverageError`` for
        prices; never ``SystemExit``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import roboadvisor as ra
    >>> days = pd.bdate_range("2020-01-01", periods=300, name="Date")
    >>> steps = np.random.default_rng(1).normal(0.0003, 0.01, (300, 2))
    >>> table = pd.DataFrame(100 * np.exp(steps.cumsum(axis=0)), index=days,
    ...                      columns=["VTI", "AGG"])
    >>> result = ra.backtest({"VTI": 0.6, "AGG": 0.4}, table, rule="quarterly", costs=5)
    >>> round(result.equity.iloc[0])  # 100,000 less about 5 bp on the purchase
    99950
    >>> result.weights.iloc[0].round(4).to_dict()  # drifting from there
    {'VTI': 0.6, 'AGG': 0.4}
    >>> bool(np.allclose(result.weights.sum(axis=1), 1.0))
    True
    """
    config = _config(strategy, prices, rule, costs, cash_flows, start, end, benchmark,
                     risk_free, name)
    run = service.run_backtest(config, cache_dir=None if cache_dir is None else Path(cache_dir),
                               progress=progress, suitability=suitability)
    return BacktestResult(run)


def _config(strategy: Strategy, prices: PricesLike | None, rule: RebalanceRule | str | None,
            costs: CostModel | float | None, cash_flows: CashFlowPlan | float | None,
            start: date | str | None, end: date | str | None, benchmark: str | None,
            risk_free: float | str | None, name: str | None) -> BacktestConfig:
    """The configuration: a file's (with overrides, as ``backtest run`` applies them) or one
    built from the arguments by the configuration files' own parser."""
    source = price_input(prices)
    typed: dict[str, Any] = {"rule": rule if isinstance(rule, RebalanceRule) else None,
                             "costs": costs if isinstance(costs, CostModel) else None,
                             "cash_flows": (cash_flows if isinstance(cash_flows, CashFlowPlan)
                                            else None)}
    text_rule = rule if isinstance(rule, str) else None
    if isinstance(strategy, BacktestConfig | os.PathLike):
        if isinstance(strategy, BacktestConfig):
            config = strategy
        else:
            config = service.configure(
                Path(strategy), prices=source if isinstance(source, Path) else None,
                start=start, end=end, rule=text_rule,
                risk_free=None if risk_free is None else str(risk_free), benchmark=benchmark)
        numbers = _money_fields(costs, cash_flows)
        if numbers:  # numbers for costs or cash flows: parsed as the file's fields are
            parsed = config_from_mapping({"weights": {"X": 1.0}, **numbers})
            typed.update({k: getattr(parsed, k) for k in numbers})
    else:
        config = config_from_mapping(
            {**_targets(strategy),
             **_money_fields(costs, cash_flows),
             **{k: v for k, v in {"rule": text_rule, "start": start, "end": end,
                                  "benchmark": benchmark, "risk_free": risk_free}.items()
                if v is not None}},
            name=name or _name(strategy))
    prices_override = source if source is not None and not isinstance(source, Path) else None
    config = with_overrides(config, prices=prices_override, **typed)
    if name is not None:
        config = dataclasses.replace(config, name=name)
    return config


def _targets(strategy: Strategy) -> dict[str, Any]:
    from roboadvisor.api.allocation import Allocation

    if isinstance(strategy, Allocation):
        strategy = strategy.holdings
    if isinstance(strategy, Mapping | pd.Series):
        return {"weights": {str(t): float(w) for t, w in strategy.items() if float(w) != 0}}
    return {"tier": int(strategy) if isinstance(strategy, Tier) else strategy}


def _name(strategy: Strategy) -> str:
    from roboadvisor.api.allocation import Allocation

    if isinstance(strategy, Allocation):
        return f"tier {int(strategy.tier)} allocation"
    if isinstance(strategy, Mapping | pd.Series):
        return "weights"
    return f"tier {strategy}" if not isinstance(strategy, Tier) else f"tier {int(strategy)}"


def _money_fields(costs: CostModel | float | None,
                  cash_flows: CashFlowPlan | float | None) -> dict[str, Any]:
    """Costs and cash flows given as numbers, as a configuration file's fields (basis
    points; initial capital)."""
    fields: dict[str, Any] = {}
    if costs is not None and not isinstance(costs, CostModel):
        fields["costs"] = {"bps": costs}
    if cash_flows is not None and not isinstance(cash_flows, CashFlowPlan):
        fields["cash_flows"] = {"initial": cash_flows}
    return fields
