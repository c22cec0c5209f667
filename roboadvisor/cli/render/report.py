"""The client report: the HTML file (written atomically) and its summary on the terminal."""

from __future__ import annotations

from pathlib import Path

from rich import box
from rich.table import Table

from roboadvisor.cli import render
from roboadvisor.cli.render.projection import show_projection
from roboadvisor.errors import InputError
from roboadvisor.reports import phrases
from roboadvisor.reports.i18n import t
from roboadvisor.reports.views import ReportView


def check_html_path(path: Path) -> Path:
    """Refuse, before any work, a target that is not a .html file in an existing folder."""
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm") or not path.parent.is_dir() \
            or path.is_dir():
        raise InputError.from_catalog("report.bad_out", path=str(path))
    return path


def write_report(view: ReportView, path: Path, client_name: str | None = None) -> Path:
    """Render the page and write it whole or not at all."""
    from roboadvisor.data.atomic import atomic_write_text
    from roboadvisor.reports.html import render_report

    atomic_write_text(Path(path), render_report(view, client_name))
    return Path(path)


def show_report(view: ReportView, path: Path) -> None:
    """The key figures of the report, and where it was written."""
    lang = view.lang
    table = Table(box=box.SIMPLE_HEAD, show_header=False)
    table.add_column()
    table.add_column(justify="right")
    if view.profile is not None:
        p = view.profile
        table.add_row(t("report.tolerance", lang), f"{p.tolerance_score:.1f}")
        table.add_row(t("report.capacity", lang), f"{p.capacity_score:.1f}")
    pf = view.portfolio
    table.add_row(t("report.tier", lang), f"{pf.tier} · {pf.tier_label}")
    table.add_row(t("report.expected_return", lang), phrases.pct(pf.expected_return))
    table.add_row(t("report.volatility", lang), phrases.pct(pf.volatility))
    if view.backtest is not None:
        b = view.backtest
        table.add_row(f"{t('report.cagr', lang)} {b.start[:7]}..{b.end[:7]}", phrases.pct(b.cagr))
        table.add_row(t("report.max_drawdown", lang), phrases.pct(b.max_drawdown))
    table.add_row(t("report.total_cost", lang), phrases.pct(view.projection.total_cost, 2))
    render.out().print(table)
    show_projection(view.projection, lang)
    render.show_warnings(view.notes)
    render.note(t("report.written", lang, path=str(path)))
