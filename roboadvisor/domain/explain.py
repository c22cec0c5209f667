"""Why a portfolio looks the way it does: risk contributions, binding constraints, a summary.

Pure: numbers in, numbers and text out. The risk contribution of asset i is
``w_i (Σw)_i / w'Σw`` (Euler allocation of the variance), so contributions sum to 1; a group's
contribution is the sum over its members. A constraint is *binding* when the solution sits on
it (within ``tol``): an asset at its maximum or at a positive minimum, an asset class or region
at a bound that restricts (a minimum above 0 or a maximum below 1), the volatility ceiling
reached, or an asset excluded because its product risk level exceeds the tier's.

An asset the optimiser removed for being under the policy's ``min_position`` sits at 0 with its
own bounds untouched (pass the policy's ``portfolio_constraints``, not the optimiser's reduced
ones), so it is not reported as binding; the summary states the rule instead ("positions under
1% are not held").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from roboadvisor.domain.constraints import PortfolioConstraints
from roboadvisor.domain.models import Allocation, Universe
from roboadvisor.domain.policy import Objective, Policy
from roboadvisor.domain.projection import BadYear, ReturnModel, bad_year_normal

BIND_TOL = 1e-4
"""Weights within this distance of a bound count as sitting on it (0.01 percentage points)."""

CONTRAST_MARGIN = 0.05
"""The summary says a class is "x% of the money *but* y% of the risk" only when its risk share
exceeds its money share by at least this (5 percentage points); otherwise it states both."""



class ConstraintKind(StrEnum):
    """Which kind of limit shapes the portfolio."""

    ASSET_MAX = "asset_max"
    ASSET_MIN = "asset_min"
    CLASS_MAX = "class_max"
    CLASS_MIN = "class_min"
    REGION_MAX = "region_max"
    REGION_MIN = "region_min"
    VOLATILITY_TARGET = "volatility_target"
    SUITABILITY = "suitability"
    STRESS_LOSS = "stress_loss"


@dataclass(frozen=True)
class BindingConstraint:
    """A limit the portfolio sits on. ``value`` is the portfolio's figure, ``limit`` the bound
    (weights or volatility as decimals; for SUITABILITY the asset's risk level and the tier's
    maximum). ``text`` says it in words."""

    kind: ConstraintKind
    name: str
    value: float
    limit: float
    text: str


@dataclass(frozen=True)
class Contribution:
    """A share of the portfolio's money (``weight``) and of its variance (``risk``)."""

    name: str
    weight: float
    risk: float


@dataclass(frozen=True)
class Explanation:
    """Risk contributions by asset and by asset class, the binding constraints, a summary."""

    assets: tuple[Contribution, ...]
    classes: tuple[Contribution, ...]
    regions: tuple[Contribution, ...]
    binding: tuple[BindingConstraint, ...]
    summary: str


def risk_contributions(weights: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """Each asset's share of the portfolio variance, w_i (Σw)_i / w'Σw; sums to 1.

    Raises ValueError for a portfolio without risk (w'Σw = 0), where shares are undefined.
    """
    w = np.asarray(weights, dtype=float)
    marginal = np.asarray(covariance, dtype=float) @ w
    variance = float(w @ marginal)
    if variance <= 0:
        raise ValueError("the portfolio has no variance, so risk contributions are undefined")
    return w * marginal / variance


def group_sums(values: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    """Sum ``values`` by label, labels in order of first appearance."""
    result: dict[str, float] = {}
    for label, v in zip(labels, values, strict=True):
        result[label] = result.get(label, 0.0) + float(v)
    return result


def binding_constraints(allocation: Allocation, universe: Universe, policy: Policy,
                        constraints: PortfolioConstraints,
                        tol: float = BIND_TOL) -> tuple[BindingConstraint, ...]:
    """The limits the allocation sits on, in the order: volatility, classes, regions, assets,
    suitability exclusions."""
    w = np.asarray(allocation.weights, dtype=float)
    found: list[BindingConstraint] = []
    if (policy.objective is Objective.TARGET_VOLATILITY and policy.target_volatility
            and allocation.volatility >= policy.target_volatility - tol):
        found.append(BindingConstraint(
            ConstraintKind.VOLATILITY_TARGET, "volatility", allocation.volatility,
            policy.target_volatility,
            f"volatility at its ceiling of {_pct(policy.target_volatility)}"))
    for limit in constraints.loss_limits:   # portfolio suitability: a scenario's loss
        loss = -float(np.dot(limit.shocks, w))
        if loss >= limit.max_loss - tol:
            found.append(BindingConstraint(
                ConstraintKind.STRESS_LOSS, limit.name, loss, limit.max_loss,
                f"loss in scenario {limit.name} at its limit of {_pct(limit.max_loss)}"))
    for g in constraints.groups:
        total = float(w[np.array(g.members)].sum())
        name = g.label.replace("_", " ")
        if g.lower > tol and total <= g.lower + tol:
            kind = ConstraintKind.CLASS_MIN if g.kind == "class" else ConstraintKind.REGION_MIN
            found.append(BindingConstraint(kind, g.label, total, g.lower,
                                           f"{name} at its minimum of {_pct(g.lower)}"))
        if g.upper < 1 - tol and total >= g.upper - tol:
            kind = ConstraintKind.CLASS_MAX if g.kind == "class" else ConstraintKind.REGION_MAX
            found.append(BindingConstraint(kind, g.label, total, g.upper,
                                           f"{name} at its maximum of {_pct(g.upper)}"))
    excluded = set(constraints.excluded)
    for i, asset in enumerate(universe):
        if asset.ticker in excluded:
            continue
        lo, hi = float(constraints.lower[i]), float(constraints.upper[i])
        if hi < 1 - tol and w[i] >= hi - tol:
            found.append(BindingConstraint(ConstraintKind.ASSET_MAX, asset.ticker, float(w[i]),
                                           hi, f"{asset.ticker} at its maximum of {_pct(hi)}"))
        elif lo > tol and w[i] <= lo + tol:
            found.append(BindingConstraint(ConstraintKind.ASSET_MIN, asset.ticker, float(w[i]),
                                           lo, f"{asset.ticker} at its minimum of {_pct(lo)}"))
    for asset in universe:
        if asset.ticker in excluded:
            found.append(BindingConstraint(
                ConstraintKind.SUITABILITY, asset.ticker, float(asset.risk_level),
                float(policy.max_product_risk),
                f"{asset.ticker} excluded: product risk R{asset.risk_level} is above the "
                f"R{policy.max_product_risk} limit"))
    return tuple(found)


def explain_allocation(allocation: Allocation, covariance: np.ndarray, universe: Universe,
                       policy: Policy, constraints: PortfolioConstraints,
                       tol: float = BIND_TOL, lang: str = "en",
                       tier_label: str | None = None,
                       bad_year: BadYear | None = None) -> Explanation:
    """Risk contributions, binding constraints and the plain-language summary of a portfolio.

    ``covariance`` is the one the allocation was optimised with, in universe order. ``lang``
    "en" or "zh" picks the summary's language; ``tier_label`` names the tier in it (default:
    the English label). ``bad_year`` is the projection engine's 5th percentile of one-year
    returns (default: its normal model on the allocation's expected return and volatility).
    """
    w = np.asarray(allocation.weights, dtype=float)
    rc = risk_contributions(w, covariance)
    assets = tuple(Contribution(t, float(wi), float(ri))
                   for t, wi, ri in zip(universe.tickers, w, rc, strict=True))
    classes = _groups(w, rc, [a.asset_class.value for a in universe])
    regions = _groups(w, rc, [a.region.value for a in universe])
    binding = binding_constraints(allocation, universe, policy, constraints, tol)
    bad = bad_year or bad_year_normal(allocation.expected_return, allocation.volatility)
    if lang == "zh":
        summary = summary_text_zh(allocation, policy, assets, classes, binding, tier_label,
                                  bad)
    else:
        summary = summary_text(allocation, policy, assets, classes, binding, bad)
    return Explanation(assets, classes, regions, binding, summary)


def _groups(w: np.ndarray, rc: np.ndarray, labels: list[str]) -> tuple[Contribution, ...]:
    weights = group_sums(w, labels)
    risks = group_sums(rc, labels)
    return tuple(Contribution(k, weights[k], risks[k]) for k in weights)


def summary_text(allocation: Allocation, policy: Policy, assets: Sequence[Contribution],
                 classes: Sequence[Contribution],
                 binding: Sequence[BindingConstraint], bad: BadYear | None = None) -> str:
    """A few sentences an advisor can read to a client (English)."""
    held = sorted((c for c in classes if c.weight >= 0.005), key=lambda c: -c.weight)
    mix = _join([f"{_pct(c.weight, 0)} {_class_words(c.name)}" for c in held])
    who = (f"tier {policy.tier.value} ({policy.tier.label.lower()}, investor level "
           f"{policy.tier.suitability_level})" if policy.tier is not None
           else f"the {policy.name} policy")
    aim = _aim(policy)
    bad = bad or bad_year_normal(allocation.expected_return, allocation.volatility)
    bad_year = bad.value
    parts = [
        f"This portfolio for {who} {aim}. It holds {mix}.",
        f"We expect about {_pct(allocation.expected_return, 1)} a year on average, with a "
        f"volatility of {_pct(allocation.volatility, 1)}; in a bad year, one in twenty, the "
        + (f"value could fall by about {_pct(-bad_year, 0)}" if bad_year < 0 else
           f"return could still be about {_pct(bad_year, 1)}")
        + f" ({_bad_year_source(bad)})."
        + " These are estimates, not promises.",
    ]
    top = max(classes, key=lambda c: c.risk)
    if len(held) > 1 and top.weight > 0:
        words = _class_words(top.name)
        verb = "are" if words.endswith("s") else "is"
        link = "but" if _clearly_riskier(top) else "and"
        parts.append(f"{words.capitalize()} {verb} {_pct(top.weight, 0)} of the money {link} "
                     f"{_pct(top.risk, 0)} of the risk.")
    biggest = max(assets, key=lambda c: c.risk)
    parts.append(f"The largest single source of risk is {biggest.name} "
                 f"({_pct(biggest.risk, 0)} of it).")
    shaping = [b.text for b in binding if b.kind is not ConstraintKind.SUITABILITY]
    if shaping:
        parts.append("What shapes it: " + "; ".join(shaping) + ".")
    if policy.min_position > 0:
        parts.append(f"Positions under {_pct_short(policy.min_position)} are not held.")
    excluded = [b for b in binding if b.kind is ConstraintKind.SUITABILITY]
    if excluded:
        levels = sorted({int(b.value) for b in excluded})
        names = "; ".join(f"R{level}: " + ", ".join(b.name for b in excluded
                                                     if int(b.value) == level)
                          for level in levels)
        parts.append(f"Not held because this risk level allows products up to "
                     f"R{policy.max_product_risk} only: {names}.")
    return " ".join(parts)


def summary_text_zh(allocation: Allocation, policy: Policy, assets: Sequence[Contribution],
                    classes: Sequence[Contribution], binding: Sequence[BindingConstraint],
                    tier_label: str | None = None, bad: BadYear | None = None) -> str:
    """The same summary in Simplified Chinese."""
    held = sorted((c for c in classes if c.weight >= 0.005), key=lambda c: -c.weight)
    mix = "、".join(f"{_pct(c.weight, 0)} {_ZH_CLASS.get(c.name, c.name)}" for c in held)
    if policy.tier is not None:
        label = tier_label or policy.tier.label
        level = policy.tier.suitability_level
        who = f"第 {policy.tier.value} 级（{label}，投资者适当性等级 {level}）"
    else:
        who = f"“{policy.name}”策略"
    bad = bad or bad_year_normal(allocation.expected_return, allocation.volatility)
    bad_year = bad.value
    parts = [
        f"这是为{who}客户配置的组合，{_aim_zh(policy)}。组合配置：{mix}。",
        f"预计年均收益约 {_pct(allocation.expected_return, 1)}，年化波动率 "
        f"{_pct(allocation.volatility, 1)}；在较差的年份（约二十年一遇），"
        + (f"组合价值可能下跌约 {_pct(-bad_year, 0)}" if bad_year < 0 else
           f"收益仍可能约为 {_pct(bad_year, 1)}")
        + f"（{_bad_year_source_zh(bad)}）。"
        + "以上均为估计，并非承诺。",
    ]
    top = max(classes, key=lambda c: c.risk)
    if len(held) > 1 and top.weight > 0:
        link = "却" if _clearly_riskier(top) else ""
        parts.append(f"{_ZH_CLASS.get(top.name, top.name)}占资金的 {_pct(top.weight, 0)}，"
                     f"{link}贡献了 {_pct(top.risk, 0)} 的风险。")
    biggest = max(assets, key=lambda c: c.risk)
    parts.append(f"最大的单一风险来源是 {biggest.name}（占 {_pct(biggest.risk, 0)}）。")
    shaping = [constraint_text_zh(b) for b in binding
               if b.kind is not ConstraintKind.SUITABILITY]
    if shaping:
        parts.append("决定组合形态的限制：" + "；".join(shaping) + "。")
    if policy.min_position > 0:
        parts.append(f"低于 {_pct_short(policy.min_position)} 的仓位不予配置。")
    excluded = [b for b in binding if b.kind is ConstraintKind.SUITABILITY]
    if excluded:
        levels = sorted({int(b.value) for b in excluded})
        names = "；".join(f"R{level}：" + "、".join(b.name for b in excluded
                                                   if int(b.value) == level)
                         for level in levels)
        parts.append(f"根据适当性要求，本等级仅可持有 R{policy.max_product_risk} 及以下风险等级的"
                     f"产品，因此未配置：{names}。")
    return "".join(parts)


def _bad_year_source(bad: BadYear) -> str:
    if bad.model is ReturnModel.BOOTSTRAP:
        return (f"the 5th percentile of {bad.paths:,} simulated years drawn from real monthly "
                f"returns {bad.window}")
    return (f"the 5th percentile of {bad.paths:,} simulated years of a normal model on these "
            "estimates")


def _bad_year_source_zh(bad: BadYear) -> str:
    if bad.model is ReturnModel.BOOTSTRAP:
        return f"取自真实月度收益 {bad.window} 抽样模拟的 {bad.paths:,} 个年度的第 5 百分位"
    return f"取自基于上述估计的正态模型模拟的 {bad.paths:,} 个年度的第 5 百分位"


def _clearly_riskier(c: Contribution) -> bool:
    """Whether ``c``'s share of the risk clearly exceeds its share of the money."""
    return c.risk >= c.weight + CONTRAST_MARGIN


def constraint_text_zh(b: BindingConstraint) -> str:
    """A binding constraint in Simplified Chinese."""
    name = _ZH_CLASS.get(b.name, _ZH_REGION.get(b.name, b.name))
    if b.kind is ConstraintKind.VOLATILITY_TARGET:
        return f"波动率达到上限 {_pct(b.limit)}"
    if b.kind is ConstraintKind.SUITABILITY:
        return f"{b.name} 风险等级 R{int(b.value)} 高于上限 R{int(b.limit)}，不予配置"
    if b.kind is ConstraintKind.STRESS_LOSS:
        return f"{b.name} 情景损失达到上限 {_pct(b.limit)}"
    side = "上限" if b.kind in (ConstraintKind.ASSET_MAX, ConstraintKind.CLASS_MAX,
                                ConstraintKind.REGION_MAX) else "下限"
    space = " " if b.kind in (ConstraintKind.ASSET_MAX, ConstraintKind.ASSET_MIN) else ""
    return f"{name}{space}达到{side} {_pct(b.limit)}"


def _aim_zh(policy: Policy) -> str:
    if policy.objective is Objective.TARGET_VOLATILITY:
        return (f"目标是在年化波动率不超过 {_pct(policy.target_volatility or 0.0, 1)} "
                "的前提下追求最高的预期收益")
    if policy.objective is Objective.UTILITY:
        return f"在预期收益与风险之间取得平衡（风险厌恶系数 {policy.risk_aversion or 0.0:g}）"
    if policy.objective is Objective.MIN_VARIANCE:
        return "目标是尽可能低的波动率"
    return "目标是单位风险的预期收益最高"


_ZH_CLASS: Mapping[str, str] = {
    "equity": "股票", "fixed_income": "债券", "cash": "现金", "real_estate": "房地产",
    "commodity": "大宗商品",
}
_ZH_REGION: Mapping[str, str] = {
    "us": "美国", "developed_ex_us": "美国以外发达市场", "emerging": "新兴市场",
    "china": "中国", "global": "全球",
}


def _aim(policy: Policy) -> str:
    if policy.objective is Objective.TARGET_VOLATILITY:
        return ("aims for the highest expected return while keeping annual volatility at or "
                f"below {_pct(policy.target_volatility or 0.0, 1)}")
    if policy.objective is Objective.UTILITY:
        return ("balances expected return against risk with a risk aversion of "
                f"{policy.risk_aversion or 0.0:g}")
    if policy.objective is Objective.MIN_VARIANCE:
        return "aims for the lowest possible volatility"
    return "aims for the best expected return per unit of risk"


_CLASS_WORDS: Mapping[str, str] = {
    "equity": "equities", "fixed_income": "bonds", "cash": "cash",
    "real_estate": "real estate", "commodity": "commodities",
}


def _class_words(name: str) -> str:
    return _CLASS_WORDS.get(name, name.replace("_", " "))


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _pct(x: float, digits: int = 1) -> str:
    return f"{x * 100:.{digits}f}%"


def _pct_short(x: float) -> str:
    """0.01 -> "1%", 0.025 -> "2.5%" (no trailing zeros)."""
    return f"{round(x * 100, 4):g}%"
