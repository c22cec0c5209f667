"""Benchmark: the book at scale (run on demand, not collected by pytest).

    python tests/benchmarks/bench_batch.py [--accounts N] [--partitions P] [--workers W]
                                          [--skip-dask] [--keep DIR]

1. Scoring 1,000,000 answer sets with ``score_batch`` (best of 3; goal <= 1 s), against the
   per-client path (``score_answers`` on each answer set, timed on 10,000 and extrapolated);
   the 10,000 are checked equal.
2. ``book run`` on a synthetic book of N accounts (default 1,000,000) x 17 ETFs, parquet in and
   out, each engine in its own process through the CLI: wall time (the command's own timer,
   which excludes interpreter start-up), peak resident memory of the largest process, and
   throughput per worker for Dask (so that scaling can be projected). Goals (issue 12): local
   <= 30 s and <= 6 GB; Dask with 2 workers within 1.5x of local. Also the ratio against the
   per-account Python path (score_answers + a dict-based drift screen per account, timed on
   10,000 accounts and extrapolated) and against a pandas groupby-apply of the drift screen
   (timed on 10,000 accounts and extrapolated). Outputs of both engines are checked
   byte-identical. Dask is timed twice: with its own LocalCluster (start-up included) and on
   a cluster already running (``--scheduler``), to separate start-up from throughput.

Prints the figures and ratios; exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # this checkout's package, whatever the installed one is
SAMPLE = 10_000


def bench_scoring() -> bool:
    from roboadvisor.domain.scoring import score_answers
    from roboadvisor.domain.scoring_batch import score_batch, scoring_tables
    from roboadvisor.services.assess import get_questionnaire

    q = get_questionnaire()
    tables = scoring_tables(q)
    rng = np.random.default_rng(1)
    codes = (rng.random((1_000_000, len(q.questions))) * tables.n_options).astype(np.int8)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        batch = score_batch(tables, codes)
        times.append(time.perf_counter() - start)
    vectorised = min(times)
    sample = [{qq.id: qq.option_ids[c] for qq, c in zip(q.questions, row, strict=True)}
              for row in codes[:SAMPLE]]
    start = time.perf_counter()
    profiles = [score_answers(q, a) for a in sample]
    per_client = (time.perf_counter() - start) / SAMPLE * len(codes)
    assert [int(p.tier) for p in profiles] == batch.tier[:SAMPLE].tolist()
    assert [p.combined_score for p in profiles] == batch.combined[:SAMPLE].tolist()
    ok = vectorised <= 1.0
    print("1. scoring 1,000,000 answer sets")
    print(f"   vectorised (best of 3):          {vectorised:8.3f} s   goal <= 1 s "
          f"{'OK' if ok else 'MISSED'}")
    print(f"   per-client path (extrapolated):  {per_client:8.1f} s   "
          f"ratio {per_client / vectorised:,.0f}x")
    return ok


def _cli(args: list[str]) -> tuple[dict, float, float]:  # type: ignore[type-arg]
    """Run the CLI in a child; its JSON, wall time and the peak RSS (GB) of its largest
    process (RUSAGE_CHILDREN of a wrapper that runs nothing else)."""
    wrapper = ("import resource, subprocess, sys\n"
               "r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)\n"
               "sys.stdout.buffer.write(r.stdout)\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
               "sys.exit(r.returncode)")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-m", "roboadvisor",
                           *args, "--json"], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(args)}\n{proc.stderr[-2000:]}")
    peak_kb = int(proc.stderr.strip().splitlines()[-1])
    return json.loads(proc.stdout), wall, peak_kb / 1024 ** 2


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def per_account_reference(book: Path) -> tuple[float, float]:
    """Seconds per account of (a) the per-account Python path and (b) a pandas groupby-apply
    of the drift screen, both on the first partition's first SAMPLE accounts."""
    import pandas as pd
    import pyarrow.parquet as pq

    from roboadvisor.data.universe_file import load_universe
    from roboadvisor.domain.models import Tier
    from roboadvisor.domain.scoring import score_answers
    from roboadvisor.services.assess import get_questionnaire
    from roboadvisor.services.batch import tier_targets

    manifest = json.loads((book / "book.json").read_text())
    prices = manifest["prices"]["values"]
    universe = load_universe(None)
    targets = tier_targets(universe)
    target_of = {Tier(k + 1): dict(zip(universe.tickers, targets[k], strict=True))
                 for k in range(5)}
    q = get_questionnaire()
    accounts = pq.read_table(book / "accounts" / "part-00000.parquet").to_pandas().head(SAMPLE)
    keep = set(accounts["account_id"])
    holdings = pq.read_table(book / "holdings" / "part-00000.parquet").to_pandas()
    holdings = holdings[holdings["account_id"].isin(keep)]
    answers = pq.read_table(book / "answers" / "part-00000.parquet").to_pandas()
    answers = answers[answers["account_id"].isin(keep)].set_index("account_id")["options"]
    by_account = {a: dict(zip(g["ticker"], g["shares"], strict=True))
                  for a, g in holdings.groupby("account_id")}

    start = time.perf_counter()
    for row in accounts.itertuples():
        chosen = {qq.id: qq.option_ids[c] for qq, c in zip(q.questions, answers[row.account_id],
                                                          strict=True)}
        tier = score_answers(q, chosen).tier
        held = by_account.get(row.account_id, {})
        value = sum(s * prices[t] for t, s in held.items()) + row.cash
        target = target_of[tier]
        _drift = 0.5 * (sum(abs(held.get(t, 0.0) * prices[t] / value - w)
                            for t, w in target.items()) + row.cash / value)
    python_path = (time.perf_counter() - start) / len(accounts)

    tier_of = accounts.set_index("account_id")["tier"]
    cash_of = accounts.set_index("account_id")["cash"]
    frame = holdings.assign(value=holdings["shares"] * holdings["ticker"].map(prices))

    def drift(g: pd.DataFrame) -> float:
        a = g.name
        total = g["value"].sum() + cash_of[a]
        w = pd.Series(g["value"].to_numpy() / total, index=g["ticker"].to_numpy())
        t = pd.Series(target_of[Tier(int(tier_of[a]))])
        return 0.5 * ((w.reindex(t.index, fill_value=0.0) - t).abs().sum()
                      + cash_of[a] / total)

    start = time.perf_counter()
    frame.groupby("account_id").apply(drift, include_groups=False)
    groupby_apply = (time.perf_counter() - start) / len(accounts)
    return python_path, groupby_apply


def bench_run(accounts: int, partitions: int | None, workers: int, skip_dask: bool,
              keep: Path | None) -> bool:
    work = keep or Path(tempfile.mkdtemp(prefix="bench_batch_"))
    book = work / f"book_{accounts}"
    if not book.exists():
        args = ["book", "synth", "--accounts", str(accounts), "--out", str(book), "--seed", "1"]
        if partitions:
            args += ["--partitions", str(partitions)]
        synth, _wall, peak = _cli(args)
        print(f"   synth: {accounts:,} accounts in {synth['partitions']} partitions, "
              f"{synth['seconds']:.1f} s, peak {peak:.2f} GB")
    ok = True
    local_out = work / f"local_{os.getpid()}"
    record, _wall, local_peak = _cli(["book", "run", str(book), "--out", str(local_out)])
    local = record["seconds"]
    n = record["summary"]["accounts"]
    print(f"2. book run on {n:,} accounts x 17 ETFs (parquet in and out)")
    good = local <= 30 and local_peak <= 6
    ok &= good
    print(f"   local: {local:8.2f} s  {n / local:,.0f} accounts/s  peak {local_peak:.2f} GB   "
          f"goal <= 30 s and <= 6 GB {'OK' if good else 'MISSED'}")
    python_path, groupby_apply = per_account_reference(book)
    print(f"   per-account Python path (extrapolated from {SAMPLE:,}): "
          f"{python_path * n:8.1f} s   ratio {python_path * n / local:,.0f}x")
    print(f"   pandas groupby-apply drift (extrapolated from {SAMPLE:,}): "
          f"{groupby_apply * n:8.1f} s   ratio {groupby_apply * n / local:,.0f}x")
    if not skip_dask:
        dask_out = work / f"dask_{os.getpid()}"
        record, _wall, dask_peak = _cli(["book", "run", str(book), "--out", str(dask_out),
                                         "--engine", "dask", "--workers", str(workers)])
        secs = record["seconds"]
        good = secs <= 1.5 * local
        ok &= good
        same = _folder_bytes(dask_out) == _folder_bytes(local_out)
        ok &= same
        print(f"   dask ({workers} workers): {secs:8.2f} s  ratio to local {secs / local:.2f} "
              f"(goal <= 1.5 {'OK' if good else 'MISSED'})  "
              f"{n / secs / workers:,.0f} accounts/s per worker  "
              f"peak {dask_peak:.2f} GB (largest process)")
        print(f"   outputs byte-identical to local: {same}")
        import logging

        from distributed import LocalCluster

        with LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                          dashboard_address=None, silence_logs=logging.CRITICAL) as cluster:
            warm_out = work / f"dask_warm_{os.getpid()}"
            record, _wall, _peak = _cli(["book", "run", str(book), "--out", str(warm_out),
                                         "--engine", "dask", "--scheduler",
                                         cluster.scheduler_address])
        warm = record["seconds"]
        print(f"   dask on a running cluster (--scheduler, no start-up): {warm:8.2f} s  "
              f"ratio to local {warm / local:.2f}  {n / warm / workers:,.0f} accounts/s "
              "per worker")
    if keep is None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--keep", type=Path, default=None,
                        help="work folder to keep (and reuse) the synthetic book")
    args = parser.parse_args()
    ok = bench_scoring()
    ok &= bench_run(args.accounts, args.partitions, args.workers, args.skip_dask, args.keep)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
