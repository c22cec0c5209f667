"""The words of a review and of a rebalance (catalog ``trading.*`` and ``model.*``): trigger
texts, order reasons and the short notice a client reads (en/zh)."""

from __future__ import annotations

from roboadvisor.domain.review import Fired, Review, Trigger
from roboadvisor.domain.trade_list import TradeList
from roboadvisor.reports.i18n import t


def _pct(x: float) -> str:
    return f"{x * 100:.2f}%"


def _money(x: float) -> str:
    return f"{x:,.2f}"


def trigger_text(fired: Fired, lang: str) -> str:
    p = dict(fired.params)
    if fired.trigger is Trigger.DRIFT:
        p = {"drift": _pct(float(p["drift"])), "threshold": _pct(float(p["threshold"]))}
    elif fired.trigger is Trigger.CASH_FLOW:
        p = {"amount": _money(float(p["amount"]))}
    key = f"trading.trigger.{fired.trigger.value}"
    if fired.trigger is Trigger.MODEL_VERSION and not p.get("old"):
        key = "model.trigger_first"
    if fired.trigger is Trigger.ASSESSMENT_EXPIRED and p.get("raise_blocked"):
        key += "_raise_blocked"
    return t(key, lang, **p)


def triggers_text(rev: Review, lang: str) -> str:
    sep = "；" if lang == "zh" else "; "
    return sep.join(trigger_text(f, lang) for f in rev.fired) or t("trading.notice.none", lang)


def order_reason(ticker: str, reason: str, lang: str) -> str:
    return t(f"trading.reason.{reason}", lang, ticker=ticker)


def notice(rev: Review, trades: TradeList | None, model_lines: list[str], lang: str,
           min_trade: float = 50.0, reserve: float = 0.0) -> list[str]:
    """Title, why (triggers), drift before/after, orders, costs, cash left; the reason per
    order; the model diff of the account's tier when the model changed."""
    lines = [t("trading.notice.title", lang)]
    if trades is None:
        lines.append(t("trading.notice.none", lang))
        return lines
    lines.append(t("trading.notice.summary", lang, triggers=triggers_text(rev, lang),
                   drift_before=_pct(trades.drift_before), drift_after=_pct(trades.drift_after),
                   orders=len(trades.orders), costs=_money(trades.costs),
                   cash=_money(trades.cash_after)))
    if trades.unpaid >= 0.005:
        lines.append(t("trading.notice.withdrawal_short", lang,
                       requested=_money(-trades.requested_flow), paid=_money(-trades.flow),
                       unpaid=_money(trades.unpaid)))
    if not trades.orders:
        lines.append(t(f"trading.outcome.{trades.outcome.value}", lang, min_trade=_money(min_trade),
                       reserve=_money(reserve)))
    for o in trades.orders:
        lines.append(f"- {t(f'trading.side.{o.side.value}', lang)} {o.shares:g} {o.ticker} "
                     f"@ {o.price:,.2f} = {o.value:,.2f}: "
                     f"{order_reason(o.ticker, o.reason.value, lang)}")
    if model_lines:
        lines.append(t("trading.notice.model_changed", lang))
        lines += model_lines
    return lines
