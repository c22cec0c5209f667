"""Portfolios, explanations and frontiers on the terminal."""

from __future__ import annotations

import re

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from roboadvisor.cli import render
from roboadvisor.cli.render import pct
from roboadvisor.domain.explain import ConstraintKind, constraint_text_zh
from roboadvisor.domain.models import Allocation, Tier
from roboadvisor.reports.i18n import localized
from roboadvisor.services.allocate import (
    FRONTIER_NOTE,
    HELD_WEIGHT,
    AllocationResult,
    FrontierResult,
    positions,
)
from roboadvisor.services.suitability import rating_line

_EN = {
    "tier": "Tier {k} · {name}", "level": "  (investor level C{k}, products up to R{r})",
    "figures": "Expected return {ret} · volatility {vol} · Sharpe {sharpe} (risk-free {rf})",
    "estimates": "Estimates: {src}{as_of}", "as_of": ", as of {d}",
    "ticker": "Ticker", "name": "Name", "class": "Class", "risk": "Risk", "weight": "Weight",
    "target": "Target", "price": "Price", "shares": "Shares", "value": "Value",
    "asset_class": "Asset class", "risk_share": "Share of risk",
    "invested": "Invested {inv} of {amt} in whole shares at the prices of {d}; cash left "
                "{cash}; {te} of the money is off target.",
    "portfolio": "Portfolio", "why": "Why this portfolio · tier {k}",
    "contributions": "Risk contributions  w_i (Σw)_i / w'Σw", "total": "Total",
    "binding": "Binding constraints", "constraint": "Constraint", "limit": "Limit",
    "excluded": "excluded by suitability: {names}", "none": "none: no limit shapes this "
    "portfolio", "plain": "In plain words", "sep": ", ",
    "equity": "Equity", "fixed_income": "Bonds", "cash": "Cash", "real_estate": "Real estate",
    "commodity": "Commodity",
}
_ZH = {
    "tier": "第 {k} 级 · {name}", "level": "  （投资者适当性等级 C{k}，可持有 R{r} 及以下产品）",
    "figures": "预期收益 {ret} · 波动率 {vol} · 夏普比率 {sharpe}（无风险利率 {rf}）",
    "estimates": "估计：{src}{as_of}", "as_of": "，截至 {d}",
    "ticker": "代码", "name": "名称", "class": "类别", "risk": "风险等级", "weight": "权重",
    "target": "目标金额", "price": "价格", "shares": "股数", "value": "市值",
    "asset_class": "资产类别", "risk_share": "风险占比",
    "invested": "按 {d} 的价格以整股投入 {inv}（共 {amt}）；剩余现金 {cash}；"
                "{te} 的资金偏离目标。",
    "portfolio": "投资组合", "why": "组合说明 · 第 {k} 级",
    "contributions": "风险贡献  w_i (Σw)_i / w'Σw", "total": "合计",
    "binding": "起作用的限制", "constraint": "限制", "limit": "限值",
    "excluded": "因适当性要求不予配置：{names}", "none": "无：没有限制影响本组合",
    "plain": "通俗说明", "sep": "、",
    "equity": "股票", "fixed_income": "债券", "cash": "现金", "real_estate": "房地产",
    "commodity": "大宗商品",
}


def _t(lang: str) -> dict[str, str]:
    return _ZH if lang == "zh" else _EN


def _label(name: str, lang: str = "en") -> str:
    return _t(lang).get(name, name.replace("_", " ").capitalize())


def _money(x: float) -> str:
    return f"{x:,.2f}"


def _estimates_line(result: AllocationResult | FrontierResult, lang: str = "en") -> str:
    est, t = result.estimates, _t(lang)
    as_of = t["as_of"].format(d=est.as_of) if est.as_of else ""
    source = (localized(est.source, lang) if hasattr(est.source, "localized")
              else _source_zh(est.source) if lang == "zh" else est.source)
    return t["estimates"].format(src=source, as_of=as_of)


_CMA_SOURCE = re.compile(r"^capital market assumptions \((?P<file>[^)]*)\)$")
_HISTORY_SOURCE = re.compile(r"^history (?P<start>\S+)\.\.(?P<end>\S+) \((?P<days>\d+) days\): "
                             r"(?P<returns>\w+) returns, (?P<cov>\w+) covariance(?P<rest>.*)$")
_ZH_METHOD = {
    "mean": "历史均值", "ema": "指数加权均值", "capm": "CAPM", "equilibrium": "市场均衡",
    "black_litterman": "Black-Litterman", "ledoit_wolf": "Ledoit-Wolf 收缩",
    "sample": "样本", "shrunk_correlation": "收缩相关系数", "exponential": "指数加权",
}


def _source_zh(source: str) -> str:
    """The estimates' description (written in English by the estimators) in Chinese; a form
    not recognised stays as it is."""
    cma = _CMA_SOURCE.match(source)
    if cma:
        return f"资本市场假设（{cma['file']}）"
    hist = _HISTORY_SOURCE.match(source)
    if hist:
        returns = _ZH_METHOD.get(hist["returns"], hist["returns"])
        cov = _ZH_METHOD.get(hist["cov"], hist["cov"])
        return (f"历史数据 {hist['start']} 至 {hist['end']}（{hist['days']} 个交易日）："
                f"{returns}预期收益，{cov}协方差{hist['rest']}")
    return source


def show_allocation(result: AllocationResult, lang: str = "en") -> None:
    """The portfolio: header with the figures, holdings, asset classes, and shares if asked."""
    console, t = render.out(), _t(lang)
    a, p = result.allocation, result.policy
    name = p.name
    if lang == "zh":
        from roboadvisor.services.assess import tier_label

        name = tier_label(result.tier, lang)
    head = Text.assemble(
        (t["tier"].format(k=result.tier.value, name=name), "bold"),
        _level_text(result, lang) + "\n",
        t["figures"].format(ret=pct(a.expected_return), vol=pct(a.volatility),
                            sharpe=f"{a.sharpe_ratio:.2f}", rf=pct(a.risk_free_rate)) + "\n",
        (_estimates_line(result, lang), "dim"))
    if result.rating is not None:
        head.append("\n" + rating_line(result.rating, result.policy, lang))
    parts: list[RenderableType] = [head, "", _holdings_table(result, lang), "",
                           _classes_table(result, lang)]
    if result.shares is not None:
        s = result.shares
        parts += ["", Text(t["invested"].format(
            inv=_money(s.invested), amt=_money(s.amount), d=result.prices_as_of,
            cash=_money(s.cash_left), te=pct(s.tracking_error)))]
    console.print(Panel(Group(*parts), title=t["portfolio"], title_align="left", expand=False,
                        box=box.ROUNDED, padding=(0, 1)))
    show_notes(result)


def _level_text(result: AllocationResult, lang: str) -> str:
    from roboadvisor.domain.suitability import Suitability
    from roboadvisor.reports.i18n import t as catalog

    p = result.policy
    if p.suitability is Suitability.PORTFOLIO:
        return catalog("suitability.level_portfolio", lang, k=result.tier.value,
                       r=p.max_product_risk)
    return _t(lang)["level"].format(k=result.tier.value, r=p.max_product_risk)


def show_notes(result: AllocationResult) -> None:
    """What the user should know (e.g. no prices for whole shares), on stderr."""
    for note in result.notes:
        render.warning(note)


def _holdings_table(result: AllocationResult, lang: str) -> Table:
    t = _t(lang)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column(t["ticker"])
    table.add_column(t["name"], max_width=34 if result.amount else 46, no_wrap=True,
                     overflow="ellipsis")
    table.add_column(t["class"], no_wrap=True)
    table.add_column(t["risk"])
    table.add_column(t["weight"], justify="right")
    rows = {r["ticker"]: r for r in positions(result)}
    if result.amount is not None:
        table.add_column(t["target"], justify="right", no_wrap=True)
        if result.shares is not None:
            for key in ("price", "shares", "value"):
                table.add_column(t[key], justify="right", no_wrap=True)
    order = sorted(zip(result.universe, result.allocation.weights, strict=True),
                   key=lambda aw: -aw[1])
    for asset, w in order:
        if w <= HELD_WEIGHT:
            continue
        cells = [asset.ticker, asset.name, _label(asset.asset_class.value, lang),
                 f"R{asset.risk_level}", pct(w)]
        row = rows.get(asset.ticker)
        if row is not None:
            cells.append(_money(row["target_amount"]))
            if "shares" in row:
                cells += [_money(row["price"]), str(row["shares"]), _money(row["value"])]
        table.add_row(*cells)
    return table


def _classes_table(result: AllocationResult, lang: str) -> Table:
    t = _t(lang)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column(t["asset_class"])
    table.add_column(t["weight"], justify="right")
    table.add_column(t["risk_share"], justify="right")
    for c in sorted(result.explanation.classes, key=lambda c: -c.weight):
        if c.weight > HELD_WEIGHT:
            table.add_row(_label(c.name, lang), pct(c.weight), pct(c.risk))
    return table


def show_explanation(result: AllocationResult, lang: str = "en",
                     with_classes: bool = True) -> None:
    """Risk contributions by asset (and class, unless the portfolio panel above showed them),
    the binding constraints, and the summary."""
    console, t = render.out(), _t(lang)
    ex = result.explanation
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False,
                  title=t["contributions"], title_justify="left")
    table.add_column(t["ticker"])
    table.add_column(t["class"])
    table.add_column(t["weight"], justify="right")
    table.add_column(t["risk_share"], justify="right")
    classes = {a.ticker: _label(a.asset_class.value, lang) for a in result.universe}
    for c in sorted(ex.assets, key=lambda c: -c.risk):
        if c.weight > HELD_WEIGHT:
            table.add_row(c.name, classes[c.name], pct(c.weight), pct(c.risk))
    table.add_row(t["total"], "", pct(sum(c.weight for c in ex.assets)),
                  pct(sum(c.risk for c in ex.assets)), style="bold")
    binding = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False,
                    title=t["binding"], title_justify="left")
    binding.add_column(t["constraint"])
    binding.add_column(t["portfolio"], justify="right")
    binding.add_column(t["limit"], justify="right")
    excluded: dict[int, list[str]] = {}
    for b in ex.binding:
        if b.kind is ConstraintKind.SUITABILITY:
            excluded.setdefault(int(b.value), []).append(b.name)
        else:
            text = constraint_text_zh(b) if lang == "zh" else b.text
            binding.add_row(text, pct(b.value), pct(b.limit))
    for level, names in sorted(excluded.items()):
        binding.add_row(t["excluded"].format(names=t["sep"].join(names)), f"R{level}",
                        f"≤ R{result.policy.max_product_risk}")
    if not ex.binding:
        binding.add_row(t["none"], "", "")
    parts: list[RenderableType] = [table, ""]
    if result.rating is not None and with_classes:  # plan shows it in the portfolio panel
        parts += [Text(rating_line(result.rating, result.policy, lang)), ""]
    if with_classes:
        parts += [_classes_table(result, lang), ""]
    parts += [binding, "", Text(t["plain"], style="bold"), Text(ex.summary)]
    console.print(Panel(Group(*parts), title=t["why"].format(k=result.tier.value),
                        title_align="left", box=box.ROUNDED, padding=(0, 1)))


def show_frontier(result: FrontierResult) -> None:
    """The frontier as a table by volatility, with the tier portfolios marked (labels in the
    command's --lang)."""
    from roboadvisor.reports.i18n import t as tr

    lang = render.current_lang()
    console = render.out()
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for key in ("portfolio", "volatility", "expected_return", "sharpe", "equity",
                "frontier_same_risk"):
        table.add_column(tr(f"tables.{key}", lang),
                         justify="left" if key == "portfolio" else "right")
    equity = [a.asset_class.value == "equity" for a in result.universe]

    def tier_label(tier: Tier) -> str:
        return tr("tables.tier_label", lang, k=tier.value, name=_tier_name(tier, lang))

    rows: list[tuple[float, str, Allocation, Tier | None]] = [
        (a.volatility, "", a, None) for a in result.points]
    rows += [(a.volatility, tier_label(t), a, t) for t, a in result.tiers.items()]
    for _, label, a, tier in sorted(rows, key=lambda r: (r[0], r[1])):
        eq = float(a.weights[equity].sum()) if any(equity) else 0.0
        cells = [label or tr("tables.frontier_point", lang), pct(a.volatility),
                 pct(a.expected_return), f"{a.sharpe_ratio:.2f}", pct(eq, 0)]
        cells.append(_frontier_cell(result, tier, lang) if tier is not None else "")
        table.add_row(*cells, style="bold" if tier is not None else None)
    reasons = Table.grid(padding=(0, 1))
    reasons.add_column(no_wrap=True)
    reasons.add_column(overflow="fold")
    for t, reason in sorted(result.unavailable.items()):
        table.add_row(tier_label(t), "-", "-", "-", "-", tr("tables.cannot_build", lang),
                      style="dim")
        shown_reason = localized(reason, lang)
        reasons.add_row(tr("tables.tier_cannot_build", lang, k=t.value),
                        Text(shown_reason.removeprefix(f"tier {t.value}: ")))
    parts: list[RenderableType] = [Text(_estimates_line(result, lang), style="dim"), "", table]
    if result.unavailable:
        parts += ["", reasons]
    console.print(Panel(Group(*parts), title=tr("tables.frontier_title", lang,
                                                 count=len(result.points)),
                        title_align="left", expand=False, box=box.ROUNDED, padding=(0, 1)))
    render.note(FRONTIER_NOTE if lang == "en" else tr("tables.frontier_note", lang))


def _tier_name(tier: Tier, lang: str) -> str:
    from roboadvisor.services.assess import tier_label

    return tier_label(tier, lang)


def _on_frontier(lang: str) -> str:
    from roboadvisor.reports.i18n import t as tr

    return tr("tables.on_frontier", lang)


def _frontier_cell(result: FrontierResult, tier: Tier, lang: str = "en") -> str:
    best = result.frontier_at_tier_volatility.get(tier)
    if best is None:
        return "-"
    gap = best - result.tiers[tier].expected_return
    if gap > 5e-5:
        return f"{pct(best)} ({gap * 1e4:+.0f} bp)"
    return f"{pct(best)} ({_on_frontier(lang)})"
