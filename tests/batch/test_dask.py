"""`book run --engine dask` on a real LocalCluster of 2 worker processes: the same bytes as the
local engine, also when a worker process is killed in the middle of the run.

One cluster for the module (start-up costs seconds); the test that kills a worker runs last.
"""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app
from roboadvisor.services.batch import RunRequest, SynthRequest, run_book, synth_book
from tests.batch.conftest import folder_bytes

distributed = pytest.importorskip("distributed")

runner = CliRunner()
KILL_BOOK_PARTITIONS = 24


@pytest.fixture(scope="module")
def cluster():  # type: ignore[no-untyped-def]
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None,
                                  silence_logs=logging.CRITICAL) as c:
        yield c


@pytest.fixture(scope="module")
def local_reference(small_book: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dask") / "local"
    run_book(RunRequest(small_book, out))
    return out


def test_dask_equals_local(cluster, small_book: Path, local_reference: Path,  # type: ignore[no-untyped-def]
                           tmp_path: Path) -> None:
    out = tmp_path / "dask"
    result = runner.invoke(app, ["book", "run", str(small_book), "--out", str(out),
                                 "--engine", "dask", "--scheduler", cluster.scheduler_address,
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert folder_bytes(out) == folder_bytes(local_reference)


def test_dask_equals_local_with_a_trade_function(cluster, small_book: Path,  # type: ignore[no-untyped-def]
                                                 tmp_path: Path) -> None:
    from tests.batch.seam_example import sell_above_level

    run_book(RunRequest(small_book, tmp_path / "local", trades=sell_above_level))
    run_book(RunRequest(small_book, tmp_path / "dask", engine="dask",
                        scheduler=cluster.scheduler_address, trades=sell_above_level))
    assert (tmp_path / "dask" / "orders").is_dir()
    assert folder_bytes(tmp_path / "dask") == folder_bytes(tmp_path / "local")


def test_a_bad_partition_fails_the_run_once_and_leaves_nothing(cluster, small_book: Path,  # type: ignore[no-untyped-def]
                                                               tmp_path: Path) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(small_book, broken)
    (broken / "answers" / "part-00001.parquet").write_bytes(b"junk")
    result = runner.invoke(app, ["book", "run", str(broken), "--out", str(tmp_path / "o"),
                                 "--engine", "dask", "--scheduler", cluster.scheduler_address])
    assert result.exit_code == 2
    assert "answers/part-00001.parquet" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken"]


def test_unreachable_scheduler_is_one_line(small_book: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["book", "run", str(small_book), "--out", str(tmp_path / "o"),
                                 "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "tcp://127.0.0.1:9" in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_killed_worker_the_job_still_completes(cluster, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    book = tmp_path_factory.mktemp("kill") / "book"
    synth_book(SynthRequest(12_000, book, seed=3, partitions=KILL_BOOK_PARTITIONS))
    reference = book.parent / "local"
    run_book(RunRequest(book, reference))

    with distributed.Client(cluster) as inspector:
        pids = list(inspector.run(os.getpid).values())
    killed: list[tuple[int, int]] = []

    def kill_once(outcome) -> None:  # type: ignore[no-untyped-def]
        if not killed:
            os.kill(pids[0], signal.SIGKILL)
            killed.append((pids[0], outcome.partition))

    out = book.parent / "dask"
    seen: list[int] = []
    run_book(RunRequest(book, out, engine="dask", scheduler=cluster.scheduler_address),
             progress=lambda done, total: seen.append(done), on_partition=kill_once)
    # the worker died after the first partition, with the others still to do
    assert killed and seen[0] == 1 and len(seen) == KILL_BOOK_PARTITIONS
    assert folder_bytes(out) == folder_bytes(reference)
    with distributed.Client(cluster) as inspector:  # the nanny replaced the killed process
        inspector.wait_for_workers(2, timeout=60)
        assert killed[0][0] not in inspector.run(os.getpid).values()
