"""The client report for a client or account of the book: the risk profile from the stored
assessment, the account's holdings against the portfolio, and the report's own advice record.

Issuing a report appends a 'report' record (a report is advice handed to a client): the hashes
of its inputs (the assessment's record and answers, universe, policies, assumptions, the price
file) and of the HTML page, the key figures shown, and the summary text. The input files and the
page itself are kept as blobs beside the record, so the very page the client was given can be
taken out and checked years later (`records show N --page FILE`, `records verify --recompute`).
The page names its own record: the number is taken with the chain locked (``Records.head``)
in the transaction that appends it, so page and record agree or neither is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from roboadvisor import __version__
from roboadvisor.book.chain import sha256_bytes
from roboadvisor.book.models import Record, RecordKind, StoredAssessment
from roboadvisor.book.repositories import Book
from roboadvisor.errors import BookError, BookKeyError, RoboAdvisorError
from roboadvisor.reports.views import (
    BookView,
    HoldingsView,
    PortfolioView,
    PositionLine,
    ProfileView,
    ReportView,
)
from roboadvisor.services.book_subject import Subject, Value

_ISO = "%Y-%m-%dT%H:%M:%SZ"


def stored_profile(book: Book, subject: Subject, lang: str) -> ProfileView:
    """The profile of the stored assessment: its scores and tier; the explanation re-made in
    ``lang`` from the stored answers when the key opens them, else the text recorded when the
    client was assessed (no key needed)."""
    from roboadvisor.domain.models import Tier
    from roboadvisor.domain.scoring import COMBINING_RULE
    from roboadvisor.reports.build import profile_view
    from roboadvisor.reports.i18n import t
    from roboadvisor.services.assess import tier_label

    a = subject.assessment
    tier = Tier(a.tier)
    rescored = _rescored(book, a, lang)
    if rescored is not None:
        view = profile_view(rescored)
        explanation = view.explanation + ((t("book.lowest_note", lang),) if a.lowest else ())
        knockouts, flags, limiting = view.knockouts, view.flags, view.limiting_factor
    else:
        recorded = subject.assessment_record.content() if subject.assessment_record else {}
        explanation, knockouts, flags = tuple(recorded.get("text", ())), (), ()
        limiting = ("tolerance" if a.tolerance_score < a.capacity_score else
                    "capacity" if a.capacity_score < a.tolerance_score else "both")

    return ProfileView(
        tolerance_score=a.tolerance_score, capacity_score=a.capacity_score,
        combined_score=a.combined_score, combining_rule=COMBINING_RULE,
        limiting_factor=limiting, score_tier=a.score_tier, tier=a.tier,
        tier_label=tier_label(tier, lang), suitability_level=tier.suitability_level,
        max_product_risk=f"R{tier.max_product_risk}", knockouts=knockouts, flags=flags,
        explanation=explanation,
        questionnaire=f"{a.questionnaire_id} v{a.questionnaire_version}",
        assessed_at=a.assessed_at.strftime(_ISO), answers_sha256=a.answers_sha256)


def _rescored(book: Book, a: StoredAssessment, lang: str) -> Any:
    """The assessment scored again from its stored answers (None: no key, no answers, or the
    questionnaire file is not the one assessed)."""
    from roboadvisor.data.questionnaire_files import load_questionnaire_file
    from roboadvisor.services.assess import assess_answers
    from roboadvisor.services.book_assess import questionnaire_file

    try:
        answers = book.assessments.answers(a.id)
    except BookKeyError:
        return None
    path = questionnaire_file(a.questionnaire_id, a.questionnaire_version)
    if answers is None or path is None or sha256_bytes(path.read_bytes()) != \
            a.questionnaire_sha256:
        return None
    try:
        return assess_answers(load_questionnaire_file(path), answers, lang, now=a.assessed_at)
    except RoboAdvisorError:
        return None


def holdings_view(subject: Subject, value: Value, portfolio: PortfolioView) -> HoldingsView:
    """The account's positions valued at ``value.prices`` against the portfolio's weights."""
    account = subject.account
    assert account is not None
    target = {h.ticker: h.weight for h in portfolio.holdings}
    tickers = sorted({t for t, s in account.positions.items() if s != 0} | set(target))
    lines = []
    for ticker in tickers:
        shares = account.positions.get(ticker)
        price = value.prices.get(ticker)
        if shares is None:  # in the portfolio, not held
            amount = 0.0 if value.total is not None else None
        else:
            amount = float(shares) * price if price is not None else None
        weight = amount / value.total if amount is not None and value.total else None
        lines.append(PositionLine(ticker, "0" if shares is None else
                                  format(shares.normalize(), "f"), price, amount, weight,
                                  target.get(ticker, 0.0)))
    return HoldingsView(account.id, account.tier, account.above_level, value.cash, value.total,
                        value.as_of, tuple(lines), value.unpriced)


def book_view(subject: Subject, value: Value | None, portfolio: PortfolioView) -> BookView:
    a, rec = subject.assessment, subject.assessment_record
    return BookView(
        client_id=subject.client_id, account_id=subject.account_id, assessment_id=a.id,
        assessed_at=a.assessed_at.strftime(_ISO), expires_at=a.expires_at.strftime(_ISO),
        expired=subject.expired, assessment_record=rec.seq if rec else None,
        assessment_record_hash=rec.hash if rec else None,
        holdings=holdings_view(subject, value, portfolio) if value is not None else None)


def input_files(universe: Path | None, policies: Path | None,
                prices: Path | None) -> dict[str, bytes]:
    """The bytes of every file the report read (the shipped defaults when none was given)."""
    from roboadvisor.data.assumptions_file import DEFAULT_ASSUMPTIONS
    from roboadvisor.data.policy_file import DEFAULT_POLICIES
    from roboadvisor.data.universe_file import DEFAULT_UNIVERSE

    files = {"universe": universe or DEFAULT_UNIVERSE, "policies": policies or DEFAULT_POLICIES,
             "assumptions": DEFAULT_ASSUMPTIONS}
    if prices is not None:
        files["prices"] = prices
    return {name: Path(path).read_bytes() for name, path in files.items()}


def report_content(view: ReportView, html_sha256: str, inputs: dict[str, str]) -> dict[str, Any]:
    """The report record: hashes of the inputs and of the page, the figures shown, the summary
    (ids and hashes only: no name, no answers)."""
    b, p, pr = view.book, view.portfolio, view.projection
    assert b is not None
    held = b.holdings
    return {
        "package_version": __version__,
        "inputs": {**inputs, "answers": view.profile.answers_sha256 if view.profile else None,
                   "assessment_record": b.assessment_record_hash},
        "outputs": {
            "html_sha256": html_sha256, "lang": view.lang, "tier": p.tier,
            "assessment_id": b.assessment_id, "assessment_record": b.assessment_record,
            "assessment_expired": b.expired,
            "weights": {h.ticker: round(h.weight, 6) for h in p.holdings},
            "expected_return": round(p.expected_return, 6),
            "volatility": round(p.volatility, 6),
            "amount": pr.amount, "monthly": pr.monthly, "years": pr.years, "goal": pr.goal,
            "goal_probability": pr.goal_probability, "final_median": round(pr.final.p50, 2),
            "account_value": held.total if held else None,
            "prices_as_of": held.prices_as_of if held else None},
        "text": [p.summary],
    }


def issue(book: Book, view: ReportView, render: Callable[[ReportView], str],
          files: dict[str, bytes], now: datetime) -> tuple[ReportView, str, Record]:
    """Number the report (the next record, chain locked), render it, keep its inputs and the
    page as blobs, append its record."""
    assert view.book is not None
    seq, previous = book.records.head()
    numbered = replace(view, book=replace(view.book, report_record=seq, previous_hash=previous))
    html = render(numbered)
    inputs = {name: book.records.put_blob(data) for name, data in files.items()}
    content = report_content(numbered, book.records.put_blob(html.encode("utf-8")), inputs)
    made = book.records.append(RecordKind.REPORT, view.book.client_id, view.book.account_id,
                               content, now)
    if made.seq != seq or made.prev_hash != previous:  # never with the lock; refuse if so
        raise BookError.from_catalog("report_book.chain_moved", seq=seq)
    return numbered, html, made


def stored_page(book: Book, record: Record) -> bytes | None:
    """The HTML page a report record was issued with, when its blob is kept and intact."""
    if record.kind is not RecordKind.REPORT:
        return None
    sha = record.content()["outputs"]["html_sha256"]
    data = book.records.blob(sha)
    return data if data is not None and sha256_bytes(data) == sha else None
