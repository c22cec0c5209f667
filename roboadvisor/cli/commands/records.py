"""`roboadvisor records ...`: the append-only advice record (list, show, verify)."""

from pathlib import Path
from typing import Literal

import typer

from roboadvisor.cli import options
from roboadvisor.cli.book_context import DB
from roboadvisor.cli.options import lang_option

HELP = "The advice record: list, show, verify the hash chain (and --recompute)."
app = typer.Typer(no_args_is_help=True, help=HELP)
LANG = lang_option("Language of the text shown.")


@app.command("list")
def list_(client_id: str | None = typer.Option(None, "--client", metavar="ID"),
          db: str | None = DB, lang: Literal["en", "zh"] = LANG,
          json_output: bool = options.JSON) -> None:
    """Every record (or a client's): number, kind, time, ids, hash."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import book as view

    with book(db) as (b, _):
        found = b.records.all(client_id)
    view.records(found, lang, json_output)


@app.command("show", cls=options.PlainUsage)
def show(seq: int = typer.Argument(..., metavar="N"), db: str | None = DB,
         page: Path | None = typer.Option(None, "--page", metavar="FILE",
                                          help="For a report record: write the very page the "
                                               "client was given to FILE."),
         lang: Literal["en", "zh"] = LANG, json_output: bool = options.JSON) -> None:
    """One record in full: inputs' hashes, outputs, the text shown."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import book as view
    from roboadvisor.errors import BookError

    if page is not None:
        from roboadvisor.data.outputs import check_output

        check_output(page, "--page", suffix=".html")
    with book(db) as (b, _):
        found = b.records.get(seq)
        if found is None:
            raise BookError.from_catalog("book.record_unknown", seq=seq)
        kept = None
        if page is not None:
            from roboadvisor.services.book_report import stored_page

            kept = stored_page(b, found)
            if kept is None:
                raise BookError.from_catalog("report_book.no_page", seq=seq)
    if page is not None and kept is not None:
        from roboadvisor.data.atomic import atomic_write_bytes

        atomic_write_bytes(page, kept)
    view.record(found, lang, json_output)
    if page is not None and not json_output:
        view.page_written(seq, page, found.content()["outputs"]["html_sha256"], lang)


@app.command("verify")
def verify(recompute: bool = typer.Option(False, "--recompute",
                                          help="Also re-run every assessment, allocation, "
                                               "model version and rebalance from its stored "
                                               "inputs."),
           db: str | None = DB, lang: Literal["en", "zh"] = LANG,
           json_output: bool = options.JSON) -> None:
    """Check the hash chain; exit 1 when a record was altered or re-computes differently."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import book as view
    from roboadvisor.services.book_verify import verify as run

    with book(db) as (b, _):
        result = run(b, recompute)
    view.verification(result, lang, json_output)
    if not result.ok:
        raise typer.Exit(1)
