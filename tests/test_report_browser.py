"""The report in a real browser: headless Chromium driven by Playwright.

No console errors, no request leaving the page, every chart drawn, the key figures on the
page equal to the JSON ones, a screenshot kept as an artefact (pytest's tmp dir; its path is
printed). Skipped only when there is no Chromium binary.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app
from tests.conftest import REAL_DAILY_PRICES
from tests.synthetic_prices import write_synthetic_prices

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
EXAMPLES = Path(__file__).resolve().parents[1] / "questionnaires" / "examples"
runner = CliRunner()

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and shutil.which("chromium") is None,
    reason="no Chromium binary (/usr/bin/chromium); .ci/run installs Debian's chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=ARGS)
        yield b
        b.close()


def _prices(tmp_path: Path) -> Path:
    if REAL_DAILY_PRICES.is_file():
        return REAL_DAILY_PRICES
    return write_synthetic_prices(tmp_path / "prices.csv")


def _make(tmp_path: Path, lang: str) -> tuple[Path, dict]:
    out = tmp_path / f"report_{lang}.html"
    result = runner.invoke(app, [
        "report", "--answers", str(EXAMPLES / "tier4_growth.yaml"), "--out", str(out),
        "--prices", str(_prices(tmp_path)), "--amount", "100000", "--monthly", "1000",
        "--years", "25", "--goal", "1000000", "--paths", "2000", "--lang", lang, "--json"])
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def _open(browser: object, path: Path) -> tuple[object, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1000, "height": 1200})  # type: ignore[attr-defined]
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        if url.startswith(("file:", "data:")):
            r.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(url)
            r.abort()  # type: ignore[attr-defined]

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, outside


JS_SAME_AS_MISSING = """(text) => {
  const font = getComputedStyle(document.querySelector('h1')).font;
  const draw = (t) => {
    const c = document.createElement('canvas'); c.width = 400; c.height = 60;
    const g = c.getContext('2d'); g.font = font; g.fillText(t, 0, 45);
    return Array.from(g.getImageData(0, 0, 400, 60).data).join(',');
  };
  const missing = Array.from(text).map((_, i) => String.fromCharCode(0xE000 + i)).join('');
  return draw(text) === draw(missing);
}"""


def _pct(x: float, digits: int = 1) -> str:
    return f"{x * 100:.{digits}f}%"


def test_english_report_in_chromium(browser: object, tmp_path: Path) -> None:
    path, data = _make(tmp_path, "en")
    page, errors, outside = _open(browser, path)
    assert errors == [] and outside == []
    charts = page.query_selector_all("svg.chart")  # type: ignore[attr-defined]
    assert len(charts) == 4  # classes, risk, history, projection
    for chart in charts:
        box = chart.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50
        drawn = chart.query_selector_all("rect.bar, polyline.line, polygon.band")
        assert drawn, chart.get_attribute("id")

    def text(key: str) -> str:
        return page.inner_text(f'[data-key="{key}"]').strip()  # type: ignore[attr-defined]

    pf, pr, pro = data["portfolio"], data["projection"], data["profile"]
    assert text("expected_return") == _pct(pf["expected_return"])
    assert text("volatility") == _pct(pf["volatility"])
    assert text("tolerance_score") == f"{pro['tolerance_score']:.1f}"
    assert text("capacity_score") == f"{pro['capacity_score']:.1f}"
    assert text("tier") == str(pf["tier"]) == "4"
    assert text("goal_probability") == _pct(pr["goal_probability"], 0)
    assert text("saving_needed") == f"{pr['saving_needed']:,.0f}"
    assert text("final_median") == f"{pr['bands'][-1]['p50']:,.0f}"
    assert text("fund_cost") == _pct(pr["fund_cost"], 2)
    assert text("backtest_cagr") == _pct(data["backtest"]["cagr"])
    assert text("audit_key") == data["audit_key"]
    for h in pf["holdings"]:
        assert text(f"weight-{h['ticker']}") == _pct(h["weight"])
    shot = tmp_path / "report_en.png"
    page.screenshot(path=str(shot), full_page=True)  # type: ignore[attr-defined]
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
    # Print to PDF works (the print stylesheet gives pages, not an error).
    pdf = page.pdf(format="A4")  # type: ignore[attr-defined]
    assert pdf[:4] == b"%PDF"


def test_chinese_report_renders_cjk(browser: object, tmp_path: Path) -> None:
    path, data = _make(tmp_path, "zh")
    page, errors, outside = _open(browser, path)
    assert errors == [] and outside == []
    assert page.inner_text("h1").strip() == "投资建议书"  # type: ignore[attr-defined]
    # Drawn with real glyphs, not the missing-glyph box: the heading's characters, drawn in
    # the page's font on a canvas, differ from private-use characters no font has.
    same = page.evaluate(JS_SAME_AS_MISSING, "投资建议书")  # type: ignore[attr-defined]
    assert same is False
    assert page.inner_text('[data-key="goal_probability"]').strip() == _pct(  # type: ignore[attr-defined]
        data["projection"]["goal_probability"], 0)
    shot = tmp_path / "report_zh.png"
    page.screenshot(path=str(shot), full_page=True)  # type: ignore[attr-defined]
    print(f"screenshot: {shot}")
