"""Many rows into one table in one bulk statement (``load``), inside the caller's transaction.

``conn.execute(insert(table), dicts)`` builds and checks a parameter dictionary per row, which
costs more than the insert itself when a book run writes 25,000 positions or a book import
millions. Here:

- PostgreSQL: ``COPY ... FROM STDIN`` through psycopg's ``Cursor.copy`` (the driver the book
  uses, ``postgresql+psycopg``), rows written with ``write_row`` (psycopg adapts dates,
  Decimals and bytes);
- SQLite: one DBAPI ``executemany``, each column converted by its SQLAlchemy type's bind
  processor, so values are stored exactly as the repositories' typed inserts store them;
- any other backend: SQLAlchemy Core's ``executemany``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection


def load(conn: Connection, table: Table, columns: Sequence[str],
         rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in one bulk statement."""
    if not rows:
        return
    backend = conn.dialect.name
    if backend == "postgresql":
        _copy(conn, table, columns, rows)
    elif backend == "sqlite":
        _executemany(conn, table, columns, rows)
    else:
        from sqlalchemy import insert

        conn.execute(insert(table), [dict(zip(columns, r, strict=True)) for r in rows])


def _executemany(conn: Connection, table: Table, columns: Sequence[str],
                 rows: Sequence[Sequence[Any]]) -> None:
    """One DBAPI ``executemany`` (qmark parameters), each column through its type's bind
    processor."""
    procs = [_last_value_cached(table.c[name].type.bind_processor(conn.dialect))
             for name in columns]
    if any(procs):
        rows = [tuple(v if f is None or v is None else f(v)
                      for f, v in zip(procs, row, strict=True)) for row in rows]
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", list(rows))


def _copy(conn: Connection, table: Table, columns: Sequence[str],
          rows: Sequence[Sequence[Any]]) -> None:
    from sqlalchemy import text

    raw: Any = conn.connection.driver_connection
    names = ", ".join(columns)
    with raw.cursor() as cursor, \
            cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    if "id" in columns and table.c.id.autoincrement is True:
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"(SELECT max(id) FROM {table.name}))"))


def _last_value_cached(process: Any) -> Any:
    """A bind processor that converts a run of equal values once (every row of an import
    carries the same ``created_at``)."""
    if process is None:
        return None
    last: list[Any] = [object(), None]

    def cached(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return cached
