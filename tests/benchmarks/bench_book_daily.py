"""Benchmark: the daily job on a client book (run on demand, not collected by pytest).

    python -m tests.benchmarks.bench_book_daily [--accounts 10000] [--synthetic]

A temporary SQLite book with 2,000 clients (assessed, no personal data) and ``--accounts``
accounts in random tiers, at model version 1 (published from the shipped assumptions), with
whole-share holdings drifted by random market moves since their last rebalance (most stay
inside their 3% threshold), 5% with a deposit or withdrawal waiting. Prices: the latest
closes of the shared daily file (``bench_trading.latest_prices``), or seeded ones.

Timed in one process: ``book review`` (``book_daily.review_book``) and ``book rebalance
--apply`` (``book_daily.rebalance_book``: trade lists, records, fills booked), each in its
own transaction as the CLI runs them. Goal: both together under 10 s for 10,000 accounts.
Prints timings and ratios; exits 1 when the goal is missed.
"""

from __future__ import annotations

import argparse
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
    from roboadvisor.book.crypto import Cipher, KeySource
    from roboadvisor.book.models import Account, FlowKind, StoredAssessment
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
    prices, label = latest_prices(tuple(universe.tickers), synthetic)
    rng = np.random.default_rng(2026)
    with store.transaction() as conn:
        book = sql_book(conn, cipher)
        model = publish(book, PublishRequest(), now).model
        weights = daily.model_matrix(model, tuple(universe.tickers))
        client_tiers = rng.integers(1, 6, CLIENTS)
        tiers = client_tiers[np.arange(n_accounts) % CLIENTS]
        for c in range(CLIENTS):
            cid = f"c{c:05d}"
            book.clients.add(cid, None, None, now)
            tier = int(client_tiers[c])
            book.assessments.add(StoredAssessment(
                0, cid, "bench", 1, "0" * 64, "0" * 64, 0.5, 0.5, 0.5, tier, tier, False, now,
                now + timedelta(days=365)), {})
        values = np.exp(rng.normal(np.log(60_000), 0.8, n_accounts)).clip(5_000, 2_000_000)
        moves = rng.uniform(0.0, 0.06, n_accounts)
        for a in range(n_accounts):
            shares, cash = drifted_account(rng, weights[tiers[a] - 1], prices, values[a],
                                           moves[a])
            aid = f"a{a:06d}"
            book.accounts.open(Account(aid, f"c{a % CLIENTS:05d}", int(tiers[a]), False, now,
                                       Decimal(0), {}, False, Decimal("0.03"), 1), None)
            book.accounts.replace_holdings(
                aid, Decimal(repr(max(float(cash), 0.0))).quantize(Decimal("0.0001")),
                {t: Decimal(int(s)) for t, s in zip(universe.tickers, shares, strict=True)
                 if s > 0})
            if rng.random() < 0.05:
                kind = FlowKind.DEPOSIT if rng.random() < 0.5 else FlowKind.WITHDRAWAL
                book.accounts.add_flow(aid, kind, Decimal(2000 if kind is FlowKind.DEPOSIT
                                                          else 1500), now.date(), now)
    quotes = daily.Quotes({t: float(p) for t, p in zip(universe.tickers, prices, strict=True)},
                          now.date().isoformat())
    return store, cipher, universe, quotes, label


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--synthetic", action="store_true")
    args = parser.parse_args()
    from roboadvisor.book.repositories import sql_book
    from roboadvisor.services import book_daily as daily

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'book.sqlite'}"
        t0 = time.perf_counter()
        store, cipher, universe, quotes, label = build(url, Path(tmp), args.accounts,
                                                       args.synthetic)
        print(f"book of {args.accounts:,} accounts built in {time.perf_counter() - t0:.1f} s "
              f"({label})")
        now = datetime.now(UTC).replace(microsecond=0)
        t0 = time.perf_counter()
        with store.transaction() as conn:
            book = sql_book(conn, cipher)
            reviews = daily.review_book(book, daily.context(book, universe, quotes), now)
        t_review = time.perf_counter() - t0
        needing = sum(r.review.action_needed for r in reviews)
        t0 = time.perf_counter()
        with store.transaction() as conn:
            book = sql_book(conn, cipher)
            done = daily.rebalance_book(book, daily.context(book, universe, quotes), now, True)
        t_rebalance = time.perf_counter() - t0
        orders = sum(len(r.trades.orders) for r in done if r.trades is not None)
        store.close()
    total = t_review + t_rebalance
    print(f"book review:    {t_review:6.2f} s ({t_review / args.accounts * 1e3:.3f} ms/account), "
          f"{needing:,} need action")
    print(f"book rebalance: {t_rebalance:6.2f} s ({len(done):,} trade lists, {orders:,} "
          f"orders, records and fills booked)")
    print(f"together:       {total:6.2f} s; goal {GOAL_S:.0f} s for 10,000 accounts "
          f"(ratio {total / GOAL_S * 10_000 / args.accounts:.2f})")
    return 0 if total * 10_000 / args.accounts <= GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main())
