"""The client report as one self-contained HTML page (Jinja2 with autoescaping; styles and
SVG charts inline; nothing is fetched when the page is viewed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from roboadvisor.reports import phrases, svg
from roboadvisor.reports.i18n import CatalogError, Lang, t
from roboadvisor.reports.views import ReportView

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render_report(view: ReportView, client_name: str | None = None) -> str:
    """The report page (a complete HTML document). ``client_name`` (personal data, only when
    the book's key opened it) replaces the neutral "client ID" label."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    lang = Lang.parse(view.lang)
    return env.get_template("report.html.j2").render(
        v=view, t=lambda key, **kw: t(key, lang, **kw), pct=phrases.pct, money=phrases.money,
        lang=lang.value, charts=charts(view, lang),
        class_name=lambda name: _class_name(name, lang),
        outcome=phrases.outcome(view.projection, lang),
        terms=phrases.terms(view.projection, lang),
        model=phrases.model_text(view.projection, lang),
        inputs=phrases.inputs(view.projection, lang),
        year_rows=_year_rows(view), client_name=client_name)


def _class_name(name: str, lang: Lang) -> str:
    key = f"report.class_{name}"
    try:
        return t(key, lang)
    except CatalogError:  # an asset class without a message keeps its own name
        return name.replace("_", " ")


def _year_rows(view: ReportView) -> list[Any]:
    years = view.projection.years
    step = 1 if years <= 10 else 5
    return [b for b in view.projection.bands if b.year % step == 0 or b.year == years]


def charts(view: ReportView, lang: Lang) -> dict[str, Any]:
    """Every chart of the page as inline SVG."""
    p = view.portfolio
    names = [_class_name(c.name, lang) for c in p.classes]
    out: dict[str, Any] = {
        "classes": svg.bar_chart(names, [c.weight for c in p.classes],
                                 t("report.chart_classes", lang),
                                 [phrases.pct(c.weight) for c in p.classes], "chart-classes"),
        "risk": svg.bar_chart(names, [c.risk_share for c in p.classes],
                              t("report.chart_risk", lang),
                              [phrases.pct(c.risk_share) for c in p.classes], "chart-risk"),
    }
    pr = view.projection
    hline = None
    if pr.goal is not None:
        hline = (pr.goal, t("report.goal_line", lang, goal=phrases.money(pr.goal)))
    out["projection"] = svg.line_chart(
        [str(b.year) for b in pr.bands],
        [(t("report.median", lang), [b.p50 for b in pr.bands])],
        t("report.chart_projection", lang), "chart-projection",
        bands=[([b.p5 for b in pr.bands], [b.p95 for b in pr.bands], "#1f5fa8"),
               ([b.p25 for b in pr.bands], [b.p75 for b in pr.bands], "#1f5fa8")],
        hline=hline, y_format="{:,.0f}")
    b = view.backtest
    if b is not None:
        series: list[tuple[str, Any]] = [(t("report.portfolio", lang), list(b.wealth))]
        if b.benchmark_wealth is not None and b.benchmark:
            series.append((b.benchmark, list(b.benchmark_wealth)))
        index = {d: i for i, d in enumerate(b.dates)}
        shaded = [(_nearest(index, b.dates, d.start), _nearest(index, b.dates, d.end or
                                                                 b.dates[-1]))
                  for d in b.drawdowns]
        out["history"] = svg.line_chart([d[:7] for d in b.dates], series,
                                        t("report.chart_history", lang), "chart-history",
                                        shaded=shaded)
    return out


def _nearest(index: dict[str, int], dates: tuple[str, ...], day: str) -> int:
    """The position of ``day`` among the (thinned) chart dates, or of the first date after."""
    if day in index:
        return index[day]
    for i, d in enumerate(dates):
        if d >= day:
            return i
    return len(dates) - 1
