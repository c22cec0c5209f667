"""`roboadvisor project` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from roboadvisor.cli.app import app
from roboadvisor.domain.projection import lognormal_wealth_quantiles
from roboadvisor.services.allocate import AllocationRequest, allocate
from roboadvisor.services.project import fund_expense_ratio

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[1] / "questionnaires" / "examples"


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, ["project", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_percentiles_follow_the_portfolio_estimates() -> None:
    data = _json(["--tier", "3", "--amount", "10000", "--years", "10", "--paths", "20000"])
    a = allocate(AllocationRequest(tier=3))
    portfolio = a.allocation
    cost = fund_expense_ratio(a)
    assert data["fund_cost"] == cost
    # Without flows, the median is the lognormal closed form net of the funds' costs.
    median = lognormal_wealth_quantiles(10000, portfolio.expected_return,
                                        portfolio.volatility, 10, np.array([0.5]))[0]
    median *= (1 - cost) ** 10
    assert abs(np.log(data["bands"][-1]["p50"] / median)) < 0.01
    assert [b["year"] for b in data["bands"]] == list(range(11))


def test_same_seed_same_figures_and_goal_answers() -> None:
    args = ["--answers", str(EXAMPLES / "tier4_growth.yaml"), "--amount", "100000",
            "--monthly", "1000", "--years", "25", "--goal", "1000000", "--inflation", "0.02",
            "--paths", "2000", "--seed", "5"]
    first, second = _json(args), _json(args)
    assert first == second
    assert first["tier"] == 4 and 0 < first["goal_probability"] < 1
    assert first["saving_needed"] > 1000  # the goal is less than 80% likely at 1,000
    other = _json([*args[:-1], "6"])
    assert other["bands"] != first["bands"]


def test_text_output_says_the_goal_probability_in_both_languages() -> None:
    args = ["project", "--tier", "2", "--amount", "300000", "--withdraw-monthly", "1500",
            "--years", "30", "--paths", "1000"]
    en = runner.invoke(app, args)
    assert en.exit_code == 0, en.output
    assert "runs out within 30 years" in en.output
    zh = runner.invoke(app, [*args, "--lang", "zh"])
    assert zh.exit_code == 0 and "资金耗尽的概率" in zh.output


def test_plot_writes_a_png(tmp_path: Path) -> None:
    target = tmp_path / "fan.png"
    result = runner.invoke(app, ["project", "--tier", "5", "--amount", "1000", "--years", "5",
                                 "--paths", "500", "--goal", "1500", "--plot", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_options_exit_2_with_what_to_change() -> None:
    for args, words in ((["--tier", "3"], "--amount X"),
                        (["--tier", "3", "--amount", "1", "--model", "garch"], "normal or"),
                        (["--tier", "3", "--amount", "1", "--years", "0"], "1 to 100"),
                        (["--tier", "3", "--amount", "1", "--inflation", "2"], "0.02")):
        result = runner.invoke(app, ["project", *args])
        assert result.exit_code == 2, (args, result.output)
        assert words in result.output


def test_bootstrap_without_prices_names_the_fix() -> None:
    result = runner.invoke(app, ["project", "--tier", "3", "--amount", "1000",
                                 "--model", "bootstrap"])
    assert result.exit_code == 2
    assert "--prices FILE" in result.output


def test_bootstrap_on_real_history(real_prices_csv: Path) -> None:
    data = _json(["--tier", "5", "--amount", "1000", "--years", "5", "--paths", "2000",
                  "--model", "bootstrap", "--prices", str(real_prices_csv)])
    assert data["model"] == "bootstrap" and data["bad_year_model"] == "bootstrap"
    first, last = data["history_window"].split("..")
    assert first < last


def test_bootstrap_on_a_synthetic_history(tmp_path: Path) -> None:
    from tests.synthetic_prices import write_synthetic_prices

    prices = write_synthetic_prices(tmp_path / "prices.csv", start="2015-01-01")
    data = _json(["--tier", "4", "--amount", "1000", "--years", "3", "--paths", "500",
                  "--model", "bootstrap", "--prices", str(prices)])
    assert data["history_window"] == "2015-02..2021-12"
    assert data["model"] == "bootstrap" and data["bad_year_model"] == "bootstrap"


def test_too_short_a_history_is_refused(tmp_path: Path) -> None:
    from tests.synthetic_prices import write_synthetic_prices

    prices = write_synthetic_prices(tmp_path / "prices.csv", start="2020-01-01",
                                    end="2021-06-30")
    result = runner.invoke(app, ["project", "--tier", "4", "--amount", "1000",
                                 "--model", "bootstrap", "--prices", str(prices)])
    assert result.exit_code == 2 and "--model normal" in result.output
