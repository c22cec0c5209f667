"""Neutral names of the inputs a user gives, for messages below the command line.

Services, the domain, the data edge and the book name an input by its ``Field`` (a message
parameter holding the Enum, or ``{input.min_trade}`` in a catalog text), never by a CLI flag.
Rendered, a field is its neutral name (``min_trade``, what a Python API caller sees) unless a
naming is in force: the CLI's error boundary puts its flag table in force (``named``) for the
whole command, so the terminal shows ``--min-trade``.

>>> name(Field.MIN_TRADE)
'min_trade'
>>> with named({Field.MIN_TRADE: "--min-trade"}):
...     name(Field.MIN_TRADE)
'--min-trade'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum


class Field(Enum):
    """An input a message may name; the value is its neutral name (the Python API's keyword
    where it has one). A catalog text names a member in lower case: ``{input.min_trade}``."""

    ABOVE_LEVEL = "above_level"
    ACCEPT_FALLS = "accept_falls"
    ACCOUNT = "account"
    ACCOUNTS = "accounts"
    ACKNOWLEDGE = "acknowledge"
    ALLOW_MISSING = "allow_missing"
    AMOUNT = "amount"
    ANSWERS = "answers"
    BENCHMARK = "benchmark"
    CACHE_DIR = "cache_dir"
    CASH_RESERVE = "cash_reserve"
    CLIENT = "client"
    COST_BPS = "cost_bps"
    COST_FIXED = "cost_fixed"
    CSV = "csv"
    DB = "db"
    DRIFT_THRESHOLD = "drift_threshold"
    END = "end"
    ENGINE = "engine"
    FEES = "fees"
    FRACTIONAL = "fractional"
    GOAL = "goal"
    INFLATION = "inflation"
    LANG = "lang"
    METHOD = "method"
    MIN_TRADE = "min_trade"
    MODEL = "model"
    MONTHLY = "monthly"
    OUT = "out"
    PARTITIONS = "partitions"
    PATHS = "paths"
    PLOT = "plot"
    POINTS = "points"
    PRICES = "prices"
    PROBABILITY = "target_probability"
    QUESTIONNAIRE = "questionnaire"
    RISK_FREE = "risk_free"
    RULE = "rule"
    SCHEDULER = "scheduler"
    SEED = "seed"
    SOURCE = "estimates"  # the Python API's ``estimates="cma"|"history"``
    START = "start"
    SUITABILITY = "suitability"
    TICKERS = "tickers"
    TIER = "tier"
    VIEWS = "views"
    WHOLE_SHARES = "whole_shares"
    WITHDRAW_MONTHLY = "withdraw_monthly"
    WORKERS = "workers"
    YEARS = "years"


_NAMING: ContextVar[Mapping[Field, str] | None] = ContextVar("field_naming", default=None)


def name(field: Field) -> str:
    """How ``field`` is shown now: the naming in force (the CLI's flag) or its neutral name."""
    naming = _NAMING.get()
    return naming.get(field, field.value) if naming is not None else field.value


@contextmanager
def named(naming: Mapping[Field, str]) -> Iterator[None]:
    """Show fields by ``naming`` inside the block (the CLI: by their flags)."""
    token = _NAMING.set(naming)
    try:
        yield
    finally:
        _NAMING.reset(token)


class _Inputs:
    """``{input.min_trade}`` in a catalog text: the field shown by the naming in force."""

    def __getattr__(self, attr: str) -> str:
        if attr.startswith("_"):
            raise AttributeError(attr)
        return name(Field[attr.upper()])


INPUTS = _Inputs()
"""The ``input`` parameter every catalog text receives."""
