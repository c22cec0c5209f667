"""--lang zh shows file-reading errors, number/field errors and tables in Chinese (issue 8).
Expected texts are built from the catalog (``t(key, Lang.ZH, ...)``), never copied output."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app
from roboadvisor.reports.i18n import Lang, t

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), color=False, terminal_width=200)
    return result.exit_code, result.output


def test_yaml_reading_errors_in_chinese(tmp_path: Path) -> None:
    aliased = tmp_path / "a.yaml"
    aliased.write_text("answers: &a\n  horizon: *a\n")
    code, out = run("assess", "--answers", str(aliased), "--lang", "zh")
    label = t("files.label_answers_file", Lang.ZH, path=aliased)
    assert code == 2
    assert out.strip() == "错误: " + t("data.in_file", Lang.ZH, path=label,
                                      problem=t("files.alias", Lang.ZH, line=1))
    code, en = run("assess", "--answers", str(aliased))
    assert code == 2 and "anchor or alias" in en and "答案" not in en

    missing = tmp_path / "none.yaml"
    code, out = run("backtest", "run", str(missing), "--lang", "zh")
    assert code == 2 and t("files.not_found", Lang.ZH) in out and str(missing) in out

    deep = tmp_path / "d.json"
    deep.write_text("[" * 40 + "]" * 40)
    code, out = run("backtest", "run", str(deep), "--lang", "zh")
    assert code == 2 and t("files.too_deep", Lang.ZH, depth=32) in out

    broken = tmp_path / "b.yaml"
    broken.write_text("tier: [3\n")
    code, out = run("backtest", "run", str(broken), "--lang", "zh")
    assert code == 2 and "不是有效的 YAML" in out and "第 " in out


def test_number_and_field_errors_in_chinese(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("tier: 3\ncosts:\n  bps: .inf\n")
    code, out = run("backtest", "run", str(config), "--lang", "zh")
    problem = t("files.must_be", Lang.ZH, where="", kind=t("files.kind_finite", Lang.ZH),
                hint="", value="inf")
    assert code == 2
    assert out.strip() == "错误: " + t("files.field", Lang.ZH, path=config, field="costs.bps",
                                      problem=problem)
    config.write_text("tier: 3\ncosts:\n  bps: 5000\n")
    code, out = run("backtest", "run", str(config), "--lang", "zh")
    assert code == 2 and t("files.outside", Lang.ZH, said="5000", lo="0", hi="1000",
                           hint="") in out
    code, en = run("backtest", "run", str(config))
    assert code == 2 and en.strip().endswith("costs.bps: 5000 is outside 0..1000")
    config.write_text("tier: 3\ncash_flows:\n  amount: 500\n")
    code, out = run("backtest", "run", str(config), "--lang", "zh")
    assert code == 2
    assert out.strip() == "错误: " + t("files.field", Lang.ZH, path=config,
                                      field="cash_flows.frequency",
                                      problem=t("files.amount_needs_frequency", Lang.ZH))
    config.write_text("tier: 3\ncosts:\n  bps: 5\n  colour: red\n")
    code, out = run("backtest", "run", str(config), "--lang", "zh")
    problem = t("files.problem_unknown_fields", Lang.ZH, fields="colour",
                allowed="bps, per_asset_bps, fixed")
    assert code == 2
    assert out.strip() == "错误: " + t("files.field", Lang.ZH, path=config, field="costs",
                                      problem=problem)


def test_universe_table_in_chinese() -> None:
    code, out = run("universe", "show", "--lang", "zh")
    assert code == 0
    for key in ("ticker", "name", "class", "region", "expense", "risk", "market_weight"):
        assert t(f"tables.{key}", Lang.ZH) in out
    assert t("tables.ticker", Lang.EN) not in out
    assert t("tables.class_fixed_income", Lang.ZH) in out and "fixed_income" not in out
    assert t("tables.region_developed_ex_us", Lang.ZH) in out
    code, en = run("universe", "show")
    assert code == 0 and "Ticker" in en and "Market wt" in en and "代码" not in en


def test_frontier_table_in_chinese() -> None:
    from roboadvisor.domain.models import Tier
    from roboadvisor.services.assess import tier_label

    code, out = run("frontier", "--points", "4", "--lang", "zh")
    assert code == 0, out
    for key in ("volatility", "expected_return", "sharpe", "frontier_same_risk"):
        assert t(f"tables.{key}", Lang.ZH) in out
    assert t("tables.frontier_title", Lang.ZH, count=4) in out
    assert t("tables.tier_label", Lang.ZH, k=3, name=tier_label(Tier(3), "zh")) in out
    assert t("tables.frontier_note", Lang.ZH) in " ".join(out.split())
    assert "Expected return" not in out and "Efficient frontier" not in out
    code, en = run("frontier", "--points", "4")
    assert code == 0 and "Efficient frontier · 4 points" in en and "波动率" not in en


def _prices(tmp_path: Path) -> Path:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    index = pd.bdate_range("2018-01-01", "2020-12-31", name="Date")
    tickers = ["VTI", "BND", "GLD"]
    values = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, (len(index), 3)), axis=0))
    path = tmp_path / "p.csv"
    pd.DataFrame(values, index=index, columns=tickers).to_csv(path, float_format="%.4f")
    return path


def test_backtest_tables_in_chinese(tmp_path: Path) -> None:
    prices = _prices(tmp_path)
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("name: A\nweights: {VTI: 0.6, BND: 0.4}\nbenchmark: GLD\n")
    b.write_text("name: B\nweights: {VTI: 0.3, GLD: 0.7}\nbenchmark: none\n")
    code, out = run("backtest", "run", str(a), "--prices", str(prices), "--lang", "zh")
    assert code == 0, out
    for key in ("tables.bt_performance", "tables.bt_metric", "tables.bt_max_drawdown",
                "tables.bt_years_title", "tables.bt_weights", "tables.bt_held_end",
                "tables.bt_benchmark", "suitability.time_weighted", "tables.bt_cagr"):
        assert t(key, Lang.ZH) in out, key
    assert "Performance" not in out and "Max drawdown" not in out
    from roboadvisor.domain.backtest import CashFlowPlan

    initial = CashFlowPlan().initial  # the configs give no cash_flows
    assert t("tables.bt_initial", Lang.ZH, value=f"{initial:,.0f}") in out
    assert t("tables.bt_no_costs", Lang.ZH) in out
    code, out = run("backtest", "compare", str(a), str(b), "--prices", str(prices),
                    "--lang", "zh")
    assert code == 0, out
    for key in ("tables.bt_comparison", "tables.bt_rule", "tables.bt_costs",
                "tables.bt_sortino", "tables.bt_best_year"):
        assert t(key, Lang.ZH) in out, key
    assert t("tables.bt_every_strategy", Lang.ZH) in out
    code, en = run("backtest", "compare", str(a), str(b), "--prices", str(prices))
    assert code == 0 and "Backtest comparison" in en and "Note: every strategy:" in en


def test_backtest_warnings_and_coverage_errors_in_chinese(tmp_path: Path) -> None:
    import pandas as pd

    prices = _prices(tmp_path)
    frame = pd.read_csv(prices, index_col=0)
    frame.loc[frame.index < "2019-01-01", "GLD"] = None  # GLD starts late
    frame.to_csv(prices)
    first_gld = frame["GLD"].first_valid_index()
    a = tmp_path / "a.yaml"
    a.write_text("name: A\nweights: {VTI: 0.6, BND: 0.4}\nbenchmark: GLD\n")
    code, out = run("backtest", "run", str(a), "--prices", str(prices), "--lang", "zh")
    assert code == 0, out
    assert t("market.benchmark_starts_late", Lang.ZH, ticker="GLD", day=first_gld) in out
    b = tmp_path / "b.yaml"
    b.write_text("name: B\nweights: {VTI: 0.5, GLD: 0.5}\nbenchmark: none\n")
    code, out = run("backtest", "run", str(b), "--prices", str(prices), "--start",
                    "2018-06-01", "--lang", "zh")
    assert code == 2
    names = t("market.first_price_of", Lang.ZH, ticker="GLD", day=first_gld)
    assert out.strip() == "错误: " + t("market.start_before_first", Lang.ZH, start="2018-06-01",
                                      names=names, use=first_gld, drop="GLD")
    code, en = run("backtest", "run", str(b), "--prices", str(prices), "--start", "2018-06-01")
    assert code == 2 and f"GLD (first price {first_gld})" in en


def _policies(tmp_path: Path, old: str, new: str) -> Path:
    from roboadvisor.data.policy_file import DEFAULT_POLICIES

    text = DEFAULT_POLICIES.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "policies.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_policy_field_and_infeasibility_errors_in_chinese(tmp_path: Path) -> None:
    sums = _policies(tmp_path, "fixed_income: [0.30, 0.70]", "fixed_income: [0.80, 0.90]")
    code, out = run("allocate", "--tier", "1", "--policies", str(sums), "--lang", "zh")
    where = t("files.where_tier", Lang.ZH, path=sums, k=1)
    assert code == 2
    assert out.strip() == "错误: " + t("files.minimums_sum", Lang.ZH, where=where,
                                      name="class_bounds", total="1.1")
    china = _policies(tmp_path, "china: [0.0, 0.0]", "china: [0.3, 0.4]")
    code, out = run("allocate", "--tier", "1", "--policies", str(china), "--lang", "zh")
    assert code == 2
    from roboadvisor.services.market import get_universe

    who = t("constraints.who_tier", Lang.ZH, k=1)
    reach = sum(a.max_weight for a in get_universe(None).assets if a.region.value == "china")
    expected = t("constraints.group_reach_low", Lang.ZH, who=who, min="30.0%", label="china",
                 reach=f"{reach:.1%}", kind=t("constraints.kind_region", Lang.ZH))
    assert out.strip() == "错误: " + expected
    code, en = run("allocate", "--tier", "1", "--policies", str(china))
    assert code == 2 and en.startswith("error: tier 1 requires at least 30.0% china")


def test_cache_errors_in_chinese(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "cache"
    not_a_dir.write_text("")
    code, out = run("data", "status", "--cache-dir", str(not_a_dir), "--lang", "zh")
    assert code == 2
    assert out.strip() == "错误: " + t("cache.root_is_file", Lang.ZH, root=not_a_dir)
    code, en = run("data", "status", "--cache-dir", str(not_a_dir))
    assert code == 2 and "is a file, not a directory" in en


@pytest.mark.realdata
def test_views_and_option_errors_in_chinese(tmp_path: Path, real_prices_csv: Path) -> None:
    views = tmp_path / "v.yaml"
    views.write_text("views:\n  - {asset: VTI, versus: VTI, outperformance: 0.01}\n")
    code, out = run("allocate", "--tier", "3", "--views", str(views), "--lang", "zh")
    assert code == 2 and out.strip() == "错误: " + t("files.views_need_history", Lang.ZH)
    code, out = run("allocate", "--tier", "3", "--views", str(views), "--source", "history",
                    "--method", "black-litterman", "--prices", str(real_prices_csv),
                    "--lang", "zh")
    where = t("files.where_view_asset", Lang.ZH, path=views, n=1, asset="VTI")
    assert code == 2
    assert out.strip() == "错误: " + t("files.view_versus_same", Lang.ZH, where=where,
                                      asset="VTI")


def test_risk_free_file_errors_in_chinese(tmp_path: Path) -> None:
    import pandas as pd

    prices = _prices(tmp_path)
    days = pd.bdate_range("2018-01-01", "2020-12-31")
    rf = tmp_path / "rf.csv"
    pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "rate": -0.40}).to_csv(rf, index=False)
    config = tmp_path / "c.yaml"
    config.write_text(f"weights: {{VTI: 1.0}}\nbenchmark: none\nrisk_free: {rf}\n")
    code, out = run("backtest", "run", str(config), "--prices", str(prices), "--lang", "zh")
    from roboadvisor.data.backtest_config import RISK_FREE_RANGE

    lo, hi = RISK_FREE_RANGE
    problem = t("rates.implausible", Lang.ZH, value=f"{-0.40:.2%}", day=days[0].date(),
                lo=f"{lo:.0%}", hi=f"{hi:.0%}", count=len(days))
    assert code == 2
    assert out.strip() == "错误: " + t("data.at_line", Lang.ZH, path=rf, line=2,
                                      problem=problem)


def test_backtest_option_errors_in_chinese(tmp_path: Path) -> None:
    config = tmp_path / "a.yaml"
    config.write_text("weights: {VTI: 1.0}\n")
    code, out = run("backtest", "compare", str(config), str(config), "--lang", "zh")
    assert code == 2
    assert out.strip() == "错误: " + t("market.given_twice", Lang.ZH, path=config, same="")
    missing = tmp_path / "none.csv"
    code, out = run("backtest", "run", str(config), "--prices", str(missing), "--lang", "zh")
    assert code == 2 and out.strip() == "错误: " + t("market.prices_not_found", Lang.ZH,
                                                    path=missing)


def test_price_file_read_errors_in_chinese(tmp_path: Path) -> None:
    prices = tmp_path / "p.csv"
    prices.write_text("Date,VTI,VTI\n2020-01-02,1,2\n")
    code, out = run("data", "import", str(prices), "--cache-dir", str(tmp_path / "c"),
                    "--lang", "zh")
    assert code == 2
    assert out.strip() == "错误: " + t("prices.column_twice", Lang.ZH, path=prices,
                                      ticker="VTI")
    code, out = run("data", "import", str(tmp_path), "--cache-dir", str(tmp_path / "c"),
                    "--lang", "zh")
    assert code == 2 and out.strip() == "错误: " + t("prices.directory", Lang.ZH,
                                                    path=tmp_path)
