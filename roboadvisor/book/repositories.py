"""Repositories: small protocols the services receive, and their one SQL implementation.

Each SQL repository works on the connection of the command's transaction, so a command's writes
commit together or not at all. Personal fields (names, birth dates, answers, acknowledgements)
pass through ``Personal``, which encrypts them and checks the key against the book's key check.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, overload

from sqlalchemy import bindparam, func, insert, select, text, update

from roboadvisor.book import chain, schema
from roboadvisor.book.models import (
    Account,
    CashFlow,
    Client,
    FlowKind,
    FlowStatus,
    ModelTier,
    ModelVersion,
    Record,
    RecordKind,
    StoredAssessment,
)
from roboadvisor.book.table_load import load
from roboadvisor.domain.limits import MAX_MONEY, MAX_SHARES
from roboadvisor.errors import BookDamagedError, BookKeyError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from roboadvisor.book.crypto import Cipher


# --- protocols ----------------------------------------------------------------------------------
class Clients(Protocol):
    def add(self, client_id: str, name: str | None, birth_date: date | None,
            now: datetime) -> Client: ...
    def get(self, client_id: str) -> Client | None: ...
    def all(self) -> list[Client]:
        """Every client by id, without decrypting personal data (``personal_available`` False)."""
        ...
    def erase(self, client_id: str, now: datetime) -> None: ...


class Assessments(Protocol):
    def add(self, stored: StoredAssessment, answers: Mapping[str, str]) -> StoredAssessment: ...
    def latest(self, client_id: str) -> StoredAssessment | None: ...
    def latest_all(self) -> dict[str, StoredAssessment]:
        """The latest assessment of every client that has one (one query)."""
        ...
    def get(self, assessment_id: int) -> StoredAssessment | None: ...
    def answers(self, assessment_id: int) -> dict[str, str] | None: ...


class Accounts(Protocol):
    def open(self, account: Account, acknowledgement: str | None) -> Account: ...
    def get(self, account_id: str) -> Account | None: ...
    def of_client(self, client_id: str) -> list[Account]: ...
    def replace_holdings(self, account_id: str, cash: Decimal | None,
                         positions: Mapping[str, Decimal]) -> None: ...
    def add_flow(self, account_id: str, kind: FlowKind, amount: Decimal, on: date,
                 now: datetime) -> CashFlow: ...
    def flows(self, account_id: str) -> list[CashFlow]: ...
    def all(self) -> list[Account]: ...
    def stored(self, *, account_id: str | None = None,
               client_id: str | None = None) -> StoredAccounts: ...
    def pending(self) -> dict[str, list[CashFlow]]: ...
    def rebalanced(self, account_id: str, tier: int, model_version: int | None,
                   applied_flows: list[int]) -> None:
        """After fills are booked: the tier and model version now held; flows applied."""
        ...
    def set_settings(self, account_id: str, *, drift_threshold: Decimal | None = None,
                     allow_fractional: bool | None = None, cash_reserve: Decimal | None = None,
                     min_trade: Decimal | None = None, clear_min_trade: bool = False) -> None:
        """Change an account's settings (None: unchanged; ``clear_min_trade``: back to the
        run's minimum trade)."""
        ...
    def book_fills(self, fills: list[Filled]) -> None:
        """Many accounts' fills in bulk statements: holdings replaced, cash, tier and model
        version set, the flows applied (``replace_holdings`` + ``rebalanced`` for each)."""
        ...


class StoredAccounts:
    """Every account of a book as stored (``Accounts.stored``), in id order: its fields, its
    numbers as floats for array arithmetic (``cash``, ``drift_threshold``, ``cash_reserve``;
    the positions as parallel lists of account row, ticker and shares) and, only when asked,
    the exact ``Account`` (``account(i)``, Decimals through the column types' processors,
    ``_as_stored``). A book review screens 10,000 accounts with arrays; a rebalance needs the
    Decimals of the few that trade. The floats equal those of the Decimals: every stored
    value has at most its column's decimal places."""

    def __init__(self, rows: Sequence[Any], positions: Sequence[Any],
                 to_decimal: tuple[Callable[[Any], Decimal], ...],
                 shares_to_decimal: Callable[[Any], Decimal]) -> None:
        self._rows, self._decimal, self._shares_decimal = rows, to_decimal, shares_to_decimal
        self.ids: tuple[str, ...] = tuple(r[0] for r in rows)
        self.client_ids: tuple[str, ...] = tuple(r[1] for r in rows)
        self.tiers = tuple(int(r[2]) for r in rows)
        self.above_level = tuple(bool(r[3]) for r in rows)
        self.model_versions: tuple[int | None, ...] = tuple(r[6] for r in rows)
        self.cash = [_finite(r[7], r[0], "cash") for r in rows]
        self.drift_threshold = [_finite(r[8], r[0], "drift_threshold") for r in rows]
        self.cash_reserve = [_finite(r[9], r[0], "cash_reserve") for r in rows]
        for r in rows:
            if r[10] is not None:
                _finite(r[10], r[0], "min_trade")
        row_of = {account_id: i for i, account_id in enumerate(self.ids)}
        positions = [r for r in positions if r[0] in row_of]  # (none without an account)
        self.position_row = [row_of[r[0]] for r in positions]
        self.position_ticker: list[str] = [r[1] for r in positions]
        self.position_shares = [r[2] for r in positions]
        self.position_values = [_finite(r[2], r[0], f"shares[{r[1]}]", 0.0, float(MAX_SHARES))
                                for r in positions]
        # positions come sorted by account, as the accounts do: each account's is a slice
        self._slices: dict[int, tuple[int, int]] = {}
        start = 0
        for k in range(1, len(positions) + 1):
            if k == len(positions) or self.position_row[k] != self.position_row[start]:
                self._slices[self.position_row[start]] = (start, k)
                start = k

    def tickers_of(self, i: int) -> list[str]:
        """The tickers account ``i`` holds."""
        a, b = self._slices.get(i, (0, 0))
        return self.position_ticker[a:b]

    def account(self, i: int) -> Account:
        """Account ``i`` with its exact Decimals."""
        r = self._rows[i]
        cash, threshold, reserve, min_trade = self._decimal  # (min_trade may be NULL)
        a, b = self._slices.get(i, (0, 0))
        shares = self._shares_decimal
        positions = {t: shares(v) for t, v in zip(self.position_ticker[a:b],
                                                   self.position_shares[a:b], strict=True)}
        return Account(r[0], r[1], int(r[2]), bool(r[3]), _utc(r[4]), cash(r[7]), positions,
                       bool(r[5]), threshold(r[8]), r[6], reserve(r[9]),
                       None if r[10] is None else min_trade(r[10]))


def _finite(value: Any, account_id: str, column: str, low: float = -float(MAX_MONEY),
            high: float = float(MAX_MONEY)) -> float:
    """A stored number as a float, refused in one line when the book holds what no way in
    allows (text, infinity, NaN, beyond ``domain.limits``: the book was changed outside
    roboadvisor)."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        out = math.nan
    if not low <= out <= high:
        raise BookDamagedError.from_catalog("book.damaged_number", account=account_id,
                                            column=column, value=repr(value)[:40],
                                            low=f"{low:,.0f}", high=f"{high:,.0f}")
    return out


@dataclass(frozen=True)
class Filled:
    """One account after its orders are booked: cash, positions (ticker -> shares), the tier
    and model version now held, the cash flows applied, and whether the tier is still the
    client's own choice above the assessed one (``above_level``)."""

    account_id: str
    cash: Decimal
    positions: Mapping[str, Decimal]
    tier: int
    model_version: int | None
    applied_flows: tuple[int, ...] = ()
    above_level: bool = False


class Models(Protocol):
    def add(self, model: ModelVersion) -> ModelVersion: ...
    def latest(self) -> ModelVersion | None: ...
    def get(self, version: int) -> ModelVersion | None: ...
    def all(self) -> list[ModelVersion]: ...


@dataclass(frozen=True)
class Entry:
    """A record to append: its kind, client, account and content."""

    kind: RecordKind
    client_id: str | None
    account_id: str | None
    content: Mapping[str, Any]


class Records(Protocol):
    def append(self, kind: RecordKind, client_id: str | None, account_id: str | None,
               content: Mapping[str, Any], now: datetime) -> Record: ...
    def append_many(self, entries: list[Entry], now: datetime) -> list[Record]:
        """Records in order, their hash chain computed in memory and inserted in one bulk
        statement (the same records as ``append`` one by one)."""
        ...
    def all(self, client_id: str | None = None) -> list[Record]: ...
    def get(self, seq: int) -> Record | None: ...
    def put_blob(self, data: bytes) -> str: ...
    def blob(self, sha256: str) -> bytes | None: ...
    def head(self) -> tuple[int, str]:
        """The next record's number and the hash it will follow, locked against other
        appenders until the transaction ends (a page that names its own record)."""
        ...


@dataclass(frozen=True)
class Book:
    """The repositories of one transaction, handed to the services."""

    clients: Clients
    assessments: Assessments
    accounts: Accounts
    records: Records
    models: Models


def sql_book(conn: Connection, cipher: Cipher) -> Book:
    personal = Personal(conn, cipher)
    return Book(SqlClients(conn, personal), SqlAssessments(conn, personal),
                SqlAccounts(conn, personal), SqlRecords(conn), SqlModels(conn))


# --- personal data ------------------------------------------------------------------------------
class Personal:
    """Encrypts/decrypts personal fields after checking the key against the book's key check."""

    def __init__(self, conn: Connection, cipher: Cipher) -> None:
        self.conn, self.cipher, self._checked = conn, cipher, False

    def available(self) -> bool:
        return self.cipher.available()

    def _check(self, creating: bool) -> None:
        if self._checked:
            return
        row = self.conn.execute(select(schema.settings.c.value)
                                .where(schema.settings.c.key == "key_check")).first()
        if row is None:
            if not creating:
                raise BookKeyError.from_catalog("book.key_missing",
                                                where=self.cipher.source.describe())
            token = self.cipher.check_token()
            self.conn.execute(insert(schema.settings).values(key="key_check",
                                                             value=token.decode("ascii")))
        else:
            self.cipher.verify(row.value.encode("ascii"))
        self._checked = True

    def seal(self, text: str | None) -> bytes | None:
        if text is None:
            return None
        self._check(creating=True)
        return self.cipher.encrypt(text)

    def open(self, token: bytes | None) -> str | None:
        if token is None:
            return None
        self._check(creating=False)
        return self.cipher.decrypt(token)


# --- SQL implementations ------------------------------------------------------------------------
class SqlClients:
    def __init__(self, conn: Connection, personal: Personal) -> None:
        self.conn, self.personal = conn, personal

    def add(self, client_id: str, name: str | None, birth_date: date | None,
            now: datetime) -> Client:
        self.conn.execute(insert(schema.clients).values(
            id=client_id, name_enc=self.personal.seal(name),
            birth_date_enc=self.personal.seal(birth_date.isoformat() if birth_date else None),
            created_at=now))
        return Client(client_id, now, None, name, birth_date)

    def _client(self, row: Any) -> Client:
        has_personal = row.name_enc is not None or row.birth_date_enc is not None
        if has_personal and not self.personal.available():
            return Client(row.id, _utc(row.created_at), _utc(row.erased_at),
                          personal_available=False)
        born = self.personal.open(row.birth_date_enc)
        return Client(row.id, _utc(row.created_at), _utc(row.erased_at),
                      self.personal.open(row.name_enc),
                      date.fromisoformat(born) if born else None)

    def get(self, client_id: str) -> Client | None:
        row = self.conn.execute(select(schema.clients)
                                .where(schema.clients.c.id == client_id)).first()
        return self._client(row) if row else None

    def all(self) -> list[Client]:
        c = schema.clients
        rows = self.conn.execute(select(c.c.id, c.c.created_at, c.c.erased_at).order_by(c.c.id))
        return [Client(row.id, _utc(row.created_at), _utc(row.erased_at),
                       personal_available=False) for row in rows]

    def erase(self, client_id: str, now: datetime) -> None:
        self.conn.execute(update(schema.clients).where(schema.clients.c.id == client_id)
                          .values(name_enc=None, birth_date_enc=None, erased_at=now))
        self.conn.execute(update(schema.assessments)
                          .where(schema.assessments.c.client_id == client_id)
                          .values(answers_enc=None))
        account_ids = select(schema.accounts.c.id).where(
            schema.accounts.c.client_id == client_id).scalar_subquery()
        self.conn.execute(update(schema.accounts).where(schema.accounts.c.id.in_(account_ids))
                          .values(acknowledgement_enc=None))


class SqlAssessments:
    def __init__(self, conn: Connection, personal: Personal) -> None:
        self.conn, self.personal = conn, personal

    def add(self, stored: StoredAssessment, answers: Mapping[str, str]) -> StoredAssessment:
        values = {k: v for k, v in stored.__dict__.items() if k != "id"}
        values["answers_enc"] = self.personal.seal(chain.canonical(dict(answers)))
        new_id = self.conn.execute(insert(schema.assessments).values(**values)).inserted_primary_key
        assert new_id is not None
        return StoredAssessment(**{**stored.__dict__, "id": int(new_id[0])})

    @staticmethod
    def _of(row: Any) -> StoredAssessment:
        m = row._mapping
        return StoredAssessment(
            id=m["id"], client_id=m["client_id"], questionnaire_id=m["questionnaire_id"],
            questionnaire_version=m["questionnaire_version"],
            questionnaire_sha256=m["questionnaire_sha256"], answers_sha256=m["answers_sha256"],
            tolerance_score=m["tolerance_score"], capacity_score=m["capacity_score"],
            combined_score=m["combined_score"], score_tier=m["score_tier"], tier=m["tier"],
            lowest=bool(m["lowest"]), assessed_at=_utc(m["assessed_at"]),
            expires_at=_utc(m["expires_at"]))

    def latest(self, client_id: str) -> StoredAssessment | None:
        a = schema.assessments
        row = self.conn.execute(select(a).where(a.c.client_id == client_id)
                                .order_by(a.c.assessed_at.desc(), a.c.id.desc())).first()
        return self._of(row) if row else None

    def latest_all(self) -> dict[str, StoredAssessment]:
        a = schema.assessments
        out: dict[str, StoredAssessment] = {}
        for row in self.conn.execute(select(a).order_by(a.c.client_id, a.c.assessed_at,
                                                        a.c.id)):
            out[row.client_id] = self._of(row)  # the last row of a client is its latest
        return out

    def get(self, assessment_id: int) -> StoredAssessment | None:
        a = schema.assessments
        if not _storable(assessment_id):
            return None
        row = self.conn.execute(select(a).where(a.c.id == assessment_id)).first()
        return self._of(row) if row else None

    def answers(self, assessment_id: int) -> dict[str, str] | None:
        a = schema.assessments
        token = self.conn.execute(select(a.c.answers_enc)
                                  .where(a.c.id == assessment_id)).scalar()
        text = self.personal.open(token)
        return dict(json.loads(text)) if text else None


class SqlAccounts:
    def __init__(self, conn: Connection, personal: Personal) -> None:
        self.conn, self.personal = conn, personal

    def open(self, account: Account, acknowledgement: str | None) -> Account:
        self.conn.execute(insert(schema.accounts).values(
            id=account.id, client_id=account.client_id, tier=account.tier,
            above_level=account.above_level,
            acknowledgement_enc=self.personal.seal(acknowledgement), cash=account.cash,
            opened_at=account.opened_at, allow_fractional=account.allow_fractional,
            drift_threshold=account.drift_threshold, model_version=account.model_version,
            cash_reserve=account.cash_reserve, min_trade=account.min_trade))
        return account

    def set_settings(self, account_id: str, *, drift_threshold: Decimal | None = None,
                     allow_fractional: bool | None = None, cash_reserve: Decimal | None = None,
                     min_trade: Decimal | None = None, clear_min_trade: bool = False) -> None:
        values: dict[str, Any] = {k: v for k, v in (
            ("drift_threshold", drift_threshold), ("allow_fractional", allow_fractional),
            ("cash_reserve", cash_reserve), ("min_trade", min_trade)) if v is not None}
        if clear_min_trade:
            values["min_trade"] = None
        if values:
            self.conn.execute(update(schema.accounts)
                              .where(schema.accounts.c.id == account_id).values(**values))

    def get(self, account_id: str) -> Account | None:
        found = self.stored(account_id=account_id)
        return found.account(0) if found.ids else None

    def of_client(self, client_id: str) -> list[Account]:
        found = self.stored(client_id=client_id)
        return [found.account(i) for i in range(len(found.ids))]

    def replace_holdings(self, account_id: str, cash: Decimal | None,
                         positions: Mapping[str, Decimal]) -> None:
        p = schema.positions
        self.conn.execute(p.delete().where(p.c.account_id == account_id))
        if positions:
            self.conn.execute(insert(p), [{"account_id": account_id, "ticker": t, "shares": s}
                                          for t, s in positions.items()])
        if cash is not None:
            self.conn.execute(update(schema.accounts).where(schema.accounts.c.id == account_id)
                              .values(cash=cash))

    def add_flow(self, account_id: str, kind: FlowKind, amount: Decimal, on: date,
                 now: datetime) -> CashFlow:
        new_id = self.conn.execute(insert(schema.cash_flows).values(
            account_id=account_id, kind=kind.value, amount=amount, on_date=on,
            status=FlowStatus.PENDING.value, created_at=now)).inserted_primary_key
        assert new_id is not None
        return CashFlow(int(new_id[0]), account_id, kind, amount, on, FlowStatus.PENDING)

    def flows(self, account_id: str) -> list[CashFlow]:
        f = schema.cash_flows
        rows = self.conn.execute(select(f).where(f.c.account_id == account_id)
                                 .order_by(f.c.on_date, f.c.id))
        return [CashFlow(r.id, r.account_id, FlowKind(r.kind), Decimal(r.amount), r.on_date,
                         FlowStatus(r.status)) for r in rows]


    def all(self) -> list[Account]:
        """Every account by id (``stored``, each account built)."""
        found = self.stored()
        return [found.account(i) for i in range(len(found.ids))]

    def stored(self, *, account_id: str | None = None,
               client_id: str | None = None) -> StoredAccounts:
        """Every account by id as stored (or the one ``account_id``, or ``client_id``'s), its
        positions read in one query (a book review reads them all: 100,000 positions in a
        book of 10,000 accounts); see ``StoredAccounts``."""
        a, p = schema.accounts, schema.positions
        numeric = [_as_stored(self.conn, a.c[name])
                   for name in ("cash", "drift_threshold", "cash_reserve", "min_trade")]
        accounts = select(a.c.id, a.c.client_id, a.c.tier, a.c.above_level, a.c.opened_at,
                          a.c.allow_fractional, a.c.model_version,
                          *(raw for raw, _ in numeric)).order_by(a.c.id)
        shares, to_shares = _as_stored(self.conn, p.c.shares)
        held = select(p.c.account_id, p.c.ticker, shares).order_by(p.c.account_id, p.c.ticker)
        if account_id is None and client_id is None:
            positions = _driver_rows(self.conn, held)
        else:
            if account_id is not None:
                accounts = accounts.where(a.c.id == account_id)
                held = held.where(p.c.account_id == account_id)
            if client_id is not None:
                accounts = accounts.where(a.c.client_id == client_id)
                held = held.where(p.c.account_id.in_(
                    select(a.c.id).where(a.c.client_id == client_id)))
            positions = [tuple(r) for r in self.conn.execute(held)]
        rows = self.conn.execute(accounts).all()
        return StoredAccounts(rows, positions, tuple(c for _, c in numeric), to_shares)

    def pending(self) -> dict[str, list[CashFlow]]:
        """Pending cash flows of every account (one query)."""
        f = schema.cash_flows
        out: dict[str, list[CashFlow]] = {}
        for r in self.conn.execute(select(f).where(f.c.status == FlowStatus.PENDING.value)
                                   .order_by(f.c.on_date, f.c.id)):
            out.setdefault(r.account_id, []).append(
                CashFlow(r.id, r.account_id, FlowKind(r.kind), Decimal(r.amount), r.on_date,
                         FlowStatus(r.status)))
        return out

    def rebalanced(self, account_id: str, tier: int, model_version: int | None,
                   applied_flows: list[int]) -> None:
        self.conn.execute(update(schema.accounts).where(schema.accounts.c.id == account_id)
                          .values(tier=tier, model_version=model_version))
        if applied_flows:
            f = schema.cash_flows
            self.conn.execute(update(f).where(f.c.id.in_(applied_flows))
                              .values(status=FlowStatus.APPLIED.value))


    def book_fills(self, fills: list[Filled]) -> None:
        if not fills:
            return
        p, a, f = schema.positions, schema.accounts, schema.cash_flows
        ids = [x.account_id for x in fills]
        for chunk in _chunks(ids):
            self.conn.execute(p.delete().where(p.c.account_id.in_(chunk)))
        load(self.conn, p, ("account_id", "ticker", "shares"),
             [(x.account_id, t, s) for x in fills for t, s in x.positions.items()])
        self.conn.execute(
            update(a).where(a.c.id == bindparam("b_id"))
            .values(cash=bindparam("b_cash"), tier=bindparam("b_tier"),
                    model_version=bindparam("b_version"), above_level=bindparam("b_above")),
            [{"b_id": x.account_id, "b_cash": x.cash, "b_tier": x.tier,
              "b_version": x.model_version, "b_above": x.above_level} for x in fills])
        applied = [i for x in fills for i in x.applied_flows]
        for chunk in _chunks(applied):
            self.conn.execute(update(f).where(f.c.id.in_(chunk))
                              .values(status=FlowStatus.APPLIED.value))


def _as_stored(conn: Connection, column: Any) -> tuple[Any, Callable[[Any], Decimal]]:
    """A numeric column selected as the driver returns it, and the conversion its type would
    apply (SQLAlchemy's own result processor: a float or int formatted to the column's
    scale on SQLite; none on PostgreSQL, which returns Decimals, kept as they are): the same
    Decimals as a typed select, at less than half the cost per value when there are 100,000
    of them. On SQLite each distinct value is converted once: equal values convert to the
    same Decimal (5 and 5.0 to 5.00000000; a NUMERIC column stores -0.0 as the integer 0)."""
    from sqlalchemy import type_coerce
    from sqlalchemy.types import NullType

    raw = type_coerce(column, NullType())
    convert = column.type.result_processor(conn.dialect, None)
    if convert is None:
        return raw, _as_is
    done: dict[Any, Decimal] = {}

    def once(value: Any) -> Decimal:
        found = done.get(value)
        if found is None:
            found = done[value] = convert(value)
        return found

    return raw, once


def _as_is(value: Any) -> Decimal:
    return value


def _driver_rows(conn: Connection, query: Any) -> list[tuple[Any, ...]]:
    """The rows of ``query`` (no parameters, columns read as stored: ``_as_stored``) as the
    driver's own tuples, on the transaction's connection: SQLAlchemy's result rows cost more
    than the read itself for the 100,000 positions of a book review."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(query.compile(dialect=conn.dialect)))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _storable(number: int) -> bool:
    """Whether a record number, model version or assessment id fits a 64-bit column: larger
    numbers name nothing in the book (and would make the driver raise)."""
    return -(2**63) <= number < 2**63


def _chunks(items: list[Any], size: int = 500) -> list[list[Any]]:
    """Lists of at most ``size`` (SQLite limits the parameters of one statement)."""
    return [items[i:i + size] for i in range(0, len(items), size)]


class SqlModels:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, model: ModelVersion) -> ModelVersion:
        self.conn.execute(insert(schema.model_versions).values(
            version=model.version, created_at=model.created_at, source=model.source,
            note=model.note, inputs=chain.canonical(model.inputs), digest=model.digest,
            record_seq=model.record_seq))
        tiers = sorted(model.tiers.items())
        if model.lowest is not None:
            tiers.insert(0, (0, model.lowest))
        self.conn.execute(insert(schema.model_tiers), [
            {"version": model.version, "tier": k, "body": chain.canonical(tier_body(v))}
            for k, v in tiers])
        return model

    def _of(self, row: Any) -> ModelVersion:
        m = schema.model_tiers
        tiers = {}
        for r in self.conn.execute(select(m).where(m.c.version == row.version)):
            body = json.loads(r.body)
            tiers[int(r.tier)] = ModelTier(int(r.tier), **body)
        lowest = tiers.pop(0, None)  # tier 0: the lowest category's R1-only portfolio
        return ModelVersion(row.version, _utc(row.created_at), row.source, row.note,
                            json.loads(row.inputs), row.digest, row.record_seq, tiers, lowest)

    def latest(self) -> ModelVersion | None:
        v = schema.model_versions
        row = self.conn.execute(select(v).order_by(v.c.version.desc()).limit(1)).first()
        return self._of(row) if row else None

    def get(self, version: int) -> ModelVersion | None:
        v = schema.model_versions
        if not _storable(version):
            return None
        row = self.conn.execute(select(v).where(v.c.version == version)).first()
        return self._of(row) if row else None

    def all(self) -> list[ModelVersion]:
        v = schema.model_versions
        return [self._of(row) for row in self.conn.execute(select(v).order_by(v.c.version))]


def tier_body(tier: ModelTier) -> dict[str, Any]:
    """A model tier as stored (everything but its number)."""
    return {"weights": tier.weights, "expected_return": tier.expected_return,
            "volatility": tier.volatility, "binding": tier.binding,
            "asset_returns": tier.asset_returns, "asset_volatility": tier.asset_volatility}


class SqlRecords:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._last: tuple[int, str] | None = None
        """(seq, hash) of this transaction's last append: the chain's head while the
        transaction holds the write lock (taken by its first append), so later appends of a
        batch skip the lock and the look-up."""

    def append(self, kind: RecordKind, client_id: str | None, account_id: str | None,
               content: Mapping[str, Any], now: datetime) -> Record:
        return self.append_many([Entry(kind, client_id, account_id, content)], now)[0]

    def append_many(self, entries: list[Entry], now: datetime) -> list[Record]:
        if not entries:
            return []
        r = schema.records
        if self._last is not None:
            seq, prev = self._last[0] + 1, self._last[1]
        else:
            seq, prev = self.head()
        created = _iso(now)
        out = []
        for e in entries:
            body = chain.canonical({**e.content, "seq": seq, "kind": e.kind.value,
                                    "created_at": created, "client_id": e.client_id,
                                    "account_id": e.account_id})
            record = Record(seq, e.kind, now, e.client_id, e.account_id, body, prev,
                            chain.link_hash(prev, body))
            out.append(record)
            seq, prev = seq + 1, record.hash
        load(self.conn, r, ("seq", "kind", "created_at", "client_id", "account_id", "body",
                            "prev_hash", "hash"),
             [(x.seq, x.kind.value, now, x.client_id, x.account_id, x.body, x.prev_hash, x.hash)
              for x in out])
        self._last = (out[-1].seq, out[-1].hash)
        return out

    @staticmethod
    def _of(row: Any) -> Record:
        return Record(row.seq, RecordKind(row.kind), _utc(row.created_at), row.client_id,
                      row.account_id, row.body, row.prev_hash, row.hash)

    def all(self, client_id: str | None = None) -> list[Record]:
        r = schema.records
        query = select(r).order_by(r.c.seq)
        if client_id is not None:
            query = query.where(r.c.client_id == client_id)
        return [self._of(row) for row in self.conn.execute(query)]

    def get(self, seq: int) -> Record | None:
        if not _storable(seq):
            return None
        row = self.conn.execute(select(schema.records)
                                .where(schema.records.c.seq == seq)).first()
        return self._of(row) if row else None

    def head(self) -> tuple[int, str]:
        r = schema.records
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("LOCK TABLE records IN SHARE ROW EXCLUSIVE MODE"))
        last = self.conn.execute(select(r.c.seq, r.c.hash).order_by(r.c.seq.desc())
                                 .limit(1)).first()
        return (last.seq + 1, last.hash) if last else (1, chain.GENESIS)

    def count(self) -> int:
        total = self.conn.execute(select(func.count()).select_from(schema.records)).scalar()
        return int(total or 0)

    def put_blob(self, data: bytes) -> str:
        digest = chain.sha256_bytes(data)
        b = schema.blobs
        if self.conn.execute(select(b.c.sha256).where(b.c.sha256 == digest)).first() is None:
            self.conn.execute(insert(b).values(sha256=digest, data=data))
        return digest

    def blob(self, sha256: str) -> bytes | None:
        b = schema.blobs
        data = self.conn.execute(select(b.c.data).where(b.c.sha256 == sha256)).scalar()
        return bytes(data) if data is not None else None


@overload
def _utc(value: datetime) -> datetime: ...
@overload
def _utc(value: None) -> None: ...


def _utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes: the book stores UTC, so mark them as such."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(value: datetime) -> str:
    return _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")
