"""The book as parquet: the four tables' schemas, defined once.

A book folder holds ``book.json`` (see ``book_files``) and one folder per table, each split into
the same partitions (``part-00000.parquet`` ...) by a stable hash of the account id
(``partitioning``), so that one partition of every table holds everything about its accounts.

- ``accounts``: one row per account; ``tier`` is the tier in force (1..5); ``above_level``
  true when that tier is the client's own choice above the assessed one (``account open
  --above-level``): the review keeps it and does not follow the assessment; ``cash`` in the
  account currency; the latest assessment's dates (its answers are in ``answers``): it is
  expired from ``expires_on`` on (that day included, as the book's ``expired``).
- ``holdings``: positions, one row per (account, ticker) held; ``shares`` >= 0 (whole shares
  unless the account allows fractions).
- ``answers``: the latest assessment's answers, integer-coded: ``options[j]`` is the index of
  the chosen option of question j, questions and options in the order of the questionnaire
  named in the row (``book.json`` lists both orders).
- ``cash_flows``: deposits (amount > 0) and withdrawals (amount < 0) waiting to be invested.
"""

from __future__ import annotations

from enum import StrEnum

import pyarrow as pa


class Table(StrEnum):
    """The tables of a book, in the order they are written."""

    ACCOUNTS = "accounts"
    HOLDINGS = "holdings"
    ANSWERS = "answers"
    CASH_FLOWS = "cash_flows"


SCHEMAS: dict[Table, pa.Schema] = {
    Table.ACCOUNTS: pa.schema([
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("client_id", pa.string(), nullable=False),
        pa.field("tier", pa.int8(), nullable=False),
        pa.field("above_level", pa.bool_(), nullable=False),
        pa.field("cash", pa.float64(), nullable=False),
        pa.field("assessed_on", pa.date32(), nullable=False),
        pa.field("expires_on", pa.date32(), nullable=False),
    ]),
    Table.HOLDINGS: pa.schema([
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("ticker", pa.string(), nullable=False),
        pa.field("shares", pa.float64(), nullable=False),
    ]),
    Table.ANSWERS: pa.schema([
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("questionnaire_id", pa.string(), nullable=False),
        pa.field("questionnaire_version", pa.int16(), nullable=False),
        pa.field("options", pa.list_(pa.int8()), nullable=False),
    ]),
    Table.CASH_FLOWS: pa.schema([
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("flow_date", pa.date32(), nullable=False),
        pa.field("amount", pa.float64(), nullable=False),
    ]),
}

REVIEW_SCHEMA = pa.schema([
    pa.field("account_id", pa.string(), nullable=False),
    pa.field("tier_in_force", pa.int8(), nullable=False),
    pa.field("scored_tier", pa.int8(), nullable=False),
    pa.field("target_tier", pa.int8(), nullable=False),
    pa.field("level", pa.int8(), nullable=False),
    pa.field("tolerance", pa.float64(), nullable=False),
    pa.field("capacity", pa.float64(), nullable=False),
    pa.field("combined", pa.float64(), nullable=False),
    pa.field("value", pa.float64(), nullable=False),
    pa.field("cash", pa.float64(), nullable=False),
    pa.field("pending_flow", pa.float64(), nullable=False),
    pa.field("drift", pa.float64(), nullable=False),
    pa.field("triggers", pa.uint8(), nullable=False),
])
"""One review row per account (the job's output): the scored profile (``level`` k means
investor level Ck), the tier the review aims at, value (holdings at the prices used plus cash),
the net cash flow waiting, drift (half the sum of absolute weight deviations, cash counted as
an asset with target 0) and the trigger bits (``step.Trigger``)."""

ORDERS_SCHEMA = pa.schema([
    pa.field("account_id", pa.string(), nullable=False),
    pa.field("ticker", pa.string(), nullable=False),
    pa.field("shares", pa.float64(), nullable=False),
    pa.field("price", pa.float64(), nullable=False),
    pa.field("value", pa.float64(), nullable=False),
    pa.field("reason", pa.uint8(), nullable=False),
])
"""Orders of a plugged-in trade function (``step.TradeFunction``): ``shares`` and ``value``
signed (> 0 buy, < 0 sell), ``reason`` the trigger bits behind the order; sorted by account
row, then asset."""

BLOCKS_SCHEMA = pa.schema([
    pa.field("ticker", pa.string(), nullable=False),
    pa.field("side", pa.string(), nullable=False),
    pa.field("shares", pa.float64(), nullable=False),
    pa.field("price", pa.float64(), nullable=False),
    pa.field("value", pa.float64(), nullable=False),
    pa.field("orders", pa.int64(), nullable=False),
])
"""Block orders: the orders of every account netted per ETF and side (buys and sells are kept
apart: each account's order is filled from its own side's block)."""

PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 3, "write_statistics": True}
"""Writer options of every book and output file (fixed, so equal inputs give equal bytes)."""
