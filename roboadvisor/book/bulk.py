"""Bulk reads and writes of the whole book, for ``book export`` and ``book import``.

The repositories read and write one client or account at a time, which is right for the
commands of an advisor and far too slow for a book of 100,000 accounts. Here each table is
read in one query and written in one statement per table, inside the command's transaction:

- each table in one bulk statement (``table_load.load``: COPY on PostgreSQL, one
  ``executemany`` elsewhere);

Records are appended with the hash chain of ``chain`` (the same body layout as
``SqlRecords.append``), after the chain's head is taken and locked (``SqlRecords.head``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Float, cast, func, select, text

from roboadvisor.book import schema
from roboadvisor.book.models import FlowKind, FlowStatus
from roboadvisor.book.repositories import Entry, Personal, SqlRecords, _utc
from roboadvisor.book.table_load import load

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

    from roboadvisor.book.crypto import Cipher


@dataclass(frozen=True)
class AccountRow:
    """An account as exported: the tier in force (``above_level``: the client's own choice
    above the assessed tier), cash, and its client's latest assessment
    (``answers`` decrypted, None when erased; ``assessment_id`` None when never assessed)."""

    id: str
    client_id: str
    tier: int
    above_level: bool
    cash: float
    assessment_id: int | None
    questionnaire: tuple[str, int] | None
    assessed_at: datetime | None
    expires_at: datetime | None
    answers: dict[str, str] | None


@dataclass(frozen=True)
class BookRows:
    """The whole book in rows: accounts by id, positions (account, ticker, shares) and the
    pending cash flows (account, date, signed amount: deposits > 0), each sorted. Money and
    shares as floats (what the parquet book holds), converted by the database."""

    accounts: tuple[AccountRow, ...]
    positions: tuple[tuple[str, str, float], ...]
    flows: tuple[tuple[str, date, float], ...]


class SqlBulk:
    """Whole-book reads and bulk loads on the connection of one transaction."""

    def __init__(self, conn: Connection, cipher: Cipher) -> None:
        self.conn = conn
        self.personal = Personal(conn, cipher)

    @property
    def backend(self) -> str:
        return str(self.conn.dialect.name)

    # --- reads ----------------------------------------------------------------------------
    def read_book(self) -> BookRows:
        """Every account with its client's latest assessment (answers decrypted: the key is
        needed when any answers are kept), positions and pending flows; one query a table."""
        a, c, s = schema.assessments, schema.clients, schema.accounts
        latest: dict[str, Any] = {}
        for row in self.conn.execute(
                select(a.c.id, a.c.client_id, a.c.questionnaire_id, a.c.questionnaire_version,
                       a.c.answers_enc, a.c.assessed_at, a.c.expires_at)
                .order_by(a.c.client_id, a.c.assessed_at, a.c.id)).all():
            latest[row.client_id] = row  # the last row of a client is its latest
        erased = {r.id for r in self.conn.execute(select(c.c.id).where(
            c.c.erased_at.is_not(None)))}
        accounts = []
        for acc in self.conn.execute(select(s.c.id, s.c.client_id, s.c.tier, s.c.above_level,
                                            cast(s.c.cash, Float)).order_by(s.c.id)).all():
            found = latest.get(acc[1])
            answers = None
            if found is not None and found.answers_enc is not None \
                    and acc[1] not in erased:
                import json

                answers = dict(json.loads(self.personal.open(found.answers_enc) or "{}"))
            accounts.append(AccountRow(
                acc[0], acc[1], int(acc[2]), bool(acc[3]), float(acc[4]),
                found.id if found else None,
                (found.questionnaire_id, int(found.questionnaire_version)) if found else None,
                _utc(found.assessed_at) if found else None,
                _utc(found.expires_at) if found else None, answers))
        p, f = schema.positions, schema.cash_flows
        positions = tuple(tuple(r) for r in self.conn.execute(
            select(p.c.account_id, p.c.ticker, cast(p.c.shares, Float))
            .order_by(p.c.account_id, p.c.ticker)).all())
        deposit = FlowKind.DEPOSIT.value
        flows = tuple(
            (r[0], r[3], float(r[2]) if r[1] == deposit else -float(r[2]))
            for r in self.conn.execute(
                select(f.c.account_id, f.c.kind, cast(f.c.amount, Float), f.c.on_date)
                .where(f.c.status == FlowStatus.PENDING.value)
                .order_by(f.c.account_id, f.c.on_date, f.c.id)).all())
        return BookRows(tuple(accounts), positions, flows)

    def existing(self, table: Table, ids: Iterable[str], chunk: int = 5_000) -> list[str]:
        """Which of ``ids`` are already rows of ``table`` (clients or accounts), sorted."""
        wanted = sorted(set(ids))
        found: list[str] = []
        for i in range(0, len(wanted), chunk):
            part = wanted[i:i + chunk]
            found.extend(r[0] for r in self.conn.execute(
                select(table.c.id).where(table.c.id.in_(part))))
        return sorted(found)

    def records_head(self) -> tuple[int, str]:
        """The next record's number and the hash it follows (locked on PostgreSQL)."""
        return SqlRecords(self.conn).head()

    def next_id(self, table: Table) -> int:
        """The first free integer id of ``table`` (assessments, cash_flows), after locking
        the table against other writers on PostgreSQL."""
        if self.backend == "postgresql":
            self.conn.execute(text(f"LOCK TABLE {table.name} IN SHARE ROW EXCLUSIVE MODE"))
        found = self.conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar()
        return int(found or 0) + 1

    def seal(self, plain: str) -> bytes:
        """Encrypt a personal field (the key is checked against the book's key check)."""
        sealed = self.personal.seal(plain)
        assert sealed is not None
        return sealed

    # --- writes ---------------------------------------------------------------------------
    def load(self, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in one bulk statement
        (``table_load.load``)."""
        load(self.conn, table, columns, rows)

    def append_records(self, records: Iterable[Entry], now: datetime) -> tuple[int, str, int]:
        """Chain and insert ``records`` after the current head (``SqlRecords.append_many``);
        (first seq, last hash, count)."""
        made = SqlRecords(self.conn).append_many(list(records), now)
        if not made:
            seq, prev = self.records_head()
            return seq, prev, 0
        return made[0].seq, made[-1].hash, len(made)
