"""Replaying an account day by day through the book (``rebalance_account`` with apply, the
service behind ``account rebalance --apply``) gives the path of the ``whole_shares: true``
backtest on the same prices: same trading days, same values, same cash. And an expired
assessment may lower risk but never raise it."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from roboadvisor.book.crypto import Cipher, KeySource
from roboadvisor.book.models import Account, FlowKind
from roboadvisor.book.repositories import sql_book
from roboadvisor.errors import BookError
from roboadvisor.services import book as service
from roboadvisor.services import book_daily as daily
from roboadvisor.services.market import get_universe
from roboadvisor.services.model import PublishRequest, publish
from tests.book.daily_helpers import price_table, universe_tickers
from tests.book.helpers import EXAMPLES, run


def _cipher() -> Cipher:
    return Cipher(KeySource.from_environ(dict(os.environ), Path(os.environ["XDG_DATA_HOME"])))


def _quotes(table: np.ndarray, day: int, dates) -> daily.Quotes:
    return daily.Quotes({t: float(p) for t, p in zip(universe_tickers(), table[day],
                                                      strict=True)},
                        str(dates[day].date()))


def _month_ends(dates) -> np.ndarray:
    months = np.array([d.month for d in dates])
    ends = np.zeros(len(dates), dtype=bool)
    ends[:-1] = months[:-1] != months[1:]
    return ends


def test_replaying_an_account_gives_the_whole_share_backtest_path(store, book_url: str
                                                                  ) -> None:
    import pandas as pd

    from roboadvisor.domain.backtest import CashFlowPlan, simulate
    from roboadvisor.domain.rebalancing import Bands, Frequency, RebalanceRule
    from roboadvisor.domain.trade_list import TradeRules
    from roboadvisor.domain.trading import CostModel

    run(book_url, "client", "add", "r")
    run(book_url, "client", "assess", "r", "--answers", str(EXAMPLES / "tier3_balanced.yaml"))
    now = datetime.now(UTC).replace(microsecond=0)
    universe = get_universe()
    with store.transaction() as conn:
        book = sql_book(conn, _cipher())
        book.accounts.open(Account("R1", "r", 3, False, now, Decimal(0), {}, False,
                                   Decimal(1)), None)  # threshold 1: only the rule trades
        book.accounts.replace_holdings("R1", Decimal(100_000), {})
        model = publish(book, PublishRequest(), now).model
    table = price_table(130, seed=3)
    dates = pd.bdate_range("2026-01-05", periods=table.shape[0])
    settings = daily.TradeSettings(min_trade=50, bps=10, fixed=1.0, rule="bands:5/25")
    deposit_days = _month_ends(dates)

    values, cash, traded = [], [], []
    for day in range(table.shape[0]):
        with store.transaction() as conn:
            book = sql_book(conn, _cipher())
            if deposit_days[day]:
                service.cash_flow(book, "R1", FlowKind.DEPOSIT, "2000", dates[day].date(), now)
            ctx = daily.context(book, universe, _quotes(table, day, dates), settings)
            done = daily.rebalance_account(book, ctx, "R1", now, apply=True)
            held = book.accounts.get("R1")
        if done.applied:
            traded.append(day)
        shares = np.array([float(held.positions.get(t, 0)) for t in ctx.tickers])
        values.append(float(shares @ table[day]) + float(held.cash))
        cash.append(float(held.cash))

    targets = daily.model_matrix(model, tuple(universe.tickers))[2]
    result = simulate(table, dates.values.astype("datetime64[D]"), targets,
                      RebalanceRule.threshold(Bands(0.05, 0.25)), tickers=universe.tickers,
                      costs=CostModel(bps=10, fixed=1.0),
                      cash_flows=CashFlowPlan(100_000, 2000, Frequency.MONTHLY),
                      trade_rules=TradeRules(min_trade=50))
    assert np.flatnonzero(result.flows).tolist() == np.flatnonzero(deposit_days).tolist()
    assert traded == result.event_days.tolist()
    assert len(traded) > 1 + deposit_days.sum()  # the bands fired too, not only deposits
    np.testing.assert_allclose(values, result.values, rtol=1e-8, atol=1e-3)
    np.testing.assert_allclose(cash, result.cash, atol=1e-3)


def test_an_expired_assessment_may_lower_risk_but_never_raise_it(store, book_url: str,
                                                                 tmp_path: Path) -> None:
    from tests.book.daily_helpers import write_prices

    run(book_url, "client", "add", "x")
    run(book_url, "client", "assess", "x", "--answers", str(EXAMPLES / "tier3_balanced.yaml"))
    run(book_url, "account", "open", "X1", "--client", "x", "--tier", "2")
    later = datetime.now(UTC) + timedelta(days=800)  # the assessment has expired by then
    prices = write_prices(tmp_path / "p.csv", price_table(2))
    universe = get_universe()
    with store.transaction() as conn:
        book = sql_book(conn, _cipher())
        publish(book, PublishRequest(), later)
        quotes = daily.quotes_from_file(prices, universe.tickers)
        ctx = daily.context(book, universe, quotes)
        count = len(book.records.all())
        with pytest.raises(BookError, match="expired"):
            daily.rebalance_account(book, ctx, "X1", later, apply=True, requested=3)
        assert len(book.records.all()) == count
        # held back in a review: the assessed tier 3 is not applied, and it says so
        ar = daily.review_account(book, ctx, "X1", later)
        assert ar.review.tier == 2
        fired = {f.trigger.value: f.params for f in ar.review.fired}
        assert fired["assessment_expired"]["raise_blocked"] == 1
        lower = daily.rebalance_account(book, ctx, "X1", later, apply=True, requested=1)
        assert lower.applied and lower.review.review.tier == 1
        assert book.accounts.get("X1").tier == 1
