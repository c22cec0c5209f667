"""Tables and JSON records for `roboadvisor backtest run|compare`.

Results go to stdout; warnings and notes to stderr (``render.warning``/``render.note``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table

from roboadvisor.cli.render import current_lang, note, out, pct
from roboadvisor.errors import catalog_text

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


def _costs_text(run: BacktestRun, lang: str = "en", prefix: bool = True) -> str:
    c = run.config.costs
    parts = [f"{c.bps:g} bp"]
    if c.per_asset_bps:
        parts.append(", ".join(f"{t} {b:g} bp" for t, b in c.per_asset_bps))
    if c.fixed:
        parts.append(_tr("tables.bt_per_trade", lang, value=f"{c.fixed:g}"))
    if not (c.bps or c.per_asset_bps or c.fixed):
        return _tr("tables.bt_no_costs", lang)
    joined = " + ".join(parts)
    return _tr("tables.bt_costs_line", lang, costs=joined) if prefix else joined


def _flows_text(run: BacktestRun, lang: str = "en") -> str:
    f = run.config.cash_flows
    text = _tr("tables.bt_initial", lang, value=_money(f.initial))
    if f.amount and f.frequency is not None:
        key = "tables.bt_contribute" if f.amount > 0 else "tables.bt_withdraw"
        text += _tr(key, lang, value=_money(abs(f.amount)),
                    frequency=catalog_text(f"zh_hardening.freq_{f.frequency.value}"))
    rules = run.config.trade_rules
    if rules is not None:
        text += _tr("tables.bt_whole_shares", lang, value=_money(rules.min_trade))
        if rules.reserve:
            text += _tr("tables.bt_reserve", lang, value=_money(rules.reserve))
    return text


def _tr(key: str, lang: str = "en", /, **params: Any) -> str:
    from roboadvisor.reports.i18n import t

    return t(key, lang, **params)


# --- the metric rows shared by `run` and `compare` (label: a catalog key) ---------------------
_Row = tuple[str, Callable[["PerformanceSummary"], str]]

_ROWS: tuple[_Row, ...] = (
    ("tables.bt_start", lambda s: s.start),
    ("tables.bt_end", lambda s: s.end),
    ("tables.bt_years", lambda s: _num(s.years, 1)),
    ("tables.bt_final_value", lambda s: _money(s.final_value)),
    ("suitability.time_weighted", lambda s: pct(s.total_return)),
    ("tables.bt_cagr", lambda s: pct(s.cagr)),
    ("suitability.money_weighted", lambda s: pct(s.money_weighted_return)),
    ("suitability.gain", lambda s: _money(s.gain)),
    ("tables.volatility", lambda s: pct(s.volatility)),
    ("tables.sharpe", lambda s: _num(s.sharpe)),
    ("tables.bt_sortino", lambda s: _num(s.sortino)),
    ("tables.bt_max_drawdown", lambda s: pct(s.max_drawdown)),
    ("tables.bt_peak", lambda s: s.drawdown_peak or "-"),
    ("tables.bt_trough", lambda s: s.drawdown_trough or "-"),
    ("tables.bt_recovered", lambda s: s.drawdown_recovery or (
        catalog_text("tables.bt_not_yet") if s.drawdown_peak else "-")),
    ("tables.bt_calmar", lambda s: _num(s.calmar)),
    ("tables.bt_turnover", lambda s: pct(s.turnover)),
    ("tables.bt_rebalances", lambda s: str(s.rebalances)),
    ("tables.bt_costs_paid", lambda s: _money(s.total_costs)),
    ("tables.bt_cost_drag", lambda s: pct(s.cost_drag, 3)),
    ("tables.bt_best_year", lambda s: _year(s.best_year)),
    ("tables.bt_worst_year", lambda s: _year(s.worst_year)),
)

_FLOW_ROWS: tuple[_Row, ...] = (
    ("tables.bt_contributed", lambda s: _money(s.contributions)),
    ("tables.bt_withdrawn", lambda s: _money(s.withdrawals)),
)

_BENCH_ROWS: tuple[_Row, ...] = (
    ("tables.bt_benchmark", lambda s: s.benchmark.name if s.benchmark else "-"),
    ("tables.bt_bench_from", lambda s: s.benchmark.start if s.benchmark else "-"),
    ("tables.bt_bench_total", lambda s: pct(s.benchmark.total_return) if s.benchmark else "-"),
    ("tables.bt_bench_cagr", lambda s: pct(s.benchmark.cagr) if s.benchmark else "-"),
    ("tables.bt_bench_vol", lambda s: pct(s.benchmark.volatility) if s.benchmark else "-"),
    ("tables.bt_bench_drawdown", lambda s: pct(s.benchmark.max_drawdown) if s.benchmark else "-"),
    ("tables.bt_excess",
     lambda s: _signed_pct(s.benchmark.excess_return) if s.benchmark else "-"),
    ("tables.bt_tracking", lambda s: pct(s.benchmark.tracking_error) if s.benchmark else "-"),
    ("tables.bt_information",
     lambda s: _num(s.benchmark.information_ratio) if s.benchmark else "-"),
)


def _limits(s: PerformanceSummary, lang: str = "en") -> list[str]:
    """What the summary leaves out, and why (shown under the metrics)."""
    from roboadvisor.domain.metrics import MIN_RISK_RETURNS

    notes = []
    if not s.annualised:
        notes.append(_tr("tables.bt_not_annualised", lang))
    if not s.risk_measured:
        notes.append(_tr("tables.bt_risk_not_measured", lang, count=MIN_RISK_RETURNS))
    notes.append(_tr("suitability.returns_note", lang))
    return notes


def _rows_for(summaries: Sequence[PerformanceSummary]) -> list[_Row]:
    rows = list(_ROWS)
    if any(s.contributions or s.withdrawals for s in summaries):
        rows[4:4] = _FLOW_ROWS  # after the final value
    if any(s.failed_rebalances for s in summaries):
        rows.append(("tables.bt_failed_rows", lambda s: str(s.failed_rebalances)))
    if any(s.benchmark for s in summaries):
        rows.extend(_BENCH_ROWS)
    return rows


# --- backtest run -------------------------------------------------------------------------------
def _cell(value: str, lang: str) -> str:
    from roboadvisor.reports.i18n import localized

    return localized(value, lang)


def show_run(run: BacktestRun) -> None:
    """Header, metrics, calendar years, weights and failed re-optimisations of one run
    (labels in the command's --lang)."""
    lang = current_lang()
    console = out()
    s = run.summary
    console.print(f"[bold]{run.config.name}[/bold]  ({_cell(run.config.where, lang)})",
                  highlight=False)
    console.print(_tr("tables.bt_targets", lang, value=run.targets_from), markup=False)
    console.print(_tr("tables.bt_rule_line", lang, rule=run.config.rule.describe(),
                      costs=_costs_text(run, lang), flows=_flows_text(run, lang),
                      rf=s.risk_free),
                  markup=False)

    table = Table(title=_tr("tables.bt_performance", lang), title_justify="left")
    table.add_column(_tr("tables.bt_metric", lang), no_wrap=True)
    table.add_column(_tr("tables.bt_value", lang), justify="right")
    for label, fn in _rows_for([s]):
        table.add_row(_tr(label, lang), _cell(fn(s), lang))
    console.print(table)
    for text in _limits(s, lang):
        console.print(_tr("tables.bt_note", lang, text=text), markup=False, highlight=False,
                      soft_wrap=True)

    years = Table(title=_tr("tables.bt_years_title", lang), title_justify="left")
    years.add_column(_tr("tables.bt_year", lang))
    years.add_column(_tr("tables.portfolio", lang), justify="right")
    bench = {y.year: y for y in s.benchmark.yearly} if s.benchmark else {}
    if bench and s.benchmark is not None:
        years.add_column(s.benchmark.name, justify="right")
        years.add_column(_tr("tables.bt_difference", lang), justify="right")
    for y in s.yearly:
        row = [f"{y.year}{'' if y.complete else '*'}", _signed_pct(y.value)]
        if bench:
            b = bench.get(y.year)
            row += [_signed_pct(b.value) if b else "-",
                    _signed_pct(y.value - b.value) if b and b.complete == y.complete else "-"]
        years.add_row(*row)
    console.print(years)

    res = run.result
    weights = Table(title=_tr("tables.bt_weights", lang), title_justify="left")
    weights.add_column(_tr("tables.ticker", lang))
    weights.add_column(_tr("tables.bt_target_last", lang), justify="right")
    weights.add_column(_tr("tables.bt_held_end", lang), justify="right")
    last_target = res.target_weights[-1]
    for i, t in enumerate(res.tickers):
        weights.add_row(t, pct(float(last_target[i])), pct(float(res.final_weights[i])))
    console.print(weights)
    if res.target_weights.shape[0] > 1:
        note(_tr("zh_hardening.targets_changed", lang, count=res.target_weights.shape[0] - 1))

    if run.fallbacks:
        console.print(_dated_notes("tables.bt_ceiling_title", "tables.bt_note_column",
                                   run.fallbacks, lang))
    if res.failures:
        console.print(_dated_notes("tables.bt_failed_title", "tables.bt_reason",
                                   res.failures, lang))


def _dated_notes(title: str, column: str, items: Sequence[Any], lang: str,
                 shown: int = 10) -> Table:
    """A table of the first ``shown`` (date, reason) items, and a row counting the rest."""
    table = Table(title=_tr(title, lang), title_justify="left")
    table.add_column(_tr("tables.bt_date", lang))
    table.add_column(_tr(column, lang), overflow="fold")
    for item in items[:shown]:
        table.add_row(item.date, _cell(item.reason, lang))
    if len(items) > shown:
        table.add_row("…", _tr("tables.bt_more", lang, count=len(items) - shown))
    return table


def show_comparison(runs: Sequence[BacktestRun]) -> None:
    """Several strategies side by side: one column each (labels in the command's --lang)."""
    from rich.cells import cell_len

    lang = current_lang()
    summaries = [r.summary for r in runs]
    table = Table(title=_tr("tables.bt_comparison", lang), title_justify="left")
    # The labels never shrink; the strategy columns fold their text instead.
    labels = [_tr(key, lang) for key, _ in [("tables.bt_costs", None), *_rows_for(summaries)]]
    table.add_column(_tr("tables.bt_metric", lang), no_wrap=True,
                     min_width=max(cell_len(label) for label in labels))
    for r in runs:
        table.add_column(r.config.name, justify="right", overflow="fold")
    table.add_row(_tr("tables.bt_rule", lang),
                  *[_cell(r.config.rule.describe(), lang) for r in runs])
    table.add_row(_tr("tables.bt_costs", lang),
                  *[_costs_text(r, lang, prefix=False) for r in runs])
    for label, fn in _rows_for(summaries):
        table.add_row(_tr(label, lang), *[_cell(fn(s), lang) for s in summaries])
    console = out()
    console.print(table)
    limits = {text: [r.config.name for r in runs if text in _limits(r.summary, lang)]
              for r in runs for text in _limits(r.summary, lang)}
    for text, names in limits.items():
        who = (_tr("tables.bt_every_strategy", lang) if len(names) == len(runs)
               else ", ".join(names))
        console.print(_tr("tables.bt_note_who", lang, who=who, text=text), markup=False,
                      highlight=False, soft_wrap=True)


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
