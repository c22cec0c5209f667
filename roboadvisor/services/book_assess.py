"""Assessing a client of the book: score the answers, mark the lowest category, record the
questionnaire file's hash (the file itself stays in the questionnaires folder: it holds every
option id, which the book must not) and append the record."""

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
    """The bytes of the file that defines ``questionnaire`` (its hash goes into the record)."""
    found = questionnaire_file(questionnaire.id, questionnaire.version)
    if found is None:
        raise QuestionnaireError.from_catalog("zh_book.questionnaire_file_missing",
                                              key=questionnaire.key,
                                              folder=str(config.questionnaires_dir()))
    return found.read_bytes()


def questionnaire_file(questionnaire_id: str, version: int) -> Path | None:
    """The file that defines questionnaire ``id`` ``version``, or None."""
    for path in sorted(Path(config.questionnaires_dir()).glob("*.yaml")):
        q = files.load_questionnaire_file(path)
        if (q.id, q.version) == (questionnaire_id, version):
            return path
    return None


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
    facts = facts_of(assessment, source)
    stored, record = service.store_assessment(book, client_id, facts, now)
    return stored, record, facts
