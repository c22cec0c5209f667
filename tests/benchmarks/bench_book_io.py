"""Benchmark: `book import` and `book export` of a synthetic book (run on demand, not collected
by pytest).

    python tests/benchmarks/bench_book_io.py [--accounts N] [--skip-pg] [--keep DIR]

Writes a synthetic book of N accounts (default 100,000), then through the CLI (each command in
its own process, its own timer, which excludes interpreter start-up): imports it into a fresh
SQLite file and into a throwaway PostgreSQL server (initdb'ed in a temporary folder, Unix
socket only, as the book tests do), exports each database back, and checks that the exported
books hold the same accounts. Prints wall and CPU seconds and rows per second of each step and
the PostgreSQL/SQLite ratio. The machine's load average is printed too: figures are only
comparable within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str, env: dict[str, str]) -> tuple[dict, float]:  # type: ignore[type-arg]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-m", "roboadvisor", *args, "--json"], cwd=REPO,
                          env=env, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed: {done.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(done.stdout), cpu


def _pg_server(root: Path) -> str | None:
    bindir = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
    if bindir is None or not (bindir / "pg_ctl").exists():
        return None
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    subprocess.run([*as_pg, str(bindir / "initdb"), "-D", str(root / "data"), "-A", "trust",
                    "-U", "postgres", "--no-sync", "-E", "UTF8"], check=True,
                   capture_output=True)
    subprocess.run([*as_pg, str(bindir / "pg_ctl"), "-D", str(root / "data"), "-o",
                    f"-k {root} -c listen_addresses=''", "-l", str(root / "log"), "-w",
                    "start"], check=True, capture_output=True)
    subprocess.run([*as_pg, str(bindir / "createdb"), "-h", str(root), "-U", "postgres",
                    "book"], check=True, capture_output=True)
    return f"postgresql+psycopg://postgres@/book?host={root}"


def _stop_pg(root: Path) -> None:
    bindir = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))))
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*as_pg, str(bindir / "pg_ctl"), "-D", str(root / "data"), "-m", "fast",
                    "stop"], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-book-io-"))
    env = {**os.environ, "XDG_DATA_HOME": str(work / "xdg")}
    env.pop("ROBOADVISOR_DB", None)
    pg_root = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    try:
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        synth, _ = _cli("book", "synth", "--accounts", str(args.accounts), "--out",
                        str(work / "synth"), "--seed", "1", env=env)
        print(f"synth {synth['accounts']:,} accounts in {synth['seconds']:.1f} s")
        urls = {"sqlite": f"sqlite:///{work / 'book.sqlite'}"}
        if not args.skip_pg:
            pg = _pg_server(pg_root)
            if pg is None:
                print("PostgreSQL: no pg_ctl found, skipped")
            else:
                urls["postgresql"] = pg
        times: dict[str, dict[str, float]] = {}
        for backend, url in urls.items():
            loaded, cpu_in = _cli("book", "import", str(work / "synth"), "--db", url, env=env)
            out = work / f"export-{backend}"
            exported, cpu_out = _cli("book", "export", "--out", str(out), "--db", url, env=env)
            assert exported["accounts"] == args.accounts, exported
            rows = loaded["positions"] + loaded["records"] + 2 * loaded["accounts"] \
                + loaded["clients"] + loaded["cash_flows"]
            times[backend] = {"import": loaded["seconds"], "export": exported["seconds"]}
            print(f"{backend:10s} import {loaded['seconds']:7.1f} s wall, {cpu_in:6.1f} s CPU "
                  f"({rows:,} rows, {rows / loaded['seconds']:,.0f} rows/s; "
                  f"{loaded['records']:,} records) | export {exported['seconds']:6.1f} s wall, "
                  f"{cpu_out:6.1f} s CPU")
        if len(times) == 2:
            for step in ("import", "export"):
                print(f"PostgreSQL / SQLite {step}: "
                      f"{times['postgresql'][step] / times['sqlite'][step]:.2f}x")
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        if (pg_root / "data").exists():
            _stop_pg(pg_root)
        shutil.rmtree(pg_root, ignore_errors=True)
        if args.keep:
            shutil.move(str(work), args.keep)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
