"""Opening the book for a command: the URL (``--db``, ROBOADVISOR_DB, the user data dir), the key
(ROBOADVISOR_KEY or the key file) and one transaction whose repositories the services receive.
The environment is read here, at the edge, never in the services."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from roboadvisor.book.repositories import Book
    from roboadvisor.book.store import Store

DB = typer.Option(None, "--db", metavar="URL",
                  help="The client book: sqlite:///FILE or postgresql+psycopg://USER@HOST/DB "
                       "(default: $ROBOADVISOR_DB, else book.sqlite in the user data directory).")


def open_store(db: str | None, *, upgrade: bool = False) -> Store:
    from roboadvisor.book import store

    return store.open_store(store.resolve_url(db, dict(os.environ)), upgrade=upgrade)


def cipher():
    from roboadvisor.book import store
    from roboadvisor.book.crypto import Cipher, KeySource

    return Cipher(KeySource.from_environ(dict(os.environ), store.data_dir()))


@contextmanager
def book(db: str | None) -> Iterator[tuple[Book, datetime]]:
    """The repositories of one transaction (committed at the end, rolled back on error)."""
    from roboadvisor.book.repositories import sql_book

    opened = open_store(db)
    try:
        with opened.transaction() as conn:
            yield sql_book(conn, cipher()), now()
    finally:
        opened.close()


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
