"""Opening the book: URL -> engine, schema version check, one transaction per command.

The default book is SQLite in the user data directory (``platformdirs``); ``ROBOADVISOR_DB`` or
``--db URL`` choose another, e.g. ``postgresql+psycopg://user@/book?host=/run/postgresql``.
The schema version is Alembic's revision in ``alembic_version``: a fresh book is created at the
head revision, an older one must be migrated (``roboadvisor db upgrade``), a newer one is refused
naming both versions. Every command runs its writes in ``Store.transaction()``: all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from roboadvisor.book import schema
from roboadvisor.errors import BookError, BookSchemaError, reason

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

DB_ENV = "ROBOADVISOR_DB"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def data_dir() -> Path:
    """The user data directory (the default book and its key file live here)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("roboadvisor", appauthor=False))


def resolve_url(option: str | None, environ: dict[str, str]) -> str:
    """``--db`` wins, then ROBOADVISOR_DB, then SQLite in the user data directory."""
    if option:
        return option
    if environ.get(DB_ENV):
        return environ[DB_ENV]
    return f"sqlite:///{data_dir() / 'book.sqlite'}"


def safe_url(url: str) -> str:
    """The URL with any password masked, for messages."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        import re

        return re.sub(r":[^:@/]*@", ":***@", url)


class Store:
    """An open book. Use ``transaction()`` for every command's reads and writes."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on any error."""
        from sqlalchemy.exc import IntegrityError, OperationalError

        try:
            with self.engine.begin() as conn:
                yield conn
        except (OperationalError, IntegrityError) as exc:
            raise BookError.from_catalog("book.db_failed", url=safe_url(self.url),
                                         reason=_first_line(exc)) from None

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, *, upgrade: bool = False) -> Store:
    """Open (creating a fresh book at the head schema) or, with ``upgrade``, migrate the book."""
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    try:
        engine = _engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise BookError.from_catalog("book.bad_url", url=safe_url(url),
                                     reason=_first_line(exc)) from None
    store = Store(engine, url)
    try:
        with engine.begin() as conn:
            current = _revision(conn)
            if current is None and not _has_tables(conn):
                _migrate(conn)
            elif current != schema.HEAD:
                _check_version(current, url, upgrade)
                _migrate(conn)
    except DBAPIError as exc:
        engine.dispose()
        raise BookError.from_catalog("book.unreachable", url=safe_url(url),
                                     reason=_first_line(exc.orig or exc)) from None
    except BookError:
        engine.dispose()
        raise
    return store


def peek_version(url: str) -> str | None:
    """The schema version of the book at ``url`` without changing it (None: no book yet)."""
    from sqlalchemy.exc import DBAPIError

    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return _revision(conn)
    except DBAPIError as exc:
        raise BookError.from_catalog("book.unreachable", url=safe_url(url),
                                     reason=_first_line(exc.orig or exc)) from None
    finally:
        engine.dispose()


def schema_version(store: Store) -> str | None:
    with store.engine.connect() as conn:
        return _revision(conn)


def _check_version(current: str | None, url: str, upgrade: bool) -> None:
    known = _known_revisions()
    if current is not None and current not in known:
        raise BookSchemaError.from_catalog("book.schema_newer", url=safe_url(url),
                                           found=current, supported=schema.HEAD)
    if not upgrade:
        raise BookSchemaError.from_catalog("book.schema_older", url=safe_url(url),
                                           found=current or "none", supported=schema.HEAD)


def _engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    if url.startswith("sqlite"):
        from sqlalchemy.engine import make_url

        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
            dbapi_conn.execute("PRAGMA foreign_keys=ON")

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # one writer at a time: the chain stays linear

        return engine
    return create_engine(url, pool_pre_ping=True, connect_args=_pg_args(url))


def _pg_args(url: str) -> dict[str, Any]:
    return {"connect_timeout": 10} if "postgresql" in url else {}


def _revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _has_tables(conn: Connection) -> bool:
    from sqlalchemy import inspect

    return bool(set(inspect(conn).get_table_names()) & {"clients", "records"})


def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    return config


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return {rev.revision for rev in script.walk_revisions()}


def _migrate(conn: Connection, target: str = "head") -> None:
    from alembic import command

    command.upgrade(_alembic_config(conn), target)


def create_at(url: str, revision: str) -> None:
    """Create a book at an older schema ``revision`` (tests of ``db upgrade``)."""
    engine = _engine(url)
    with engine.begin() as conn:
        _migrate(conn, revision)
    engine.dispose()


def _first_line(exc: BaseException) -> str:
    text = reason(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
