"""Bulk writes of a book run on both backends: ``append_many`` makes the same records as
``append`` one by one (same chain), and ``book_fills`` the same accounts as
``replace_holdings`` + ``rebalanced``."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from roboadvisor.book import schema
from roboadvisor.book.chain import verify_chain
from roboadvisor.book.crypto import Cipher, KeySource
from roboadvisor.book.models import Account, FlowKind, RecordKind
from roboadvisor.book.repositories import Entry, Filled, sql_book

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _cipher() -> Cipher:
    return Cipher(KeySource.from_environ(dict(os.environ), Path(os.environ["XDG_DATA_HOME"])))


def _entries() -> list[Entry]:
    return [Entry(RecordKind.REBALANCE, f"c{i}", f"a{i}", {"n": i, "text": ["é", "再平衡"]})
            for i in range(5)]


def test_append_many_equals_one_by_one(store, tmp_path: Path) -> None:
    from roboadvisor.book.store import open_store

    with store.transaction() as conn:
        book = sql_book(conn, _cipher())
        first = book.records.append(RecordKind.CLIENT, "c0", None, {"x": 1}, NOW)
        bulk = book.records.append_many(_entries(), NOW)
        after = book.records.append(RecordKind.CLIENT, "c9", None, {"x": 2}, NOW)
    other = open_store(f"sqlite:///{tmp_path / 'one_by_one.sqlite'}")
    with other.transaction() as conn:
        book = sql_book(conn, _cipher())
        book.records.append(RecordKind.CLIENT, "c0", None, {"x": 1}, NOW)
        single = [book.records.append(e.kind, e.client_id, e.account_id, e.content, NOW)
                  for e in _entries()]
    other.close()
    assert [(r.seq, r.body, r.prev_hash, r.hash) for r in bulk] == \
        [(r.seq, r.body, r.prev_hash, r.hash) for r in single]
    assert bulk[0].prev_hash == first.hash and after.prev_hash == bulk[-1].hash
    with store.transaction() as conn:
        stored = sql_book(conn, _cipher()).records.all()
    assert [r.seq for r in stored] == list(range(1, 8)) and verify_chain(stored) == ()
    assert [r.hash for r in stored[1:6]] == [r.hash for r in bulk]


def test_book_fills_replace_holdings_cash_tier_version_and_flows(store) -> None:
    with store.transaction() as conn:
        book = sql_book(conn, _cipher())
        for cid in ("c1", "c2"):
            book.clients.add(cid, None, None, NOW)
        for aid, cid in (("A1", "c1"), ("A2", "c2"), ("A3", "c2")):
            book.accounts.open(Account(aid, cid, 3, False, NOW, Decimal(0), {}), None)
            book.accounts.replace_holdings(aid, Decimal(100), {"VTI": Decimal(5),
                                                               "AGG": Decimal(7)})
        flow = book.accounts.add_flow("A1", FlowKind.DEPOSIT, Decimal(500), NOW.date(), NOW)
        kept = book.accounts.add_flow("A3", FlowKind.DEPOSIT, Decimal(50), NOW.date(), NOW)
        book.accounts.book_fills([
            Filled("A1", Decimal("12.5"), {"VTI": Decimal(9), "BND": Decimal("0.5")}, 2, 4,
                   (flow.id,)),
            Filled("A2", Decimal(0), {}, 3, None)])
    with store.transaction() as conn:
        book = sql_book(conn, _cipher())
        a1, a2, a3 = (book.accounts.get(a) for a in ("A1", "A2", "A3"))
        statuses = dict(conn.execute(select(schema.cash_flows.c.id,
                                            schema.cash_flows.c.status)).all())
    assert (a1.cash, a1.positions, a1.tier, a1.model_version) == \
        (Decimal("12.5"), {"BND": Decimal("0.5"), "VTI": Decimal(9)}, 2, 4)
    assert (a2.cash, a2.positions, a2.tier, a2.model_version) == (Decimal(0), {}, 3, None)
    assert a3.positions == {"AGG": Decimal(7), "VTI": Decimal(5)} and a3.cash == 100
    assert statuses == {flow.id: "applied", kept.id: "pending"}
