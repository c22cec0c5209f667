"""Projections on the terminal (Rich) and as a fan chart (PNG, matplotlib imported lazily)."""

from __future__ import annotations

from pathlib import Path

from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from roboadvisor.cli import render
from roboadvisor.reports import phrases
from roboadvisor.reports.i18n import Lang, t
from roboadvisor.reports.views import ProjectionView


def band_years(view: ProjectionView) -> list[int]:
    """The years shown in the table: every 5 years (every year up to 10) and the last."""
    step = 1 if view.years <= 10 else 5
    years = [b.year for b in view.bands if b.year % step == 0]
    if years[-1] != view.years:
        years.append(view.years)
    return years


def show_projection(view: ProjectionView, lang: str = "en") -> None:
    """The percentile table by year and the sentences on the goal and the risks."""
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column(t("projection.year", lang), justify="right")
    for key in phrases.PCT_KEYS:
        table.add_column(t(key, lang), justify="right")
    shown = set(band_years(view))
    for b in view.bands:
        if b.year in shown:
            table.add_row(str(b.year), *(phrases.money(v) for v in
                                         (b.p5, b.p25, b.p50, b.p75, b.p95)))
    lines = Text("\n".join((phrases.inputs(view, lang), phrases.terms(view, lang))), style="dim")
    outcome = Text("\n".join(phrases.outcome(view, lang)))
    footer = Text(t("projection.disclaimer", lang), style="dim italic")
    render.out().print(Panel(Group(lines, table, outcome, footer),
                             title=phrases.title(view, lang), title_align="left"))


def plot_projection(view: ProjectionView, path: Path, lang: str = "en") -> Path:
    """The fan chart: 5-95% and 25-75% bands, the median, the goal line."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot as plt

    from roboadvisor.cli.render.plots import _save

    if Lang.parse(lang) is Lang.ZH:
        plt.rcParams["font.sans-serif"] = ["Noto Sans CJK SC", "WenQuanYi Zen Hei",
                                           "DejaVu Sans"]
    years = [b.year for b in view.bands]
    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=110)
    try:
        ax.fill_between(years, [b.p5 for b in view.bands], [b.p95 for b in view.bands],
                        color="tab:blue", alpha=0.15, label=t("projection.plot_band_outer", lang))
        ax.fill_between(years, [b.p25 for b in view.bands], [b.p75 for b in view.bands],
                        color="tab:blue", alpha=0.3, label=t("projection.plot_band_inner", lang))
        ax.plot(years, [b.p50 for b in view.bands], color="tab:blue", lw=2,
                label=t("projection.pct_50", lang))
        if view.goal is not None:
            ax.axhline(view.goal, color="tab:red", ls="--", lw=1.2,
                       label=t("projection.plot_goal", lang, goal=phrases.money(view.goal),
                               probability=phrases.pct(view.goal_probability, 0)))
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
            lambda v, _: phrases.money(v)))
        ax.set_xlim(0, view.years)
        ax.set_ylim(bottom=0)
        ax.set_xlabel(t("projection.plot_years", lang))
        ax.set_ylabel(t("projection.plot_wealth_real" if view.real_terms
                        else "projection.plot_wealth", lang))
        ax.set_title(t("projection.plot_title", lang, tier=view.tier, years=view.years,
                       paths=f"{view.paths:,}") + "\n" + phrases.model_text(view, lang),
                     fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
        fig.tight_layout()
        return _save(fig, Path(path))
    finally:
        plt.close(fig)
