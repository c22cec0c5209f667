"""A book folder whose values no book may hold (NaN, negative, zero flows, beyond
``domain.limits``, a tier outside 1..5) is refused by `book run` and by `book import` alike, in
one line naming the file, before any output or row is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app

runner = CliRunner()

CASES = [
    ("accounts", "cash", float("nan"), "is not a number"),
    ("accounts", "cash", -5.0, "is negative"),
    ("accounts", "cash", 1e300, "at most 100,000,000,000"),
    ("accounts", "tier", 9, "tier 9"),
    ("holdings", "shares", -3.0, "is negative"),
    ("holdings", "shares", float("inf"), "is not a number"),
    ("holdings", "shares", 2e10, "at most 10,000,000,000"),
    ("cash_flows", "amount", float("nan"), "is not a number"),
    ("cash_flows", "amount", 0.0, "is zero"),
    ("cash_flows", "amount", -1e12, "at most 100,000,000,000"),
]


def _spoil(book: Path, target: Path, table: str, column: str, value: object) -> Path:
    """A copy of ``book`` whose first ``table`` row (first partition holding one) has
    ``column`` = ``value``; the file changed."""
    shutil.copytree(book, target)
    for path in sorted((target / table).glob("*.parquet")):
        data = pq.read_table(path)
        if data.num_rows:
            values = data.column(column).to_pylist()
            values[0] = value
            i = data.schema.get_field_index(column)
            field = data.schema.field(column)
            pq.write_table(data.set_column(i, field, pa.array(values, field.type)), path)
            return path
    raise AssertionError(f"no {table} rows in {book}")


@pytest.mark.parametrize(("table", "column", "value", "says"), CASES,
                         ids=[f"{c[1]}={c[2]}" for c in CASES])
def test_book_run_and_import_refuse_the_value(small_book: Path, tmp_path: Path, table: str,
                                              column: str, value: object, says: str) -> None:
    spoilt = _spoil(small_book, tmp_path / "book", table, column, value)
    out = tmp_path / "out"
    result = runner.invoke(app, ["book", "run", str(tmp_path / "book"), "--out", str(out)])
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and says in message
    assert str(spoilt) in message
    assert not out.exists()

    url = f"sqlite:///{tmp_path / 'book.sqlite'}"
    imported = runner.invoke(app, ["book", "import", str(tmp_path / "book"), "--db", url])
    assert imported.exit_code == 2, imported.output
    assert len(imported.stderr.strip().splitlines()) == 1
    listed = runner.invoke(app, ["client", "list", "--json", "--db", url])
    assert listed.exit_code == 0 and listed.stdout.strip() in ("[]", "")
