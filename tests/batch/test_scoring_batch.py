"""The vectorised scoring equals the per-client path on every client of a seeded sample."""

from __future__ import annotations

import numpy as np
import pytest

from roboadvisor.domain.scoring_batch import (
    LimitingCode,
    encode_answers,
    round_tenths,
    score_batch,
    scoring_tables,
)
from roboadvisor.errors import AnswersError
from roboadvisor.services.assess import assess_answers, get_questionnaire


@pytest.fixture(scope="module")
def questionnaire():  # type: ignore[no-untyped-def]
    return get_questionnaire()


def _sample(questionnaire, n: int, seed: int) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    return [{q.id: q.option_ids[rng.integers(len(q.options))] for q in questionnaire.questions}
            for _ in range(n)]


def test_equals_assess_on_every_client_of_10000(questionnaire) -> None:  # type: ignore[no-untyped-def]
    answers = _sample(questionnaire, 10_000, seed=12)
    batch = score_batch(scoring_tables(questionnaire), encode_answers(questionnaire, answers))
    flagged = knocked = 0
    rule_ids = [r.id for r in questionnaire.rules]
    for i, a in enumerate(answers):
        p = assess_answers(questionnaire, a).profile
        got = (batch.tolerance[i], batch.tolerance_unflagged[i], batch.capacity[i],
               batch.combined[i], int(batch.score_tier[i]), int(batch.tier[i]),
               LimitingCode(int(batch.limiting[i])).factor, bool(batch.knocked_out[i]),
               [r for bit, r in enumerate(rule_ids) if int(batch.flags[i]) >> bit & 1])
        want = (p.tolerance_score, p.tolerance_score_unflagged, p.capacity_score,
                p.combined_score, int(p.score_tier), int(p.tier), p.limiting_factor,
                bool(p.binding_knockouts), [f.rule_id for f in p.flags])
        assert got == want, f"client {i}: {a}"
        flagged += bool(p.flags)
        knocked += bool(p.binding_knockouts)
    # the sample exercises the rules it claims to check
    assert flagged > 500 and knocked > 1000
    assert set(np.unique(batch.tier)) == {1, 2, 3, 4, 5}


def test_shipped_examples_match(questionnaire) -> None:  # type: ignore[no-untyped-def]
    from roboadvisor import config
    from roboadvisor.data.questionnaire_files import read_answers_file

    files = sorted((config.questionnaires_dir() / "examples").glob("*.yaml"))
    answers = [read_answers_file(f).answers for f in files]
    batch = score_batch(scoring_tables(questionnaire), encode_answers(questionnaire, answers))
    tiers = [int(assess_answers(questionnaire, a).profile.tier) for a in answers]
    assert batch.tier.tolist() == tiers


def test_round_tenths_is_pythons_round() -> None:
    values = np.array([0.05, 0.15, 0.25, 2.675, 42.45, 42.35, 1.0 / 3, 99.95, 0.0, 59.95])
    assert round_tenths(values).tolist() == [round(float(v), 1) for v in values]


def test_bad_codes_are_refused(questionnaire) -> None:  # type: ignore[no-untyped-def]
    tables = scoring_tables(questionnaire)
    codes = np.zeros((2, len(questionnaire.questions)), dtype=np.int8)
    codes[1, 0] = len(questionnaire.questions[0].options)
    with pytest.raises(ValueError, match="outside"):
        score_batch(tables, codes)
    with pytest.raises(ValueError, match="questions"):
        score_batch(tables, codes[:, :3])
    with pytest.raises(AnswersError):
        encode_answers(questionnaire, [{"loss_reaction": "hold"}])
