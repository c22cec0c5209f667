"""A book changed outside roboadvisor (a number column holding text, NaN or a value no way in
allows) is refused in one line naming the account and the column, exit 1, on both backends and
on every path that reads accounts: the whole-book read of `book review` / `book rebalance` and
the one-account read of `account review` / `account show`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.book.daily_helpers import drifted_book
from tests.book.helpers import run


def _damage(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def _refused(url: str, prices: Path, account: str, column: str) -> None:
    for args in (("book", "review", "--prices", str(prices)),
                 ("book", "rebalance", "--prices", str(prices)),
                 ("account", "review", account, "--prices", str(prices)),
                 ("account", "show", account)):
        result = run(url, *args, code=1)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr, (args, result.stderr)
        assert "damaged" in lines[0] and account in lines[0] and column in lines[0], lines[0]
    zh = run(url, "book", "review", "--prices", str(prices), "--lang", "zh", code=1)
    assert "账簿已损坏" in zh.stderr and account in zh.stderr


def test_shares_beyond_every_limit_are_refused(book_url: str, tmp_path: Path) -> None:
    prices = drifted_book(book_url, tmp_path)
    value = "'NaN'" if book_url.startswith("postgresql") else "1e300"
    _damage(book_url, f"UPDATE positions SET shares = {value} "
                      "WHERE account_id = 'C1' AND ticker = 'VTI'")
    _refused(book_url, prices, "C1", "shares[VTI]")


def test_cash_that_is_not_a_number_is_refused(book_url: str, tmp_path: Path) -> None:
    prices = drifted_book(book_url, tmp_path)
    value = "'NaN'" if book_url.startswith("postgresql") else "'abc'"
    _damage(book_url, f"UPDATE accounts SET cash = {value} WHERE id = 'B1'")
    _refused(book_url, prices, "B1", "cash")


def test_an_intact_book_reads_as_before(book_url: str, tmp_path: Path) -> None:
    """The check refuses only damage: the same book undamaged reviews with exit 0."""
    prices = drifted_book(book_url, tmp_path)
    review = run(book_url, "book", "review", "--prices", str(prices), "--json")
    assert {a["account_id"] for a in review["accounts"]} == {"A1", "B1", "C1"}


@pytest.mark.parametrize("value", ["-2e11", "1e12"])
def test_cash_outside_the_money_limit_is_refused(tmp_path: Path, value: str) -> None:
    url = f"sqlite:///{tmp_path / 'book.sqlite'}"
    prices = drifted_book(url, tmp_path)
    _damage(url, f"UPDATE accounts SET cash = {value} WHERE id = 'A1'")
    _refused(url, prices, "A1", "cash")
