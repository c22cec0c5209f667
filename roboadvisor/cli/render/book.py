"""Tables and notices of the client book. ``--json`` output carries ids, hashes and figures,
never personal data (names, birth dates, answers, acknowledgements)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table

from roboadvisor.cli import render
from roboadvisor.reports.i18n import t

if TYPE_CHECKING:
    from roboadvisor.book.models import Account, CashFlow, Record, StoredAssessment
    from roboadvisor.services.assess import Assessment
    from roboadvisor.services.book import AccountView, ClientView, Valuation
    from roboadvisor.services.book_holdings import ImportResult
    from roboadvisor.services.book_records import AssessmentFacts
    from roboadvisor.services.book_verify import Verification


def _time(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"


def _record_ref(record: Record) -> dict[str, Any]:
    return {"seq": record.seq, "kind": record.kind.value, "hash": record.hash}


def _table(*columns: str, right: Sequence[int] = ()) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for i, column in enumerate(columns):
        table.add_column(column, justify="right" if i in right else "left")
    return table


def done(json_output: bool, lang: str, key: str, payload: dict[str, Any], record: Record,
         **params: Any) -> None:
    if json_output:
        render.print_json({**payload, "record": _record_ref(record)})
    else:
        render.out().print(t(key, lang, seq=record.seq, **params), soft_wrap=True)


def _status(assessment: StoredAssessment | None, expired: bool, lang: str) -> str:
    if assessment is None:
        return "-"
    day = assessment.expires_at.date().isoformat()
    return t("book.expired_on", lang, date=day) if expired else \
        t("book.valid_until", lang, date=day)


def _assessment_json(assessment: StoredAssessment | None, expired: bool) -> Any:
    if assessment is None:
        return None
    return {"id": assessment.id, "questionnaire": {"id": assessment.questionnaire_id,
                                                   "version": assessment.questionnaire_version},
            "answers_sha256": assessment.answers_sha256, "tier": assessment.tier,
            "score_tier": assessment.score_tier, "lowest": assessment.lowest,
            "combined_score": assessment.combined_score,
            "assessed_at": assessment.assessed_at.isoformat(),
            "expires_at": assessment.expires_at.isoformat(), "expired": expired}


def _tier_text(assessment: StoredAssessment | None, lang: str) -> str:
    if assessment is None:
        return "-"
    return f"{assessment.tier}" + (f" ({t('book.lowest', lang)})" if assessment.lowest else "")


def clients(views: Sequence[ClientView], lang: str, json_output: bool) -> None:
    if json_output:
        render.print_json([{"client_id": v.client.id, "erased": v.client.erased,
                            "assessment": _assessment_json(v.assessment, v.expired),
                            "accounts": [a.id for a in v.accounts]} for v in views])
        return
    table = _table(t("book.col_client", lang), t("book.col_tier", lang),
                   t("book.col_status", lang), t("book.col_accounts", lang), right=(3,))
    for v in views:
        status = t("book.erased", lang) if v.client.erased else \
            _status(v.assessment, v.expired, lang)
        table.add_row(v.client.id, _tier_text(v.assessment, lang), status, str(len(v.accounts)),
                      style="red" if v.expired else None)
    render.out().print(table)


def client(view: ClientView, lang: str, json_output: bool) -> None:
    c = view.client
    if json_output:
        render.print_json({"client_id": c.id, "erased": c.erased,
                           "created_at": c.created_at.isoformat(),
                           "assessment": _assessment_json(view.assessment, view.expired),
                           "accounts": [{"account_id": a.id, "tier": a.tier,
                                         "above_level": a.above_level} for a in view.accounts]})
        return
    locked = t("book.personal_locked", lang)
    table = _table("", "")
    table.show_header = False
    table.add_row(t("book.col_name", lang),
                  t("book.erased", lang) if c.erased else
                  (c.name or "-") if c.personal_available else locked)
    table.add_row(t("book.col_birth", lang),
                  t("book.erased", lang) if c.erased else
                  (c.birth_date.isoformat() if c.birth_date else "-")
                  if c.personal_available else locked)
    table.add_row(t("book.col_tier", lang), _tier_text(view.assessment, lang))
    table.add_row(t("book.col_assessed", lang),
                  _time(view.assessment.assessed_at) if view.assessment else "-")
    table.add_row(t("book.col_status", lang), _status(view.assessment, view.expired, lang),
                  style="red" if view.expired else None)
    table.add_row(t("book.col_accounts", lang), ", ".join(
        f"{a.id} (tier {a.tier})" for a in view.accounts) or "-")
    out = render.out()
    out.print(t("book.client_title", lang, id=c.id), style="bold")
    out.print(table)


def assessed(assessment: Assessment, stored: StoredAssessment, record: Record,
             facts: AssessmentFacts, lang: str, json_output: bool) -> None:
    if json_output:
        render.print_json({"client_id": stored.client_id,
                           "assessment": _assessment_json(stored, False),
                           "record": _record_ref(record)})
        return
    from roboadvisor.cli.render import profile

    profile.show_assessment(assessment, lang)
    out = render.out()
    if facts.lowest:
        out.print(t("book.lowest_note", lang), style="bold red", soft_wrap=True)
    out.print(t("book.valid_until", lang, date=stored.expires_at.date().isoformat())
              + f" · record #{record.seq} {record.hash[:12]}", style="dim", soft_wrap=True)


def opened(account: Account, made: Sequence[Record], warning: Sequence[str], lang: str,
           json_output: bool) -> None:
    if json_output:
        render.print_json({"account_id": account.id, "client_id": account.client_id,
                           "tier": account.tier, "above_level": account.above_level,
                           "records": [_record_ref(r) for r in made]})
        return
    out = render.out()
    for line in warning:
        out.print(line, style="bold red", soft_wrap=True)
    out.print(t("book.account_opened", lang, id=account.id, client=account.client_id,
                tier=account.tier, seq=made[0].seq), soft_wrap=True)


def imported(result: ImportResult, file: str, lang: str, json_output: bool) -> None:
    if json_output:
        render.print_json({"file_sha256": result.source_sha256, "rows": result.rows,
                           "accounts": [{"account_id": a.account_id,
                                         "cash": str(a.cash) if a.cash is not None else None,
                                         "positions": {k: str(v) for k, v in
                                                       a.positions.items()}}
                                        for a in result.accounts]})
        return
    render.out().print(t("book.imported", lang, rows=result.rows, n=len(result.accounts),
                         file=file, sha=result.source_sha256[:12]), soft_wrap=True)


def flow(cash_flow: CashFlow, record: Record, lang: str, json_output: bool) -> None:
    if json_output:
        render.print_json({"cash_flow_id": cash_flow.id, "account_id": cash_flow.account_id,
                           "kind": cash_flow.kind.value, "amount": str(cash_flow.amount),
                           "on": cash_flow.on.isoformat(), "status": cash_flow.status.value,
                           "record": _record_ref(record)})
        return
    render.out().print(t("book.flow_done", lang, kind=t(f"book.{cash_flow.kind.value}", lang),
                         amount=cash_flow.amount, on=cash_flow.on.isoformat(),
                         id=cash_flow.account_id, seq=record.seq), soft_wrap=True)


def _num(value: float | None, pattern: str = "{:,.2f}") -> str:
    return "-" if value is None else pattern.format(value)


def account(view: AccountView, valuation: Valuation, lang: str, json_output: bool) -> None:
    a = view.account
    if json_output:
        render.print_json({
            "account_id": a.id, "client_id": a.client_id, "tier": a.tier,
            "above_level": a.above_level, "allow_fractional": a.allow_fractional,
            "drift_threshold": str(a.drift_threshold), "cash": str(a.cash),
            "cash_reserve": str(a.cash_reserve),
            "min_trade": None if a.min_trade is None else str(a.min_trade),
            "positions": {k: str(v) for k, v in a.positions.items()},
            "assessment": _assessment_json(view.assessment, view.expired),
            "cash_flows": [{"id": f.id, "kind": f.kind.value, "amount": str(f.amount),
                            "on": f.on.isoformat(), "status": f.status.value}
                           for f in view.flows],
            "valuation": None if valuation.total is None else {
                "prices_as_of": valuation.prices_as_of, "total": valuation.total,
                "lines": [{"ticker": x.ticker, "shares": str(x.shares), "price": x.price,
                           "value": x.value, "weight": x.weight, "target": x.target}
                          for x in valuation.lines]}})
        return
    out = render.out()
    out.print(t("book.account_title", lang, id=a.id, client=a.client_id, tier=a.tier)
              + (f" · {t('book.above_level', lang)}" if a.above_level else ""), style="bold")
    out.print(_status(view.assessment, view.expired, lang),
              style="bold red" if view.expired else "dim")
    from roboadvisor.cli.render.daily import settings_line

    out.print(settings_line(a, lang), style="dim", soft_wrap=True)
    table = _table(t("book.col_ticker", lang), t("book.col_shares", lang),
                   t("book.col_price", lang), t("book.col_value", lang),
                   t("book.col_weight", lang), t("book.col_target", lang), right=(1, 2, 3, 4, 5))
    for x in valuation.lines:
        table.add_row(x.ticker, f"{x.shares.normalize():f}", _num(x.price), _num(x.value),
                      _num(x.weight, "{:.1%}"), _num(x.target, "{:.1%}"))
    cash_weight = valuation.cash / valuation.total if valuation.total else None
    table.add_row(t("book.col_cash", lang), "", "", _num(valuation.cash),
                  _num(cash_weight, "{:.1%}"), "")
    if valuation.total is not None:
        table.add_row(t("book.total", lang), "", "", _num(valuation.total), "100.0%", "",
                      style="bold")
    out.print(table)
    if valuation.unpriced:
        render.err().print(t("book.prices_missing", lang, tickers=", ".join(valuation.unpriced),
                             file="--prices"))
    if view.flows:
        flows = _table(t("book.col_flow", lang), t("book.col_amount", lang),
                       t("book.col_date", lang), t("book.col_flow_status", lang), right=(1,))
        for f in view.flows:
            flows.add_row(t(f"book.{f.kind.value}", lang), f"{f.amount:,.2f}", f.on.isoformat(),
                          t(f"book.{f.status.value}", lang))
        out.print(flows)


def records(found: Sequence[Record], lang: str, json_output: bool) -> None:
    if json_output:
        render.print_json([{"seq": r.seq, "kind": r.kind.value,
                            "created_at": r.created_at.isoformat(), "client_id": r.client_id,
                            "account_id": r.account_id, "prev_hash": r.prev_hash,
                            "hash": r.hash} for r in found])
        return
    if not found:
        render.out().print(t("book.no_records", lang))
        return
    table = _table(t("book.col_seq", lang), t("book.col_kind", lang), t("book.col_time", lang),
                   t("book.col_client", lang), t("book.col_account", lang),
                   t("book.col_hash", lang), right=(0,))
    for r in found:
        table.add_row(str(r.seq), r.kind.value, _time(r.created_at), r.client_id or "-",
                      r.account_id or "-", r.hash[:16])
    render.out().print(table)


def record(found: Record, lang: str, json_output: bool) -> None:
    content = found.content()
    if json_output:
        render.print_json({"seq": found.seq, "hash": found.hash, "prev_hash": found.prev_hash,
                           "content": content})
        return
    import json

    out = render.out()
    out.print(f"#{found.seq} {found.kind.value} · {_time(found.created_at)} UTC", style="bold")
    out.print(f"hash {found.hash}\nprev {found.prev_hash}", style="dim")
    for line in content.get("text", []):
        out.print(f"• {line}", soft_wrap=True)
    shown = {k: v for k, v in content.items() if k != "text"}
    out.print(json.dumps(shown, indent=2, ensure_ascii=False, sort_keys=True), soft_wrap=True)


def page_written(seq: int, path: object, sha: str, lang: str) -> None:
    render.out().print(t("report_book.page_written", lang, seq=seq, path=path, sha=sha[:12]))


def verification(result: Verification, lang: str, json_output: bool) -> None:
    if json_output:
        render.print_json({
            "ok": result.ok, "records": result.count, "last_hash": result.last_hash,
            "problems": [{"seq": p.seq, "what": p.what} for p in result.problems],
            "recomputed": result.recomputed,
            "differences": [{"seq": d.seq, "kind": d.kind, "field": d.field,
                             "recorded": d.recorded, "recomputed": d.recomputed}
                            for d in result.differences],
            "skipped": [{"seq": s.seq, "kind": s.kind, "reason": t(s.reason_key, "en",
                                                                   **s.params)}
                        for s in result.skipped]})
        return
    out, err = render.out(), render.err()
    for p in result.problems:
        err.print(t("book.verify_broken", lang, seq=p.seq, what=p.what), style="red")
    for d in result.differences:
        err.print(t("book.recompute_differs", lang, seq=d.seq, kind=d.kind, field=d.field,
                    now=d.recomputed, then=d.recorded), style="red", soft_wrap=True)
    for s in result.skipped:
        err.print(t("book.recompute_skipped", lang, seq=s.seq, kind=s.kind,
                    reason=t(s.reason_key, lang, **s.params)), soft_wrap=True)
    if result.problems or result.differences:
        err.print(t("book.verify_failed", lang,
                    n=len(result.problems) + len(result.differences)), style="bold red")
        return
    out.print(t("book.verify_ok", lang, n=result.count, last=(result.last_hash or "-")[:16]))
    if result.recomputed:
        out.print(t("book.recompute_same", lang, n=result.recomputed))


def upgraded(url: str, before: str | None, after: str | None, lang: str,
             json_output: bool) -> None:
    if json_output:
        render.print_json({"url": url, "before": before, "after": after})
    else:
        render.out().print(t("book.upgraded", lang, url=url, before=before or "none",
                             after=after), soft_wrap=True)


def recorded(made: Record, client_id: str, lang: str, lowest: bool = False) -> None:
    """A note on stderr: the advice was recorded in the client's book."""
    if lowest:
        render.err().print(t("book.lowest_note", lang), style="bold red", soft_wrap=True)
    render.err().print(t("book.allocation_recorded", lang, id=client_id, seq=made.seq,
                         hash=made.hash[:12]), style="dim", soft_wrap=True)
