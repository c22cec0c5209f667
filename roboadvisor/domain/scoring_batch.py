"""Score many answer sets at once: the rules of ``scoring`` as array operations. Pure.

Answers are integer-coded: ``codes[i, j]`` is the index of the option client ``i`` chose for
question ``j``, in the questionnaire's question and option order (``ScoringTables``). Every rule
becomes a lookup into a small (questions x options) table, applied to the whole (clients x
questions) array at once; the only Python loops run over questions and consistency rules, never
over clients.

The results equal ``scoring.score_answers`` exactly (same floats), because:

- dimension scores are accumulated question by question in the questionnaire's order, with the
  same IEEE operations as the per-client ``sum`` (weight * score, then divided by the weight
  total);
- rounding to 0.1 is ``round(x, 1)`` (correctly rounded, half to even on the exact binary
  value): ``np.round`` agrees with it except near a half, where the few candidates are
  rounded by Python's ``round`` itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from roboadvisor.domain.questionnaire import Dimension, Questionnaire, check_answers
from roboadvisor.domain.scoring import LimitingFactor

NO_KNOCKOUT = 6
"""The tier cap of an option without a knock-out (above every tier)."""

CODE_DTYPE = np.int8
"""Option indices fit in a byte (a question has at most 127 options)."""


class LimitingCode(IntEnum):
    """``LimitingFactor`` as a small integer, for arrays."""

    TOLERANCE = 0
    CAPACITY = 1
    BOTH = 2

    @property
    def factor(self) -> LimitingFactor:
        return LimitingFactor(self.name.lower())


@dataclass(frozen=True, eq=False)
class ScoringTables:
    """A questionnaire as lookup tables (questions x options; unused cells padded).

    ``scores``: option scores 0..100. ``max_tier``: knock-out cap, ``NO_KNOCKOUT`` for none.
    ``weights``: each question's weight; ``tolerance``: True for tolerance questions.
    ``rules``: (cautious question, cautious option mask, risky question, risky option mask, cap)
    per consistency rule, in the questionnaire's order.
    """

    question_ids: tuple[str, ...]
    option_ids: tuple[tuple[str, ...], ...]
    scores: np.ndarray
    max_tier: np.ndarray
    weights: np.ndarray
    tolerance: np.ndarray
    cutoffs: np.ndarray
    rules: tuple[tuple[int, np.ndarray, int, np.ndarray, float], ...]

    @property
    def n_options(self) -> np.ndarray:
        return np.array([len(o) for o in self.option_ids])


def scoring_tables(questionnaire: Questionnaire) -> ScoringTables:
    """The lookup tables of ``questionnaire`` (build once, score many)."""
    qs = questionnaire.questions
    width = max(len(q.options) for q in qs)
    scores = np.zeros((len(qs), width))
    max_tier = np.full((len(qs), width), NO_KNOCKOUT, dtype=np.int8)
    for j, q in enumerate(qs):
        for k, o in enumerate(q.options):
            scores[j, k] = o.score
            if o.max_tier is not None:
                max_tier[j, k] = int(o.max_tier)
    index = {q.id: j for j, q in enumerate(qs)}
    rules = []
    for rule in questionnaire.rules:
        cq, rq = index[rule.cautious_question], index[rule.risky_question]
        cmask = np.array([o.id in rule.cautious_options for o in qs[cq].options]
                         + [False] * (width - len(qs[cq].options)))
        rmask = np.array([o.id in rule.risky_options for o in qs[rq].options]
                         + [False] * (width - len(qs[rq].options)))
        rules.append((cq, cmask, rq, rmask, float(rule.cap)))
    return ScoringTables(
        questionnaire.question_ids, tuple(q.option_ids for q in qs), scores, max_tier,
        np.array([q.weight for q in qs], dtype=float),
        np.array([q.dimension is Dimension.TOLERANCE for q in qs]),
        np.array(questionnaire.tier_cutoffs, dtype=float), tuple(rules))


def encode_answers(questionnaire: Questionnaire,
                   answers: Sequence[Mapping[str, str]]) -> np.ndarray:
    """Answer sets (question id -> option id) as an (n, questions) array of option indices.

    Each set is checked as ``scoring.score_answers`` checks it (AnswersError naming the
    question). A convenience for small inputs; books store the codes themselves.
    """
    lookup = [{o: k for k, o in enumerate(q.option_ids)} for q in questionnaire.questions]
    codes = np.empty((len(answers), len(lookup)), dtype=CODE_DTYPE)
    for i, raw in enumerate(answers):
        clean = check_answers(questionnaire, raw)
        codes[i] = [lookup[j][clean[qid]] for j, qid in enumerate(questionnaire.question_ids)]
    return codes


@dataclass(frozen=True, eq=False)
class BatchProfiles:
    """Scores of n answer sets, each array of shape (n,). Scores 0..100 rounded to 0.1.

    ``tier``/``score_tier`` 1..5 (the investor level is C<tier>); ``limiting``: LimitingCode;
    ``flags``: bit r set when consistency rule r fired; ``knocked_out``: a knock-out lowered the
    tier (is binding).
    """

    tolerance: np.ndarray
    tolerance_unflagged: np.ndarray
    capacity: np.ndarray
    combined: np.ndarray
    score_tier: np.ndarray
    tier: np.ndarray
    limiting: np.ndarray
    flags: np.ndarray
    knocked_out: np.ndarray

    def __len__(self) -> int:
        return len(self.tier)


def score_batch(tables: ScoringTables, codes: np.ndarray) -> BatchProfiles:
    """Score every row of ``codes`` (n x questions option indices) in one pass.

    Raises ValueError when a code is outside its question's options (codes come from files).
    """
    codes = np.asarray(codes)
    n, q = codes.shape
    if q != len(tables.question_ids):
        raise ValueError(f"answers have {q} questions; the questionnaire asks "
                         f"{len(tables.question_ids)}")
    by_question = np.ascontiguousarray(codes.T)               # (q, n): one row per question
    if n and (by_question >= tables.n_options[:, None]).any() | (by_question < 0).any():
        raise ValueError("an answer code is outside its question's options")
    raw = [tables.scores[j][by_question[j]] for j in range(q)]  # option-score lookup
    flagged = list(raw)
    flags: np.ndarray = np.zeros(n, dtype=np.uint8 if len(tables.rules) <= 8 else np.uint32)
    for bit, (cq, cmask, rq, rmask, cap) in enumerate(tables.rules):
        fires = cmask[by_question[cq]] & rmask[by_question[rq]]
        flagged[rq] = np.where(fires, np.minimum(flagged[rq], cap), flagged[rq])
        flags |= fires.astype(flags.dtype) << bit
    tol_q = np.flatnonzero(tables.tolerance)
    cap_q = np.flatnonzero(~tables.tolerance)
    tolerance_unflagged = _dimension(tables, raw, tol_q)
    tolerance = _dimension(tables, flagged, tol_q)
    capacity = _dimension(tables, raw, cap_q)
    combined = np.minimum(tolerance, capacity)
    score_tier = np.ones(n, dtype=np.int8)
    for cut in tables.cutoffs:
        score_tier += combined >= cut
    ko_tol = _strictest(tables, by_question, tol_q, n)       # knock-out lookup
    ko_cap = _strictest(tables, by_question, cap_q, n)
    strictest = np.minimum(ko_tol, ko_cap)
    tier = np.minimum(score_tier, strictest)
    binding = strictest < score_tier
    on_tol, on_cap = ko_tol == strictest, ko_cap == strictest
    limiting = np.where(tolerance < capacity, LimitingCode.TOLERANCE,
                        np.where(capacity < tolerance, LimitingCode.CAPACITY,
                                 LimitingCode.BOTH)).astype(np.int8)
    by_knockout = np.where(on_tol & on_cap, LimitingCode.BOTH,
                           np.where(on_tol, LimitingCode.TOLERANCE, LimitingCode.CAPACITY))
    np.copyto(limiting, by_knockout, where=binding, casting="unsafe")
    return BatchProfiles(tolerance, tolerance_unflagged, capacity, combined, score_tier, tier,
                         limiting, flags, binding)


def _dimension(tables: ScoringTables, scores: list[np.ndarray],
               questions: np.ndarray) -> np.ndarray:
    """Weighted mean of the questions' scores, summed in questionnaire order, rounded to 0.1."""
    acc = np.zeros(scores[0].shape[0]) if scores else np.zeros(0)
    total = 0.0
    for j in questions:
        acc += tables.weights[j] * scores[j]
        total = total + tables.weights[j]
    return round_tenths(acc / total)


def _strictest(tables: ScoringTables, by_question: np.ndarray, questions: np.ndarray,
               n: int) -> np.ndarray:
    """The lowest knock-out cap among the questions' chosen options (NO_KNOCKOUT if none)."""
    out = np.full(n, NO_KNOCKOUT, dtype=np.int8)
    for j in questions:
        if (tables.max_tier[j] < NO_KNOCKOUT).any():
            np.minimum(out, tables.max_tier[j][by_question[j]], out=out)
    return out


def round_tenths(x: np.ndarray) -> np.ndarray:
    """``round(v, 1)`` of every element, as Python rounds (exact on the binary value)."""
    out = np.round(x, 1)
    scaled = x * 10.0
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    if near_half.any():
        values, inverse = np.unique(x[near_half], return_inverse=True)
        out[near_half] = np.array([round(float(v), 1) for v in values])[inverse]
    return out
