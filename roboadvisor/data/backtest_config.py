"""Backtest configuration files (YAML, ``backtests/*.yaml``) -> ``BacktestConfig``.

Format (every field but one of ``tier``/``weights`` is optional)::

    name: Tier 3, quarterly rebalancing      # a label for tables (default: the file name)
    tier: 3                                  # 1..5 / C3 / balanced -- or explicit weights:
    # weights: {VTI: 0.6, AGG: 0.4}          #   ticker -> weight, summing to 1
    universe: default                        # or a universe file (relative to this file)
    targets: fixed                           # fixed | walk_forward
    walk_forward:                            # only with targets: walk_forward (tier needed)
      window: 252                            #   trading days of returns per estimate
      frequency: monthly                     #   how often targets are re-estimated
      returns: mean                          #   mean | ema | equilibrium
      covariance: ledoit_wolf                #   ledoit_wolf | shrunk_correlation |
                                             #   sample | exponential
      on_infeasible: least_risk              #   least_risk | keep (volatility ceiling
                                             #   out of reach: least-volatile admissible
                                             #   portfolio, or the previous targets)
    assumptions: default                     # capital market assumptions for fixed tier targets
    policies: default                        # tier policies file
    prices: null                             # a price CSV (relative to this file, else to the
                                             #   current directory); null: the local cache
    start: 2014-01-01                        # first day (initial purchase); null: earliest
    end: null                                # last day; null: latest
    rule: quarterly                          # see "Rules" below; or a mapping, e.g.
                                             #   {type: bands, absolute: 0.05, relative: 0.25}
    costs: {bps: 5, per_asset_bps: {VWO: 10}, fixed: 0}
    cash_flows: {initial: 100000, amount: 500, frequency: monthly}   # amount < 0 withdraws
    benchmark: auto                          # auto (the tier's iShares allocation ETF,
                                             #   left out with a warning when it has no
                                             #   prices), a ticker (its prices are then
                                             #   required), or none
    risk_free: 0.02                          # annual decimal, or a yield CSV (see below)
    whole_shares: false                      # true: an account in whole shares, rebalanced
                                             #   with the account trade lists; or a mapping
                                             #   {min_trade: 50, reserve: 0} (currency)

Rules (``rule:`` or ``--rule``): ``never`` (buy and hold); ``monthly``, ``quarterly``,
``semiannual``, ``annual`` (calendar); ``bands:5/25``, ``bands:abs=0.05``, ``bands:rel=0.25``,
``bands:abs=0.03,rel=0.2`` (threshold bands, the smaller applies); ``drift:0.05`` (half the sum
of absolute deviations above 5%); ``quarterly+bands:5/25`` (bands checked on calendar dates).

Risk-free yield CSV: a ``Date`` column and a yield column; a column named ``IRX...`` (Yahoo's
13-week T-bill yield) or any column whose name contains ``pct`` is in percent, otherwise a
single value column is an annual decimal.

Every error names the file and the field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from roboadvisor.data.numbers import number
from roboadvisor.data.yaml_io import load_mapping
from roboadvisor.domain.backtest import CashFlowPlan, CostModel
from roboadvisor.domain.limits import MAX_MONEY
from roboadvisor.domain.models import Tier
from roboadvisor.domain.rebalancing import Bands, Frequency, RebalanceRule, RuleKind
from roboadvisor.domain.trade_list import DEFAULT_MIN_TRADE, TradeRules
from roboadvisor.domain.walkforward import (
    CovarianceEstimator,
    OnInfeasible,
    ReturnsEstimator,
    WalkForwardSpec,
)
from roboadvisor.errors import ConfigError, reason, shown
from roboadvisor.errors import catalog_text as _msg

if TYPE_CHECKING:
    from roboadvisor.data.price_files import PriceInput

TIER_BENCHMARKS: dict[Tier, str] = {
    Tier.CONSERVATIVE: "AOK",             # iShares Core Conservative Allocation (~30% equity)
    Tier.MODERATELY_CONSERVATIVE: "AOK",  # no equity allowed; the most conservative fund
    Tier.BALANCED: "AOM",                 # Core Moderate Allocation (~40% equity) vs 40-55%
    Tier.GROWTH: "AOR",                   # Core Growth Allocation (~60% equity) vs 65-80%
    Tier.AGGRESSIVE: "AOA",               # Core Aggressive Allocation (~80% equity) vs 85-100%
}
"""Real-world benchmarks: the iShares Core allocation ETF closest to each tier's equity range."""

_FIELDS = ("name", "description", "tier", "weights", "universe", "targets", "walk_forward",
           "assumptions", "policies", "prices", "start", "end", "rule", "costs", "cash_flows",
           "benchmark", "risk_free", "whole_shares")


class TargetMode(StrEnum):
    """Fixed weights for the whole run, or re-optimised on a trailing window."""

    FIXED = "fixed"
    WALK_FORWARD = "walk_forward"


@dataclass(frozen=True)
class RiskFree:
    """The risk-free rate: a constant annual decimal, or a yield file (see module docstring)."""

    rate: float = 0.0
    path: Path | None = None

    def describe(self) -> str:
        return self.path.name if self.path is not None else f"{self.rate * 100:g}%"


@dataclass(frozen=True)
class BacktestConfig:
    """A backtest as configured (paths resolved). ``benchmark`` is a ticker or None;
    ``benchmark_auto`` says it was chosen by ``auto`` (best effort) rather than named."""

    name: str
    source: Path | None
    tier: Tier | None
    weights: tuple[tuple[str, float], ...] | None
    universe: Path | None
    targets: TargetMode
    walk_forward: WalkForwardSpec | None
    assumptions: Path | None
    policies: Path | None
    prices: PriceInput | None   # a file, or a table from memory validated as one
    start: dt.date | None
    end: dt.date | None
    rule: RebalanceRule
    costs: CostModel
    cash_flows: CashFlowPlan
    benchmark: str | None
    risk_free: RiskFree
    description: str = ""
    benchmark_auto: bool = False
    trade_rules: TradeRules | None = None   # whole_shares: the account's trading rules

    @property
    def where(self) -> str:
        return str(self.source) if self.source is not None else _msg(
            "zh_hardening.backtest_options")


def load_backtest_config(path: Path) -> BacktestConfig:
    """Read and check a backtest configuration file."""
    path = Path(path)
    data = load_mapping(path, ConfigError)
    unknown = sorted(set(map(str, data)) - set(_FIELDS))
    if unknown:
        raise ConfigError.from_catalog("files.unknown_fields", where=path,
                                       fields=", ".join(unknown), allowed=", ".join(_FIELDS))
    return _Parser(path, data).config()


def config_from_mapping(data: Mapping[str, Any], where: str = "backtest options",
                        name: str = "backtest") -> BacktestConfig:
    """A configuration from the fields of a file given as a mapping (the Python API's
    ``backtest``): the same parser, defaults and checks as a file; errors name ``where``
    and the field; relative paths are relative to the current directory."""
    unknown = sorted(set(map(str, data)) - set(_FIELDS))
    if unknown:
        raise ConfigError.from_catalog("files.unknown_fields", where=where,
                                       fields=", ".join(unknown), allowed=", ".join(_FIELDS))
    return _Parser(None, {"name": name, **data}, where).config()


class _Parser:
    def __init__(self, path: Path | None, data: dict[str, Any], where: str = "") -> None:
        self.path = path
        self.where = path if path is not None else where
        self.data = data
        self.base = path.resolve().parent if path is not None else None

    def fail(self, field: str, message: str) -> ConfigError:
        """"<path>: <field>: <problem>" from the catalog (the problem in the user's language
        when it is a catalog text)."""
        return ConfigError.from_catalog("files.field", path=self.where, field=field,
                                        problem=message)

    def config(self) -> BacktestConfig:
        d = self.data
        tier = self.tier()
        weights = self.weights()
        if (tier is None) == (weights is None):
            raise ConfigError.from_catalog("files.tier_or_weights", where=self.where)
        targets = self.enum("targets", TargetMode, TargetMode.FIXED)
        wf = None
        if targets is TargetMode.WALK_FORWARD:
            if tier is None:
                raise self.fail("targets", _msg("files.wf_needs_tier"))
            wf = self.walk_forward()
        elif d.get("walk_forward") is not None:
            raise self.fail("walk_forward", _msg("files.wf_only_with_targets"))
        start, end = self.date("start"), self.date("end")
        if start is not None and end is not None and start >= end:
            raise self.fail("end", _msg("files.end_not_after_start", end=end, start=start))
        benchmark = d.get("benchmark", "auto")
        auto = False
        if benchmark is None or str(benchmark).strip().lower() in ("none", "false", ""):
            bench = None
        elif str(benchmark).strip().lower() == "auto":
            bench = TIER_BENCHMARKS[tier] if tier is not None else None
            auto = True
        else:
            bench = str(benchmark).strip().upper()
        costs, flows = self.costs(), self.cash_flows()
        if 0 < flows.amount <= costs.fixed:
            raise self.fail("cash_flows.amount", _msg("files.contribution_below_cost",
                                                      amount=f"{flows.amount:g}",
                                                      fixed=f"{costs.fixed:g}"))
        return BacktestConfig(
            name=str(d.get("name") or getattr(self.path, "stem", "")), source=self.path,
            tier=tier,
            weights=weights, universe=self.optional_path("universe"), targets=targets,
            walk_forward=wf, assumptions=self.optional_path("assumptions"),
            policies=self.optional_path("policies"), prices=self.optional_path("prices"),
            start=start, end=end, rule=self.rule(), costs=costs, cash_flows=flows,
            benchmark=bench, risk_free=self.risk_free(),
            description=str(d.get("description") or ""), benchmark_auto=auto,
            trade_rules=self.whole_shares())

    # --- fields ----------------------------------------------------------------------------
    def tier(self) -> Tier | None:
        raw = self.data.get("tier")
        if raw is None:
            return None
        try:
            return Tier.parse(raw)
        except ValueError as exc:
            raise self.fail("tier", reason(exc)) from None

    def weights(self) -> tuple[tuple[str, float], ...] | None:
        raw = self.data.get("weights")
        if raw is None:
            return None
        if not isinstance(raw, dict) or not raw:
            raise self.fail("weights", _msg("files.weights_mapping"))
        out: dict[str, float] = {}
        for key, value in raw.items():
            ticker = str(key).strip().upper()
            w = _number(value, lambda m, t=ticker: self.fail(f"weights.{t}", m), 0.0, 1.0)
            if ticker in out:
                raise self.fail(f"weights.{ticker}", _msg("files.appears_twice"))
            out[ticker] = w
        total = sum(out.values())
        if abs(total - 1.0) > 1e-6:
            raise self.fail("weights", _msg("files.weights_sum", total=f"{total:.6g}"))
        return tuple(out.items())

    def walk_forward(self) -> WalkForwardSpec:
        raw = self.data.get("walk_forward") or {}
        if not isinstance(raw, dict):
            raise self.fail("walk_forward", _msg("files.wf_mapping"))
        allowed = {"window", "frequency", "returns", "covariance", "on_infeasible"}
        unknown = sorted(set(map(str, raw)) - allowed)
        if unknown:
            raise self.fail("walk_forward", _unknown(unknown, sorted(allowed)))
        window = raw.get("window", 252)
        if isinstance(window, bool) or not isinstance(window, int) or window < 20:
            raise self.fail("walk_forward.window", _msg("files.wf_window", value=shown(window)))
        try:
            freq = Frequency.parse(raw.get("frequency", "monthly"))
        except ValueError as exc:
            raise self.fail("walk_forward.frequency", reason(exc)) from None
        returns = self.enum("returns", ReturnsEstimator, ReturnsEstimator.MEAN, raw,
                            "walk_forward.returns")
        cov = self.enum("covariance", CovarianceEstimator, CovarianceEstimator.LEDOIT_WOLF,
                        raw, "walk_forward.covariance")
        on_infeasible = self.enum("on_infeasible", OnInfeasible, OnInfeasible.LEAST_RISK, raw,
                                  "walk_forward.on_infeasible")
        return WalkForwardSpec(window=window, frequency=freq, returns=returns, covariance=cov,
                               on_infeasible=on_infeasible)

    def enum(self, key: str, kind: Any, default: Any, data: dict[str, Any] | None = None,
             label: str | None = None) -> Any:
        raw = (self.data if data is None else data).get(key)
        if raw is None:
            return default
        try:
            return kind(str(raw).strip().lower().replace("-", "_"))
        except ValueError:
            raise self.fail(label or key, _msg("files.problem_not_one_of", value=shown(raw),
                                               choices=", ".join(m.value for m in kind))
                            ) from None

    def date(self, key: str) -> dt.date | None:
        raw = self.data.get(key)
        try:
            return parse_date(raw)
        except ValueError as exc:
            raise self.fail(key, reason(exc)) from None

    def optional_path(self, key: str) -> Path | None:
        raw = self.data.get(key)
        if raw is None or str(raw).strip().lower() in ("default", "cache", ""):
            return None
        return resolve_path(str(raw), self.base, lambda m: self.fail(key, m))

    def rule(self) -> RebalanceRule:
        raw = self.data.get("rule", "quarterly")
        try:
            if isinstance(raw, dict):
                return rule_from_mapping(raw)
            return parse_rule(str(raw))
        except ValueError as exc:
            raise self.fail("rule", reason(exc)) from None

    def costs(self) -> CostModel:
        raw = self.data.get("costs") or {}
        if not isinstance(raw, dict):
            raise self.fail("costs", _msg("files.costs_mapping"))
        unknown = sorted(set(map(str, raw)) - {"bps", "per_asset_bps", "fixed"})
        if unknown:
            raise self.fail("costs", _unknown(unknown, ["bps", "per_asset_bps", "fixed"]))
        bps = _number(raw.get("bps", 0.0), lambda m: self.fail("costs.bps", m), 0.0,
                      CostModel.MAX_BPS)
        fixed = _number(raw.get("fixed", 0.0), lambda m: self.fail("costs.fixed", m), 0.0,
                        CostModel.MAX_FIXED)
        per = raw.get("per_asset_bps") or {}
        if not isinstance(per, dict):
            raise self.fail("costs.per_asset_bps", _msg("files.per_asset_mapping"))
        overrides = tuple(
            (str(t).strip().upper(),
             _number(v, lambda m, t=t: self.fail(f"costs.per_asset_bps.{t}", m), 0.0,
                     CostModel.MAX_BPS))
            for t, v in per.items())
        return CostModel(bps=bps, per_asset_bps=overrides, fixed=fixed)

    def whole_shares(self) -> TradeRules | None:
        raw = self.data.get("whole_shares", False)
        if raw is None or raw is False:
            return None
        if raw is True:
            return TradeRules()
        if not isinstance(raw, dict):
            raise self.fail("whole_shares", _msg("files.whole_shares_shape", value=shown(raw)))
        unknown = sorted(set(map(str, raw)) - {"min_trade", "reserve"})
        if unknown:
            raise self.fail("whole_shares", _unknown(unknown, ["min_trade", "reserve"]))
        min_trade = _number(raw.get("min_trade", DEFAULT_MIN_TRADE),
                            lambda m: self.fail("whole_shares.min_trade", m), 0.0, 1e9)
        reserve = _number(raw.get("reserve", 0.0),
                          lambda m: self.fail("whole_shares.reserve", m), 0.0, 1e12)
        return TradeRules(reserve=reserve, min_trade=min_trade)

    def cash_flows(self) -> CashFlowPlan:
        raw = self.data.get("cash_flows") or {}
        if not isinstance(raw, dict):
            raise self.fail("cash_flows", _msg("files.cash_flows_mapping"))
        unknown = sorted(set(map(str, raw)) - {"initial", "amount", "frequency"})
        if unknown:
            raise self.fail("cash_flows", _unknown(unknown, ["initial", "amount", "frequency"]))
        initial = _number(raw.get("initial", 100_000.0),
                          lambda m: self.fail("cash_flows.initial", m), 1e-6,
                          float(MAX_MONEY))
        amount = _number(raw.get("amount", 0.0), lambda m: self.fail("cash_flows.amount", m),
                         -float(MAX_MONEY), float(MAX_MONEY))
        freq = None
        if raw.get("frequency") is not None:
            try:
                freq = Frequency.parse(raw["frequency"])
            except ValueError as exc:
                raise self.fail("cash_flows.frequency", reason(exc)) from None
        if amount != 0 and freq is None:
            raise self.fail("cash_flows.frequency", _msg("files.amount_needs_frequency"))
        return CashFlowPlan(initial=initial, amount=amount, frequency=freq)

    def risk_free(self) -> RiskFree:
        raw = self.data.get("risk_free", 0.0)
        try:
            return parse_risk_free(raw, self.base)
        except ValueError as exc:
            raise self.fail("risk_free", reason(exc)) from None


# --- shared parsers (the CLI's overrides use them too) ---------------------------------------
def parse_date(raw: Any) -> dt.date | None:
    """A date from YAML (already a date) or text YYYY-MM-DD; None stays None."""
    if raw is None:
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise ValueError(_msg("zh_hardening.not_a_date", value=shown(raw))) from None


def resolve_path(text: str, base: Path | None, fail: Any) -> Path:
    """``text`` relative to ``base`` (a config file's folder) when it exists there, else to the
    current directory; ``fail(message)`` makes the error when neither exists."""
    raw = Path(text).expanduser()
    if raw.is_absolute():
        if raw.exists():
            return raw
        raise fail(_msg("files.does_not_exist", path=raw))
    candidates = ([base / raw] if base is not None else []) + [Path.cwd() / raw]
    for c in candidates:
        if c.exists():
            return c
    tried = " or ".join(str(c) for c in candidates)
    raise fail(_msg("files.not_found_looked", path=text, tried=tried))


_DRIFT, _ABS, _REL = ("zh_hardening.drift_limit", "zh_hardening.absolute_band",
                      "zh_hardening.relative_band")  # catalog names of the rule's fields
_FREQ_WORDS = {f.value for f in Frequency} | {"semi_annual", "semi-annual", "yearly",
                                             "annually"}


def parse_rule(text: str) -> RebalanceRule:
    """A rule from its short form (see the module docstring). Raises ValueError."""
    spec = text.strip().lower().replace(" ", "")
    if spec in ("never", "none", "buy_and_hold", "buy-and-hold", "buyandhold", "hold"):
        return RebalanceRule.never()
    if "+" in spec:
        cal, _, band = spec.partition("+")
        freq = _frequency(cal.removeprefix("calendar:"))
        return RebalanceRule.calendar_bands(freq, _bands(band.removeprefix("bands:")))
    if spec.startswith("calendar:"):
        return RebalanceRule.calendar(_frequency(spec.removeprefix("calendar:")))
    if spec in _FREQ_WORDS:
        return RebalanceRule.calendar(_frequency(spec))
    if spec.startswith("bands:") or spec == "5/25":
        return RebalanceRule.threshold(_bands(spec.removeprefix("bands:")))
    if spec.startswith("drift:"):
        return RebalanceRule.drift(_fraction(spec.removeprefix("drift:"), _DRIFT))
    raise ValueError(_msg("zh_hardening.unknown_rule", value=shown(text)))


def rule_from_mapping(raw: dict[str, Any]) -> RebalanceRule:
    """A rule from ``{type: ..., frequency, absolute, relative, limit}``. Raises ValueError."""
    kind_text = str(raw.get("type", "")).strip().lower().replace("-", "_")
    aliases = {"buy_and_hold": "never", "threshold": "bands", "calendar+bands": "calendar_bands",
               "hybrid": "calendar_bands"}
    try:
        kind = RuleKind(aliases.get(kind_text, kind_text))
    except ValueError:
        raise ValueError(_msg("files.problem_not_one_of", value=shown(raw.get("type")),
                              choices=", ".join(k.value for k in RuleKind))) from None
    allowed = {"type", "frequency", "absolute", "relative", "limit", "preset"}
    unknown = sorted(set(map(str, raw)) - allowed)
    if unknown:
        raise ValueError(_unknown(unknown, sorted(allowed)))
    freq = _frequency(str(raw["frequency"])) if raw.get("frequency") is not None else None
    bands = None
    if kind in (RuleKind.BANDS, RuleKind.CALENDAR_BANDS):
        if str(raw.get("preset", "")).strip() == "5/25":
            bands = Bands.five_twenty_five()
        else:
            absolute = raw.get("absolute")
            relative = raw.get("relative")
            if absolute is None and relative is None:
                raise ValueError(_msg("zh_hardening.bands_need_fields"))
            bands = Bands(
                absolute=None if absolute is None else _fraction(absolute, _ABS),
                relative=None if relative is None else _fraction(relative, _REL))
    limit = _fraction(raw["limit"], _DRIFT) if raw.get("limit") is not None else None
    if kind in (RuleKind.CALENDAR, RuleKind.CALENDAR_BANDS) and freq is None:
        raise ValueError(_msg("zh_hardening.rule_needs_frequency", kind=kind.value))
    if kind is RuleKind.DRIFT and limit is None:
        raise ValueError(_msg("zh_hardening.drift_needs_limit"))
    return RebalanceRule(kind, frequency=freq if kind in (RuleKind.CALENDAR,
                                                          RuleKind.CALENDAR_BANDS) else None,
                         bands=bands, drift_limit=limit if kind is RuleKind.DRIFT else None)


def _frequency(text: str) -> Frequency:
    return Frequency.parse(text)


def _fraction(value: Any, what: str) -> float:
    """``value`` as a decimal in (0, 1); ``what`` is a catalog key naming the field."""
    try:
        x = float(str(value).strip().rstrip("%")) / (100 if str(value).strip().endswith("%")
                                                     else 1)
    except ValueError:
        raise ValueError(_msg("zh_hardening.what_not_a_number", what=_msg(what),
                              value=shown(value))) from None
    if not 0 < x < 1:
        raise ValueError(_msg("zh_hardening.what_fraction", what=_msg(what), value=shown(value)))
    return x


def _bands(text: str) -> Bands:
    if text in ("5/25", "525"):
        return Bands.five_twenty_five()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)", text)
    if m:  # "a/r" in percent, like 5/25
        return Bands(absolute=float(m.group(1)) / 100, relative=float(m.group(2)) / 100)
    absolute = relative = None
    for part in filter(None, text.split(",")):
        key, _, value = part.partition("=")
        if key in ("abs", "absolute"):
            absolute = _fraction(value, _ABS)
        elif key in ("rel", "relative"):
            relative = _fraction(value, _REL)
        else:
            raise ValueError(_msg("zh_hardening.unknown_band", value=shown(part)))
    if absolute is None and relative is None:
        raise ValueError(_msg("zh_hardening.bands_need_values"))
    return Bands(absolute=absolute, relative=relative)


def parse_risk_free(raw: Any, base: Path | None) -> RiskFree:
    """A constant annual rate (number, or text like '0.02' / '2%') or a yield file path."""
    if raw is None:
        return RiskFree()
    if isinstance(raw, bool):
        raise ValueError(_msg("zh_hardening.not_rate_nor_file", value=shown(raw)))
    if isinstance(raw, int | float):
        return RiskFree(rate=_rate(float(raw)))
    text = str(raw).strip()
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        return RiskFree(path=resolve_path(text, base, ValueError))
    return RiskFree(rate=_rate(value))


def _rate(value: float) -> float:
    if not -0.05 <= value <= 0.5:
        raise ValueError(_msg("zh_hardening.rf_rate_range", value=value))
    return value


def with_overrides(config: BacktestConfig, **changes: Any) -> BacktestConfig:
    """A copy with the given fields replaced (command-line options win over the file);
    ``None`` values are ignored."""
    kept = {k: v for k, v in changes.items() if v is not None}
    if "start" in kept or "end" in kept:
        start = kept.get("start", config.start)
        end = kept.get("end", config.end)
        if start is not None and end is not None and start >= end:
            raise ConfigError.from_catalog("files.field", path=config.where, field="end",
                                           problem=_msg("files.end_not_after_start", end=end,
                                                        start=start))
    return dataclasses.replace(config, **kept)


RISK_FREE_RANGE = (-0.05, 0.30)
"""Plausible annual risk-free yields as decimals; a value outside is a bad file, not a market."""
_RF_MISSING = {"", ".", "NA", "N/A", "#N/A", "NaN", "nan", "null"}


def load_risk_free_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(dates as datetime64[D], annual decimal rates) from a yield CSV.

    Dates must be ISO; an empty cell (or FRED's ".") is a missing yield and skipped; a cell with
    other text and a yield outside ``RISK_FREE_RANGE`` are refused, naming the first bad line.
    """
    import pandas as pd

    from roboadvisor.domain.price_checks import parse_dates

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ConfigError.from_catalog("rates.not_found", path=path) from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise ConfigError.from_catalog("rates.unreadable", path=path,
                                       reason=shown(str(exc), 120)) from None
    cols = {str(c).strip().lower(): c for c in frame.columns}
    date_col = cols.get("date")
    if date_col is None:
        raise ConfigError.from_catalog("rates.no_date", path=path)
    values = [c for c in frame.columns if c != date_col]
    irx = [c for c in values if str(c).strip().upper().startswith("IRX")]
    if irx:
        col, scale = irx[0], 0.01
    elif len(values) == 1:
        col = values[0]
        scale = 0.01 if "pct" in str(col).lower() or "%" in str(col) else 1.0
    else:
        raise ConfigError.from_catalog("rates.which_column", path=path,
                                       found=shown(", ".join(map(str, values))))
    name = str(col).strip()[:40]
    text = frame[col].str.strip()
    missing = text.isin(_RF_MISSING)
    rates = pd.to_numeric(text.where(~missing), errors="coerce")
    bad_text = np.flatnonzero((~missing & rates.isna()).to_numpy())
    if bad_text.size:
        i = int(bad_text[0])
        raise ConfigError.from_catalog("data.at_line", path=path, line=i + 2,
                                       problem=_msg("rates.not_a_number",
                                                    value=shown(text.iloc[i]), column=name,
                                                    count=bad_text.size))
    dates, issues = parse_dates(frame[date_col])
    if issues:
        raise ConfigError.from_catalog("data.at_line", path=path, line=(issues[0].row or 0) + 2,
                                       problem=issues[0].message)
    ok = rates.notna().to_numpy()
    if not ok.any():
        raise ConfigError.from_catalog("rates.no_rows", path=path, column=name)
    if float(np.median(np.abs(rates[ok].to_numpy(dtype=float) * scale))) > 0.5:
        # A yield column in percent read as decimals would make cash earn 100x too much.
        raise ConfigError.from_catalog(
            "rates.percent_as_decimal", path=path, column=name,
            median=f"{np.median(rates[ok].to_numpy(dtype=float) * scale):.2f}")
    scaled = rates.to_numpy(dtype=float) * scale
    lo, hi = RISK_FREE_RANGE
    out = np.flatnonzero(ok & ((scaled < lo) | (scaled > hi)))
    if out.size:
        i = int(out[0])
        raise ConfigError.from_catalog("data.at_line", path=path, line=i + 2,
                                       problem=_msg("rates.implausible",
                                                    value=f"{scaled[i]:.2%}",
                                                    day=dates[i].date(), lo=f"{lo:.0%}",
                                                    hi=f"{hi:.0%}", count=out.size))
    d_all = dates.to_numpy(dtype="datetime64[ns]")[ok]
    order = np.argsort(d_all, kind="stable")
    return d_all.astype("datetime64[D]")[order], scaled[ok][order]


def _unknown(unknown: list[str], allowed: list[str]) -> str:
    """ "unknown field(s) a, b; allowed: c, d" as a catalog text."""
    return _msg("files.problem_unknown_fields", fields=", ".join(unknown),
                allowed=", ".join(allowed))


def _number(value: Any, fail: Any, lo: float, hi: float) -> float:
    try:
        return number(value, "", ValueError, lo, hi)
    except ValueError as exc:
        raise fail(exc.args[0]) from None  # fail() adds the file and the field
