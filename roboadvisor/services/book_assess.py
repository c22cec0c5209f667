"""Assessing a client of the book: score the answers, mark the lowest category, keep the
questionnaire file (by hash, for re-computation) and append the record."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from roboadvisor import config
from roboadvisor.book.chain import sha256_bytes
from roboadvisor.book.models import Record, StoredAssessment
from roboadvisor.book.repositories import Book
from roboadvisor.data import questionnaire_files as files
from roboadvisor.domain.questionnaire import Questionnaire
from roboadvisor.errors import QuestionnaireError
from roboadvisor.reports.i18n import t
from roboadvisor.services import assess as assess_service
from roboadvisor.services import book as service
from roboadvisor.services.book_records import AssessmentFacts


def questionnaire_bytes(questionnaire: Questionnaire) -> bytes:
    """The bytes of the file that defines ``questionnaire`` (hashed and kept in the book)."""
    for path in sorted(Path(config.questionnaires_dir()).glob("*.yaml")):
        q = files.load_questionnaire_file(path)
        if (q.id, q.version) == (questionnaire.id, questionnaire.version):
            return path.read_bytes()
    raise QuestionnaireError(f"questionnaire {questionnaire.key}: its file is not in "
                             f"{config.questionnaires_dir()}")


def facts_of(assessment: assess_service.Assessment, source: bytes) -> AssessmentFacts:
    """The facts shown and recorded: the explanation, and the lowest-category note if any."""
    lowest = assessment.questionnaire.is_lowest_category(assessment.answers)
    text = tuple(assess_service.explain(assessment, assessment.lang))
    if lowest:
        text += (t("book.lowest_note", assessment.lang.value),)
    return AssessmentFacts(assessment, sha256_bytes(source), lowest,
                           1 if lowest else int(assessment.tier), text)


def assess_client(book: Book, client_id: str, assessment: assess_service.Assessment,
                  now: datetime) -> tuple[StoredAssessment, Record, AssessmentFacts]:
    source = questionnaire_bytes(assessment.questionnaire)
    service.live_client(book, client_id)
    book.records.put_blob(source)
    facts = facts_of(assessment, source)
    stored, record = service.store_assessment(book, client_id, facts, now)
    return stored, record, facts
