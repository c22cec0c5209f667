"""The one table from an input's neutral name (``roboadvisor.fields.Field``) to the flag a
user types. The error boundary (``cli.app``) puts it in force for the whole command, so every
message the command shows (errors, warnings, JSON notices, reports) names ``--min-trade`` where
a service said ``Field.MIN_TRADE``; a Python API caller sees ``min_trade``."""

from __future__ import annotations

from roboadvisor.fields import Field

CLI_FLAGS: dict[Field, str] = {
    Field.ABOVE_LEVEL: "--above-level",
    Field.ACCEPT_FALLS: "--accept-falls",
    Field.ACCOUNT: "--account",
    Field.ACCOUNTS: "--accounts",
    Field.ACKNOWLEDGE: "--acknowledge",
    Field.ALLOW_MISSING: "--allow-missing",
    Field.AMOUNT: "--amount",
    Field.ANSWERS: "--answers",
    Field.BENCHMARK: "--benchmark",
    Field.CACHE_DIR: "--cache-dir",
    Field.CASH_RESERVE: "--cash-reserve",
    Field.CLIENT: "--client",
    Field.COST_BPS: "--cost-bps",
    Field.COST_FIXED: "--cost-fixed",
    Field.CSV: "--csv",
    Field.DB: "--db",
    Field.DRIFT_THRESHOLD: "--drift-threshold",
    Field.END: "--end",
    Field.ENGINE: "--engine",
    Field.FEES: "--fees",
    Field.FRACTIONAL: "--fractional",
    Field.GOAL: "--goal",
    Field.INFLATION: "--inflation",
    Field.LANG: "--lang",
    Field.METHOD: "--method",
    Field.MIN_TRADE: "--min-trade",
    Field.MODEL: "--model",
    Field.MONTHLY: "--monthly",
    Field.OUT: "--out",
    Field.PARTITIONS: "--partitions",
    Field.PATHS: "--paths",
    Field.PLOT: "--plot",
    Field.POINTS: "--points",
    Field.PRICES: "--prices",
    Field.PROBABILITY: "--probability",
    Field.QUESTIONNAIRE: "--questionnaire",
    Field.RISK_FREE: "--risk-free",
    Field.RULE: "--rule",
    Field.SCHEDULER: "--scheduler",
    Field.SEED: "--seed",
    Field.SOURCE: "--source",
    Field.START: "--start",
    Field.SUITABILITY: "--suitability",
    Field.TICKERS: "--tickers",
    Field.TIER: "--tier",
    Field.VIEWS: "--views",
    Field.WHOLE_SHARES: "--whole-shares",
    Field.WITHDRAW_MONTHLY: "--withdraw-monthly",
    Field.WORKERS: "--workers",
    Field.YEARS: "--years",
}
"""Field -> its flag; every field has one (a test checks each is an option of some command)."""
