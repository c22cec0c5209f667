"""`project` and `report` for a client or account of the book: read the subject (tier in force,
latest assessment, the account's value) in one read transaction at the edge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from roboadvisor.fields import Field

if TYPE_CHECKING:
    from roboadvisor.services.book_subject import Subject, Value

ACCOUNT = typer.Option(None, "--account", metavar="ID",
                       help="An account of the book: its tier in force and, by default, its "
                            "current value as --amount (shares x latest prices + cash).")
CLIENT = typer.Option(None, "--client", metavar="ID",
                      help="A client of the book: the tier of the latest assessment.")


@dataclass(frozen=True)
class Basis:
    """What the book gave: the subject, the amount to use, the account's value (if an account)
    and the notes and warnings to tell the user (already in their language)."""

    subject: Subject
    amount: float | None
    value: Value | None
    notes: tuple[str, ...]
    warnings: tuple[str, ...]

    def record(self) -> dict[str, Any]:
        """Ids and figures only (nothing personal): for --json."""
        s, v = self.subject, self.value
        out: dict[str, Any] = {
            "client_id": s.client_id, "account_id": s.account_id, "tier": s.tier,
            "assessment_id": s.assessment.id,
            "assessment_expires_at": s.assessment.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "assessment_expired": s.expired,
            "assessment_record": s.assessment_record.seq if s.assessment_record else None}
        if v is not None:
            out["account_value"] = {"total": v.total, "cash": v.cash, "prices_as_of": v.as_of,
                                    "unpriced": list(v.unpriced)}
        return out


def chosen_basis(db: str | None, client_id: str | None, account_id: str | None,
                 amount: float | None, prices: Path | None, lang: str,
                 exclusive: Mapping[Field, object]) -> Basis | None:
    """The book's subject when ``--client`` or ``--account`` was given (None otherwise): the
    choice checked against the ``exclusive`` options (name -> value given), then ``basis``,
    its notes shown."""
    if client_id is None and account_id is None:
        return None
    from roboadvisor.cli import render
    from roboadvisor.services.book_subject import check_choice

    check_choice(client_id, account_id, exclusive)
    found = basis(db, client_id, account_id, amount, prices, lang)
    for line in found.notes:
        render.note(line)
    return found


def basis(db: str | None, client_id: str | None, account_id: str | None,
          amount: float | None, prices: Path | None, lang: str,
          cache_dir: Path | None = None) -> Basis:
    """The subject from the book; with an account and no ``amount``, its value as the amount
    (an error naming the missing prices when it cannot be valued)."""
    from roboadvisor.cli.book_context import book
    from roboadvisor.reports.i18n import t
    from roboadvisor.reports.phrases import money
    from roboadvisor.services import book_subject as service

    with book(db) as (b, now):
        found = service.subject(b, client_id, account_id, now)
    notes: list[str] = []
    warnings: list[str] = []
    if found.expired:
        warnings.append(t("report_book.expired_note", lang, id=found.client_id,
                       date=found.assessment.expires_at.date().isoformat()))
    value = None
    if found.account is not None:
        value = service.account_value(found.account, prices, cache_dir)
        if amount is None:
            amount = service.default_amount(found.account, value, prices)
            if value.as_of is None:
                notes.append(t("report_book.amount_cash_only", lang, account=found.account.id,
                               value=money(amount)))
            else:
                notes.append(t("report_book.amount_from_account", lang,
                               account=found.account.id, value=money(amount),
                               cash=money(value.cash), as_of=value.as_of))
    return Basis(found, amount, value, tuple(notes), tuple(warnings))


def issue_report(db: str | None, found: Basis, view: Any, out: Path,
                 inputs: dict[str, bytes]) -> tuple[Any, Any]:
    """In one transaction: the stored profile, the holdings, the report's record; the page is
    written before the commit and removed if the commit fails (page and record together)."""
    from dataclasses import replace

    from roboadvisor.cli.book_context import book
    from roboadvisor.data.atomic import atomic_write_text
    from roboadvisor.reports.html import render_report
    from roboadvisor.services import book_report as service

    notes = (*found.warnings, *view.notes)
    written = False
    try:
        with book(db) as (b, now):
            profile = service.stored_profile(b, found.subject, view.lang)
            view = replace(view, profile=profile, audit_key=profile.answers_sha256,
                           notes=notes,
                           book=service.book_view(found.subject, found.value, view.portfolio))
            view, html, made = service.issue(
                b, view, lambda v: render_report(v, found.subject.name), inputs, now)
            atomic_write_text(out, html)
            written = True
    except BaseException:
        if written:
            out.unlink(missing_ok=True)
        raise
    return view, made
