"""Benchmark: the daily job on a client book (run on demand, not collected by pytest).

    python -m tests.benchmarks.bench_book_daily [--accounts 10000] [--synthetic] [--no-reference]

A temporary SQLite book with 2,000 clients (assessed, no personal data) and ``--accounts``
accounts in random tiers, at model version 1 (published from the shipped assumptions), with
whole-share holdings drifted by random market moves since their last rebalance (most stay
inside their 3% threshold), 5% with a deposit or withdrawal waiting. Prices: the latest
closes of the shared daily file (``bench_trading.latest_prices``), or seeded ones. The book is
written with bulk inserts (the fastest way in), then copied, so that both paths below start
from the same file.

1. The daily job as the CLI runs it, in one process: ``book review``
   (``book_daily.review_book``: set-based reads, accounts inside their bands screened per tier
   with arrays) and ``book rebalance --apply`` (``book_daily.rebalance_book``: trade lists, then
   every record and fill in bulk statements), each in its own transaction. Goal: both together
   under 10 s for 10,000 accounts. The time spent in the trade lists themselves
   (``book_daily.plan``, the domain's whole-share search) is shown apart.
2. The reference path on the copy: every account reviewed one by one (no screen), and each
   rebalance written with its own statements (``records.append``, ``replace_holdings``,
   ``rebalanced``), as before the bulk writes. Both paths must end with the same chain head
   (identical records) and the same holdings; the ratios are printed.
3. One account of 17 ETFs: ``review`` + ``plan_trades`` median (``bench_trading``), goal 5 ms.

Prints timings, ratios and the load average; exits 1 when a goal is missed or the two paths
disagree.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from tests.benchmarks.bench_trading import drifted_account, latest_prices

GOAL_S = 10.0
CLIENTS = 2_000


def build(url: str, key_dir: Path, n_accounts: int, synthetic: bool):
    from sqlalchemy import insert

    from roboadvisor.book import schema
    from roboadvisor.book.crypto import Cipher, KeySource
    from roboadvisor.book.models import FlowKind, FlowStatus, StoredAssessment
    from roboadvisor.book.repositories import sql_book
    from roboadvisor.book.store import open_store
    from roboadvisor.services import book_daily as daily
    from roboadvisor.services.market import get_universe
    from roboadvisor.services.model import PublishRequest, publish

    store = open_store(url)
    cipher = Cipher(KeySource.from_environ({"ROBOADVISOR_KEY_FILE": str(key_dir / "k")},
                                           key_dir))
    now = datetime.now(UTC).replace(microsecond=0)
    universe = get_universe()
    tickers = tuple(universe.tickers)
    prices, label = latest_prices(tickers, synthetic)
    rng = np.random.default_rng(2026)
    with store.transaction() as conn:
        book = sql_book(conn, cipher)
        model = publish(book, PublishRequest(), now).model
        weights = daily.model_matrix(model, tickers)
        client_tiers = rng.integers(1, 6, CLIENTS)
        tiers = client_tiers[np.arange(n_accounts) % CLIENTS]
        conn.execute(insert(schema.clients), [{"id": f"c{c:05d}", "created_at": now}
                                              for c in range(CLIENTS)])
        for c in range(CLIENTS):
            tier = int(client_tiers[c])
            book.assessments.add(StoredAssessment(
                0, f"c{c:05d}", "bench", 1, "0" * 64, "0" * 64, 0.5, 0.5, 0.5, tier, tier,
                False, now, now + timedelta(days=365)), {})
        values = np.exp(rng.normal(np.log(60_000), 0.8, n_accounts)).clip(5_000, 2_000_000)
        moves = rng.uniform(0.0, 0.06, n_accounts)
        accounts, positions, flows = [], [], []
        for a in range(n_accounts):
            shares, cash = drifted_account(rng, weights[tiers[a] - 1], prices, values[a],
                                           moves[a])
            aid = f"a{a:06d}"
            accounts.append({
                "id": aid, "client_id": f"c{a % CLIENTS:05d}", "tier": int(tiers[a]),
                "above_level": False, "opened_at": now, "allow_fractional": False,
                "drift_threshold": Decimal("0.03"), "model_version": 1,
                "cash": Decimal(repr(max(float(cash), 0.0))).quantize(Decimal("0.0001"))})
            positions += [{"account_id": aid, "ticker": t, "shares": Decimal(int(s))}
                          for t, s in zip(tickers, shares, strict=True) if s > 0]
            if rng.random() < 0.05:
                kind = FlowKind.DEPOSIT if rng.random() < 0.5 else FlowKind.WITHDRAWAL
                flows.append({"account_id": aid, "kind": kind.value,
                              "amount": Decimal(2000 if kind is FlowKind.DEPOSIT else 1500),
                              "on_date": now.date(), "status": FlowStatus.PENDING.value,
                              "created_at": now})
        conn.execute(insert(schema.accounts), accounts)
        conn.execute(insert(schema.positions), positions)
        conn.execute(insert(schema.cash_flows), flows)
    store.close()
    quotes = daily.Quotes({t: float(p) for t, p in zip(tickers, prices, strict=True)},
                          now.date().isoformat())
    return cipher, universe, quotes, label


class _PlanClock:
    """Wraps ``book_daily.plan`` to add up the time spent in trade lists."""

    def __init__(self) -> None:
        from roboadvisor.services import book_daily as daily

        self.module, self.inner, self.seconds, self.cpu = daily, daily.plan, 0.0, 0.0

    def __enter__(self) -> _PlanClock:
        def timed(*args, **kwargs):
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return self.inner(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self.cpu += time.process_time() - cpu

        self.module.plan = timed
        return self

    def __exit__(self, *exc) -> None:
        self.module.plan = self.inner


def daily_job(url: str, cipher, universe, quotes, now: datetime) -> dict:
    from roboadvisor.book.repositories import sql_book
    from roboadvisor.book.store import open_store
    from roboadvisor.services import book_daily as daily

    store = open_store(url)
    c0, t0 = time.process_time(), time.perf_counter()
    with store.transaction() as conn:
        book = sql_book(conn, cipher)
        reviews = daily.review_book(book, daily.context(book, universe, quotes), now)
    t_review = time.perf_counter() - t0
    t0 = time.perf_counter()
    with _PlanClock() as clock, store.transaction() as conn:
        book = sql_book(conn, cipher)
        done = daily.rebalance_book(book, daily.context(book, universe, quotes), now, True)
    t_rebalance = time.perf_counter() - t0
    out = {"review": t_review, "rebalance": t_rebalance, "plan": clock.seconds,
           "cpu": time.process_time() - c0, "plan_cpu": clock.cpu,
           "needing": sum(r.review.action_needed for r in reviews), "lists": len(done),
           "orders": sum(len(r.trades.orders) for r in done if r.trades is not None),
           "state": _state(store)}
    store.close()
    return out


def reference_job(url: str, cipher, universe, quotes, now: datetime) -> dict:
    """The per-account path: ``review_of`` for every account, one set of statements per
    rebalance."""
    from roboadvisor.book.models import RecordKind
    from roboadvisor.book.repositories import sql_book
    from roboadvisor.book.store import open_store
    from roboadvisor.services import book_daily as daily
    from roboadvisor.services.book_notice import notice

    def review_all(book, ctx):
        pending = book.accounts.pending()
        latest = book.assessments.latest_all()
        out = []
        for account in book.accounts.all():
            found = latest.get(account.client_id)
            assessed, expired = (found.tier, found.expired(now)) if found else (None, True)
            out.append(daily.review_of(ctx, account, tuple(pending.get(account.id, ())),
                                       assessed, expired,
                                       lowest=bool(found and found.lowest)))
        out.sort(key=lambda r: (-r.review.urgency, r.account.id))
        return out

    store = open_store(url)
    c0, t0 = time.process_time(), time.perf_counter()
    with store.transaction() as conn:
        book = sql_book(conn, cipher)
        reviews = review_all(book, daily.context(book, universe, quotes))
    t_review = time.perf_counter() - t0
    t0 = time.perf_counter()
    t_plan = plan_cpu = 0.0
    lists = 0
    with store.transaction() as conn:
        book = sql_book(conn, cipher)
        ctx = daily.context(book, universe, quotes)
        prices_sha = book.records.put_blob(ctx.quotes.data)
        for ar in review_all(book, ctx):
            if not ar.review.action_needed:
                continue
            start, cpu = time.perf_counter(), time.process_time()
            trades = daily.plan(ctx, ar)
            t_plan += time.perf_counter() - start
            plan_cpu += time.process_time() - cpu
            texts = {lang: notice(ar.review, trades, [], lang, ctx.settings.min_trade)
                     for lang in ("en", "zh")}
            lists += 1
            if trades is None:
                continue
            a = ar.account
            book.records.append(RecordKind.REBALANCE, a.client_id, a.id,
                                daily.rebalance_content(ctx, ar, trades, prices_sha, True,
                                                        texts["en"]), now)
            filled = daily._filled(ctx, ar, trades)
            book.accounts.replace_holdings(a.id, filled.cash, filled.positions)
            book.accounts.rebalanced(a.id, filled.tier, filled.model_version,
                                     list(filled.applied_flows))
    t_rebalance = time.perf_counter() - t0
    out = {"review": t_review, "rebalance": t_rebalance, "plan": t_plan,
           "cpu": time.process_time() - c0, "plan_cpu": plan_cpu,
           "needing": sum(r.review.action_needed for r in reviews), "lists": lists,
           "state": _state(store)}
    store.close()
    return out


def _state(store) -> tuple:
    """The chain head and a digest of every account's cash, tier, version and positions."""
    import hashlib

    from sqlalchemy import select

    from roboadvisor.book import schema

    with store.transaction() as conn:
        head = conn.execute(select(schema.records.c.seq, schema.records.c.hash)
                            .order_by(schema.records.c.seq.desc()).limit(1)).first()
        a, p = schema.accounts, schema.positions
        rows = conn.execute(select(a.c.id, a.c.cash, a.c.tier, a.c.model_version)
                            .order_by(a.c.id)).all()
        rows += conn.execute(select(p.c.account_id, p.c.ticker, p.c.shares)
                             .order_by(p.c.account_id, p.c.ticker)).all()
    return tuple(head), hashlib.sha256(repr(rows).encode()).hexdigest()


def single_account() -> bool:
    from roboadvisor.domain.review import effective_levels
    from tests.benchmarks.bench_trading import one_account, tier_models

    tickers, models, levels = tier_models()
    prices, _ = latest_prices(tickers, False)
    # the levels a review sees (a tier's model may hold a product above its own level)
    return one_account(tickers, models, effective_levels(levels, models), prices)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--no-reference", action="store_true",
                        help="Skip the per-account reference path (slow).")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.1f} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "book.sqlite"
        t0 = time.perf_counter()
        cipher, universe, quotes, label = build(f"sqlite:///{base}", Path(tmp), args.accounts,
                                                args.synthetic)
        print(f"book of {args.accounts:,} accounts built in {time.perf_counter() - t0:.1f} s "
              f"({label})")
        now = datetime.now(UTC).replace(microsecond=0)
        shutil.copy(base, Path(tmp) / "ref.sqlite")
        new = daily_job(f"sqlite:///{base}", cipher, universe, quotes, now)
        ref = None if args.no_reference else reference_job(
            f"sqlite:///{Path(tmp) / 'ref.sqlite'}", cipher, universe, quotes, now)
    total = new["review"] + new["rebalance"]
    scale = 10_000 / args.accounts
    print(f"1. book review:    {new['review']:6.2f} s "
          f"({new['review'] / args.accounts * 1e3:.3f} ms/account), {new['needing']:,} need "
          f"action")
    print(f"   book rebalance: {new['rebalance']:6.2f} s ({new['lists']:,} trade lists, "
          f"{new['orders']:,} orders, records and fills booked); of which trade lists "
          f"{new['plan']:.2f} s, the rest (reads, review, notices, writes) "
          f"{new['rebalance'] - new['plan']:.2f} s")
    ok = total * scale <= GOAL_S
    print(f"   together:       {total:6.2f} s; goal {GOAL_S:.0f} s for 10,000 accounts "
          f"(ratio to goal {total / GOAL_S * scale:.2f}): {'met' if ok else 'MISSED'}; "
          f"without the trade lists {total - new['plan']:.2f} s")
    print(f"   CPU: {new['cpu']:.2f} s, of which trade lists {new['plan_cpu']:.2f} s, the "
          f"rest {new['cpu'] - new['plan_cpu']:.2f} s (wall times inflate when other jobs "
          f"share the cores)")
    if ref is not None:
        same = ref["state"] == new["state"]
        ok &= same
        r_total = ref["review"] + ref["rebalance"]
        print(f"2. reference (per-account reviews and writes): review {ref['review']:.2f} s, "
              f"rebalance {ref['rebalance']:.2f} s (trade lists {ref['plan']:.2f} s), CPU "
              f"{ref['cpu']:.2f} s")
        print(f"   ratios reference / new: review {ref['review'] / new['review']:.1f}x, "
              f"rebalance {ref['rebalance'] / new['rebalance']:.1f}x, together "
              f"{r_total / total:.1f}x; outside the trade lists "
              f"{(r_total - ref['plan']) / max(total - new['plan'], 1e-9):.1f}x; CPU "
              f"{ref['cpu'] / new['cpu']:.1f}x, outside the trade lists "
              f"{(ref['cpu'] - ref['plan_cpu']) / max(new['cpu'] - new['plan_cpu'], 1e-9):.1f}x")
        print(f"   same chain head and holdings: {'yes' if same else 'NO'} "
              f"(record #{new['state'][0][0]})")
    print("3. ", end="")
    ok &= single_account()
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
