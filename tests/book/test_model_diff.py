"""``model diff``: per tier, weights and figures before/after, and the reasons in words."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import yaml

from roboadvisor.book.crypto import Cipher, KeySource
from roboadvisor.book.repositories import sql_book
from roboadvisor.data.assumptions_file import DEFAULT_ASSUMPTIONS
from roboadvisor.services.model import PublishRequest, publish
from roboadvisor.services.model_diff import diff, notice


def _cipher() -> Cipher:
    return Cipher(KeySource.from_environ(dict(os.environ), Path(os.environ["XDG_DATA_HOME"])))


def test_a_changed_estimate_is_named_with_its_figures(store, tmp_path: Path) -> None:
    raw = yaml.safe_load(Path(DEFAULT_ASSUMPTIONS).read_text())
    old_vti = raw["assets"]["VTI"]["expected_return"]
    raw["assets"]["VTI"]["expected_return"] = old_vti + 0.02
    changed = tmp_path / "cma.yaml"
    changed.write_text(yaml.safe_dump(raw))
    now = datetime.now(UTC).replace(microsecond=0)
    with store.transaction() as conn:
        book = sql_book(conn, _cipher())
        one = publish(book, PublishRequest(note="first"), now).model
        two = publish(book, PublishRequest(assumptions_file=changed), now).model
        assert (one.version, two.version) == (1, 2)
        assert book.models.get(1).tiers[3].weights == one.tiers[3].weights
    d = diff(one, two)
    assert [c.tier for c in d.tiers] == [1, 2, 3, 4, 5]
    for change in d.tiers:
        before = {t: a for t, a, _ in change.rows if a}
        after = {t: b for t, _, b in change.rows if b}
        assert before == one.tiers[change.tier].weights
        assert after == two.tiers[change.tier].weights
        assert (change.return_before, change.return_after) == \
            (one.tiers[change.tier].expected_return, two.tiers[change.tier].expected_return)
        codes = [r.key for r in change.reasons]
        assert codes[0] == "model.reason.input_assumptions"
        assert "model.reason.return_up" in codes
        up = next(dict(r.params) for r in change.reasons if r.key == "model.reason.return_up")
        assert up["ticker"] == "VTI"
        assert up["new"] == f"{(old_vti + 0.02) * 100:.2f}%"
    growth = d.tiers[3]
    assert dict((t, b) for t, _, b in growth.rows)["VTI"] > \
        dict((t, a) for t, a, _ in growth.rows)["VTI"]  # a higher VTI return buys more VTI
    en, zh = notice(d, "en", 4), notice(d, "zh", 4)
    assert len(en) == len(zh) > 3
    assert "we now expect more from VTI" in "\n".join(en)
    assert "上调" in "\n".join(zh)


def test_a_rebalance_after_a_new_version_carries_the_diff_of_its_tier(store, book_url: str,
                                                                      tmp_path: Path) -> None:
    from decimal import Decimal

    from roboadvisor.book.models import Account
    from roboadvisor.services import book_daily as daily
    from roboadvisor.services.market import get_universe
    from tests.book.daily_helpers import price_table, write_prices
    from tests.book.helpers import EXAMPLES, run

    run(book_url, "client", "add", "f")
    run(book_url, "client", "assess", "f", "--answers", str(EXAMPLES / "tier3_balanced.yaml"))
    raw = yaml.safe_load(Path(DEFAULT_ASSUMPTIONS).read_text())
    raw["assets"]["AGG"]["expected_return"] += 0.01
    changed = tmp_path / "cma.yaml"
    changed.write_text(yaml.safe_dump(raw))
    universe = get_universe()
    prices = write_prices(tmp_path / "p.csv", price_table(2))
    now = datetime.now(UTC).replace(microsecond=0)
    with store.transaction() as conn:
        book = sql_book(conn, _cipher())
        book.accounts.open(Account("F1", "f", 3, False, now, Decimal(0), {}, True,
                                   Decimal("0.03")), None)  # fractional shares allowed
        book.accounts.replace_holdings("F1", Decimal("20000"), {})
        publish(book, PublishRequest(), now)
        quotes = daily.quotes_from_file(prices, universe.tickers)
        first = daily.rebalance_account(book, daily.context(book, universe, quotes), "F1",
                                        now, apply=True)
        assert any(o.shares != int(o.shares) for o in first.trades.orders)
        held = book.accounts.get("F1")
        assert held.model_version == 1
        assert any(s != s.to_integral_value() for s in held.positions.values())
        two = publish(book, PublishRequest(assumptions_file=changed), now).model
        again = daily.rebalance_account(book, daily.context(book, universe, quotes), "F1",
                                        now, apply=False, lang="zh")
        one = book.models.get(1)
    expected = notice(diff(one, two), "en", 3)[1:]
    text = again.notice["en"]
    assert text[-len(expected):] == expected
    assert "AGG" in "\n".join(expected)
    assert again.notice["zh"][-len(expected):] == notice(diff(one, two), "zh", 3)[1:]


def test_a_published_version_never_changes(store) -> None:
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from roboadvisor.errors import BookError

    now = datetime.now(UTC).replace(microsecond=0)
    with store.transaction() as conn:
        publish(sql_book(conn, _cipher()), PublishRequest(), now)
    for statement in ("UPDATE model_tiers SET body = '{}'", "DELETE FROM model_tiers",
                      "UPDATE model_versions SET note = 'x'", "DELETE FROM model_versions"):
        with pytest.raises((DBAPIError, BookError), match="never change"), \
                store.transaction() as conn:
            conn.execute(text(statement))
    with store.transaction() as conn:
        assert sql_book(conn, _cipher()).models.get(1).tiers[3].weights
