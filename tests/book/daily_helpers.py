"""Helpers of the daily-job tests: a small price file for the default universe, a book with
three drifted accounts and a published model, a lowest-category (C1-lowest) client's answers
and account."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.book.helpers import EXAMPLES, run


def universe_tickers() -> tuple[str, ...]:
    from roboadvisor.services.market import get_universe

    return tuple(get_universe().tickers)


def price_table(days: int, seed: int = 0) -> np.ndarray:
    """days x assets positive prices (a random walk from 20..200)."""
    rng = np.random.default_rng(seed)
    n = len(universe_tickers())
    start = 20 + 180 * rng.random(n)
    steps = np.exp(rng.normal(0.0, 0.02, size=(days, n)))
    steps[0] = 1.0
    return start * np.cumprod(steps, axis=0)


def write_prices(path: Path, table: np.ndarray) -> Path:
    import pandas as pd

    dates = pd.bdate_range("2026-01-05", periods=table.shape[0])
    frame = pd.DataFrame(table, index=dates, columns=list(universe_tickers()))
    frame.to_csv(path, index_label="Date")
    return path


def drifted_book(url: str, tmp_path: Path) -> Path:
    """Clients a (tier 3), b (tier 1), c (tier 5) with accounts A1, B1, C1 holding a few
    funds and cash; model version 1 published from the shipped assumptions. Returns a price
    file (3 days)."""
    for client, answers in (("a", "tier3_balanced"), ("b", "tier1_conservative"),
                            ("c", "tier5_aggressive")):
        run(url, "client", "add", client)
        run(url, "client", "assess", client, "--answers", str(EXAMPLES / f"{answers}.yaml"))
        run(url, "account", "open", f"{client.upper()}1", "--client", client)
    holdings = tmp_path / "holdings.csv"
    holdings.write_text("account,ticker,shares\nA1,VTI,40\nA1,AGG,55\nA1,CASH,1250.5\n"
                        "B1,AGG,120\nB1,CASH,300\nC1,VTI,12\nC1,CASH,5000\n")
    run(url, "account", "import-holdings", str(holdings))
    run(url, "model", "publish", "--note", "first")
    return write_prices(tmp_path / "prices.csv", price_table(3))


def lowest_answers(tmp_path: Path) -> Path:
    """An answers file of the lowest category (C1-lowest: R1 products only, tier 1)."""
    text = (EXAMPLES / "tier1_conservative.yaml").read_text()
    text = text.replace("loss_reaction: hold", "loss_reaction: sell_all")
    text = text.replace("investment_goal: income", "investment_goal: preserve_capital")
    path = tmp_path / "lowest.yaml"
    path.write_text(text)
    return path


def lowest_account(url: str, tmp_path: Path, cash: str = "20000", account: str = "L1",
                   client: str = "low") -> None:
    """Client ``client`` of the lowest category with account ``account`` holding 20 VTI
    (R4), 40 AGG and ``cash``."""
    run(url, "client", "add", client)
    run(url, "client", "assess", client, "--answers", str(lowest_answers(tmp_path)))
    run(url, "account", "open", account, "--client", client)
    holdings = tmp_path / f"{account}.csv"
    holdings.write_text(f"account,ticker,shares\n{account},VTI,20\n{account},AGG,40\n"
                        f"{account},CASH,{cash}\n")
    run(url, "account", "import-holdings", str(holdings))
