"""`records verify`: the hash chain, and (``recompute``) each record re-run from its stored
inputs with any output that differs reported."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roboadvisor.book.chain import ChainProblem, sha256_bytes, verify_chain
from roboadvisor.book.models import Record, RecordKind
from roboadvisor.book.repositories import Book
from roboadvisor.errors import BookKeyError, RoboAdvisorError, reason

WEIGHT_TOLERANCE = 1e-4
"""Re-solved weights may differ by solver noise; more than 0.01% is a difference."""


@dataclass(frozen=True)
class Difference:
    seq: int
    kind: str
    field: str
    recorded: Any
    recomputed: Any


@dataclass(frozen=True)
class Skipped:
    seq: int
    kind: str
    reason_key: str
    params: dict[str, str]


@dataclass(frozen=True)
class Verification:
    count: int
    last_hash: str | None
    problems: tuple[ChainProblem, ...]
    recomputed: int = 0
    differences: tuple[Difference, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and not self.differences


def verify(book: Book, recompute: bool = False) -> Verification:
    all_records = book.records.all()
    problems = verify_chain(all_records)
    last = all_records[-1].hash if all_records else None
    if not recompute:
        return Verification(len(all_records), last, problems)
    differences: list[Difference] = []
    skipped: list[Skipped] = []
    done = 0
    for record in all_records:
        if record.kind is RecordKind.REPORT:
            outcome = _report(book, record)
        elif record.kind is RecordKind.ASSESSMENT:
            outcome = _assessment(book, record)
        elif record.kind is RecordKind.ALLOCATION:
            outcome = _allocation(book, record)
        elif record.kind is RecordKind.MODEL:
            outcome = _model(book, record)
        elif record.kind is RecordKind.REBALANCE:
            outcome = _rebalance(book, record)
        else:
            continue
        if isinstance(outcome, Skipped):
            skipped.append(outcome)
        else:
            done += 1
            differences.extend(outcome)
    return Verification(len(all_records), last, problems, done, tuple(differences),
                        tuple(skipped))


def _compare(record: Record, recorded: dict[str, Any],
             recomputed: dict[str, Any]) -> list[Difference]:
    return [Difference(record.seq, record.kind.value, key, recorded.get(key), value)
            for key, value in recomputed.items() if recorded.get(key) != value]


def _blob_file(book: Book, record: Record, name: str, folder: Path, suffix: str) -> Path | Skipped:
    sha = record.content()["inputs"][name]
    data = book.records.blob(sha)
    if data is None or sha256_bytes(data) != sha:
        return Skipped(record.seq, record.kind.value, "book.reason_no_input",
                       {"name": name, "sha": sha[:12]})
    path = folder / f"{name}{suffix}"
    path.write_bytes(data)
    return path


def _assessment(book: Book, record: Record) -> list[Difference] | Skipped:
    from roboadvisor.data.questionnaire_files import load_questionnaire_file
    from roboadvisor.domain.questionnaire import check_answers
    from roboadvisor.domain.scoring import score_answers
    from roboadvisor.services.assess import answers_sha256
    from roboadvisor.services.book_assess import questionnaire_file
    from roboadvisor.services.book_records import assessment_outputs

    content = record.content()
    outputs = content["outputs"]
    try:
        answers = book.assessments.answers(int(outputs["assessment_id"]))
    except BookKeyError:
        return Skipped(record.seq, record.kind.value, "book.reason_no_key", {})
    if answers is None:
        return Skipped(record.seq, record.kind.value, "book.reason_erased", {})
    stored = book.assessments.get(int(outputs["assessment_id"]))
    wanted = content["inputs"]["questionnaire"]
    path = questionnaire_file(content["questionnaire"]["id"], content["questionnaire"]["version"])
    if path is None or sha256_bytes(path.read_bytes()) != wanted:
        return Skipped(record.seq, record.kind.value, "book.reason_no_input",
                       {"name": "questionnaire", "sha": wanted[:12]})
    questionnaire = load_questionnaire_file(path)
    clean = check_answers(questionnaire, answers)
    profile = score_answers(questionnaire, clean)
    lowest = questionnaire.is_lowest_category(clean)
    again = {"tolerance_score": round(profile.tolerance_score, 9),
             "capacity_score": round(profile.capacity_score, 9),
             "combined_score": round(profile.combined_score, 9),
             "score_tier": int(profile.score_tier), "tier": 1 if lowest else int(profile.tier),
             "lowest": lowest}
    found = _compare(record, outputs, again)
    if answers_sha256(clean) != content["inputs"]["answers"]:
        found.append(Difference(record.seq, record.kind.value, "answers_sha256",
                                content["inputs"]["answers"], answers_sha256(clean)))
    if stored is not None:
        found += _compare(record, outputs, {k: v for k, v in assessment_outputs(stored).items()
                                            if k in again})
    return found


def _allocation(book: Book, record: Record) -> list[Difference] | Skipped:
    from roboadvisor.services import allocate
    from roboadvisor.services.book_allocation import allocation_outputs

    content = record.content()
    rerun = content.get("rerun", {})
    suffixes = {"prices": rerun.get("prices_suffix") or ".csv"}
    with tempfile.TemporaryDirectory() as tmp:
        paths: dict[str, Path | None] = {}
        for name in ("universe", "policies", "assumptions", "prices", "views"):
            if name not in content["inputs"]:
                paths[name] = None
                continue
            path = _blob_file(book, record, name, Path(tmp), suffixes.get(name, ".yaml"))
            if isinstance(path, Skipped):
                return path
            paths[name] = path
        market = allocate.MarketRequest(
            source=rerun["source"], method=rerun.get("method"), prices_file=paths["prices"],
            views_file=paths["views"], universe_file=paths["universe"],
            assumptions_file=paths["assumptions"])
        try:
            result = allocate.allocate(allocate.AllocationRequest(
                tier=rerun["tier"], market=market, policies_file=paths["policies"],
                suitability=rerun.get("suitability")))
        except RoboAdvisorError as exc:
            return [Difference(record.seq, record.kind.value, "status", "optimal", reason(exc))]
    again = allocation_outputs(result)
    outputs = content["outputs"]
    found = _compare(record, outputs, {k: v for k, v in again.items() if k != "weights"})
    recorded_weights = outputs.get("weights", {})
    for ticker in sorted(set(recorded_weights) | set(again["weights"])):
        old, new = recorded_weights.get(ticker, 0.0), again["weights"].get(ticker, 0.0)
        if abs(old - new) > WEIGHT_TOLERANCE:
            found.append(Difference(record.seq, record.kind.value, f"weight {ticker}", old, new))
    return found


def _model(book: Book, record: Record) -> list[Difference] | Skipped:
    """A model version re-optimised from its stored inputs (five tiers)."""
    from roboadvisor.services.model import LOWEST_TIER, PublishRequest, model_outputs, optimise

    content = record.content()
    rerun = content.get("rerun", {})
    with tempfile.TemporaryDirectory() as tmp:
        paths: dict[str, Path | None] = {}
        for name in ("universe", "policies", "assumptions", "prices"):
            if name not in content["inputs"]:
                paths[name] = None
                continue
            suffix = (rerun.get("prices_suffix") or ".csv") if name == "prices" else ".yaml"
            path = _blob_file(book, record, name, Path(tmp), suffix)
            if isinstance(path, Skipped):
                return path
            paths[name] = path
        request = PublishRequest(source=rerun["source"], prices_file=paths["prices"],
                                 universe_file=paths["universe"],
                                 policies_file=paths["policies"],
                                 assumptions_file=paths["assumptions"])
        carries_lowest = str(LOWEST_TIER) in content["outputs"]["tiers"]
        try:
            again = model_outputs(*optimise(request, lowest=carries_lowest))
        except RoboAdvisorError as exc:
            return [Difference(record.seq, record.kind.value, "status", "optimal", reason(exc))]
    found: list[Difference] = []
    recorded = content["outputs"]["tiers"]
    for tier in sorted(set(recorded) | set(again)):
        old, new = recorded.get(tier, {}), again.get(tier, {})
        for name in ("expected_return", "volatility"):
            if abs(old.get(name, 0.0) - new.get(name, 0.0)) > WEIGHT_TOLERANCE:
                found.append(Difference(record.seq, record.kind.value, f"tier {tier} {name}",
                                        old.get(name), new.get(name)))
        ow, nw = old.get("weights", {}), new.get("weights", {})
        for ticker in sorted(set(ow) | set(nw)):
            if abs(ow.get(ticker, 0.0) - nw.get(ticker, 0.0)) > WEIGHT_TOLERANCE:
                found.append(Difference(record.seq, record.kind.value,
                                        f"tier {tier} weight {ticker}", ow.get(ticker, 0.0),
                                        nw.get(ticker, 0.0)))
    return found


def _report(book: Book, record: Record) -> list[Difference] | Skipped:
    """A report: the page kept with the record is the one whose hash the record names, and
    every input file it read is kept intact. (A page is not re-rendered:
    what the client was given is the page itself.)"""
    content = record.content()
    kept = {"page": content["outputs"]["html_sha256"],
            **{name: sha for name, sha in content["inputs"].items()
               if name not in ("answers", "assessment_record") and sha is not None}}
    found: list[Difference] = []
    for name, sha in kept.items():  # answers and assessment: in the assessment's own record
        data = book.records.blob(sha)
        if data is None:  # issued before pages were kept
            return Skipped(record.seq, record.kind.value, "book.reason_no_input",
                           {"name": name, "sha": sha[:12]})
        if sha256_bytes(data) != sha:
            found.append(Difference(record.seq, record.kind.value, f"{name} sha256", sha,
                                    sha256_bytes(data)))
    return found


def _rebalance(book: Book, record: Record) -> list[Difference] | Skipped:
    """A rebalance re-run: the same review and trade list from the state, rules, model
    version and prices the record names."""
    import json

    from roboadvisor.services.book_daily import LATER_OUTPUTS, Quotes, rebalance_outputs, replay

    content = record.content()
    sha = content["inputs"]["prices"]
    data = book.records.blob(sha)
    if data is None or sha256_bytes(data) != sha:
        return Skipped(record.seq, record.kind.value, "book.reason_no_input",
                       {"name": "prices", "sha": sha[:12]})
    version = int(content["outputs"]["model_version"])
    model = book.models.get(version)
    if model is None or model.digest != content["inputs"]["model"]:
        return Skipped(record.seq, record.kind.value, "book.reason_no_input",
                       {"name": f"model {version}", "sha": content["inputs"]["model"][:12]})
    stored = json.loads(data)
    rev, trades = replay(model, content, Quotes(stored["prices"], stored["as_of"]))
    if trades is None:
        return [Difference(record.seq, record.kind.value, "orders", "a trade list", None)]
    recorded = {k: v for k, v in content["outputs"].items() if k != "applied"}
    # a record is held to what it states: figures a later version adds to the outputs
    # (``LATER_OUTPUTS``) are not asked of records written before (the hash chain already
    # proves that no stated figure was removed)
    again = {k: v for k, v in rebalance_outputs(version, rev, trades).items()
             if k in recorded or k not in LATER_OUTPUTS}
    return _compare(record, recorded, again)
