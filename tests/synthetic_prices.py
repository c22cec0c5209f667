"""A seeded synthetic daily price file covering the default universe and the tier
benchmarks (for report and projection tests that must run without the shared data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from roboadvisor.data.universe_file import load_universe

BENCHMARKS = ("AOK", "AOM", "AOR", "AOA")


def write_synthetic_prices(path: Path, start: str = "2012-01-02", end: str = "2021-12-31",
                           seed: int = 13) -> Path:
    """Geometric random walks (about 2-18% volatility a year) for every ticker."""
    tickers = [*load_universe(None).tickers, *BENCHMARKS]
    days = pd.bdate_range(start, end)
    rng = np.random.default_rng(seed)
    vols = np.linspace(0.02, 0.18, len(tickers)) / np.sqrt(252)
    common = rng.normal(0, 1, size=(days.size, 1))
    own = rng.normal(0, 1, size=(days.size, len(tickers)))
    steps = 0.0002 + vols * (0.6 * common + 0.8 * own)
    frame = pd.DataFrame(50 * np.exp(np.cumsum(steps, axis=0)), index=days, columns=tickers)
    frame.index.name = "Date"
    frame.to_csv(path, float_format="%.6f")
    return path
