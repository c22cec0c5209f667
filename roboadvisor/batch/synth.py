"""A seeded, realistic synthetic book, generated chunk by chunk (arrays only, no files).

Drawn against the ``step.ModelArrays`` the book is reviewed with. For each account, drawn from
``numpy.random.Generator`` seeded by ``(seed, chunk)``:

- answers: a latent risk appetite ``u ~ Beta(2, 2)``; each question's option is drawn with
  probability proportional to ``exp(-(score - 100u)^2 / (2 * 30^2))``, so answers are mostly
  coherent with some noise (contradictions and knock-outs occur as they do in real books);
- the tier in force is the scored tier (1 for the lowest category), except for
  ``TIER_CHANGE_RATE`` of accounts whose tier is one step off (a re-assessment changed it),
  and ``ABOVE_CHOICE_RATE`` of accounts (never of the lowest category, nor of tier 5) whose
  client chose the tier above the assessed one (``above_level``, as ``account open
  --above-level``; drawn from a stream of their own, ``(seed, chunk, 1)``);
- assessed up to ``MAX_ASSESSMENT_AGE_DAYS`` before the book's date, valid for the
  questionnaire's ``expiry_months`` (the same day that many months later, as the book's
  assessments; with 12 months about 15% are expired);
- value log-normal (median 40,000), invested in whole shares at the tier-in-force target
  drifted by a log-normal factor per asset (drift scale uniform per account), the rest cash;
- ``ABOVE_LEVEL_RATE`` of accounts also hold a product above their level (3% of value);
- ``DEPOSIT_RATE`` have a deposit waiting (2%..20% of value), ``WITHDRAWAL_RATE`` a withdrawal
  (1%..15% of value).

The output depends only on the inputs and ``CHUNK`` (fixed): the same seed gives the same book.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from roboadvisor.batch.step import ModelArrays, investor_tiers
from roboadvisor.domain.scoring_batch import ScoringTables

CHUNK = 250_000
TIER_CHANGE_RATE = 0.03
ABOVE_LEVEL_RATE = 0.005
ABOVE_CHOICE_RATE = 0.01
DEPOSIT_RATE = 0.05
WITHDRAWAL_RATE = 0.02
MAX_ASSESSMENT_AGE_DAYS = 420
ANSWER_NOISE = 30.0
MEDIAN_VALUE = 40_000.0


@dataclass(frozen=True, eq=False)
class SynthChunk:
    """Accounts ``first .. first+n-1`` of the book as arrays.

    Dense per account: codes (n, questions), tier (n,), above_level (n,) bool (the tier is the
    client's choice above the assessed one), cash (n,), assessed/expires (n,) days,
    shares (n, assets). Cash flows as rows: flow_account (m,) local index, flow_day, flow_amount.
    """

    first: int
    codes: np.ndarray
    tier: np.ndarray
    above_level: np.ndarray
    cash: np.ndarray
    assessed_day: np.ndarray
    expires_day: np.ndarray
    shares: np.ndarray
    flow_account: np.ndarray
    flow_day: np.ndarray
    flow_amount: np.ndarray

    def __len__(self) -> int:
        return len(self.tier)


def synth_chunk(model: ModelArrays, seed: int, chunk: int, first: int, n: int) -> SynthChunk:
    """Draw ``n`` accounts (the ``chunk``-th chunk of the book, starting at ``first``)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, chunk]))
    codes = _answers(model.tables, rng, n)
    _, scored, lowest = investor_tiers(model, codes)  # the lowest category is of tier 1
    shift = rng.choice(np.array([-1, 1], dtype=np.int8), size=n)
    changed = rng.random(n) < TIER_CHANGE_RATE
    tier = np.where(changed, np.clip(scored + shift, 1, 5), scored).astype(np.int8)
    choice = np.random.default_rng(np.random.SeedSequence([seed, chunk, 1]))
    above_level = ((choice.random(n) < ABOVE_CHOICE_RATE) & ~changed & ~lowest
                   & (scored < 5))
    tier[above_level] += 1
    assessed = model.as_of_day - rng.integers(0, MAX_ASSESSMENT_AGE_DAYS + 1, size=n)
    expires = add_months_days(assessed, model.expiry_months)
    value = np.round(MEDIAN_VALUE * np.exp(rng.normal(0.0, 1.0, size=n)), 2)
    shares, cash = _holdings(model, rng, tier, value)
    flow_account, flow_day, flow_amount = _cash_flows(model, rng, value)
    return SynthChunk(first, codes, tier, above_level, cash, assessed.astype(np.int32),
                      expires.astype(np.int32), shares, flow_account, flow_day, flow_amount)


def add_months_days(days: np.ndarray, months: int) -> np.ndarray:
    """Dates (days since 1970-01-01) ``months`` later on the same day of the month, the
    month's last day when it is shorter (``services.book.add_months``, vectorised)."""
    d = np.asarray(days).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    day = (d - month).astype(np.int64)                       # 0-based day of the month
    target = month + np.timedelta64(months, "M")
    last = ((target + np.timedelta64(1, "M")).astype("datetime64[D]")
            - target.astype("datetime64[D]")).astype(np.int64) - 1
    out = target.astype("datetime64[D]") + np.minimum(day, last)
    return out.astype(np.int64)


def _answers(tables: ScoringTables, rng: np.random.Generator, n: int) -> np.ndarray:
    appetite = 100.0 * rng.beta(2.0, 2.0, size=n)
    codes = np.empty((n, len(tables.question_ids)), dtype=np.int8)
    for j, options in enumerate(tables.option_ids):
        scores = tables.scores[j, :len(options)]
        weights = np.exp(-((scores[None, :] - appetite[:, None]) ** 2)
                         / (2 * ANSWER_NOISE ** 2))
        cumulative = np.cumsum(weights, axis=1)
        draw = rng.random(n) * cumulative[:, -1]
        codes[:, j] = np.minimum((cumulative < draw[:, None]).sum(axis=1), len(options) - 1)
    return codes


def _holdings(model: ModelArrays, rng: np.random.Generator, tier: np.ndarray,
              value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, assets = len(tier), len(model.prices)
    scale = rng.uniform(0.0, 0.08, size=n)
    drifted = model.targets[tier - 1] * np.exp(scale[:, None] * rng.normal(size=(n, assets)))
    drifted /= drifted.sum(axis=1, keepdims=True)
    invested = value * (1.0 - rng.uniform(0.0, 0.01, size=n))
    shares = np.floor(invested[:, None] * drifted / model.prices)
    above = (rng.random(n) < ABOVE_LEVEL_RATE) & (tier < model.risk_levels.max())
    if above.any():
        allowed_over = model.risk_levels[None, :] > tier[above, None]
        pick = np.argmax(rng.random((int(above.sum()), assets)) * allowed_over, axis=1)
        rows = np.flatnonzero(above)
        shares[rows, pick] += np.maximum(1.0, np.floor(0.03 * value[rows]
                                                       / model.prices[pick]))
    held = (shares * model.prices).sum(axis=1)  # not BLAS: the same bits on every machine
    cash = np.round(np.maximum(value - held, 0.0), 2)  # never overdrawn
    return shares, cash


def _cash_flows(model: ModelArrays, rng: np.random.Generator,
                value: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(value)
    draw = rng.random(n)
    deposit = draw < DEPOSIT_RATE
    withdrawal = (draw >= DEPOSIT_RATE) & (draw < DEPOSIT_RATE + WITHDRAWAL_RATE)
    size = rng.uniform(0.0, 1.0, size=n)
    amount = np.where(deposit, value * (0.02 + 0.18 * size), -value * (0.01 + 0.14 * size))
    age = rng.integers(0, 6, size=n)
    rows = np.flatnonzero(deposit | withdrawal)
    return (rows.astype(np.int64), (model.as_of_day - age[rows]).astype(np.int32),
            np.round(amount[rows], 2))
