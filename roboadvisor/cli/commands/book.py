"""`roboadvisor book ...`: the book at scale: a synthetic book as parquet, the nightly review."""

from pathlib import Path

import typer

from roboadvisor.cli.book_context import DB
from roboadvisor.cli.options import JSON, PlainUsage, lang_option

HELP = ("The whole book: review every account and rebalance those that need it (in the "
        "database), or at scale: write a synthetic book (parquet) and run the nightly job.")

app = typer.Typer(no_args_is_help=True, help=HELP,
                  epilog="Example: roboadvisor book synth --accounts 100000 --out book/ && "
                         "roboadvisor book run book/ --out review/")

LANG = lang_option("Language of the tables: en or zh.")
PRICES = typer.Option(
    None, "--prices", metavar="FILE",
    help="Daily adjusted closes (CSV or parquet); the latest row is used. Default: the book's "
         "own price snapshot, else the shipped reference prices of 2026-07-31.")


@app.command("synth", epilog="Example: roboadvisor book synth --accounts 1000000 --out book/")
def synth(
    accounts: int = typer.Option(..., "--accounts", "-n", help="Number of accounts."),
    out: Path = typer.Option(..., "--out", "-o", metavar="DIR",
                             help="Folder to create (refused if it exists)."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed, the same bytes."),
    partitions: int | None = typer.Option(
        None, "--partitions", "-p", help="Hash partitions (default: one per 100,000 accounts)."),
    prices: Path | None = PRICES,
    suitability: str | None = typer.Option(
        None, "--suitability", metavar="portfolio|holdings",
        help="Suitability of the model the book is drifted from and reviewed against "
             "(default: the policies file's)."),
    lang: str = LANG,
    json_output: bool = JSON,
) -> None:
    """Write a seeded, realistic synthetic book: accounts, holdings, answers, cash flows."""
    from roboadvisor.cli import render
    from roboadvisor.cli.render import batch as view
    from roboadvisor.services import batch

    language = _lang(lang)
    request = batch.SynthRequest(accounts, out, seed, partitions, prices, suitability)
    with view.progress_bar("batch.progress_synth", language) as bar:
        result = batch.synth_book(request, bar)
    if json_output:
        render.print_json(view.synth_record(result))
    else:
        view.show_synth(result, language)


@app.command("run", cls=PlainUsage,
             epilog="Example: roboadvisor book run book/ --out review/ --engine dask --workers 2")
def run(
    book: Path = typer.Argument(..., metavar="DIR", help="A book folder (book synth)."),
    out: Path = typer.Option(..., "--out", "-o", metavar="OUT",
                             help="Folder to create for the results (refused if it exists)."),
    engine: str = typer.Option("local", "--engine", help="local or dask."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", metavar="ADDRESS",
        help="An existing Dask scheduler (tcp://host:8786); default: a local cluster."),
    workers: int = typer.Option(2, "--workers", "-w",
                                help="Worker processes of the local Dask cluster."),
    prices: Path | None = PRICES,
    drift_threshold: float = typer.Option(
        0.03, "--drift-threshold", help="Drift that triggers a rebalance (0.03 = 3%)."),
    trades: str = typer.Option(
        "vectorised", "--trades",
        help="Trade lists: vectorised (fast, gap to the exact optimum bounded), exact (the "
             "per-account path of account rebalance, slow) or none."),
    min_trade: float = typer.Option(50.0, "--min-trade", help="Smallest order value."),
    model: int | None = typer.Option(
        None, "--model", metavar="N",
        help="Targets of model version N published in the database (--db); default: the "
             "shipped policies on the shipped assumptions."),
    db: str | None = DB,
    lang: str = LANG,
    json_output: bool = JSON,
) -> None:
    """Review every account: scores, tier, targets, drift, triggers and trade lists; review
    and order rows per partition, block orders, a manifest of their hashes and summary.json,
    written whole or not at all."""
    from roboadvisor.cli import render
    from roboadvisor.cli.render import batch as view
    from roboadvisor.services import batch

    language = _lang(lang)
    request = batch.RunRequest(book, out, engine, scheduler, workers, prices, drift_threshold,
                               None if trades.strip().lower() == "none" else trades, min_trade,
                               model=_model_targets(db, model))
    with view.progress_bar("batch.progress_run", language) as bar:
        result = batch.run_book(request, bar)
    if json_output:
        render.print_json(view.run_record(result))
    else:
        view.show_run(result, language)


def _model_targets(db: str | None, version: int | None):
    """Model version ``version`` of the database's published models (None: none asked)."""
    if version is None:
        return None
    from roboadvisor.cli.book_context import book
    from roboadvisor.data.universe_file import load_universe
    from roboadvisor.services.book_io import model_targets

    with book(db) as (b, _now):
        return model_targets(b, version, load_universe(None).tickers)


def _lang(value: str):
    from roboadvisor.errors import reason
    from roboadvisor.reports.i18n import Lang

    try:
        return Lang.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(reason(exc), param_hint="--lang") from None


def _register_daily_commands() -> None:
    """``book review`` and ``book rebalance`` (the book in the database) join this group."""
    from roboadvisor.cli.commands import book_daily

    for command in book_daily.app.registered_commands:
        app.registered_commands.append(command)


_register_daily_commands()


def _register_io_commands() -> None:
    """``book export``, ``book import`` and ``book verify-run`` join this group."""
    from roboadvisor.cli.commands import book_io

    app.registered_commands.extend(book_io.app.registered_commands)


_register_io_commands()
