"""Tables and JSON records for `roboadvisor backtest run|compare`.

Results go to stdout; warnings and notes to stderr (``render.warning``/``render.note``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table

from roboadvisor.cli.render import note, out, pct

if TYPE_CHECKING:
    from roboadvisor.domain.metrics import PerformanceSummary, YearReturn
    from roboadvisor.services.backtest import BacktestRun


# --- small formatters ---------------------------------------------------------------------------
def _num(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:,.{digits}f}"


def _money(value: float | None) -> str:
    return _num(value, 0)


def _signed_pct(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value * 100:+.2f}%"


def _year(y: YearReturn | None) -> str:
    return "-" if y is None else f"{y.year} {_signed_pct(y.value)}"


def _costs_text(run: BacktestRun) -> str:
    c = run.config.costs
    parts = [f"{c.bps:g} bp"]
    if c.per_asset_bps:
        parts.append(", ".join(f"{t} {b:g} bp" for t, b in c.per_asset_bps))
    if c.fixed:
        parts.append(f"{c.fixed:g} per trade")
    return "costs " + " + ".join(parts) if (c.bps or c.per_asset_bps or c.fixed) else "no costs"


def _flows_text(run: BacktestRun) -> str:
    f = run.config.cash_flows
    text = f"initial {_money(f.initial)}"
    if f.amount and f.frequency is not None:
        verb = "contribute" if f.amount > 0 else "withdraw"
        text += f", {verb} {_money(abs(f.amount))} {f.frequency.value}"
    rules = run.config.trade_rules
    if rules is not None:
        text += f" · whole shares, min order {_money(rules.min_trade)}"
        if rules.reserve:
            text += f", reserve {_money(rules.reserve)}"
    return text


def _tr(key: str) -> str:
    from roboadvisor.reports.i18n import t

    return t(key, "en")


# --- the metric rows shared by `run` and `compare` ---------------------------------------------
_Row = tuple[str, Callable[["PerformanceSummary"], str]]

_ROWS: tuple[_Row, ...] = (
    ("Start", lambda s: s.start),
    ("End", lambda s: s.end),
    ("Years", lambda s: _num(s.years, 1)),
    ("Final value", lambda s: _money(s.final_value)),
    (_tr("suitability.time_weighted"), lambda s: pct(s.total_return)),
    ("CAGR", lambda s: pct(s.cagr)),
    (_tr("suitability.money_weighted"), lambda s: pct(s.money_weighted_return)),
    (_tr("suitability.gain"), lambda s: _money(s.gain)),
    ("Volatility", lambda s: pct(s.volatility)),
    ("Sharpe", lambda s: _num(s.sharpe)),
    ("Sortino", lambda s: _num(s.sortino)),
    ("Max drawdown", lambda s: pct(s.max_drawdown)),
    ("  peak", lambda s: s.drawdown_peak or "-"),
    ("  trough", lambda s: s.drawdown_trough or "-"),
    ("  recovered", lambda s: s.drawdown_recovery or ("not yet" if s.drawdown_peak else "-")),
    ("Calmar", lambda s: _num(s.calmar)),
    ("Turnover/yr", lambda s: pct(s.turnover)),
    ("Rebalances", lambda s: str(s.rebalances)),
    ("Costs paid", lambda s: _money(s.total_costs)),
    ("Cost drag/yr", lambda s: pct(s.cost_drag, 3)),
    ("Best year", lambda s: _year(s.best_year)),
    ("Worst year", lambda s: _year(s.worst_year)),
)

_FLOW_ROWS: tuple[_Row, ...] = (
    ("Contributed", lambda s: _money(s.contributions)),
    ("Withdrawn", lambda s: _money(s.withdrawals)),
)

_BENCH_ROWS: tuple[_Row, ...] = (
    ("Benchmark", lambda s: s.benchmark.name if s.benchmark else "-"),
    ("  from", lambda s: s.benchmark.start if s.benchmark else "-"),
    ("  its total return", lambda s: pct(s.benchmark.total_return) if s.benchmark else "-"),
    ("  its CAGR", lambda s: pct(s.benchmark.cagr) if s.benchmark else "-"),
    ("  its volatility", lambda s: pct(s.benchmark.volatility) if s.benchmark else "-"),
    ("  its max drawdown", lambda s: pct(s.benchmark.max_drawdown) if s.benchmark else "-"),
    ("  excess return/yr",
     lambda s: _signed_pct(s.benchmark.excess_return) if s.benchmark else "-"),
    ("  tracking error", lambda s: pct(s.benchmark.tracking_error) if s.benchmark else "-"),
    ("  information ratio",
     lambda s: _num(s.benchmark.information_ratio) if s.benchmark else "-"),
)


def _limits(s: PerformanceSummary) -> list[str]:
    """What the summary leaves out, and why (shown under the metrics)."""
    from roboadvisor.domain.metrics import MIN_RISK_RETURNS

    notes = []
    if not s.annualised:
        notes.append("period under a year: returns not annualised (CAGR, per-year figures "
                     "and Calmar shown as -)")
    if not s.risk_measured:
        notes.append(f"fewer than {MIN_RISK_RETURNS} daily returns: volatility, Sharpe and "
                     "Sortino not measured")
    notes.append(_tr("suitability.returns_note"))
    return notes


def _rows_for(summaries: Sequence[PerformanceSummary]) -> list[_Row]:
    rows = list(_ROWS)
    if any(s.contributions or s.withdrawals for s in summaries):
        rows[4:4] = _FLOW_ROWS  # after the final value
    if any(s.failed_rebalances for s in summaries):
        rows.append(("Failed re-optimisations", lambda s: str(s.failed_rebalances)))
    if any(s.benchmark for s in summaries):
        rows.extend(_BENCH_ROWS)
    return rows


# --- backtest run -------------------------------------------------------------------------------
def show_run(run: BacktestRun) -> None:
    """Header, metrics, calendar years, weights and failed re-optimisations of one run."""
    console = out()
    s = run.summary
    console.print(f"[bold]{run.config.name}[/bold]  ({run.config.where})", highlight=False)
    console.print(f"Targets: {run.targets_from}", markup=False)
    console.print(f"Rule: {run.config.rule.describe()} · {_costs_text(run)} · "
                  f"{_flows_text(run)} · risk-free {s.risk_free}", markup=False)

    table = Table(title="Performance", title_justify="left")
    table.add_column("Metric", no_wrap=True)
    table.add_column("Value", justify="right")
    for label, fn in _rows_for([s]):
        table.add_row(label, fn(s))
    console.print(table)
    for text in _limits(s):
        console.print(f"Note: {text}", markup=False, highlight=False, soft_wrap=True)

    years = Table(title="Calendar-year returns (* partial year)", title_justify="left")
    years.add_column("Year")
    years.add_column("Portfolio", justify="right")
    bench = {y.year: y for y in s.benchmark.yearly} if s.benchmark else {}
    if bench:
        years.add_column(s.benchmark.name, justify="right")
        years.add_column("Difference", justify="right")
    for y in s.yearly:
        row = [f"{y.year}{'' if y.complete else '*'}", _signed_pct(y.value)]
        if bench:
            b = bench.get(y.year)
            row += [_signed_pct(b.value) if b else "-",
                    _signed_pct(y.value - b.value) if b and b.complete == y.complete else "-"]
        years.add_row(*row)
    console.print(years)

    res = run.result
    weights = Table(title="Weights", title_justify="left")
    weights.add_column("Ticker")
    weights.add_column("Target (last)", justify="right")
    weights.add_column("Held at the end", justify="right")
    last_target = res.target_weights[-1]
    for i, t in enumerate(res.tickers):
        weights.add_row(t, pct(float(last_target[i])), pct(float(res.final_weights[i])))
    console.print(weights)
    if res.target_weights.shape[0] > 1:
        note(f"targets changed {res.target_weights.shape[0] - 1} time(s) "
             f"(walk-forward); the last set is shown")

    if run.fallbacks:
        held = Table(title="Volatility ceiling out of reach (least-risk portfolio held)",
                     title_justify="left")
        held.add_column("Date")
        held.add_column("Note", overflow="fold")
        for f in run.fallbacks[:10]:
            held.add_row(f.date, f.reason)
        if len(run.fallbacks) > 10:
            held.add_row("…", f"{len(run.fallbacks) - 10} more (see --json)")
        console.print(held)
    if res.failures:
        fails = Table(title="Failed re-optimisations (previous targets kept)",
                      title_justify="left")
        fails.add_column("Date")
        fails.add_column("Reason", overflow="fold")
        for f in res.failures[:10]:
            fails.add_row(f.date, f.reason)
        if len(res.failures) > 10:
            fails.add_row("…", f"{len(res.failures) - 10} more (see --json)")
        console.print(fails)


def show_comparison(runs: Sequence[BacktestRun]) -> None:
    """Several strategies side by side: one column each."""
    summaries = [r.summary for r in runs]
    table = Table(title="Backtest comparison", title_justify="left")
    # The labels never shrink; the strategy columns fold their text instead.
    width = max(len(label) for label, _ in [("Costs", None), *_rows_for(summaries)])
    table.add_column("Metric", no_wrap=True, min_width=width)
    for r in runs:
        table.add_column(r.config.name, justify="right", overflow="fold")
    table.add_row("Rule", *[r.config.rule.describe() for r in runs])
    table.add_row("Costs", *[_costs_text(r).removeprefix("costs ") for r in runs])
    for label, fn in _rows_for(summaries):
        table.add_row(label, *[fn(s) for s in summaries])
    console = out()
    console.print(table)
    limits = {text: [r.config.name for r in runs if text in _limits(r.summary)]
              for r in runs for text in _limits(r.summary)}
    for text, names in limits.items():
        who = "every strategy" if len(names) == len(runs) else ", ".join(names)
        console.print(f"Note: {who}: {text}", markup=False, highlight=False, soft_wrap=True)


# --- JSON -----------------------------------------------------------------------------------------
def run_record(run: BacktestRun) -> dict[str, Any]:
    """Everything about one run, for ``--json`` (dates ISO, weights by ticker)."""
    res = run.result
    c = run.config
    summary = dataclasses.asdict(run.summary)
    targets = [{"from": str(res.dates[d]),
                "weights": {t: float(w) for t, w in zip(res.tickers, row, strict=True)}}
               for d, row in zip(res.target_days, res.target_weights, strict=True)]
    return {
        "name": c.name,
        "config": str(c.source) if c.source else None,
        "targets_from": run.targets_from,
        "tier": c.tier.value if c.tier is not None else None,
        "rule": {"kind": c.rule.kind.value, "description": c.rule.describe(),
                 "frequency": c.rule.frequency.value if c.rule.frequency else None,
                 "band_absolute": c.rule.bands.absolute if c.rule.bands else None,
                 "band_relative": c.rule.bands.relative if c.rule.bands else None,
                 "drift_limit": c.rule.drift_limit},
        "costs": {"bps": c.costs.bps, "per_asset_bps": dict(c.costs.per_asset_bps),
                  "fixed": c.costs.fixed},
        "cash_flows": {"initial": c.cash_flows.initial, "amount": c.cash_flows.amount,
                       "frequency": (c.cash_flows.frequency.value
                                     if c.cash_flows.frequency else None)},
        "whole_shares": ({"min_trade": c.trade_rules.min_trade,
                          "reserve": c.trade_rules.reserve,
                          "cash_left": float(res.cash[-1]) if res.cash is not None else None}
                         if c.trade_rules is not None else None),
        "prices": str(c.prices) if c.prices else "cache",
        "tickers": list(res.tickers),
        "summary": summary,
        "targets": targets,
        "final_weights": {t: float(w) for t, w in zip(res.tickers, res.final_weights,
                                                      strict=True)},
        "rebalance_dates": [str(res.dates[d]) for d, k in zip(res.event_days, res.event_kinds,
                                                              strict=True)
                            if k.value == "rebalance"],
        "failures": [{"date": f.date, "reason": f.reason} for f in res.failures],
        "least_risk": [{"date": f.date, "note": f.reason} for f in run.fallbacks],
        "total_return_kind": "time_weighted",
        "warnings": list(run.warnings),
        "notes": _limits(run.summary),
    }


def comparison_record(runs: Sequence[BacktestRun]) -> dict[str, Any]:
    return {"strategies": [run_record(r) for r in runs]}
