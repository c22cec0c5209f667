"""`roboadvisor report`: the page's sections, its self-containment, escaping and JSON."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app
from roboadvisor.reports.html import render_report
from roboadvisor.reports.views import Holding
from roboadvisor.services.project import ProjectionRequest
from roboadvisor.services.report import ReportRequest, build_report
from tests.synthetic_prices import write_synthetic_prices

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[1] / "questionnaires" / "examples"


@pytest.fixture(scope="module")
def prices(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_prices(tmp_path_factory.mktemp("prices") / "prices.csv")


def _report(tmp_path: Path, *args: str) -> tuple[str, dict]:
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", "--out", str(out), "--paths", "1000", *args,
                                 "--json"])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8"), json.loads(result.stdout)


def test_every_section_with_prices(tmp_path: Path, prices: Path) -> None:
    html, data = _report(tmp_path, "--answers", str(EXAMPLES / "tier4_growth.yaml"),
                         "--prices", str(prices), "--goal", "300000", "--years", "10")
    for section in ("profile", "portfolio", "why", "history", "projection", "costs",
                    "limits", "audit"):
        assert f'<section id="{section}"' in html, section
    assert data["backtest"]["benchmark"] == "AOR"
    assert data["audit_key"] in html and len(data["audit_key"]) == 64
    assert data["projection"]["bad_year_model"] == "bootstrap"
    assert html.count("<svg") == 4
    assert "@media print" in html


def test_page_needs_nothing_from_outside(tmp_path: Path) -> None:
    html, _ = _report(tmp_path, "--tier", "3")
    assert "<script" not in html and "<link" not in html and "<img" not in html
    assert not re.search(r"\b(src|href)\s*=", html)
    assert not re.search(r"url\(", html)
    assert '<section id="history"' not in html  # no prices: no backtest, said in the notes
    assert "No backtest on real history" in html


def test_texts_are_escaped() -> None:
    view = build_report(ReportRequest(tier=3, projection=ProjectionRequest(amount=1000,
                                                                           paths=200)))
    evil = Holding("EVIL", "<script>alert(1)</script>", "equity", "us", 0.1, 0.001, "R3", 0.1)
    portfolio = dataclasses.replace(view.portfolio,
                                    holdings=(*view.portfolio.holdings, evil))
    html = render_report(dataclasses.replace(view, portfolio=portfolio))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_chinese_report(tmp_path: Path) -> None:
    html, data = _report(tmp_path, "--tier", "2", "--lang", "zh")
    assert '<html lang="zh-CN">' in html and "投资建议书" in html
    assert data["lang"] == "zh"


def test_bad_out_and_bad_choice_exit_2(tmp_path: Path) -> None:
    bad = runner.invoke(app, ["report", "--tier", "3", "--out", str(tmp_path / "r.pdf")])
    assert bad.exit_code == 2 and ".html" in bad.output
    both = runner.invoke(app, ["report", "--tier", "3", "--answers",
                               str(EXAMPLES / "tier3_balanced.yaml"),
                               "--out", str(tmp_path / "r.html")])
    assert both.exit_code == 2 and "one of the two" in both.output
    assert not (tmp_path / "r.html").exists()
