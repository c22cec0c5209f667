"""`--plot FILE.png`: equity curves (growth of the initial capital, time-weighted) and
drawdowns. matplotlib is imported here only, with the Agg backend (no display needed). The
picture is drawn in memory; the command writes it with its other outputs, at the end."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from roboadvisor.services.backtest import BacktestRun


def plot_png(runs: Sequence[BacktestRun]) -> bytes:
    """Draw the runs (and the first run's benchmark): the PNG file's bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    from roboadvisor.services.backtest import equity_frame

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1.4]})
    try:
        # A benchmark is drawn for one run, or when every run has the same benchmark.
        bench_drawn = len({r.config.benchmark for r in runs}) > 1
        for run in runs:
            frame = equity_frame(run)
            x = frame.index.to_numpy()
            initial = run.result.initial
            label = run.config.name
            top.plot(x, frame["wealth_index"] * initial, lw=1.4, label=label)
            bottom.plot(x, frame["drawdown"] * 100, lw=1.0, label=label)
            bench_cols = [c for c in frame.columns if c.startswith("benchmark_")]
            if bench_cols and not bench_drawn:
                col = bench_cols[0]
                top.plot(x, frame[col] * initial, lw=1.0, ls="--", color="0.45",
                         label=f"{col.removeprefix('benchmark_')} (benchmark)")
                b = frame[col].to_numpy()
                bottom.plot(x, (b / np.fmax.accumulate(b) - 1) * 100, lw=0.8, ls="--",
                            color="0.45")
                bench_drawn = True
        title = runs[0].config.name if len(runs) == 1 else "Backtest comparison"
        top.set_title(f"{title}: growth of {runs[0].result.initial:,.0f} (time-weighted, "
                      "after costs)")
        top.set_ylabel("value")
        top.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        top.grid(alpha=0.3)
        top.legend(loc="upper left", fontsize=8)
        bottom.set_ylabel("drawdown (%)")
        bottom.grid(alpha=0.3)
        bottom.xaxis.set_major_locator(mdates.AutoDateLocator())
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, dpi=110, format="png")
    finally:
        plt.close(fig)
    return buffer.getvalue()
