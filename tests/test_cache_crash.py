"""A real ``data import`` killed with SIGKILL at many moments (issue 8): the cache is always
the old one or the new one, never a mix, and the next command leaves no litter."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app
from roboadvisor.data.cache import PriceCache
from roboadvisor.services.market import import_prices
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

TICKERS = [f"T{i:02d}" for i in range(40)]


def price_file(path: Path, tickers: list[str], scale: float, rows: int = 1000) -> Path:
    rng = np.random.default_rng(7)
    index = pd.bdate_range("2015-01-01", periods=rows, name="Date")
    data = {t: scale * 100 * np.exp(np.cumsum(rng.normal(0, 0.01, rows))) for t in tickers}
    pd.DataFrame(data, index=index).to_csv(path, float_format="%.6f")
    return path


def state(root: Path) -> dict[str, tuple[int, float]]:
    """Each cached ticker's row count and last price (what a reader would get)."""
    cache = PriceCache(root)
    entries, bad = cache.entries()
    assert not bad, bad
    return {e.ticker: (e.rows, round(float(cache.read(e.ticker).iloc[-1]), 4)) for e in entries}


def litter(root: Path) -> list[str]:
    """Anything besides the link, the lock file and the generation the link names (holding
    only ticker files)."""
    link = root / "prices"
    current = os.readlink(link) if link.is_symlink() else "prices"
    extra = [p.name for p in root.iterdir() if p.name not in {"prices", ".lock", current}]
    extra += [f"{current}/{p.name}" for p in (root / current).iterdir()
              if p.suffix != ".parquet" or p.name.startswith(".")]
    return extra


def start_import(file: Path, root: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "roboadvisor", "data", "import", str(file),
                             "--cache-dir", str(root)], cwd=REPO_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_kill_9_at_any_moment_leaves_the_old_or_the_new_cache(tmp_path: Path) -> None:
    old_file = price_file(tmp_path / "old.csv", TICKERS[:30], 1.0)
    new_file = price_file(tmp_path / "new.csv", TICKERS, 2.0)
    base = tmp_path / "base"
    import_prices(old_file, cache_dir=base)
    old = state(base)
    reference = tmp_path / "reference"
    shutil.copytree(base, reference, symlinks=True)
    import_prices(new_file, cache_dir=reference)
    new = state(reference)
    assert old != new and set(old) < set(new)

    began = time.perf_counter()
    assert start_import(new_file, tmp_path / "timing").wait(timeout=120) == 0
    full = time.perf_counter() - began

    # moments spread over the whole run, then moments right after the new generation appears
    plans: list[tuple[str, float]] = [("time", full * k / 10) for k in range(2, 13, 2)]
    plans += [("generation", d) for d in (0.0, 0.003, 0.01, 0.03, 0.1)]
    seen = {"old": 0, "new": 0}
    for i, (trigger, delay) in enumerate(plans):
        root = tmp_path / f"run{i}"
        shutil.copytree(base, root, symlinks=True)
        gens_before = {p.name for p in root.iterdir() if p.name.startswith("gen-")}
        proc = start_import(new_file, root)
        if trigger == "generation":
            deadline = time.perf_counter() + 60
            while proc.poll() is None and time.perf_counter() < deadline:
                if {p.name for p in root.iterdir() if p.name.startswith("gen-")} - gens_before:
                    break
                time.sleep(0.0005)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        # the next command: data status verifies, tidies, and says the cache is usable
        result = CliRunner().invoke(app, ["data", "status", "--json", "--cache-dir", str(root)],
                                    color=False)
        assert result.exit_code == 0, result.output
        now = state(root)
        assert now in (old, new), f"mixed cache after a kill at {trigger}+{delay:.3f}s"
        seen["old" if now == old else "new"] += 1
        assert litter(root) == [], f"litter after a kill at {trigger}+{delay:.3f}s"
    assert seen["old"] > 0 and seen["new"] > 0, seen


def test_a_second_import_is_refused_while_one_holds_the_lock(tmp_path: Path) -> None:
    from filelock import FileLock

    file = price_file(tmp_path / "p.csv", TICKERS[:3], 1.0, rows=100)
    root = tmp_path / "c"
    root.mkdir()
    with FileLock(str(root / ".lock")):
        result = CliRunner().invoke(app, ["data", "import", str(file), "--cache-dir",
                                          str(root)], color=False)
    assert result.exit_code == 1
    assert "another roboadvisor command is writing the price cache" in result.output
    assert state(root) == {}
    assert CliRunner().invoke(app, ["data", "import", str(file), "--cache-dir",
                                    str(root)]).exit_code == 0
    assert set(state(root)) == set(TICKERS[:3])


def test_status_reports_a_broken_link_and_removes_leftovers(tmp_path: Path) -> None:
    file = price_file(tmp_path / "p.csv", TICKERS[:2], 1.0, rows=100)
    root = tmp_path / "c"
    import_prices(file, cache_dir=root)
    (root / "gen-000099").mkdir()
    (root / "gen-000099" / "T00.parquet").write_bytes(b"half")
    result = CliRunner().invoke(app, ["data", "status", "--cache-dir", str(root)], color=False)
    assert result.exit_code == 0 and "removed 1 leftover" in result.output
    assert litter(root) == []
    target = os.readlink(root / "prices")
    shutil.rmtree(root / target)
    result = CliRunner().invoke(app, ["data", "status", "--cache-dir", str(root)], color=False)
    assert "which is missing" in result.output


def test_a_cache_of_the_previous_layout_becomes_a_generation(tmp_path: Path) -> None:
    """A cache written before generations (``prices`` a plain folder) keeps its tickers."""
    first = price_file(tmp_path / "a.csv", TICKERS[:3], 1.0, rows=100)
    new = tmp_path / "new"
    import_prices(first, cache_dir=new)
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    shutil.copytree(new / "prices", legacy / "prices")  # the files, not the link
    assert not (legacy / "prices").is_symlink()
    before = state(legacy)
    second = price_file(tmp_path / "b.csv", TICKERS[2:4], 3.0, rows=50)
    import_prices(second, cache_dir=legacy)
    after = state(legacy)
    assert {t: after[t] for t in TICKERS[:2]} == {t: before[t] for t in TICKERS[:2]}
    assert after[TICKERS[2]][0] == 50 and set(after) == set(TICKERS[:4])
    assert (legacy / "prices").is_symlink() and litter(legacy) == []
