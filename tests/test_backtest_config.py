"""Backtest configuration files: the shipped examples load, the rule syntax, and every error
names the file and the field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from roboadvisor.data.backtest_config import (
    TIER_BENCHMARKS,
    TargetMode,
    load_backtest_config,
    load_risk_free_file,
    parse_risk_free,
    parse_rule,
    with_overrides,
)
from roboadvisor.domain.models import Tier
from roboadvisor.domain.rebalancing import Bands, Frequency, RebalanceRule, RuleKind
from roboadvisor.errors import ConfigError
from tests.conftest import REPO_ROOT, SHARED_DATA

SHIPPED = REPO_ROOT / "backtests"


def test_every_shipped_config_loads_without_hard_coded_prices() -> None:
    files = sorted(SHIPPED.glob("*.yaml"))
    names = {f.name for f in files}
    assert {f"tier{t}_quarterly.yaml" for t in range(1, 6)} <= names
    assert {"tier3_bands_5_25.yaml", "tier3_walkforward_monthly.yaml",
            "tier3_buy_and_hold.yaml"} <= names
    for f in files:
        config = load_backtest_config(f)
        assert config.prices is None, f"{f.name} should leave prices to --prices or the cache"
        assert config.tier is not None and config.benchmark == TIER_BENCHMARKS[config.tier]


def test_shipped_rules() -> None:
    bands = load_backtest_config(SHIPPED / "tier3_bands_5_25.yaml")
    assert bands.rule == RebalanceRule.threshold(Bands.five_twenty_five())
    hold = load_backtest_config(SHIPPED / "tier3_buy_and_hold.yaml")
    assert hold.rule.kind is RuleKind.NEVER
    wf = load_backtest_config(SHIPPED / "tier3_walkforward_monthly.yaml")
    assert wf.targets is TargetMode.WALK_FORWARD and wf.walk_forward.window == 252
    q = load_backtest_config(SHIPPED / "tier5_quarterly.yaml")
    assert q.rule == RebalanceRule.calendar(Frequency.QUARTERLY)
    assert q.start == dt.date(2015, 1, 1) and q.cash_flows.initial == 100_000


@pytest.mark.parametrize("text, expected", [
    ("never", RebalanceRule.never()),
    ("buy-and-hold", RebalanceRule.never()),
    ("monthly", RebalanceRule.calendar(Frequency.MONTHLY)),
    ("semi-annual", RebalanceRule.calendar(Frequency.SEMIANNUAL)),
    ("calendar:annual", RebalanceRule.calendar(Frequency.ANNUAL)),
    ("bands:5/25", RebalanceRule.threshold(Bands(0.05, 0.25))),
    ("5/25", RebalanceRule.threshold(Bands(0.05, 0.25))),
    ("bands:abs=0.03", RebalanceRule.threshold(Bands(absolute=0.03))),
    ("bands:rel=20%", RebalanceRule.threshold(Bands(relative=0.2))),
    ("bands:abs=0.03,rel=0.2", RebalanceRule.threshold(Bands(0.03, 0.2))),
    ("drift:0.05", RebalanceRule.drift(0.05)),
    ("quarterly+bands:5/25", RebalanceRule.calendar_bands(Frequency.QUARTERLY, Bands(0.05, 0.25))),
])
def test_rule_short_forms(text: str, expected: RebalanceRule) -> None:
    assert parse_rule(text) == expected


@pytest.mark.parametrize("text", ["weekly", "bands:", "bands:abs=2", "drift:x", "quartely"])
def test_bad_rules_say_what_is_allowed(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rule(text)


def _write(tmp_path: Path, text: str, name: str = "bt.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("body, field", [
    ("tier: 3\nweights: {VTI: 1.0}\n", "either 'tier'"),
    ("rule: monthly\n", "either 'tier'"),
    ("tier: 9\n", "tier:"),
    ("weights: {VTI: 0.6, AGG: 0.3}\n", "weights: sum to 0.9"),
    ("weights: {VTI: 1.2}\n", "weights.VTI"),
    ("tier: 3\nrule: weekly\n", "rule: unknown rule 'weekly'"),
    ("tier: 3\nrule: {type: bands}\n", "rule: bands need"),
    ("tier: 3\nstart: 2020/01/31\n", "start: '2020/01/31' is not a date"),
    ("tier: 3\nstart: 2020-01-01\nend: 2019-01-01\n", "end: 2019-01-01 is not after"),
    ("tier: 3\ncosts: {bps: -1}\n", "costs.bps"),
    ("tier: 3\ncosts: {commission: 1}\n", "costs: unknown field(s) commission"),
    ("tier: 3\ncash_flows: {amount: 100}\n", "cash_flows.frequency"),
    ("tier: 3\ncash_flows: {amount: 1, frequency: monthly}\ncosts: {fixed: 5}\n",
     "cash_flows.amount"),
    ("tier: 3\ncash_flows: {initial: 0}\n", "cash_flows.initial"),
    ("weights: {VTI: 1}\ntargets: walk_forward\n", "targets: walk_forward re-optimises"),
    ("tier: 3\nwalk_forward: {window: 100}\n", "walk_forward: only used"),
    ("tier: 3\ntargets: walk_forward\nwalk_forward: {window: 5}\n", "walk_forward.window"),
    ("tier: 3\nprices: nowhere.csv\n", "prices: nowhere.csv not found"),
    ("tier: 3\nrisk_free: 3\n", "risk_free: annual risk-free rate 3.0"),
    ("tier: 3\nrisk_free: yields.csv\n", "risk_free: yields.csv not found"),
    ("tier: 3\nbenchmark_ticker: AOR\n", "unknown field(s) benchmark_ticker"),
])
def test_config_errors_name_the_file_and_field(tmp_path: Path, body: str, field: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_backtest_config(path)
    assert str(path) in str(info.value)
    assert field in str(info.value)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_backtest_config(tmp_path / "none.yaml")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        load_backtest_config(_write(tmp_path, "tier: [3\n"))


def test_paths_are_relative_to_the_config_file_then_the_cwd(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "configs"
    folder.mkdir()
    (folder / "p.csv").write_text("Date,VTI\n")
    config = load_backtest_config(_write(folder, "tier: 3\nprices: p.csv\n"))
    assert config.prices == folder / "p.csv"
    (tmp_path / "q.csv").write_text("Date,VTI\n")
    monkeypatch.chdir(tmp_path)
    config = load_backtest_config(_write(folder, "tier: 3\nprices: q.csv\n", "b.yaml"))
    assert config.prices is not None and config.prices.resolve() == (tmp_path / "q.csv")


def test_defaults_and_benchmark_choices(tmp_path: Path) -> None:
    c = load_backtest_config(_write(tmp_path, "tier: balanced\n"))
    assert c.tier is Tier.BALANCED and c.benchmark == "AOM" and c.targets is TargetMode.FIXED
    assert c.rule == RebalanceRule.calendar(Frequency.QUARTERLY)
    assert c.costs.is_zero and c.cash_flows.initial == 100_000 and c.risk_free.rate == 0
    assert c.name == "bt"
    c = load_backtest_config(_write(tmp_path, "weights: {vti: 1}\nbenchmark: spy\n"))
    assert c.weights == (("VTI", 1.0),) and c.benchmark == "SPY"
    c = load_backtest_config(_write(tmp_path, "weights: {VTI: 1}\n"))
    assert c.benchmark is None     # 'auto' needs a tier
    c = load_backtest_config(_write(tmp_path, "tier: 5\nbenchmark: none\n"))
    assert c.benchmark is None


def test_an_auto_benchmark_is_marked_best_effort(tmp_path: Path) -> None:
    """``auto`` (also by default) may be left out when it has no prices; a named one may not."""
    assert load_backtest_config(_write(tmp_path, "tier: 3\n")).benchmark_auto
    assert load_backtest_config(_write(tmp_path, "tier: 3\nbenchmark: auto\n")).benchmark_auto
    named = load_backtest_config(_write(tmp_path, "tier: 3\nbenchmark: AOM\n"))
    assert named.benchmark == "AOM" and not named.benchmark_auto


def test_overrides_win_and_are_checked(tmp_path: Path) -> None:
    c = load_backtest_config(_write(tmp_path, "tier: 3\nstart: 2015-01-01\n"))
    c2 = with_overrides(c, end=dt.date(2016, 1, 1), rule=parse_rule("never"), start=None)
    assert c2.start == dt.date(2015, 1, 1) and c2.end == dt.date(2016, 1, 1)
    assert c2.rule.kind is RuleKind.NEVER
    with pytest.raises(ConfigError, match="end: 2014-01-01 is not after start 2015-01-01"):
        with_overrides(c, end=dt.date(2014, 1, 1))


def test_risk_free_constant_or_file(tmp_path: Path) -> None:
    assert parse_risk_free("0.02", None).rate == 0.02
    assert parse_risk_free("2%", None).rate == pytest.approx(0.02)
    path = _write(tmp_path, "Date,IRX_13w_tbill_yield_pct,TNX\n2020-01-03,1.5,1.8\n"
                            "2020-01-02,1.52,1.9\n", "y.csv")
    rf = parse_risk_free(str(path), None)
    dates, rates = load_risk_free_file(rf.path)
    assert dates.tolist() == list(np.array(["2020-01-02", "2020-01-03"], dtype="datetime64[D]"))
    np.testing.assert_allclose(rates, [0.0152, 0.015])
    decimal = _write(tmp_path, "Date,rate\n2020-01-02,0.015\n", "d.csv")
    np.testing.assert_allclose(load_risk_free_file(decimal)[1], [0.015])
    with pytest.raises(ConfigError, match="which column"):
        load_risk_free_file(_write(tmp_path, "Date,a,b\n2020-01-02,1,2\n", "x.csv"))
    # A percent series under a plain header (FRED's DGS3MO) must not become 150% a year.
    with pytest.raises(ConfigError, match=r"DGS3MO .*in percent"):
        load_risk_free_file(_write(tmp_path, "Date,DGS3MO\n2020-01-02,1.5\n", "f.csv"))


def test_the_shared_treasury_file_reads_as_annual_decimals() -> None:
    path = SHARED_DATA / "us_treasury_yields_daily_1976_2026.csv"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    dates, rates = load_risk_free_file(path)
    assert dates[0] == np.datetime64("1976-08-03") and rates[0] == pytest.approx(0.0514)
    assert rates.min() > -0.002 and rates.max() < 0.2
