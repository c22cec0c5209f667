"""The content of advice records, built in one place from the facts the terminal shows.

A record holds ids, the SHA-256 of every input, the package version, outputs and the
plain-language text shown, never personal data (names, birth dates, answers, option ids).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from roboadvisor import __version__
from roboadvisor.book.models import Account, CashFlow, Client, StoredAssessment

if TYPE_CHECKING:
    from roboadvisor.services.assess import Assessment


@dataclass(frozen=True)
class AssessmentFacts:
    """What an assessment in the book showed: the scored assessment, the questionnaire file's
    hash, whether it is the lowest category, the tier in force and the text shown."""

    assessment: Assessment
    questionnaire_sha256: str
    lowest: bool
    tier_in_force: int
    text: tuple[str, ...]


def _base(**inputs: str) -> dict[str, Any]:
    return {"package_version": __version__, "inputs": dict(inputs)}


def client_added(client: Client) -> dict[str, Any]:
    return {**_base(), "outputs": {"personal_fields": {"name": client.name is not None,
                                                        "birth_date": client.birth_date
                                                        is not None}}}


def erasure() -> dict[str, Any]:
    return {**_base(), "outputs": {"personal_data": "erased"}}


def assessment(facts: AssessmentFacts, stored: StoredAssessment) -> dict[str, Any]:
    a = facts.assessment
    return {
        **_base(questionnaire=facts.questionnaire_sha256, answers=a.answers_sha256),
        "questionnaire": {"id": a.questionnaire_id, "version": a.questionnaire_version},
        "lang": a.lang.value,
        "outputs": {"assessment_id": stored.id, **assessment_outputs(stored)},
        "text": list(facts.text),
    }


def assessment_outputs(stored: StoredAssessment) -> dict[str, Any]:
    """The figures re-computed by ``records verify --recompute`` (scores rounded to 1e-9)."""
    return {"tolerance_score": round(stored.tolerance_score, 9),
            "capacity_score": round(stored.capacity_score, 9),
            "combined_score": round(stored.combined_score, 9),
            "score_tier": stored.score_tier, "tier": stored.tier, "lowest": stored.lowest,
            "expires_at": stored.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")}


def account_opened(account: Account, latest: StoredAssessment) -> dict[str, Any]:
    return {**_base(), "outputs": {"tier": account.tier, "assessed_tier": latest.tier,
                                   "assessment_id": latest.id,
                                   "allow_fractional": account.allow_fractional,
                                   "drift_threshold": str(account.drift_threshold)}}


def override(account: Account, latest: StoredAssessment, acknowledgement: str,
             warning: tuple[str, ...]) -> dict[str, Any]:
    from roboadvisor.book.chain import sha256_bytes

    return {**_base(acknowledgement=sha256_bytes(acknowledgement.strip().encode("utf-8"))),
            "outputs": {"tier": account.tier, "assessed_tier": latest.tier,
                        "assessment_id": latest.id},
            "text": list(warning)}


def cash_flow(flow: CashFlow) -> dict[str, Any]:
    return {**_base(), "outputs": {"cash_flow_id": flow.id, "kind": flow.kind.value,
                                   "amount": str(flow.amount), "on": flow.on.isoformat(),
                                   "status": flow.status.value}}


def holdings(account_id: str, source_sha256: str, cash: str | None,
             positions: Mapping[str, str]) -> dict[str, Any]:
    return {**_base(holdings_file=source_sha256),
            "outputs": {"account_id": account_id, "cash": cash, "positions": dict(positions)}}


def allocation(inputs: Mapping[str, str], outputs: Mapping[str, Any], text: tuple[str, ...],
               rerun: Mapping[str, Any]) -> dict[str, Any]:
    return {**_base(**inputs), "outputs": dict(outputs), "text": list(text), "rerun": dict(rerun)}
