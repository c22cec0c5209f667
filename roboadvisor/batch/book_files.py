"""Reading and writing a book folder: ``book.json`` plus the partitioned tables.

``book.json`` says what the integer codes and columns mean and what the book was written with::

    {"format": "roboadvisor-book", "format_version": 1, "partitions": 8, "accounts": 1000,
     "as_of": "2026-07-31",
     "questionnaire": {"id": "standard", "version": 1,
                       "questions": [{"id": "loss_reaction", "options": ["sell_all", ...]}]},
     "tickers": ["VTI", ...],
     "prices": {"as_of": "2026-07-31", "source": "...", "values": {"VTI": 368.21, ...}},
     "generator": {...}}

``prices`` is the snapshot the book was valued with (the default prices of ``book run``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from roboadvisor.batch.partitioning import part_name
from roboadvisor.batch.schema import PARQUET_OPTIONS, SCHEMAS, Table
from roboadvisor.errors import InputError, catalog_text, reason

FORMAT = "roboadvisor-book"
FORMAT_VERSION = 2
"""2: ``accounts`` carries ``above_level`` (version 1 books are refused: write them again)."""
MANIFEST = "book.json"


class BookError(InputError):
    """A book folder is missing, incomplete or not of this format (names the path)."""


@dataclass(frozen=True)
class QuestionnaireLayout:
    """The question and option order the answer codes refer to."""

    id: str
    version: int
    questions: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class PriceSnapshot:
    """One price per ticker (adjusted close of ``as_of``) and where it came from."""

    as_of: str
    source: str
    values: tuple[tuple[str, float], ...]

    def price(self, ticker: str) -> float:
        return dict(self.values)[ticker]


@dataclass(frozen=True)
class BookManifest:
    """What ``book.json`` says (see the module docstring)."""

    partitions: int
    accounts: int
    as_of: str
    questionnaire: QuestionnaireLayout
    tickers: tuple[str, ...]
    prices: PriceSnapshot | None
    generator: dict[str, Any] | None = None

    def to_json(self) -> str:
        q = self.questionnaire
        doc: dict[str, Any] = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "partitions": self.partitions,
            "accounts": self.accounts, "as_of": self.as_of,
            "questionnaire": {"id": q.id, "version": q.version,
                              "questions": [{"id": qid, "options": list(opts)}
                                            for qid, opts in q.questions]},
            "tickers": list(self.tickers),
            "prices": None if self.prices is None else {
                "as_of": self.prices.as_of, "source": self.prices.source,
                "values": dict(self.prices.values)},
            "generator": self.generator,
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_manifest(folder: Path, manifest: BookManifest) -> None:
    (Path(folder) / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")


def read_manifest(folder: Path) -> BookManifest:
    """The manifest of the book in ``folder``; BookError naming what is wrong."""
    path = Path(folder) / MANIFEST
    if not Path(folder).is_dir():
        raise BookError.from_catalog("batch.book_missing", path=str(folder))
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BookError.from_catalog("batch.book_no_manifest", path=str(path)) from None
    except (OSError, ValueError) as exc:
        raise BookError.from_catalog("batch.book_bad_manifest", path=str(path),
                                     reason=reason(exc)) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BookError.from_catalog("batch.book_bad_manifest", path=str(path),
                                     reason=catalog_text("zh_book.format_not",
                                                         format=repr(FORMAT)))
    if doc.get("format_version") != FORMAT_VERSION:
        raise BookError.from_catalog("batch.book_version", path=str(path),
                                     found=str(doc.get("format_version")),
                                     supported=str(FORMAT_VERSION))
    try:
        q = doc["questionnaire"]
        prices = doc.get("prices")
        manifest = BookManifest(
            int(doc["partitions"]), int(doc["accounts"]), str(doc["as_of"]),
            QuestionnaireLayout(str(q["id"]), int(q["version"]),
                                tuple((str(x["id"]), tuple(str(o) for o in x["options"]))
                                      for x in q["questions"])),
            tuple(str(t) for t in doc["tickers"]),
            None if prices is None else PriceSnapshot(
                str(prices["as_of"]), str(prices["source"]),
                tuple((str(k), float(v)) for k, v in prices["values"].items())),
            doc.get("generator"))
    except (KeyError, TypeError, ValueError) as exc:
        raise BookError.from_catalog("batch.book_bad_manifest", path=str(path),
                                     reason=catalog_text("zh_book.missing_field",
                                                         field=reason(exc))) from None
    if manifest.partitions < 1:
        raise BookError.from_catalog("batch.book_bad_manifest", path=str(path),
                                     reason=catalog_text("zh_book.partitions_min"))
    return manifest


def table_path(folder: Path, table: Table, partition: int) -> Path:
    return Path(folder) / table.value / part_name(partition)


def read_partition(folder: Path, partition: int) -> dict[Table, pa.Table]:
    """Every table of one partition, each checked against its schema."""
    out: dict[Table, pa.Table] = {}
    for table in Table:
        path = table_path(folder, table, partition)
        try:
            data = pq.read_table(path)
        except FileNotFoundError:
            raise BookError.from_catalog("batch.book_missing_part", path=str(path)) from None
        except (OSError, pa.ArrowException) as exc:
            raise BookError.from_catalog("batch.book_bad_part", path=str(path),
                                         reason=reason(exc).splitlines()[0]) from None
        for name in SCHEMAS[table].names:  # the schema's fields hold no nulls
            if name in data.column_names and data.column(name).null_count:
                raise BookError.from_catalog("batch.book_null", path=str(path), column=name)
        if not data.schema.equals(SCHEMAS[table]):
            try:
                _check_booleans(data, table)
                data = data.select(SCHEMAS[table].names).cast(SCHEMAS[table])
            except (KeyError, TypeError, ValueError, pa.ArrowException) as exc:
                raise BookError.from_catalog(
                    "batch.book_bad_part", path=str(path),
                    reason=catalog_text("zh_book.columns_mismatch", table=table.value,
                                         reason=reason(exc))) from None
        out[table] = data
    return out


def _check_booleans(data: pa.Table, table: Table) -> None:
    """A boolean column must be stored as one: a cast would read 7 or "yes" as true."""
    for f in SCHEMAS[table]:
        if pa.types.is_boolean(f.type) and f.name in data.column_names \
                and not pa.types.is_boolean(data.schema.field(f.name).type):
            raise TypeError(catalog_text("batch.book_not_boolean", column=f.name,
                                         found=str(data.schema.field(f.name).type)))


class PartitionWriters:
    """One parquet writer per (table, partition) in a folder; row groups appended in order."""

    def __init__(self, folder: Path, partitions: int) -> None:
        self._writers: dict[tuple[Table, int], pq.ParquetWriter] = {}
        for table in Table:
            (Path(folder) / table.value).mkdir(parents=True, exist_ok=True)
            for p in range(partitions):
                self._writers[(table, p)] = pq.ParquetWriter(
                    table_path(folder, table, p), SCHEMAS[table], **PARQUET_OPTIONS)

    def write(self, table: Table, partition: int, data: pa.Table) -> None:
        if data.num_rows:
            self._writers[(table, partition)].write_table(data)

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()


def manifest_sha256(folder: Path) -> str:
    """SHA-256 of the book's ``book.json`` bytes (an input hash of every run)."""
    import hashlib

    return hashlib.sha256((Path(folder) / MANIFEST).read_bytes()).hexdigest()


def write_json(path: Path, text: str) -> None:
    """Write a JSON document of a run's output folder (UTF-8)."""
    Path(path).write_text(text, encoding="utf-8")
