"""Tables and notices of the daily job: model versions and their diff, account and book
reviews, rebalances. ``--json`` carries ids, hashes and figures, never personal data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table

from roboadvisor.cli import render
from roboadvisor.reports.i18n import t

if TYPE_CHECKING:
    from roboadvisor.book.models import Account, ModelVersion
    from roboadvisor.services.book_daily import (
        AccountReview,
        Context,
        Failure,
        Quotes,
        Rebalance,
    )
    from roboadvisor.services.model import Published
    from roboadvisor.services.model_diff import ModelDiff


def _table(*columns: str, right: Sequence[int] = ()) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for i, column in enumerate(columns):
        table.add_column(column, justify="right" if i in right else "left")
    return table


def _pct(x: float) -> str:
    return f"{x * 100:.2f}%"


def _record(record: Any) -> Any:
    return None if record is None else {"seq": record.seq, "kind": record.kind.value,
                                        "hash": record.hash}


# --- account settings -----------------------------------------------------------------------
def _setting_values(settings: dict[str, Any], lang: str) -> dict[str, str]:
    from decimal import Decimal

    m = settings["min_trade"]
    return {"threshold": f"{Decimal(settings['drift_threshold']) * 100:.2f}%",
            "fractional": t("daily3.yes" if settings["allow_fractional"] else "daily3.no",
                            lang),
            "reserve": f"{Decimal(settings['cash_reserve']):,.2f}",
            "min_trade": t("daily3.min_trade_default", lang) if m is None
            else f"{Decimal(m):,.2f}"}


def settings_line(account: Account, lang: str) -> str:
    """One line: the account's drift threshold, fractional shares, reserve, minimum order."""
    from roboadvisor.services.book_settings import settings_of

    return t("daily3.settings_line", lang, **_setting_values(settings_of(account), lang))


def account_settings(before: Account, after: Account, record: Any, lang: str,
                     json_output: bool) -> None:
    from roboadvisor.services.book_settings import settings_of

    was, now = settings_of(before), settings_of(after)
    if json_output:
        render.print_json({"account_id": after.id, "changed": record is not None,
                           "settings": now, "before": was, "record": _record(record)})
        return
    out = render.out()
    if record is None:
        out.print(t("daily3.settings_unchanged", lang, id=after.id), soft_wrap=True)
    else:
        out.print(t("daily3.settings_changed", lang, id=after.id, seq=record.seq),
                  soft_wrap=True)
    table = _table(t("daily3.col_setting", lang), t("daily3.col_before", lang),
                   t("daily3.col_now", lang))
    shown_was, shown_now = _setting_values(was, lang), _setting_values(now, lang)
    for key, label in (("threshold", "drift_threshold"), ("fractional", "allow_fractional"),
                       ("reserve", "cash_reserve"), ("min_trade", "min_trade")):
        changed = shown_was[key] != shown_now[key]
        table.add_row(t(f"daily3.{label}", lang), shown_was[key], shown_now[key],
                      style="bold" if changed else None)
    out.print(table)


# --- models -------------------------------------------------------------------------------------
def _model_json(m: ModelVersion, tiers: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"version": m.version, "created_at": m.created_at.isoformat(),
                           "source": m.source, "note": m.note, "digest": m.digest,
                           "inputs": m.inputs, "record_seq": m.record_seq}
    if tiers:
        out["tiers"] = {str(k): {"expected_return": v.expected_return,
                                 "volatility": v.volatility, "weights": v.weights,
                                 "binding": sorted(v.binding)}
                        for k, v in sorted(m.tiers.items())}
        low = m.lowest
        out["lowest"] = None if low is None else {
            "expected_return": low.expected_return, "volatility": low.volatility,
            "weights": low.weights, "binding": sorted(low.binding)}
    return out


def published(result: Published, lang: str, json_output: bool) -> None:
    m = result.model
    if json_output:
        render.print_json({"unchanged": result.unchanged, "version": m.version,
                           "digest": m.digest, "record": _record(result.record)})
        return
    if result.unchanged:
        render.out().print(t("model.unchanged", lang, version=m.version), soft_wrap=True)
        return
    render.out().print(t("model.published", lang, version=m.version, source=m.source,
                         seq=m.record_seq, digest=m.digest[:12]), soft_wrap=True)
    model_show(m, lang, False)


def model_list(found: Sequence[ModelVersion], lang: str, json_output: bool) -> None:
    if json_output:
        render.print_json([_model_json(m, tiers=False) for m in found])
        return
    if not found:
        render.out().print(t("model.list_empty", lang))
        return
    table = _table(t("model.col_version", lang), t("model.col_when", lang),
                   t("model.col_source", lang), "digest", t("model.col_note", lang))
    for m in found:
        table.add_row(str(m.version), m.created_at.strftime("%Y-%m-%d %H:%M"), m.source,
                      m.digest[:12], m.note or "")
    render.out().print(table)


def model_show(m: ModelVersion, lang: str, json_output: bool) -> None:
    if json_output:
        render.print_json(_model_json(m))
        return
    out = render.out()
    out.print(t("model.show_title", lang, version=m.version, source=m.source,
                when=m.created_at.strftime("%Y-%m-%d %H:%M")), style="bold")
    table = _table(t("model.col_tier", lang), t("model.col_return", lang),
                   t("model.col_vol", lang), t("model.col_weights", lang), right=(1, 2))
    for k, v in sorted(m.tiers.items()):
        weights = ", ".join(f"{tk} {w:.1%}" for tk, w in
                            sorted(v.weights.items(), key=lambda x: -x[1]))
        table.add_row(str(k), _pct(v.expected_return), _pct(v.volatility), weights)
    out.print(table)
    if m.lowest is None:
        out.print(t("daily3.lowest_missing", lang, version=m.version), style="dim",
                  soft_wrap=True)
        return
    low = m.lowest
    out.print(t("daily3.lowest_title", lang), style="bold", soft_wrap=True)
    out.print(f"{_pct(low.expected_return)} / {_pct(low.volatility)}: " + ", ".join(
        f"{tk} {w:.1%}" for tk, w in sorted(low.weights.items(), key=lambda x: -x[1])),
        soft_wrap=True)


def model_diff(d: ModelDiff, tier: int | None, lang: str, json_output: bool) -> None:
    from roboadvisor.services.model_diff import notice

    if json_output:
        render.print_json({"from": d.before, "to": d.after, "tiers": [
            {"tier": c.tier, "expected_return": [c.return_before, c.return_after],
             "volatility": [c.vol_before, c.vol_after],
             "weights": {tk: [a, b] for tk, a, b in c.rows},
             "reasons": [{"code": r.key, **dict(r.params)} for r in c.reasons]}
            for c in d.tiers if tier is None or c.tier == tier]})
        return
    for line in notice(d, lang, tier):
        render.out().print(line, soft_wrap=True, markup=False, highlight=False)


# --- reviews ------------------------------------------------------------------------------------
def _review_json(ar: AccountReview) -> dict[str, Any]:
    r = ar.review
    return {"account_id": ar.account.id, "client_id": ar.account.client_id, "tier": r.tier,
            "value": round(r.value, 4), "drift": round(r.drift, 8),
            "triggers": [{"code": f.trigger.value, **f.params} for f in r.fired],
            "action": r.mode.value if r.mode is not None else None,
            "urgency": round(r.urgency, 8), "model_version": ar.account.model_version,
            "latest_model_version": ar.latest_version,
            "pending_flows": [f.id for f in ar.flows], "lowest": ar.lowest}


def account_review(ar: AccountReview, ctx: Context, lang: str, json_output: bool) -> None:
    from roboadvisor.services.book_notice import trigger_text

    r = ar.review
    if json_output:
        from roboadvisor.services.book_settings import settings_of

        render.print_json({**_review_json(ar), "prices_as_of": ctx.quotes.as_of,
                           "settings": settings_of(ar.account),
                           "lowest_target": (None if not ar.lowest else
                                             "own" if ctx.lowest_own else "stop_gap"),
                           "assets": [{"ticker": tk, "weight": round(float(w), 8),
                                       "target": round(float(x), 8),
                                       "deviation": round(float(d), 8)}
                                      for tk, w, x, d in zip(ctx.tickers, r.weights, r.targets,
                                                             r.deviation, strict=True)
                                      if w > 0 or x > 0],
                           "cash_weight": round(r.cash_weight, 8)})
        return
    out = render.out()
    out.print(t("model.review_title", lang, id=ar.account.id, tier=r.tier,
                version=ar.latest_version, value=f"{r.value:,.2f}", drift=_pct(r.drift),
                date=ctx.quotes.as_of), style="bold", soft_wrap=True)
    out.print(settings_line(ar.account, lang), style="dim", soft_wrap=True)
    if ar.lowest:
        out.print(t("daily3.lowest_target" if ctx.lowest_own else "daily3.lowest_stopgap",
                    lang, version=ctx.model.version), soft_wrap=True)
    table = _table(t("book.col_ticker", lang), t("book.col_weight", lang),
                   t("book.col_target", lang), t("model.col_deviation", lang), right=(1, 2, 3))
    for tk, w, x, d in zip(ctx.tickers, r.weights, r.targets, r.deviation, strict=True):
        if w > 0 or x > 0:
            table.add_row(tk, _pct(float(w)), _pct(float(x)), f"{d * 100:+.2f}%")
    table.add_row(t("book.col_cash", lang), _pct(r.cash_weight), "", "")
    out.print(table)
    for f in r.fired:
        out.print("- " + trigger_text(f, lang), soft_wrap=True, markup=False)
    action = t(f"model.action_{r.mode.value}" if r.mode else "model.action_none", lang)
    out.print(action, style="bold")


def _failures(failed: Sequence[Failure], lang: str) -> None:
    for f in failed:
        render.warning(t("model.account_failed", lang, id=f.account_id, reason=f.message))


def _failed_json(failed: Sequence[Failure]) -> list[dict[str, str]]:
    return [{"account_id": f.account_id, "error": f.message} for f in failed]


def book_review(found: Sequence[AccountReview], quotes: Quotes, failed: Sequence[Failure],
                lang: str, json_output: bool) -> None:
    if json_output:
        render.print_json({"prices_as_of": quotes.as_of,
                           "accounts": [_review_json(ar) for ar in found],
                           "failed": _failed_json(failed)})
        return
    _failures(failed, lang)
    table = _table(t("model.col_account", lang), t("model.col_tier", lang),
                   t("book.col_value", lang), t("model.col_drift", lang),
                   t("model.col_triggers", lang), t("model.col_action", lang), right=(1, 2, 3))
    for ar in found:
        r = ar.review
        table.add_row(ar.account.id, str(r.tier), f"{r.value:,.2f}", _pct(r.drift),
                      ", ".join(f.trigger.value for f in r.fired) or "-",
                      t(f"model.action_{r.mode.value}" if r.mode else "model.action_none",
                        lang))
    render.out().print(table)
    needing = sum(1 for ar in found if ar.review.action_needed)
    render.out().print(t("model.review_summary", lang, n=len(found), k=needing,
                         date=quotes.as_of))


# --- rebalances ---------------------------------------------------------------------------------
def _rebalance_json(rb: Rebalance) -> dict[str, Any]:
    from roboadvisor.services.book_daily import order_rows

    tl = rb.trades
    return {"account_id": rb.review.account.id, "record": _record(rb.record),
            "applied": rb.applied, "tier": rb.review.review.tier,
            "model_version": rb.review.latest_version,
            "triggers": [f.trigger.value for f in rb.review.review.fired],
            "outcome": tl.outcome.value if tl else None,
            "orders": [{k: v for k, v in row.items() if k != "account"}
                       for row in order_rows(rb)],
            "drift_before": tl.drift_before if tl else rb.review.review.drift,
            "drift_after": tl.drift_after if tl else rb.review.review.drift,
            "costs": tl.costs if tl else 0.0, "cash_after": tl.cash_after if tl else None,
            "flow_requested": tl.requested_flow if tl else rb.review.review.pending_flow,
            "flow_paid": tl.flow if tl else 0.0, "flow_unpaid": tl.unpaid if tl else 0.0}


def account_rebalance(rb: Rebalance, lang: str, json_output: bool) -> None:
    if json_output:
        render.print_json(_rebalance_json(rb))
        return
    out = render.out()
    for line in rb.notice[lang]:
        out.print(line, soft_wrap=True, markup=False, highlight=False)
    if rb.record is not None:
        key = "model.rebalance_applied" if rb.applied else "model.rebalance_proposed"
        out.print(t(key, lang, seq=rb.record.seq), style="bold", soft_wrap=True)


def book_rebalance(found: Sequence[Rebalance], failed: Sequence[Failure], lang: str,
                   json_output: bool) -> None:
    if json_output:
        render.print_json({"accounts": [_rebalance_json(rb) for rb in found],
                           "failed": _failed_json(failed)})
        return
    _failures(failed, lang)
    lists = [rb for rb in found if rb.trades is not None]
    if not lists:
        render.out().print(t("model.book_no_trades", lang), style="bold")
        return
    table = _table(t("model.col_account", lang), t("model.col_orders", lang),
                   t("model.col_drift_before", lang), t("model.col_drift_after", lang),
                   t("model.col_costs", lang), t("model.col_cash_left", lang),
                   t("model.col_record", lang), right=(1, 2, 3, 4, 5))
    for rb in lists:
        tl = rb.trades
        assert tl is not None
        table.add_row(rb.review.account.id, str(len(tl.orders)), _pct(tl.drift_before),
                      _pct(tl.drift_after), f"{tl.costs:,.2f}", f"{tl.cash_after:,.2f}",
                      f"#{rb.record.seq}" if rb.record else "-")
    render.out().print(table)
    applied = any(rb.applied for rb in lists)
    render.out().print(t("model.book_applied" if applied else "model.book_proposed", lang,
                         n=len(lists)), style="bold")
