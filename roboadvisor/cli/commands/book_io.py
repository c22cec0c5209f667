"""`roboadvisor book export|import|verify-run`: the client book (SQL) as the parquet book of
`book run` and back, and the check of a run's advice records.

(Its own Typer group whose commands join the ``book`` group, like ``book_daily``.)"""

from pathlib import Path

import typer

from roboadvisor.cli import options
from roboadvisor.cli.book_context import DB
from roboadvisor.cli.options import lang_option

app = typer.Typer(no_args_is_help=True)
LANG = lang_option("Language of the tables: en or zh.")


@app.command("export", cls=options.PlainUsage,
             epilog="Example: roboadvisor book export --out book/ && "
                    "roboadvisor book run book/ --out review/")
def export(
    out: Path = typer.Option(..., "--out", "-o", metavar="DIR",
                             help="Folder to create (refused if it exists)."),
    partitions: int | None = typer.Option(
        None, "--partitions", "-p", help="Hash partitions (default: one per 100,000 accounts)."),
    prices: Path | None = typer.Option(
        None, "--prices", metavar="FILE",
        help="Keep the latest row of this price file as the book's price snapshot."),
    db: str | None = DB, lang: str = LANG, json_output: bool = options.JSON,
) -> None:
    """Write the book's accounts, positions, pending cash flows and answer codes as parquet
    (no names or other personal data), whole or not at all."""
    from roboadvisor.cli.book_context import bulk
    from roboadvisor.cli.render import book_io as view
    from roboadvisor.services.book_io import export_book

    language = view.lang(lang)
    with bulk(db) as (rows, at):
        result = export_book(rows, out, at, partitions, prices)
    view.show_export(result, language, json_output)


@app.command("import", cls=options.PlainUsage,
             epilog="Example: roboadvisor book import book/ --db sqlite:///book.sqlite")
def import_(
    book: Path = typer.Argument(..., metavar="DIR", help="A book folder (book export or synth)."),
    db: str | None = DB, lang: str = LANG, json_output: bool = options.JSON,
) -> None:
    """Load a parquet book into the database: clients, assessments, accounts, positions,
    cash flows and their records, in one transaction (all or nothing)."""
    from roboadvisor.cli.book_context import bulk
    from roboadvisor.cli.render import book_io as view
    from roboadvisor.services.book_io import import_book

    language = view.lang(lang)
    with bulk(db) as (rows, at):
        result = import_book(rows, book, at)
    view.show_import(result, language, json_output)


@app.command("verify-run", cls=options.PlainUsage,
             epilog="Example: roboadvisor book verify-run review/")
def verify_run(
    out: Path = typer.Argument(..., metavar="OUT", help="The output folder of `book run`."),
    lang: str = LANG, json_output: bool = options.JSON,
) -> None:
    """Recompute every file hash, advice record and per-partition chain of a `book run`
    output against its manifest; exit 1 when anything was altered."""
    from roboadvisor.cli.render import book_io as view
    from roboadvisor.services.book_io import verify_run as check

    result = check(out)
    view.show_verification(result, view.lang(lang), json_output)
    if not result.ok:
        raise typer.Exit(1)
