"""``ra.assess``: a client's answers -> a scored, auditable risk profile."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from roboadvisor.domain.questionnaire import Lang, Questionnaire
from roboadvisor.services import assess as service
from roboadvisor.services.assess import Assessment

__all__ = ["Assessment", "assess"]


def assess(answers: Mapping[str, str] | str | os.PathLike[str],
           questionnaire: str | Questionnaire | None = None, *, lang: str | Lang = "en",
           now: datetime | None = None) -> Assessment:
    """Score a client's answers: risk tolerance and capacity, the tier and its C-level.

    Parameters
    ----------
    answers : Mapping[str, str] or path
        Question id -> option id (every question of the questionnaire answered once), or
        the path of an answers file (YAML or JSON, as ``roboadvisor assess --answers``).
    questionnaire : str or Questionnaire, optional
        Questionnaire id; default ``"standard"`` (or the one an answers file names).
    lang : {"en", "zh"}
        Language of the explanation (``Assessment.lang``).
    now : datetime, optional
        The time stamped on the assessment (default: now, UTC).

    Returns
    -------
    Assessment
        ``.profile`` is the ``RiskProfile``: ``tolerance_score``, ``capacity_score``,
        ``combined_score`` (0..100), ``tier`` (a ``Tier``, 1..5), ``flags``,
        ``knockouts``; ``.tier`` the same tier; ``.answers_sha256`` the audit key
        (SHA-256 of the canonical answers); ``.questionnaire_id``/``_version``.

    Raises
    ------
    roboadvisor.errors.QuestionnaireError, roboadvisor.errors.AnswersError
        An unknown questionnaire, a missing or unknown answer (the message names it).

    Examples
    --------
    >>> import roboadvisor as ra
    >>> answers = {"loss_reaction": "hold", "return_tradeoff": "balanced",
    ...            "investment_goal": "balanced_growth", "experience": "stocks",
    ...            "volatility": "uneasy", "horizon": "years_5_to_10",
    ...            "money_needed": "within_10_years", "age": "age_35_to_49",
    ...            "income_stability": "stable", "emergency_savings": "months_1_to_3",
    ...            "share_invested": "half_to_three_quarters", "debts": "noticeable"}
    >>> profile = ra.assess(answers)
    >>> int(profile.tier), profile.tier.suitability_level
    (3, 'C3')
    >>> round(profile.profile.combined_score, 1)
    57.5
    """
    if isinstance(answers, str | os.PathLike):
        named = questionnaire.id if isinstance(questionnaire, Questionnaire) else questionnaire
        return service.assess_answers_file(Path(answers), named, str(Lang.parse(lang).value),
                                           now=now)
    chosen = (questionnaire if isinstance(questionnaire, Questionnaire)
              else service.get_questionnaire(questionnaire))
    return service.assess_answers(chosen, answers, lang, now=now)
