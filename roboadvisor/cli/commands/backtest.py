"""`roboadvisor backtest run|compare`: rebalancing backtests from configuration files."""

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import typer

from roboadvisor.cli.commands.allocate import SUITABILITY
from roboadvisor.cli.options import (
    CACHE_DIR,
    DATE_FORMATS,
    JSON,
    LANG,
    PRICES,
    PlainUsage,
    day,
)
from roboadvisor.errors import catalog_text

HELP = "Backtest tier portfolios under rebalancing rules, and compare strategies."

app = typer.Typer(
    no_args_is_help=True, help=HELP,
    epilog="Example: roboadvisor backtest run backtests/tier3_quarterly.yaml --prices "
           "prices.csv   (configurations: backtests/*.yaml)")

START = typer.Option(None, "--start", formats=DATE_FORMATS, metavar="YYYY-MM-DD",
                     help="First day (the initial purchase), overriding the file.")
END = typer.Option(None, "--end", formats=DATE_FORMATS, metavar="YYYY-MM-DD",
                   help="Last day, overriding the file.")
RULE = typer.Option(None, "--rule", metavar="RULE",
                    help="Rebalancing rule, overriding the file: never, monthly, quarterly, "
                         "semiannual, annual, bands:5/25, bands:abs=0.05, bands:rel=0.25, "
                         "drift:0.05, quarterly+bands:5/25.")
RISK_FREE = typer.Option(None, "--risk-free", metavar="RATE|FILE",
                         help="Risk-free rate for Sharpe/Sortino: an annual decimal (0.02) or a "
                              "yield CSV (Date + IRX column in percent, e.g. "
                              "us_treasury_yields_daily_1976_2026.csv).")
BENCHMARK = typer.Option(None, "--benchmark", metavar="TICKER",
                         help="Benchmark ticker, 'auto' (the tier's iShares allocation ETF) or "
                              "'none'.")

_RUN_EXAMPLE = ("Example: roboadvisor backtest run backtests/tier3_quarterly.yaml --prices "
                "../shared/data/etf_adjclose_daily_1993_2026.csv --start 2014-01-01 "
                "--plot tier3.png")
_COMPARE_EXAMPLE = ("Example: roboadvisor backtest compare backtests/tier3_quarterly.yaml "
                    "backtests/tier3_bands_5_25.yaml backtests/tier3_buy_and_hold.yaml "
                    "--prices prices.csv")


def _overrides(prices: Path | None, start: datetime | None, end: datetime | None,
               rule: str | None, risk_free: str | None, benchmark: str | None) -> dict[str, Any]:
    return {"prices": prices, "start": day(start), "end": day(end), "rule": rule,
            "risk_free": risk_free, "benchmark": benchmark}


@app.command("run", cls=PlainUsage, epilog=_RUN_EXAMPLE)
def run(
    config: Path = typer.Argument(..., metavar="FILE",
                                  help="Backtest configuration (YAML), see backtests/."),
    prices: Path | None = PRICES,
    start: datetime | None = START,
    end: datetime | None = END,
    rule: str | None = RULE,
    risk_free: str | None = RISK_FREE,
    benchmark: str | None = BENCHMARK,
    cache_dir: Path | None = CACHE_DIR,
    suitability: str | None = SUITABILITY,
    lang: Literal["en", "zh"] = LANG,
    json_output: bool = JSON,
    csv_dir: Path | None = typer.Option(None, "--csv", metavar="DIR",
                                        help="Write DIR/equity.csv and DIR/trades.csv."),
    plot: Path | None = typer.Option(None, "--plot", metavar="FILE.png",
                                     help="Save the equity curve and drawdowns as a PNG."),
) -> None:
    """Run one backtest configuration; options override the file's fields."""
    from roboadvisor.api.backtesting import backtest
    from roboadvisor.cli import render
    from roboadvisor.cli.render import backtest as view
    from roboadvisor.services import backtest as service

    cfg = service.configure(config, **_overrides(prices, start, end, rule, risk_free, benchmark))
    service.check_outputs(csv_dir, plot)
    result = backtest(cfg, cache_dir=cache_dir, progress=render.progress,
                      suitability=suitability).run
    files = _outputs([result], csv_dir, plot)
    render.show_warnings(result.warnings)
    if json_output:
        render.print_json(view.run_record(result))
    else:
        view.show_run(result)
    _write(files)


@app.command("compare", cls=PlainUsage, epilog=_COMPARE_EXAMPLE)
def compare(
    configs: list[Path] = typer.Argument(..., metavar="FILE...",
                                         help="Two or more different backtest "
                                              "configurations."),
    prices: Path | None = PRICES,
    start: datetime | None = START,
    end: datetime | None = END,
    rule: str | None = RULE,
    risk_free: str | None = RISK_FREE,
    benchmark: str | None = BENCHMARK,
    cache_dir: Path | None = CACHE_DIR,
    suitability: str | None = SUITABILITY,
    lang: Literal["en", "zh"] = LANG,
    json_output: bool = JSON,
    csv_dir: Path | None = typer.Option(None, "--csv", metavar="DIR",
                                        help="Write DIR/equity.csv (one column per strategy)."),
    plot: Path | None = typer.Option(None, "--plot", metavar="FILE.png",
                                     help="Save all equity curves and drawdowns as a PNG."),
) -> None:
    """Run several configurations and show them side by side in one table."""
    from roboadvisor.api.backtesting import backtest
    from roboadvisor.cli import render
    from roboadvisor.cli.render import backtest as view
    from roboadvisor.errors import catalog_text
    from roboadvisor.services import backtest as service

    opts = _overrides(prices, start, end, rule, risk_free, benchmark)
    cfgs = service.configure_many(configs, **opts)
    service.check_outputs(csv_dir, plot)
    results = [backtest(c, cache_dir=cache_dir, progress=render.progress,
                        suitability=suitability).run for c in cfgs]
    files = _outputs(results, csv_dir, plot)
    for r in results:
        render.show_warnings(catalog_text("market.strategy_warning", name=r.config.name,
                                          warning=w) for w in r.warnings)
    if json_output:
        render.print_json(view.comparison_record(results))
    else:
        view.show_comparison(results)
    _write(files)


def _outputs(results: list[Any], csv_dir: Path | None,
             plot: Path | None) -> dict[Path, str | bytes]:
    """Every requested file's content, computed before anything is written (an interrupt
    while computing leaves no file behind)."""
    from roboadvisor.services import backtest as service

    files: dict[Path, str | bytes] = {}
    if csv_dir is not None:
        files.update(service.csv_outputs(results, csv_dir))
    if plot is not None:
        from roboadvisor.cli.render.backtest_plot import plot_png

        files[Path(plot)] = plot_png(results)
    return files


def _write(files: dict[Path, str | bytes]) -> None:
    """Write the files at the very end, one after another, each atomically."""
    from roboadvisor.cli import render
    from roboadvisor.services import backtest as service

    for path in service.write_outputs(files):
        render.note(catalog_text("zh_hardening.wrote", path=path))
