"""Sentences and formatted figures made from view models and the catalog, shared by the Rich
and HTML renderers so the terminal and the report say the same thing."""

from __future__ import annotations

import math

from roboadvisor.reports.i18n import Lang, t
from roboadvisor.reports.views import ProjectionView

PCT_KEYS = ("projection.pct_5", "projection.pct_25", "projection.pct_50", "projection.pct_75",
            "projection.pct_95")


def money(x: float | None) -> str:
    """12345.6 -> '12,346'; None/NaN -> '-'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:,.0f}"


def pct(x: float | None, digits: int = 1) -> str:
    """0.0523 -> '5.2%'; None/NaN -> '-'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x * 100:.{digits}f}%"


def model_text(view: ProjectionView, lang: Lang | str) -> str:
    """How the returns were made, in words."""
    if view.model == "bootstrap":
        return t("projection.model_bootstrap", lang, window=view.history_window or "")
    return t("projection.model_normal", lang)


def bad_year_model_text(view: ProjectionView, lang: Lang | str) -> str:
    if view.bad_year_model == "bootstrap":
        return t("projection.model_bootstrap", lang, window=view.history_window or "")
    return t("projection.model_normal", lang)


def title(view: ProjectionView, lang: Lang | str) -> str:
    return t("projection.title", lang, tier=view.tier, years=view.years,
             paths=f"{view.paths:,}", model=model_text(view, lang))


def inputs(view: ProjectionView, lang: Lang | str) -> str:
    return t("projection.inputs", lang, amount=money(view.amount), monthly=money(view.monthly),
             withdraw=money(view.withdraw_monthly), cost=pct(view.total_cost, 2),
             funds=pct(view.fund_cost, 2), fee=pct(view.advisory_fee, 2))


def terms(view: ProjectionView, lang: Lang | str) -> str:
    if view.real_terms:
        return t("projection.real_terms", lang, inflation=pct(view.inflation))
    return t("projection.nominal_terms", lang)


def outcome(view: ProjectionView, lang: Lang | str) -> tuple[str, ...]:
    """The goal probability, the saving needed and the running-out figures, as sentences."""
    lines: list[str] = []
    if view.goal is not None and view.goal_probability is not None:
        lines.append(t("projection.goal", lang, goal=money(view.goal), years=view.years,
                       probability=pct(view.goal_probability, 0)))
        if view.saving_needed is not None:
            target = pct(view.target_probability, 0)
            lines.append(t("projection.saving_none", lang, target=target)
                         if view.saving_needed <= 0 else
                         t("projection.saving_needed", lang, target=target,
                           saving=money(view.saving_needed)))
    if view.depleted_share is not None:
        if view.median_depletion_year is not None:
            lines.append(t("projection.ran_out", lang, years=view.years,
                           probability=pct(view.depleted_share, 0),
                           median=f"{view.median_depletion_year:.0f}"))
        else:
            lines.append(t("projection.never_ran_out", lang, years=view.years,
                           probability=pct(view.depleted_share, 0)))
    lines.append(t("projection.bad_year", lang, value=pct(view.bad_year),
                   model=bad_year_model_text(view, lang)))
    return tuple(lines)
