"""`roboadvisor explain`: why a tier's portfolio looks the way it does."""

from pathlib import Path
from typing import Literal

from roboadvisor.cli.commands.allocate import (
    ANSWERS,
    LANG,
    METHOD,
    SOURCE,
    SUITABILITY,
    TIER,
    VIEWS,
    market,
)
from roboadvisor.cli.options import CACHE_DIR, JSON, POLICIES, PRICES, UNIVERSE
from roboadvisor.errors import catalog_text

HELP = ("Explain a tier's portfolio: each ETF's and asset class's share of the risk "
        "(w_i (Σw)_i / w'Σw, summing to 100%), the constraints it sits on (asset, class and "
        "region limits, the volatility ceiling, products excluded by suitability), and a "
        "summary in plain words.\n\nExamples:\n\n"
        "  roboadvisor explain --tier 2\n\n"
        "  roboadvisor explain --answers questionnaires/examples/tier3_balanced.yaml --json\n\n"
        "  roboadvisor explain --tier 4 --lang zh")


def explain(tier: str | None = TIER, answers: Path | None = ANSWERS, source: str = SOURCE,
            prices: Path | None = PRICES, method: str | None = METHOD,
            views: Path | None = VIEWS, universe: Path | None = UNIVERSE,
            policies: Path | None = POLICIES, cache_dir: Path | None = CACHE_DIR,
            lang: Literal["en", "zh"] = LANG, suitability: str | None = SUITABILITY,
            json_output: bool = JSON) -> None:
    """Risk contributions, binding constraints and a plain-language summary."""
    from roboadvisor.cli import render
    from roboadvisor.cli.render import allocation as view
    from roboadvisor.services import allocate as service

    request = service.AllocationRequest(tier=tier, answers=answers, policies_file=policies,
                                        lang=lang, suitability=suitability,
                                        market=market(source, prices, method, views, universe,
                                                      cache_dir))
    with render.progress(catalog_text("zh_hardening.progress_optimising"), total=2) as advance:
        result = service.allocate(request, step=lambda text: advance(1, text))
    if json_output:
        render.print_json(service.explain_record(result))
    else:
        view.show_explanation(result, lang)
