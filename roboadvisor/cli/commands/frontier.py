"""`roboadvisor frontier`: the efficient frontier with the five tier portfolios marked."""

from pathlib import Path
from typing import Literal

import typer

from roboadvisor.cli.commands.allocate import METHOD, SOURCE, VIEWS
from roboadvisor.cli.options import CACHE_DIR, JSON, LANG, POLICIES, PRICES, UNIVERSE
from roboadvisor.errors import catalog_text

HELP = ("Trace the efficient frontier of the universe and mark the five tier portfolios "
        "(which also respect suitability and class limits, so they may lie inside it); "
        "--plot FILE.png draws it.\n\nExamples:\n\n"
        "  roboadvisor frontier --points 20\n\n"
        "  roboadvisor frontier --plot frontier.png --source history --prices prices.csv")


def frontier(points: int = typer.Option(50, "--points", "-n", metavar="N",
                                        help="Number of frontier portfolios (2..500)."),
             plot: Path | None = typer.Option(None, "--plot", metavar="FILE.png",
                                              help="Also draw the frontier, the ETFs and the "
                                                   "tiers to this PNG file."),
             source: str = SOURCE, prices: Path | None = PRICES, method: str | None = METHOD,
             views: Path | None = VIEWS, universe: Path | None = UNIVERSE,
             policies: Path | None = POLICIES, cache_dir: Path | None = CACHE_DIR,
             lang: Literal["en", "zh"] = LANG, json_output: bool = JSON) -> None:
    """The efficient frontier and the tier portfolios."""
    from roboadvisor.api.allocation import frontier as trace
    from roboadvisor.cli import render
    from roboadvisor.cli.render import allocation as view
    from roboadvisor.cli.render import plots
    from roboadvisor.services import allocate as service

    target = plots.check_png_path(plot) if plot is not None else None
    with render.progress(catalog_text("zh_hardening.progress_frontier"), total=7) as advance:
        result = trace(points=points, policies=policies, estimates=source, prices=prices,
                       method=method, views=views, universe=universe, cache_dir=cache_dir,
                       progress=lambda text: advance(1, text)).result
    if json_output:
        render.print_json(service.frontier_record(result))
    else:
        view.show_frontier(result)
    if target is not None:
        render.note(catalog_text("zh_hardening.wrote", path=plots.plot_frontier(result, target)))
