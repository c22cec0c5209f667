"""`roboadvisor db upgrade`: migrate an older book to this roboadvisor's schema."""

from typing import Literal

import typer

from roboadvisor.cli import options
from roboadvisor.cli.book_context import DB
from roboadvisor.cli.options import lang_option

HELP = "The book's database: upgrade (migrate an older schema)."
app = typer.Typer(no_args_is_help=True, help=HELP)


@app.command("upgrade")
def upgrade(db: str | None = DB,
            lang: Literal["en", "zh"] = lang_option(),
            json_output: bool = options.JSON) -> None:
    """Migrate the book to the newest schema (a newer book is refused)."""
    import os

    from roboadvisor.book import store
    from roboadvisor.cli.render import book as view

    url = store.resolve_url(db, dict(os.environ))
    before = store.peek_version(url)
    opened = store.open_store(url, upgrade=True)
    after = store.schema_version(opened)
    opened.close()
    view.upgraded(store.safe_url(url), before, after, lang, json_output)
