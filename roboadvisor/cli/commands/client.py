"""`roboadvisor client ...`: clients of the book (add, list, show, erase, assess)."""

from datetime import datetime
from pathlib import Path
from typing import Literal

import typer

from roboadvisor.cli import options
from roboadvisor.cli.book_context import DB
from roboadvisor.cli.options import lang_option

HELP = "Clients of the book: add, list, show, erase (personal data), assess."
app = typer.Typer(no_args_is_help=True, help=HELP)
LANG = lang_option("Language of the text shown.")


@app.command("add", cls=options.PlainUsage)
def add(client_id: str = typer.Argument(..., metavar="ID", help="The advisor's id of the client."),
        name: str | None = typer.Option(None, "--name", help="Name (personal: encrypted)."),
        birth_date: datetime | None = typer.Option(None, "--birth-date", formats=["%Y-%m-%d"],
                                                   help="Birth date YYYY-MM-DD (encrypted)."),
        db: str | None = DB, lang: Literal["en", "zh"] = LANG,
        json_output: bool = options.JSON) -> None:
    """Add a client."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import book as view
    from roboadvisor.services import book as service

    with book(db) as (b, now):
        _, record = service.add_client(b, client_id, name, options.day(birth_date), now)
    view.done(json_output, lang, "book.client_added", {"client_id": client_id}, record,
              id=client_id)


@app.command("list")
def list_(db: str | None = DB, lang: Literal["en", "zh"] = LANG,
          json_output: bool = options.JSON) -> None:
    """Every client: tier, assessment status (expired shown), accounts."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import book as view
    from roboadvisor.services import book as service

    with book(db) as (b, now):
        clients = service.list_clients(b, now)
    view.clients(clients, lang, json_output)


@app.command("show", cls=options.PlainUsage)
def show(client_id: str = typer.Argument(..., metavar="ID"), db: str | None = DB,
         lang: Literal["en", "zh"] = LANG, json_output: bool = options.JSON) -> None:
    """A client: personal data (with the key), latest assessment, accounts."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import book as view
    from roboadvisor.services import book as service

    with book(db) as (b, now):
        found = service.client_view(b, client_id, now)
    view.client(found, lang, json_output)


@app.command("erase", cls=options.PlainUsage)
def erase(client_id: str = typer.Argument(..., metavar="ID"), db: str | None = DB,
          lang: Literal["en", "zh"] = LANG, json_output: bool = options.JSON) -> None:
    """Erase a client's personal data (name, birth date, answers); records are kept."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.render import book as view
    from roboadvisor.services import book as service

    with book(db) as (b, now):
        record = service.erase_client(b, client_id, now)
    view.done(json_output, lang, "book.client_erased_done", {"client_id": client_id}, record,
              id=client_id)


@app.command("assess", cls=options.PlainUsage)
def assess(client_id: str = typer.Argument(..., metavar="ID"),
           answers: Path | None = typer.Option(None, "--answers", "-a", metavar="FILE",
                                               help="Answers file (else asked interactively)."),
           questionnaire: str | None = typer.Option(None, "--questionnaire", "-q", metavar="ID"),
           db: str | None = DB, lang: Literal["en", "zh"] = LANG,
           json_output: bool = options.JSON) -> None:
    """Assess a client and keep the assessment (answers encrypted) and its record."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.cli.commands.assess import interactive_assessment
    from roboadvisor.cli.render import book as view
    from roboadvisor.services import assess as assess_service
    from roboadvisor.services import book as service
    from roboadvisor.services.book_assess import assess_client

    with book(db) as (b, _):
        service.live_client(b, client_id)
    result = (assess_service.assess_answers_file(answers, questionnaire, lang) if answers
              else interactive_assessment(questionnaire, lang))
    with book(db) as (b, now):
        stored, record, facts = assess_client(b, client_id, result, now)
    view.assessed(result, stored, record, facts, lang, json_output)
