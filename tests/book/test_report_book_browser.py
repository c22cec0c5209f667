"""The book-backed report in headless Chromium: it renders without console errors or outside
requests, names its own record and the account's total, and matches the record in the book."""

from __future__ import annotations

import json
from pathlib import Path

from tests.book.helpers import EXAMPLES, run
from tests.synthetic_prices import write_synthetic_prices
from tests.test_report_browser import _open, browser, pytestmark  # noqa: F401  (fixture, skip)


def test_book_report_renders_with_its_record_id(browser: object, tmp_path: Path) -> None:  # noqa: F811
    url = f"sqlite:///{tmp_path / 'book.sqlite'}"
    run(url, "client", "add", "alice", "--name", "Alice Example")
    run(url, "client", "assess", "alice", "--answers", str(EXAMPLES / "tier3_balanced.yaml"))
    run(url, "account", "open", "A1", "--client", "alice")
    holdings = tmp_path / "h.csv"
    holdings.write_text("account,ticker,shares\nA1,VTI,10\nA1,AGG,30\nA1,CASH,500\n")
    run(url, "account", "import-holdings", str(holdings))
    prices = write_synthetic_prices(tmp_path / "prices.csv")
    out = tmp_path / "book_report.html"
    data = run(url, "report", "--account", "A1", "--out", str(out), "--prices", str(prices),
               "--paths", "500", "--years", "10", "--goal", "50000", "--json")
    seq = run(url, "records", "list", "--json")[-1]["seq"]
    page, errors, outside = _open(browser, out)
    assert errors == [] and outside == []
    record_cell = page.query_selector('[data-key="report_record"]')  # type: ignore[attr-defined]
    assert record_cell.get_attribute("data-value") == str(seq) == str(
        data["book"]["report_record"])
    assert f"#{seq}" in record_cell.inner_text()
    assert page.inner_text('[data-key="account_total"]').strip() == (  # type: ignore[attr-defined]
        f"{data['book']['holdings']['total']:,.0f}")
    assert "Alice Example" in page.inner_text("#prepared-for")  # type: ignore[attr-defined]
    for chart in page.query_selector_all("svg.chart"):  # type: ignore[attr-defined]
        box = chart.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50
    shot = tmp_path / "book_report.png"
    page.screenshot(path=str(shot), full_page=True)  # type: ignore[attr-defined]
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
    assert "Alice" not in json.dumps(data)
