"""``book export`` and ``book import``: the client book (SQL) as the parquet book of ``book run``
and back.

Export writes, per account: the tier in force, cash, positions, pending cash flows and the
latest assessment of its client as option codes (the one piece of personal data the job
needs: it re-scores every answer set); never names, birth dates, acknowledgements or the
answers' text. Accounts whose client was erased or never assessed cannot be scored and are
left out, and listed. The folder is written whole or not at all (``batch.atomic_dir``).

Import loads such a folder as the book's services would have built it, for clients and
accounts the database does not hold yet: a client per client id (no personal data), its
assessment scored from the codes (``scoring_batch``, equal to ``assess``; answers encrypted,
the lowest category marked, valid until the book's ``expires_on``), the account at the tier
the book gives (``above_level`` as the book says: the client's own choice, kept by reviews;
refused for a client of the lowest category, as ``account open`` refuses it; a choice not
above the assessed tier is kept, as a re-assessment leaves it in the database), its positions
and cash, its
pending flows, and the same advice records as ``client add``, ``client assess``, ``account
open``, ``account import-holdings`` and ``account deposit|withdraw`` would append, each
naming the book's ``book.json`` by hash. Everything is checked before the first row is
written, and written in the command's one transaction (COPY on PostgreSQL, executemany on
SQLite): a failure part-way leaves the database as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from roboadvisor.errors import InputError, RoboAdvisorError, catalog_text, reason

if TYPE_CHECKING:
    from roboadvisor.book.bulk import BookRows, SqlBulk

EPOCH = date(1970, 1, 1)
CASH_PLACES = Decimal("0.0001")
SHARE_PLACES = Decimal("0.00000001")


@dataclass(frozen=True)
class Skipped:
    """An account left out of an export: ``reason`` is ``erased`` or ``not_assessed``."""

    account_id: str
    reason: str


@dataclass(frozen=True)
class ExportResult:
    out: Path
    accounts: int
    partitions: int
    holdings: int
    flows: int
    as_of: str
    skipped: tuple[Skipped, ...]
    seconds: float


@dataclass(frozen=True)
class ImportResult:
    book: Path
    clients: int
    accounts: int
    holdings: int
    flows: int
    records: int
    backend: str
    seconds: float


# --------------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------------
def export_book(bulk: SqlBulk, out: Path, now: datetime, partitions: int | None = None,
                prices_file: Path | None = None) -> ExportResult:
    """Write every scorable account of the database to the book folder ``out``."""
    from roboadvisor.batch.book_data import default_partitions, write_book
    from roboadvisor.batch.book_files import BookManifest
    from roboadvisor.batch.prices import latest_snapshot
    from roboadvisor.data.universe_file import load_universe
    from roboadvisor.services.assess import get_questionnaire
    from roboadvisor.services.batch import MAX_PARTITIONS, _layout

    if Path(out).exists():
        raise InputError.from_catalog("batch.out_exists", path=str(out))
    start = time.perf_counter()
    universe = load_universe(None)
    snapshot = latest_snapshot(prices_file, universe.tickers) if prices_file else None
    rows = bulk.read_book()
    keys = sorted({a.questionnaire for a in rows.accounts
                   if a.answers is not None and a.questionnaire is not None})
    if len(keys) > 1:
        raise InputError.from_catalog("scaleio.export_questionnaires",
                                      found=", ".join(f"{k} v{v}" for k, v in keys))
    questionnaire = get_questionnaire(*keys[0]) if keys else get_questionnaire()
    data, skipped = _book_data(rows, questionnaire, universe.tickers)
    n = len(data)
    count = partitions if partitions is not None else default_partitions(n)
    if not 1 <= count <= MAX_PARTITIONS:
        raise InputError.from_catalog("batch.partitions_range", partitions=count,
                                      most=MAX_PARTITIONS)
    seq, head = bulk.records_head()
    manifest = BookManifest(count, n, now.date().isoformat(), _layout(questionnaire),
                            universe.tickers, snapshot,
                            {"kind": "export", "records": seq - 1, "records_head": head})
    try:
        write_book(Path(out), manifest, data)
    except FileExistsError:
        raise InputError.from_catalog("batch.out_exists", path=str(out)) from None
    except OSError as exc:
        from roboadvisor.errors import ConfigError

        raise ConfigError.from_catalog("batch.out_unwritable", path=str(out),
                                       reason=exc.strerror or reason(exc)) from None
    return ExportResult(Path(out), n, count, len(data.holding_account), len(data.flow_account),
                        manifest.as_of, tuple(skipped), time.perf_counter() - start)


def _book_data(rows: BookRows, questionnaire: Any,
               tickers: tuple[str, ...]) -> tuple[Any, list[Skipped]]:
    from roboadvisor.batch.book_data import BookData

    lookup = [{o: k for k, o in enumerate(q.option_ids)} for q in questionnaire.questions]
    qids = questionnaire.question_ids
    kept, codes, skipped = [], [], []
    for a in rows.accounts:
        if a.assessment_id is None:
            skipped.append(Skipped(a.id, "not_assessed"))
            continue
        if a.answers is None:
            skipped.append(Skipped(a.id, "erased"))
            continue
        try:
            codes.append([lookup[j][a.answers[qid]] for j, qid in enumerate(qids)])
        except KeyError:
            raise InputError.from_catalog("scaleio.export_answers", id=a.client_id,
                                          questionnaire=questionnaire.key) from None
        kept.append(a)
    index = {a.id: i for i, a in enumerate(kept)}
    known = set(tickers)
    held = [(index[acc], t, float(s)) for acc, t, s in rows.positions if acc in index and s > 0]
    for acc, t, _s in rows.positions:
        if acc in index and t not in known:
            raise InputError.from_catalog("scaleio.export_ticker", id=acc, ticker=t)
    flows = [(index[acc], (d - EPOCH).days, float(x)) for acc, d, x in rows.flows
             if acc in index]
    data = BookData(
        np.array([a.id for a in kept], dtype=object),
        np.array([a.client_id for a in kept], dtype=object),
        np.array([a.tier for a in kept], dtype=np.int8),
        np.array([a.above_level for a in kept], dtype=bool),
        np.array([float(a.cash) for a in kept], dtype=float),
        np.array([_day(a.assessed_at) for a in kept], dtype=np.int32),
        np.array([_day(a.expires_at) for a in kept], dtype=np.int32),
        np.array(codes, dtype=np.int8).reshape(len(kept), len(qids)),
        np.array([h[0] for h in held], dtype=np.int64),
        np.array([h[1] for h in held], dtype=object),
        np.array([h[2] for h in held], dtype=float),
        np.array([f[0] for f in flows], dtype=np.int64),
        np.array([f[1] for f in flows], dtype=np.int32),
        np.array([f[2] for f in flows], dtype=float))
    return data, skipped


def _day(moment: datetime | None) -> int:
    assert moment is not None
    return (moment.astimezone(UTC).date() - EPOCH).days


# --------------------------------------------------------------------------------------------
# import
# --------------------------------------------------------------------------------------------
def import_book(bulk: SqlBulk, folder: Path, now: datetime,
                on_table: Callable[[str], None] | None = None) -> ImportResult:
    """Load the book folder ``folder`` into the database (see the module docstring);
    ``on_table`` is called with each table's name once its rows are written."""
    from roboadvisor.batch.book_data import read_book
    from roboadvisor.batch.book_files import manifest_sha256
    from roboadvisor.book import schema
    from roboadvisor.data.universe_file import load_universe
    from roboadvisor.domain.scoring_batch import score_batch, scoring_tables
    from roboadvisor.services.assess import get_questionnaire
    from roboadvisor.services.batch import _layout

    start = time.perf_counter()
    manifest, data = read_book(folder)
    q = manifest.questionnaire
    questionnaire = get_questionnaire(q.id, q.version)
    if _layout(questionnaire) != q:
        raise InputError.from_catalog("batch.book_layout", path=str(folder),
                                      questionnaire=questionnaire.key)
    universe = load_universe(None)
    outside = sorted(set(data.holding_ticker.tolist()) - set(universe.tickers))
    if outside:
        raise InputError.from_catalog("batch.book_tickers", path=str(folder),
                                      tickers=", ".join(outside))
    _check_values(folder, data, questionnaire)
    clients, first = np.unique(data.client_id, return_index=True)
    _check_clients(folder, data, clients)
    for table, ids in ((schema.clients, clients.tolist()),
                       (schema.accounts, data.account_id.tolist())):
        taken = bulk.existing(table, ids)
        if taken:
            raise InputError.from_catalog("scaleio.import_exists", what=table.name,
                                          id=taken[0], count=len(taken))
    book_sha = manifest_sha256(folder)
    profiles = score_batch(scoring_tables(questionnaire), data.codes[first])
    lowest = _lowest(questionnaire, data.codes[first])
    _check_above(folder, data, clients, lowest)
    plan = _Plan(bulk, questionnaire, book_sha, now)
    plan.clients(clients, first, data, profiles, lowest)
    plan.accounts(data)
    done = []
    for name, table, columns, rows in plan.tables():
        bulk.load(table, columns, rows)
        done.append(name)
        if on_table is not None:
            on_table(name)
    _seq, _hash, count = bulk.append_records(plan.records, now)
    if on_table is not None:
        on_table("records")
    return ImportResult(Path(folder), len(clients), len(data), len(data.holding_account),
                        len(data.flow_account), count, bulk.backend,
                        time.perf_counter() - start)


def _check_values(folder: Path, data: Any, questionnaire: Any) -> None:
    from roboadvisor.domain.limits import first_bad_amount
    from roboadvisor.services.book import ID_PATTERN

    def bad(what: str, value: object) -> RoboAdvisorError:
        """``what`` is a zh_book.what_* label; ``value`` the offending value (or a Text)."""
        return InputError.from_catalog("scaleio.import_bad", path=str(folder),
                                       what=catalog_text(f"zh_book.what_{what}"),
                                       value=value if isinstance(value, str) else str(value))

    for ids, what in ((data.account_id, "account_id"), (data.client_id, "client_id")):
        wrong = [x for x in ids.tolist() if not ID_PATTERN.match(x or "")]
        if wrong:
            raise bad(what, wrong[0])
    if ((data.tier < 1) | (data.tier > 5)).any():
        raise bad("tier", int(data.tier[(data.tier < 1) | (data.tier > 5)][0]))
    wrong_amount = first_bad_amount(data.cash, data.holding_shares, data.flow_amount)
    if wrong_amount is not None:
        raise bad(*wrong_amount[:2])
    if (data.holding_account < 0).any() or (data.flow_account < 0).any():
        raise bad("account", "?")
    if len(set(zip(data.holding_account.tolist(), data.holding_ticker.tolist(), strict=True))) \
            != len(data.holding_account):
        raise bad("position", catalog_text("zh_book.ticker_held_twice"))
    widths = np.array([len(x.options) for x in questionnaire.questions])
    if ((data.codes < 0) | (data.codes >= widths[None, :])).any():
        raise bad("answer_code", int(data.codes[(data.codes < 0)
                                                | (data.codes >= widths[None, :])][0]))


def _check_above(folder: Path, data: Any, clients: np.ndarray, lowest: np.ndarray) -> None:
    """No account of a lowest-category client is marked ``above_level``: no tier above 1,
    even on request (``services.book.open_account``)."""
    low = data.above_level & lowest[np.searchsorted(clients, data.client_id)]
    if low.any():
        i = int(np.flatnonzero(low)[0])
        raise InputError.from_catalog("scaleio.import_above_lowest", path=str(folder),
                                      id=str(data.account_id[i]), client=str(data.client_id[i]))


def _check_clients(folder: Path, data: Any, clients: np.ndarray) -> None:
    """Accounts of one client carry the same assessment (the client's latest)."""
    order = np.argsort(data.client_id, kind="stable")
    cid = data.client_id[order]
    same = cid[1:] == cid[:-1]
    if not same.any():
        return
    a, b = order[:-1][same], order[1:][same]
    differ = ((data.codes[a] != data.codes[b]).any(axis=1)
              | (data.assessed_day[a] != data.assessed_day[b])
              | (data.expires_day[a] != data.expires_day[b]))
    if differ.any():
        raise InputError.from_catalog("scaleio.import_client_answers", path=str(folder),
                                      id=str(data.client_id[a[differ][0]]))


def _lowest(questionnaire: Any, codes: np.ndarray) -> np.ndarray:
    """``Questionnaire.is_lowest_category`` over rows of option codes."""
    if not questionnaire.lowest_category:
        return np.zeros(len(codes), dtype=bool)
    out = np.ones(len(codes), dtype=bool)
    index = {qid: j for j, qid in enumerate(questionnaire.question_ids)}
    for qid, options in questionnaire.lowest_category:
        j = index[qid]
        allowed = [k for k, o in enumerate(questionnaire.questions[j].option_ids) if o in options]
        out &= np.isin(codes[:, j], allowed)
    return out


def _midnight(day: int) -> datetime:
    return datetime.combine(EPOCH.fromordinal(EPOCH.toordinal() + int(day)), clock(), UTC)


def _decimal(x: float, places: Decimal) -> Decimal:
    value = Decimal(repr(float(x))).quantize(places)
    return value.to_integral_value() if value == value.to_integral_value() else value


class _Plan:
    """The rows of every table and the records, built before anything is written."""

    def __init__(self, bulk: SqlBulk, questionnaire: Any, book_sha: str, now: datetime) -> None:
        from roboadvisor.book import schema
        from roboadvisor.book.chain import sha256_bytes
        from roboadvisor.services.book_assess import questionnaire_bytes

        self.bulk, self.q, self.book_sha, self.now = bulk, questionnaire, book_sha, now
        self.q_sha = sha256_bytes(questionnaire_bytes(questionnaire))
        self.next_assessment = bulk.next_id(schema.assessments)
        self.next_flow = bulk.next_id(schema.cash_flows)
        self.rows: dict[str, list[tuple[Any, ...]]] = {
            "clients": [], "assessments": [], "accounts": [], "positions": [],
            "cash_flows": []}
        self.records: list[Any] = []
        self._assessment: dict[str, Any] = {}
        self._client_records: dict[str, list[Any]] = {}

    def _record(self, kind: Any, client: str | None, account: str | None,
                content: dict[str, Any]) -> Any:
        from roboadvisor.book.repositories import Entry

        content = {**content, "inputs": {**content.get("inputs", {}), "book": self.book_sha}}
        return Entry(kind, client, account, content)

    def clients(self, clients: np.ndarray, first: np.ndarray, data: Any, profiles: Any,
                lowest: np.ndarray) -> None:
        from roboadvisor.book.chain import canonical
        from roboadvisor.book.models import Client, RecordKind, StoredAssessment
        from roboadvisor.services import book_records as records
        from roboadvisor.services.assess import answers_sha256

        option_ids = [q.option_ids for q in self.q.questions]
        qids = self.q.question_ids
        for i, (cid, row) in enumerate(zip(clients.tolist(), first.tolist(), strict=True)):
            answers = {qid: option_ids[j][int(k)]
                       for j, (qid, k) in enumerate(zip(qids, data.codes[row], strict=True))}
            assessment_id = self.next_assessment + i
            tier = 1 if lowest[i] else int(profiles.tier[i])
            stored = StoredAssessment(
                assessment_id, cid, self.q.id, self.q.version, self.q_sha,
                answers_sha256(answers), float(profiles.tolerance[i]),
                float(profiles.capacity[i]), float(profiles.combined[i]),
                int(profiles.score_tier[i]), tier, bool(lowest[i]),
                _midnight(data.assessed_day[row]), _midnight(data.expires_day[row]))
            self._assessment[cid] = stored
            self.rows["clients"].append((cid, None, None, self.now, None))
            self.rows["assessments"].append((
                assessment_id, cid, self.q.id, self.q.version, self.q_sha,
                self.bulk.seal(canonical(answers)), stored.answers_sha256,
                stored.tolerance_score, stored.capacity_score, stored.combined_score,
                stored.score_tier, stored.tier, stored.lowest, stored.assessed_at,
                stored.expires_at))
            self._client_records[cid] = [
                self._record(RecordKind.CLIENT, cid, None,
                             records.client_added(Client(cid, self.now))),
                self._record(RecordKind.ASSESSMENT, cid, None, {
                    **records._base(questionnaire=self.q_sha, answers=stored.answers_sha256),
                    "questionnaire": {"id": self.q.id, "version": self.q.version},
                    "lang": "en",
                    "outputs": {"assessment_id": assessment_id,
                                **records.assessment_outputs(stored)},
                    "text": []})]

    def accounts(self, data: Any) -> None:
        from roboadvisor.book.models import (
            Account,
            CashFlow,
            FlowKind,
            FlowStatus,
            RecordKind,
        )
        from roboadvisor.services import book_records as records
        from roboadvisor.services.book import DEFAULT_DRIFT

        held: dict[int, dict[str, Decimal]] = {}
        for a, t, s in zip(data.holding_account.tolist(), data.holding_ticker.tolist(),
                           data.holding_shares.tolist(), strict=True):
            if s > 0:
                held.setdefault(a, {})[t] = _decimal(s, SHARE_PLACES)
        flows: dict[int, list[tuple[int, float]]] = {}
        for a, d, x in zip(data.flow_account.tolist(), data.flow_day.tolist(),
                           data.flow_amount.tolist(), strict=True):
            flows.setdefault(a, []).append((d, x))
        flow_id = self.next_flow
        for i, (aid, cid) in enumerate(zip(data.account_id.tolist(), data.client_id.tolist(),
                                           strict=True)):
            stored = self._assessment[cid]
            tier = int(data.tier[i])
            positions = dict(sorted(held.get(i, {}).items()))
            fractional = any(v != v.to_integral_value() for v in positions.values())
            cash = _decimal(data.cash[i], CASH_PLACES)
            account = Account(aid, cid, tier, bool(data.above_level[i]), self.now, cash,
                              positions, fractional, DEFAULT_DRIFT)
            self.rows["accounts"].append((aid, cid, tier, account.above_level, None, cash,
                                          self.now, fractional, DEFAULT_DRIFT, None))
            self.rows["positions"].extend((aid, t, s) for t, s in positions.items())
            self.records.extend(self._client_records.pop(cid, []))
            self.records.append(self._record(RecordKind.ACCOUNT, cid, aid,
                                             records.account_opened(account, stored)))
            self.records.append(self._record(
                RecordKind.HOLDINGS, cid, aid,
                records.holdings(aid, self.book_sha, str(cash),
                                 {t: str(s) for t, s in positions.items()})))
            for day, amount in flows.get(i, []):
                kind = FlowKind.DEPOSIT if amount > 0 else FlowKind.WITHDRAWAL
                on = EPOCH.fromordinal(EPOCH.toordinal() + int(day))
                value = _decimal(abs(amount), CASH_PLACES)
                self.rows["cash_flows"].append((flow_id, aid, kind.value, value, on,
                                                FlowStatus.PENDING.value, self.now))
                self.records.append(self._record(
                    RecordKind.CASH_FLOW, cid, aid, records.cash_flow(
                        CashFlow(flow_id, aid, kind, value, on, FlowStatus.PENDING))))
                flow_id += 1

    def tables(self) -> list[tuple[str, Any, tuple[str, ...], list[tuple[Any, ...]]]]:
        from roboadvisor.book import schema

        return [
            ("clients", schema.clients,
             ("id", "name_enc", "birth_date_enc", "created_at", "erased_at"),
             self.rows["clients"]),
            ("assessments", schema.assessments,
             ("id", "client_id", "questionnaire_id", "questionnaire_version",
              "questionnaire_sha256", "answers_enc", "answers_sha256", "tolerance_score",
              "capacity_score", "combined_score", "score_tier", "tier", "lowest",
              "assessed_at", "expires_at"), self.rows["assessments"]),
            ("accounts", schema.accounts,
             ("id", "client_id", "tier", "above_level", "acknowledgement_enc", "cash",
              "opened_at", "allow_fractional", "drift_threshold", "model_version"),
             self.rows["accounts"]),
            ("positions", schema.positions, ("account_id", "ticker", "shares"),
             self.rows["positions"]),
            ("cash_flows", schema.cash_flows,
             ("id", "account_id", "kind", "amount", "on_date", "status", "created_at"),
             self.rows["cash_flows"]),
        ]


# --------------------------------------------------------------------------------------------
# book run --model N
# --------------------------------------------------------------------------------------------
def model_targets(book: Any, version: int, tickers: tuple[str, ...]) -> Any:
    """The targets of published model ``version`` (``model publish``) for ``book run``:
    (5, assets) tier weights and the lowest category's R1-only portfolio (the stored "tier 0"
    row; None for versions published before they carried one) in ``tickers`` order, as
    ``book review`` reads them."""
    from roboadvisor.services import model as models
    from roboadvisor.services.batch import ModelTargets
    from roboadvisor.services.book_daily import lowest_row, model_matrix

    found = models.get(book, version)
    return ModelTargets(found.version, found.digest, model_matrix(found, tickers),
                        lowest_row(found, tickers))


# --------------------------------------------------------------------------------------------
# book verify-run
# --------------------------------------------------------------------------------------------
def verify_run(out: Path) -> Any:
    """``batch.run_records.verify_run`` on the run folder ``out``; a folder that is not a
    run's output is refused in one line."""
    from roboadvisor.batch.run_records import verify_run as verify
    from roboadvisor.services.batch import MANIFEST, SUMMARY

    path = Path(out) / MANIFEST
    try:
        return verify(Path(out), MANIFEST, SUMMARY)
    except FileNotFoundError:
        raise InputError.from_catalog("scaleio.not_a_run", path=str(path)) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError.from_catalog("scaleio.bad_run_manifest", path=str(path),
                                      reason=reason(exc)) from None
