"""The daily job on the book: review accounts against the latest model version and rebalance
them with whole-share trade lists (``domain.review`` / ``domain.trade_list``), each rebalance
kept as a record (inputs' hashes, model version, trades, notice) and, with ``apply``, booked
as filled at the prices used in the command's one transaction.

The per-book ``Context`` (model weights 5 x n, product levels, prices, trade rules) is built
once. A book run reads accounts, positions, flows and assessments with one query each;
accounts with no facts besides their holdings are screened per tier with array arithmetic
(``domain.review.quiet_reviews``), the others are each one pure ``review`` (+ ``plan_trades``)
on arrays; then every write of the run goes in bulk statements (``Records.append_many``: the
hash chain computed in memory; ``Accounts.book_fills``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from roboadvisor.book.chain import canonical
from roboadvisor.book.models import (
    Account,
    CashFlow,
    FlowKind,
    FlowStatus,
    ModelVersion,
    Record,
    RecordKind,
)
from roboadvisor.book.repositories import Book, Entry, Filled, StoredAccounts
from roboadvisor.domain.limits import MAX_MONEY
from roboadvisor.domain.rebalancing import RebalanceRule, RuleKind
from roboadvisor.domain.review import (
    AccountFacts,
    Review,
    ReviewPolicy,
    effective_levels,
    plan_trades,
    quiet_reviews,
    review,
)
from roboadvisor.domain.trade_list import DEFAULT_MIN_TRADE, TradeList, TradeRules, apply_fills
from roboadvisor.domain.trading import CostModel
from roboadvisor.errors import BookError, catalog_text, reason
from roboadvisor.fields import Field
from roboadvisor.services import book as service
from roboadvisor.services import book_records as records
from roboadvisor.services import model as models
from roboadvisor.services.book_notice import notice
from roboadvisor.services.model_diff import diff, tier_notice

CASH_PLACES = Decimal("0.0001")
SHARE_PLACES = Decimal("0.00000001")


@dataclass(frozen=True)
class Quotes:
    """The prices a review or rebalance used: one per ticker (last close on or before
    ``as_of``); ``data`` is their canonical JSON, kept by hash in the book."""

    prices: dict[str, float]
    as_of: str

    @property
    def data(self) -> bytes:
        return canonical({"as_of": self.as_of, "prices": self.prices}).encode("utf-8")


def quotes_from_file(path: Path | None, tickers: tuple[str, ...]) -> Quotes:
    """The last close of ``tickers`` in a price file (or the local price cache)."""
    from roboadvisor.services.market import load_prices

    frame = load_prices(list(tickers), prices_file=path, download=False)
    return quotes_from_frame(frame, tickers)


def quotes_from_frame(frame: Any, tickers: tuple[str, ...]) -> Quotes:
    missing = [t for t in tickers if t not in frame.columns or frame[t].last_valid_index()
               is None]
    if missing:
        raise BookError.from_catalog("model.prices_missing", tickers=", ".join(missing))
    last = {t: frame[t].last_valid_index() for t in tickers}
    return Quotes({t: float(frame.at[d, t]) for t, d in last.items()},
                  max(last.values()).date().isoformat())


@dataclass(frozen=True)
class TradeSettings:
    """Trading rules of the book: minimum order value and the one cost model (bps of traded
    value plus a fixed amount per order)."""

    min_trade: float = DEFAULT_MIN_TRADE
    bps: float = 0.0
    fixed: float = 0.0
    rule: str | None = None
    """A band or drift rule checked besides each account's drift threshold (``parse_rule``
    short form, e.g. ``bands:5/25``; the same code as the backtests)."""

    def rebalance_rule(self) -> RebalanceRule | None:
        from roboadvisor.data.backtest_config import parse_rule

        return None if self.rule is None else parse_rule(self.rule)

    def rules(self, tickers: tuple[str, ...], fractional: bool) -> TradeRules:
        fees = CostModel(self.bps, (), self.fixed).fees(tickers)
        return TradeRules(min_trade=self.min_trade, fees=fees, fractional=fractional)


@dataclass(frozen=True, eq=False)
class Context:
    """What every account of one run shares: the latest model, the universe order, product
    levels, the model weights (5 x n, row k-1 for tier k) and the prices (n)."""

    model: ModelVersion
    tickers: tuple[str, ...]
    levels: np.ndarray
    weights: np.ndarray
    quotes: Quotes
    prices: np.ndarray
    settings: TradeSettings = field(default_factory=TradeSettings)
    own_levels: np.ndarray | None = None
    """The products' own R-levels (``levels`` are lowered by the model; None: the same)."""

    @property
    def raw_levels(self) -> np.ndarray:
        return self.levels if self.own_levels is None else self.own_levels

    @cached_property
    def rule(self) -> RebalanceRule | None:
        return self.settings.rebalance_rule()

    @cached_property
    def index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.tickers)}

    @cached_property
    def lowest_weights(self) -> np.ndarray:
        """The model rows of a lowest-category client: row 0 is the version's R1-only
        portfolio, or (older versions) tier 1's R1 products rescaled."""
        own = lowest_row(self.model, self.tickers)
        if own is None:
            return lowest_category_models(self.weights, self.raw_levels)
        out = self.weights.copy()
        out[0] = own
        return out

    @property
    def lowest_own(self) -> bool:
        """True when the model version carries the lowest category's own portfolio."""
        return self.model.lowest is not None

    def trade_rules(self, fractional: bool) -> TradeRules:
        key = "_rules_fractional" if fractional else "_rules_whole"
        found = self.__dict__.get(key)
        if found is None:
            found = self.__dict__[key] = self.settings.rules(self.tickers, fractional)
        return found


def context(book: Book, universe: Any, quotes: Quotes,
            settings: TradeSettings = TradeSettings(), version: int | None = None) -> Context:
    model = models.get(book, version)
    tickers = tuple(universe.tickers)
    weights = model_matrix(model, tickers)
    own = np.array([a.risk_level for a in universe.assets], dtype=int)
    levels = effective_levels(own, weights)
    prices = np.array([quotes.prices[t] for t in tickers], dtype=float)
    return Context(model, tickers, levels, weights, quotes, prices, settings, own)


def model_matrix(model: ModelVersion, tickers: tuple[str, ...]) -> np.ndarray:
    w = np.zeros((5, len(tickers)))
    index = {t: i for i, t in enumerate(tickers)}
    for k, tier in model.tiers.items():
        for t, x in tier.weights.items():
            if t not in index:
                raise BookError.from_catalog("model.ticker_outside", ticker=t,
                                             version=model.version)
            w[k - 1, index[t]] = x
        w[k - 1] /= w[k - 1].sum()
    return w


def lowest_row(model: ModelVersion, tickers: tuple[str, ...]) -> np.ndarray | None:
    """The lowest category's R1-only portfolio in universe order (None: the version has
    none)."""
    if model.lowest is None:
        return None
    index = {t: i for i, t in enumerate(tickers)}
    row = np.zeros(len(tickers))
    for t, x in model.lowest.weights.items():
        if t not in index:
            raise BookError.from_catalog("model.ticker_outside", ticker=t,
                                         version=model.version)
        row[index[t]] = x
    return row / row.sum()


@dataclass(frozen=True, eq=False)
class AccountReview:
    """An account's review with the book facts that fed it."""

    account: Account
    review: Review
    flows: tuple[CashFlow, ...]
    expired: bool
    requested_tier: int | None
    latest_version: int
    lowest: bool = False

    @property
    def flow_amount(self) -> float:
        return signed_flows(self.flows)


def signed_flows(flows: tuple[CashFlow, ...] | list[CashFlow]) -> float:
    return float(sum((f.amount if f.kind is FlowKind.DEPOSIT else -f.amount) for f in flows))


def _arrays(ctx: Context, account: Account) -> np.ndarray:
    index = ctx.index
    shares = np.zeros(len(ctx.tickers))
    for t, s in account.positions.items():
        if t not in index:
            raise BookError.from_catalog("model.held_outside", id=account.id, ticker=t)
        shares[index[t]] = float(s)
    return shares


def policy_of(account: Account, rule: RebalanceRule | None = None) -> ReviewPolicy:
    return ReviewPolicy(drift_threshold=float(account.drift_threshold), rule=rule,
                        reserve=float(account.cash_reserve))


def min_trade_of(ctx: Context, account: Account) -> float:
    """The account's own minimum order value, else the run's."""
    return ctx.settings.min_trade if account.min_trade is None else float(account.min_trade)


def replay(model: ModelVersion, content: dict[str, Any], quotes: Quotes
           ) -> tuple[Review, TradeList | None]:
    """A rebalance record re-run from what it states (the account before, its flows and
    assessment facts, the rules, the universe order and levels) with the model version and
    prices it names: ``records verify --recompute``."""
    from datetime import UTC

    u, st, rules = content["universe"], content["state"], content["rules"]
    tickers = tuple(u["tickers"])
    ctx = Context(model, tickers, np.array(u["levels"], dtype=int),
                  model_matrix(model, tickers), quotes,
                  np.array([quotes.prices[t] for t in tickers], dtype=float),
                  TradeSettings(rules["min_trade"], rules["bps"], rules["fixed"],
                                rules.get("rule")),
                  np.array(u["own_levels"], dtype=int) if "own_levels" in u else None)
    account = Account(content["account_id"], content["client_id"], st["tier"], False,
                      datetime.now(UTC), Decimal(st["cash"]),
                      {t: Decimal(v) for t, v in st["positions"].items()},
                      st["allow_fractional"], Decimal(st["drift_threshold"]),
                      st["model_version"], Decimal(st.get("cash_reserve", "0")),
                      None if st.get("min_trade") is None else Decimal(st["min_trade"]))
    flows = tuple(CashFlow(f["id"], account.id, FlowKind(f["kind"]), Decimal(f["amount"]),
                           datetime.now(UTC).date(), FlowStatus.PENDING) for f in st["flows"])
    ar = review_of(ctx, account, flows, None, st["expired"], st["requested_tier"],
                   lowest=st.get("lowest", False))
    return ar.review, plan(ctx, ar)


def review_of(ctx: Context, account: Account, flows: tuple[CashFlow, ...], assessed: int | None,
              expired: bool, requested: int | None = None, *,
              lowest: bool = False) -> AccountReview:
    """The pure step: an account, its pending flows and assessment facts -> its review.

    ``lowest``: the client is of the lowest category (C1-lowest), who may hold R1 products
    only whatever the model: the review then judges products by their own R-levels and aims
    at the model version's R1-only portfolio (older versions without one: tier 1's R1
    products rescaled, ``lowest_category_models``)."""
    # the assessment sets the tier unless the client chose one above it, and a client of the
    # lowest category may hold tier 1 only, even one who chose more before (``lowest``)
    if requested is None and assessed is not None and assessed != account.tier \
            and (lowest or not account.above_level):
        requested = assessed
    facts = AccountFacts(tier=account.tier, requested_tier=requested,
                         assessment_expired=expired, model_version=account.model_version,
                         latest_model_version=ctx.model.version,
                         pending_flow=signed_flows(flows))
    weights, levels = ((ctx.lowest_weights, ctx.raw_levels) if lowest
                       else (ctx.weights, ctx.levels))
    rev = review(_arrays(ctx, account), ctx.prices, float(account.cash), weights,
                 levels, facts, policy_of(account, ctx.rule))
    return AccountReview(account, rev, flows, expired, requested, ctx.model.version, lowest)


def lowest_category_models(weights: np.ndarray, raw_levels: np.ndarray) -> np.ndarray:
    """The stop-gap model rows of a lowest-category client for model versions published
    before they carried an R1-only portfolio: tier 1's weights on its R1 products, rescaled
    to sum to 1 (all R1 products equally when tier 1 holds none)."""
    out = weights.copy()
    r1 = raw_levels <= 1
    row = np.where(r1, weights[0], 0.0)
    out[0] = row / row.sum() if row.sum() > 0 else r1 / r1.sum()
    return out


def _assessment(book: Book, account: Account,
                now: datetime) -> tuple[int | None, bool, bool]:
    """The assessed tier, whether the assessment expired, whether the client is C1-lowest."""
    latest = book.assessments.latest(account.client_id)
    if latest is None:
        return None, True, False
    return latest.tier, latest.expired(now), latest.lowest


def review_account(book: Book, ctx: Context, account_id: str, now: datetime,
                   requested: int | None = None) -> AccountReview:
    account = service.account(book, account_id)
    assessed, expired, lowest = _assessment(book, account, now)
    if requested is not None:
        _check_requested(account, requested, assessed, expired)
    flows = tuple(f for f in book.accounts.flows(account_id) if f.status.value == "pending")
    return review_of(ctx, account, flows, assessed, expired, requested, lowest=lowest)


@dataclass(frozen=True)
class Failure:
    """An account a book run could not handle, with the one-line reason (the run goes on)."""

    account_id: str
    message: str


def review_book(book: Book, ctx: Context, now: datetime,
                failures: list[Failure] | None = None, *,
                quiet: bool = True) -> list[AccountReview]:
    """Every account, most urgent first (then by id); ``quiet=False``: only those that need
    action (a rebalance). An account that cannot be reviewed (e.g. it holds a ticker outside
    the universe) is added to ``failures`` when a list is given (the run goes on), else its
    error is raised.

    Accounts, positions, flows and assessments are read with one query each
    (``Accounts.stored``); accounts with no facts besides their holdings (no flow, no tier
    change, no new model version, a valid assessment) are screened per tier with array
    arithmetic (``quiet_reviews``), and only those that fire are reviewed one by one; an
    account's Decimals are built only when it is shown or reviewed."""
    from roboadvisor.errors import RoboAdvisorError

    pending = book.accounts.pending()
    latest = book.assessments.latest_all()
    stored = book.accounts.stored()
    shares = _holdings_matrix(ctx, stored)
    out: list[AccountReview] = []
    groups: dict[tuple[int, bool, float], list[int]] = {}
    slow: list[int] = []
    version = ctx.model.version
    known = ctx.index.keys()
    for i, account_id in enumerate(stored.ids):
        found = latest.get(stored.client_ids[i])
        if (found is None or account_id in pending or stored.model_versions[i] != version
                or found.expired(now) or (found.tier != stored.tiers[i]
                                          and not stored.above_level[i])
                or not known >= set(stored.tickers_of(i))):
            slow.append(i)
        else:
            groups.setdefault((stored.tiers[i], found.lowest, stored.cash_reserve[i]),
                              []).append(i)
    for (tier, lowest, reserve), rows in groups.items():
        for i, rev in zip(rows, _screen(ctx, tier, lowest, reserve, stored, shares, rows),
                          strict=True):
            if rev is None:
                slow.append(i)
            elif quiet:
                out.append(AccountReview(stored.account(i), rev, (), False, None, version,
                                         lowest))
    for i in slow:
        account = stored.account(i)
        found = latest.get(account.client_id)
        assessed, expired = (found.tier, found.expired(now)) if found else (None, True)
        try:
            ar = review_of(ctx, account, tuple(pending.get(account.id, ())), assessed,
                           expired, lowest=bool(found and found.lowest))
        except RoboAdvisorError as exc:
            if failures is None:
                raise
            failures.append(Failure(account.id, reason(exc)))
            continue
        if quiet or ar.review.action_needed:
            out.append(ar)
    out.sort(key=lambda r: (-r.review.urgency, r.account.id))
    return out


def _holdings_matrix(ctx: Context, stored: StoredAccounts) -> np.ndarray:
    """Shares of every stored account (rows) in every product of the universe (columns);
    tickers outside the universe are left out (their accounts take the one-by-one review,
    which refuses them)."""
    column = [ctx.index.get(t, -1) for t in stored.position_ticker]
    rows = np.array(stored.position_row, dtype=np.int64)
    cols = np.array(column, dtype=np.int64)
    values = np.array(stored.position_values, dtype=float)
    ok = cols >= 0
    shares = np.zeros((len(stored.ids), len(ctx.tickers)))
    shares[rows[ok], cols[ok]] = values[ok]
    return shares


def _screen(ctx: Context, tier: int, lowest: bool, reserve: float, stored: StoredAccounts,
            shares: np.ndarray, rows: list[int]) -> list[Review | None]:
    """``quiet_reviews`` of the accounts ``rows`` of one tier, category and cash reserve with
    no other facts."""
    cash = np.array([stored.cash[i] for i in rows])
    thresholds = np.array([stored.drift_threshold[i] for i in rows])
    weights, levels = ((ctx.lowest_weights, ctx.raw_levels) if lowest
                       else (ctx.weights, ctx.levels))
    return quiet_reviews(shares[rows], ctx.prices, cash, tier, weights, levels, thresholds,
                         ctx.rule, reserve)


def _check_requested(account: Account, requested: int, assessed: int | None,
                     expired: bool) -> None:
    if not 1 <= requested <= 5:
        raise BookError.from_catalog("book.tier_range", tier=requested)
    if requested > account.tier and expired:
        raise BookError.from_catalog("model.raise_expired", id=account.id, tier=requested,
                                     current=account.tier)
    if assessed is not None and requested > assessed:
        raise BookError.from_catalog("book.allocate_above", id=account.client_id,
                                     tier=requested, assessed=assessed)


# --- rebalancing --------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Rebalance:
    """One account's rebalance: the review, the trade list (None: nothing to do), the notice
    by language (English, the record's, and any other asked for), the record (None when
    nothing was to be done) and whether it was booked."""

    review: AccountReview
    trades: TradeList | None
    notice: dict[str, list[str]]
    record: Record | None
    applied: bool


def plan(ctx: Context, ar: AccountReview) -> TradeList | None:
    account = ar.account
    rules = ctx.trade_rules(account.allow_fractional)
    if account.min_trade is not None:
        from dataclasses import replace

        rules = replace(rules, min_trade=float(account.min_trade))
    return plan_trades(_arrays(ctx, account), ctx.prices, float(account.cash), ar.review,
                       rules, policy_of(account, ctx.rule), tickers=ctx.tickers)


class _Diffs:
    """The model diff notice of a tier (or of the lowest category's portfolio), computed once
    per (old version, tier, lowest, language)."""

    def __init__(self, book: Book, ctx: Context) -> None:
        self.book, self.ctx = book, ctx
        self.cache: dict[tuple[int, int, bool, str], list[str]] = {}

    def lines(self, old: int | None, tier: int, lang: str, lowest: bool = False) -> list[str]:
        from roboadvisor.services.model_diff import lowest_notice

        new = self.ctx.model.version
        if old is None or old == new:
            return []
        key = (old, tier, lowest, lang)
        if key not in self.cache:
            before = self.book.models.get(old)
            if before is None:
                self.cache[key] = []
            else:
                d = diff(before, self.ctx.model)
                found = lowest_notice(d, lang) if lowest and tier == 1 else []
                self.cache[key] = found or next(
                    (tier_notice(c, lang) for c in d.tiers if c.tier == tier), [])
        return list(self.cache[key])


def rebalance_account(book: Book, ctx: Context, account_id: str, now: datetime, apply: bool,
                      requested: int | None = None, lang: str = "en") -> Rebalance:
    """One account's rebalance, its notice also in ``lang`` (for the client to read)."""
    ar = review_account(book, ctx, account_id, now, requested)
    return rebalance_many(book, ctx, [ar], now, apply, notice_langs=(lang,))[0]


def rebalance_book(book: Book, ctx: Context, now: datetime, apply: bool,
                   failures: list[Failure] | None = None) -> list[Rebalance]:
    """Every account that needs action gets a trade list and a record (most urgent first);
    accounts that cannot be reviewed go to ``failures`` (see ``review_book``)."""
    return rebalance_many(book, ctx, review_book(book, ctx, now, failures, quiet=False), now,
                          apply)


def rebalance_many(book: Book, ctx: Context, reviews: list[AccountReview], now: datetime,
                   apply: bool, notice_langs: tuple[str, ...] = ()) -> list[Rebalance]:
    """Trade lists and notices for ``reviews`` (in order), then every write of the run in
    bulk statements: the records (hash chain computed in memory, one insert) and, with
    ``apply``, the fills (holdings, cash, tier and model version, flows applied).

    Notices are written in English (the record's) and in ``notice_langs``; a book run shows
    none, so it pays for one language, not two."""
    langs = tuple(dict.fromkeys(("en", *notice_langs)))
    diffs = _Diffs(book, ctx)
    planned: list[tuple[AccountReview, TradeList | None, dict[str, list[str]]]] = []
    for ar in reviews:
        trades = plan(ctx, ar)
        rev, old = ar.review, ar.account.model_version
        texts = {lang: notice(rev, trades, diffs.lines(old, rev.tier, lang, ar.lowest), lang,
                              min_trade_of(ctx, ar.account), float(ar.account.cash_reserve))
                 for lang in langs}
        planned.append((ar, trades, texts))
    traded = [(ar, trades, texts) for ar, trades, texts in planned if trades is not None]
    records_made: list[Record] = []
    if traded:
        prices_sha = book.records.put_blob(ctx.quotes.data)
        records_made = book.records.append_many(
            [Entry(RecordKind.REBALANCE, ar.account.client_id, ar.account.id,
                   rebalance_content(ctx, ar, trades, prices_sha, bool(apply), texts["en"]))
             for ar, trades, texts in traded], now)
        if apply:
            book.accounts.book_fills([_filled(ctx, ar, trades) for ar, trades, _ in traded
                                      if trades is not None])
    made = iter(records_made)
    return [Rebalance(ar, trades, texts, None, False) if trades is None
            else Rebalance(ar, trades, texts, next(made), bool(apply))
            for ar, trades, texts in planned]


def _filled(ctx: Context, ar: AccountReview, trades: TradeList) -> Filled:
    """The account once ``trades`` are booked as filled."""
    account = ar.account
    shares, cash = apply_fills(_arrays(ctx, account), float(account.cash), trades.orders,
                               trades.flow)
    positions = {t: _shares(s) for t, s in zip(ctx.tickers, shares, strict=True) if s > 0}
    version = ctx.model.version if trades.mode.value == "full" else account.model_version
    return Filled(account.id, Decimal(repr(cash)).quantize(CASH_PLACES), positions,
                  ar.review.tier, version, tuple(f.id for f in ar.flows),
                  above_level=account.above_level and ar.review.tier == account.tier)


def _shares(x: float) -> Decimal:
    value = Decimal(repr(float(x))).quantize(SHARE_PLACES)
    return value.to_integral_value() if value == value.to_integral_value() else value


def rebalance_content(ctx: Context, ar: AccountReview, trades: TradeList, prices_sha: str,
                      applied: bool, text: list[str]) -> dict[str, Any]:
    """The record of a rebalance: the state it started from, the rules, the model version and
    prices (by hash), the trades and the notice shown."""
    a, s = ar.account, ctx.settings
    state: dict[str, Any] = {
             "tier": a.tier, "requested_tier": ar.requested_tier, "expired": ar.expired,
             "lowest": ar.lowest,
             "model_version": a.model_version, "cash": str(a.cash),
             "positions": {t: str(v) for t, v in sorted(a.positions.items())},
             "flows": [{"id": f.id, "kind": f.kind.value, "amount": str(f.amount)}
                       for f in ar.flows],
             "drift_threshold": str(a.drift_threshold), "allow_fractional": a.allow_fractional}
    if a.cash_reserve or a.min_trade is not None:  # account settings (older records: none)
        state["cash_reserve"] = str(a.cash_reserve)
        state["min_trade"] = None if a.min_trade is None else str(a.min_trade)
    return {**records._base(prices=prices_sha, model=ctx.model.digest),
            "state": state,
            "universe": {"tickers": list(ctx.tickers), "levels": [int(x) for x in ctx.levels],
                         "own_levels": [int(x) for x in ctx.raw_levels]},
            "rules": {"min_trade": s.min_trade, "bps": s.bps, "fixed": s.fixed,
                      "rule": s.rule},
            "outputs": rebalance_outputs(ctx.model.version, ar.review, trades, applied),
            "text": text}


LATER_OUTPUTS = frozenset({"withdrawal_paid", "withdrawal_unpaid"})
"""Outputs of a rebalance record added after its first version, written only when they
apply: ``records verify --recompute`` does not ask them of records that do not state them."""


def rebalance_outputs(version: int, rev: Review, trades: TradeList,
                      applied: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "model_version": version, "tier": rev.tier,
        "triggers": [f.trigger.value for f in rev.fired], "mode": trades.mode.value,
        "outcome": trades.outcome.value,
        "orders": [{"ticker": o.ticker, "side": o.side.value, "shares": round(o.shares, 8),
                    "price": o.price, "value": round(o.value, 4), "cost": round(o.cost, 4),
                    "reason": o.reason.value} for o in trades.orders],
        "drift_before": round(trades.drift_before, 8), "drift_after": round(trades.drift_after, 8),
        "costs": round(trades.costs, 4), "cash_after": round(trades.cash_after, 4)}
    if trades.unpaid >= 0.005:  # only then, so that older records re-compute unchanged
        out["withdrawal_paid"] = round(-trades.flow, 4)
        out["withdrawal_unpaid"] = round(trades.unpaid, 4)
    if applied is not None:
        out["applied"] = applied
    return out


def settings(min_trade: float, bps: float, fixed: float, rule: str | None = None
             ) -> TradeSettings:
    """Trade settings from options, refused in one line when negative or not finite, or
    when the rule is not a band or drift rule (the book has no calendar)."""
    import math

    if rule is not None:
        from roboadvisor.data.backtest_config import parse_rule

        try:
            parsed = parse_rule(rule)
        except ValueError as exc:
            raise BookError.from_catalog("model.rule_bad", rule=rule, reason=reason(exc)) from None
        if parsed.kind not in (RuleKind.BANDS, RuleKind.DRIFT):
            raise BookError.from_catalog("model.rule_bad", rule=rule,
                                         reason=catalog_text("zh_book.rule_not_band"))

    for name, value, most in ((Field.MIN_TRADE, min_trade, float(MAX_MONEY)),
                              (Field.COST_BPS, bps, CostModel.MAX_BPS),
                              (Field.COST_FIXED, fixed, CostModel.MAX_FIXED)):
        if not math.isfinite(value) or value < 0:
            raise BookError.from_catalog("model.option_negative", option=name, value=value)
        if value > most:
            raise BookError.from_catalog("model.option_too_large", option=name, value=value,
                                         most=f"{most:,.0f}")
    return TradeSettings(min_trade, bps, fixed, rule)


def order_rows(result: Rebalance) -> list[dict[str, Any]]:
    """The orders of a rebalance as rows (ticker, side, shares, price, value, cost, reason)."""
    if result.trades is None:
        return []
    return [{"account": result.review.account.id, "ticker": o.ticker, "side": o.side.value,
             "shares": o.shares, "price": o.price, "value": round(o.value, 4),
             "cost": round(o.cost, 4), "reason": o.reason.value} for o in result.trades.orders]
