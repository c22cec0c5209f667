"""Portfolios, explanations and frontiers on the terminal."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from roboadvisor.cli import render
from roboadvisor.cli.render import pct
from roboadvisor.domain.explain import ConstraintKind
from roboadvisor.services.allocate import (
    FRONTIER_NOTE,
    HELD_WEIGHT,
    AllocationResult,
    FrontierResult,
    positions,
)

_CLASS_LABEL = {"equity": "Equity", "fixed_income": "Bonds", "cash": "Cash",
                "real_estate": "Real estate", "commodity": "Commodity"}


def _label(name: str) -> str:
    return _CLASS_LABEL.get(name, name.replace("_", " ").capitalize())


def _money(x: float) -> str:
    return f"{x:,.2f}"


def _estimates_line(result: AllocationResult | FrontierResult) -> str:
    est = result.estimates
    as_of = f", as of {est.as_of}" if est.as_of else ""
    return f"Estimates: {est.source}{as_of}"


def show_allocation(result: AllocationResult) -> None:
    """The portfolio: header with the figures, holdings, asset classes, and shares if asked."""
    console = render.out()
    a, p = result.allocation, result.policy
    head = Text.assemble(
        (f"Tier {result.tier.value} · {p.name}", "bold"),
        f"  (investor level {result.tier.suitability_level}, products up to "
        f"R{p.max_product_risk})\n",
        f"Expected return {pct(a.expected_return)} · volatility {pct(a.volatility)} · "
        f"Sharpe {a.sharpe_ratio:.2f} (risk-free {pct(a.risk_free_rate)})\n",
        (_estimates_line(result), "dim"))
    parts: list[object] = [head, "", _holdings_table(result), "", _classes_table(result)]
    if result.shares is not None:
        s = result.shares
        parts += ["", Text(
            f"Invested {_money(s.invested)} of {_money(s.amount)} in whole shares at the "
            f"prices of {result.prices_as_of}; cash left {_money(s.cash_left)}; "
            f"{pct(s.tracking_error)} of the money is off target.")]
    console.print(Panel(Group(*parts), title="Portfolio", title_align="left", expand=False,
                        box=box.ROUNDED, padding=(0, 1)))
    show_notes(result)


def show_notes(result: AllocationResult) -> None:
    """What the user should know (e.g. no prices for whole shares), on stderr."""
    for note in result.notes:
        render.warning(note)


def _holdings_table(result: AllocationResult) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("Ticker")
    table.add_column("Name", max_width=34 if result.amount else 46, no_wrap=True,
                     overflow="ellipsis")
    table.add_column("Class", no_wrap=True)
    table.add_column("Risk")
    table.add_column("Weight", justify="right")
    rows = {r["ticker"]: r for r in positions(result)}
    if result.amount is not None:
        table.add_column("Target", justify="right", no_wrap=True)
        if result.shares is not None:
            for name in ("Price", "Shares", "Value"):
                table.add_column(name, justify="right", no_wrap=True)
    order = sorted(zip(result.universe, result.allocation.weights, strict=True),
                   key=lambda aw: -aw[1])
    for asset, w in order:
        if w <= HELD_WEIGHT:
            continue
        cells = [asset.ticker, asset.name, _label(asset.asset_class.value),
                 f"R{asset.risk_level}", pct(w)]
        row = rows.get(asset.ticker)
        if row is not None:
            cells.append(_money(row["target_amount"]))
            if "shares" in row:
                cells += [_money(row["price"]), str(row["shares"]), _money(row["value"])]
        table.add_row(*cells)
    return table


def _classes_table(result: AllocationResult) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("Asset class")
    table.add_column("Weight", justify="right")
    table.add_column("Share of risk", justify="right")
    for c in sorted(result.explanation.classes, key=lambda c: -c.weight):
        if c.weight > HELD_WEIGHT:
            table.add_row(_label(c.name), pct(c.weight), pct(c.risk))
    return table


def show_explanation(result: AllocationResult) -> None:
    """Risk contributions by asset and class, the binding constraints, and the summary."""
    console = render.out()
    ex = result.explanation
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False,
                  title="Risk contributions  w_i (Σw)_i / w'Σw", title_justify="left")
    table.add_column("Ticker")
    table.add_column("Class")
    table.add_column("Weight", justify="right")
    table.add_column("Share of risk", justify="right")
    classes = {a.ticker: _label(a.asset_class.value) for a in result.universe}
    for c in sorted(ex.assets, key=lambda c: -c.risk):
        if c.weight > HELD_WEIGHT:
            table.add_row(c.name, classes[c.name], pct(c.weight), pct(c.risk))
    table.add_row("Total", "", pct(sum(c.weight for c in ex.assets)),
                  pct(sum(c.risk for c in ex.assets)), style="bold")
    binding = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False,
                    title="Binding constraints", title_justify="left")
    binding.add_column("Constraint")
    binding.add_column("Portfolio", justify="right")
    binding.add_column("Limit", justify="right")
    excluded: dict[int, list[str]] = {}
    for b in ex.binding:
        if b.kind is ConstraintKind.SUITABILITY:
            excluded.setdefault(int(b.value), []).append(b.name)
        else:
            binding.add_row(b.text, pct(b.value), pct(b.limit))
    for level, names in sorted(excluded.items()):
        binding.add_row(f"excluded by suitability: {', '.join(names)}", f"R{level}",
                        f"≤ R{result.policy.max_product_risk}")
    if not ex.binding:
        binding.add_row("none: no limit shapes this portfolio", "", "")
    parts: list[object] = [table, "", _classes_table(result), "", binding, "",
                           Text("In plain words", style="bold"), Text(ex.summary)]
    console.print(Panel(Group(*parts), title=f"Why this portfolio · tier {result.tier.value}",
                        title_align="left", box=box.ROUNDED, padding=(0, 1)))


def show_frontier(result: FrontierResult) -> None:
    """The frontier as a table by volatility, with the tier portfolios marked."""
    console = render.out()
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for name in ("Portfolio", "Volatility", "Expected return", "Sharpe", "Equity",
                 "Frontier at same risk"):
        table.add_column(name, justify="left" if name == "Portfolio" else "right")
    equity = [a.asset_class.value == "equity" for a in result.universe]
    tier_of = {id(a): t for t, a in result.tiers.items()}
    rows = [(a.volatility, "", a) for a in result.points]
    rows += [(a.volatility, f"tier {t.value} · {t.label}", a) for t, a in result.tiers.items()]
    for _, tier, a in sorted(rows, key=lambda r: (r[0], r[1])):
        eq = float(a.weights[equity].sum()) if any(equity) else 0.0
        cells = [tier or "frontier", pct(a.volatility), pct(a.expected_return),
                 f"{a.sharpe_ratio:.2f}", pct(eq, 0)]
        cells.append(_frontier_cell(result, tier_of.get(id(a))) if tier else "")
        table.add_row(*cells, style="bold" if tier else None)
    console.print(Panel(Group(Text(_estimates_line(result), style="dim"), "", table),
                        title=f"Efficient frontier · {len(result.points)} points",
                        title_align="left", expand=False, box=box.ROUNDED, padding=(0, 1)))
    render.note(FRONTIER_NOTE)


def _frontier_cell(result: FrontierResult, tier: object) -> str:
    best = result.frontier_at_tier_volatility.get(tier)  # type: ignore[call-overload]
    if best is None:
        return "-"
    gap = best - result.tiers[tier].expected_return  # type: ignore[index]
    return f"{pct(best)} ({gap * 1e4:+.0f} bp)" if gap > 5e-5 else f"{pct(best)} (on it)"
