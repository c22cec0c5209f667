"""The advice records of `book run`: one per account, hash-chained per partition, listed in the
manifest; `book verify-run` recomputes them and catches an edited record."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from roboadvisor.batch.schema import PARQUET_OPTIONS
from roboadvisor.book.chain import GENESIS, canonical, link_hash
from roboadvisor.cli.app import app
from tests.batch.conftest import SMALL_ACCOUNTS, SMALL_PARTITIONS

runner = CliRunner()


@pytest.fixture(scope="module")
def traded_run(small_book: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from roboadvisor.services.batch import RunRequest, run_book
    from tests.batch.seam_example import sell_above_level

    out = tmp_path_factory.mktemp("records") / "traded"
    run_book(RunRequest(small_book, out, trades=sell_above_level))
    return out


def _verify(out: Path, code: int) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["book", "verify-run", str(out), "--json"])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def test_one_chained_record_per_account(traded_run: Path) -> None:
    manifest = json.loads((traded_run / "manifest.json").read_text())
    seed = hashlib.sha256(canonical(manifest["inputs"]).encode()).hexdigest()
    total = 0
    for entry in manifest["partitions"]:
        path = traded_run / entry["records_file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["records_sha256"]
        records = pq.read_table(path).to_pylist()
        review = pq.read_table(traded_run / entry["file"]).to_pylist()
        orders = pq.read_table(traded_run / entry["orders_file"]).to_pylist()
        assert [r["account_id"] for r in records] == [r["account_id"] for r in review]
        prev = link_hash(GENESIS, canonical({"partition": entry["partition"], "run": seed}))
        for record, row in zip(records, review, strict=True):
            body = json.loads(record["body"])
            mine = [o for o in orders if o["account_id"] == row["account_id"]]
            assert body == {**row, "orders": len(mine),
                            "traded": pytest.approx(sum(abs(o["value"]) for o in mine))}
            assert record["prev_hash"] == prev
            assert record["hash"] == hashlib.sha256(
                (prev + "\n" + record["body"]).encode()).hexdigest()
            prev = record["hash"]
        assert entry["chain_head"] == prev
        total += len(records)
    assert total == SMALL_ACCOUNTS
    checked = _verify(traded_run, 0)
    assert checked["ok"] and checked["records"] == SMALL_ACCOUNTS
    assert checked["partitions"] == SMALL_PARTITIONS


def _edit_record(out: Path, partition_file: str, row: int) -> str:
    """Change one record's drift, rewrite the file and put its new SHA-256 in the manifest
    (a careful forger); the edited account id."""
    path = out / partition_file
    table = pq.read_table(path)
    rows = table.to_pylist()
    body = json.loads(rows[row]["body"])
    body["drift"] = 0.0
    rows[row]["body"] = json.dumps(body, separators=(",", ":"), sort_keys=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path, **PARQUET_OPTIONS)
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for entry in manifest["partitions"]:
        if entry["records_file"] == partition_file:
            entry["records_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return str(rows[row]["account_id"])


def test_an_edited_record_is_caught(traded_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    shutil.copytree(traded_run, out)
    target = json.loads((out / "manifest.json").read_text())["partitions"][2]["records_file"]
    account = _edit_record(out, target, 5)
    checked = _verify(out, 1)
    kinds = {(p["kind"], p["detail"]) for p in checked["problems"]}
    assert ("record", account) in kinds and ("link", account) in kinds
    assert all(p["where"] == target for p in checked["problems"])
    text = runner.invoke(app, ["book", "verify-run", str(out)])
    assert text.exit_code == 1 and account in text.stdout


def test_a_file_changed_behind_the_manifest_is_caught(traded_run: Path,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "run"
    shutil.copytree(traded_run, out)
    review = sorted((out / "review").glob("*.parquet"))[0]
    table = pq.read_table(review)
    pq.write_table(table.slice(1), review, **PARQUET_OPTIONS)  # an account dropped
    checked = _verify(out, 1)
    assert {"kind": "file", "where": f"review/{review.name}", "detail": ""} \
        in checked["problems"]


def test_not_a_run_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["book", "verify-run", str(tmp_path)])
    assert result.exit_code == 2
    assert "not the output of" in result.stderr
