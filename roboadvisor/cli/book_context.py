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
    from sqlalchemy.engine import Connection

    from roboadvisor.book.bulk import SqlBulk
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
def _transaction(db: str | None) -> Iterator[Connection]:
    """The connection of one transaction of the book at ``db`` (committed at the end, rolled
    back on error), the store closed after."""
    opened = open_store(db)
    try:
        with opened.transaction() as conn:
            yield conn
    finally:
        opened.close()


@contextmanager
def book(db: str | None) -> Iterator[tuple[Book, datetime]]:
    """The repositories of one transaction (committed at the end, rolled back on error)."""
    from roboadvisor.book.repositories import sql_book

    with _transaction(db) as conn:
        yield sql_book(conn, cipher()), now()


@contextmanager
def bulk(db: str | None) -> Iterator[tuple[SqlBulk, datetime]]:
    """The bulk reader/writer of one transaction (``book export``/``import``), like ``book``."""
    from roboadvisor.book.bulk import SqlBulk

    with _transaction(db) as conn:
        yield SqlBulk(conn, cipher()), now()


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


CLIENT = typer.Option(None, "--client", metavar="ID",
                      help="A client of the book: read the tier in force from it and append "
                           "the advice record to it.")


def client_tier(db: str | None, client_id: str, requested: object,
                suitability: str | None) -> tuple[int, str | None]:
    """The tier to allocate for ``client_id`` (a lower ``requested`` one is allowed) and the
    suitability mode (holdings, R1 only, for the lowest category)."""
    from roboadvisor.services.allocate import parse_tier
    from roboadvisor.services.book_allocation import suitability_for, tier_in_force

    wanted = int(parse_tier(requested)) if requested is not None else None  # type: ignore[arg-type]
    with book(db) as (b, at):
        return (tier_in_force(b, client_id, wanted, at),
                suitability_for(b, client_id, suitability))


def record_allocation(db: str | None, client_id: str, request: object, result: object,
                      lang: str) -> None:
    """Append the allocation's record to the client's book and say so on stderr."""
    from roboadvisor.cli.render import book as view
    from roboadvisor.services import book_allocation

    with book(db) as (b, at):
        made = book_allocation.record_allocation(b, client_id, None, request, result,  # type: ignore[arg-type]
                                                 at)
    view.recorded(made, client_id, lang)


def assess_into_book(db: str | None, client_id: str, assessment: object, lang: str,
                     show: bool) -> tuple[int, bool]:
    """Keep ``assessment`` in the book for ``client_id``; returns the tier in force and
    whether the client is of the lowest category."""
    from roboadvisor.cli.render import book as view
    from roboadvisor.services.book_assess import assess_client

    with book(db) as (b, at):
        stored, made, facts = assess_client(b, client_id, assessment, at)  # type: ignore[arg-type]
    if show:
        view.assessed(assessment, stored, made, facts, lang, False)  # type: ignore[arg-type]
    else:
        view.recorded(made, client_id, lang, lowest=facts.lowest)
    return stored.tier, facts.lowest
