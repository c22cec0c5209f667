"""`project` and `report` for clients and accounts of the book, on SQLite and PostgreSQL: the
tier in force, the account's value as the amount, the report's record, bad input."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from roboadvisor.services.assess import assess_answers_file
from tests.book.helpers import EXAMPLES, record_count, run
from tests.synthetic_prices import write_synthetic_prices

POSITIONS = {"VTI": "40", "AGG": "55", "VEA": "60"}
CASH = "1250.50"


def _holdings(tmp_path: Path, account: str) -> Path:
    path = tmp_path / f"holdings_{account}.csv"
    rows = ["account,ticker,shares", *(f"{account},{t},{s}" for t, s in POSITIONS.items()),
            f"{account},CASH,{CASH}"]
    path.write_text("\n".join(rows) + "\n")
    return path


def _last_closes(prices: Path) -> dict[str, float]:
    """The last non-empty close of every column, read with the csv module."""
    last: dict[str, float] = {}
    with prices.open(newline="") as f:
        for row in csv.DictReader(f):
            for ticker, value in row.items():
                if ticker != "Date" and value:
                    last[ticker] = float(value)
    return last


@pytest.fixture
def booked(book_url: str, tmp_path: Path) -> dict[str, object]:
    """A client assessed from the tier-4 example with account A1 holding POSITIONS and cash;
    a client 'cashonly' with an empty account; an erased client."""
    run(book_url, "client", "add", "alice", "--name", "Alice Secretname")
    run(book_url, "client", "assess", "alice", "--answers", str(EXAMPLES / "tier4_growth.yaml"))
    run(book_url, "account", "open", "A1", "--client", "alice")
    run(book_url, "account", "import-holdings", str(_holdings(tmp_path, "A1")))
    run(book_url, "client", "add", "bob")
    run(book_url, "client", "assess", "bob", "--answers", str(EXAMPLES / "tier1_conservative.yaml"))
    run(book_url, "account", "open", "B1", "--client", "bob")
    run(book_url, "client", "add", "gone")
    run(book_url, "client", "assess", "gone", "--answers", str(EXAMPLES / "tier3_balanced.yaml"))
    run(book_url, "client", "erase", "gone")
    prices = write_synthetic_prices(tmp_path / "prices.csv")
    return {"url": book_url, "prices": prices}


def _value(prices: Path) -> float:
    last = _last_closes(prices)
    return float(CASH) + sum(float(s) * last[t] for t, s in POSITIONS.items())


def test_project_for_an_account_takes_its_tier_and_value(booked: dict) -> None:
    url, prices = booked["url"], booked["prices"]
    data = run(url, "project", "--account", "A1", "--prices", str(prices), "--years", "5",
               "--paths", "500", "--json")
    tier = int(assess_answers_file(EXAMPLES / "tier4_growth.yaml").tier)
    assert data["tier"] == tier and data["book"]["account_id"] == "A1"
    assert data["amount"] == pytest.approx(_value(prices), rel=1e-9)
    assert data["bands"][0]["p50"] == pytest.approx(_value(prices), rel=1e-9)
    # An explicit --amount wins; no prices are needed then.
    given = run(url, "project", "--account", "A1", "--amount", "1000", "--years", "5",
                "--paths", "500", "--json")
    assert given["amount"] == 1000 and given["book"]["account_value"]["total"] is None
    text = run(url, "project", "--account", "A1", "--prices", str(prices), "--years", "5",
               "--paths", "500")
    assert "account A1 is worth" in text.stderr


def test_project_for_a_client_takes_the_latest_assessment(booked: dict) -> None:
    url = booked["url"]
    data = run(url, "project", "--client", "bob", "--amount", "5000", "--years", "5",
               "--paths", "500", "--json")
    assert data["tier"] == int(assess_answers_file(EXAMPLES / "tier1_conservative.yaml").tier)
    assert data["book"]["client_id"] == "bob" and data["book"]["account_id"] is None
    assert "Secretname" not in json.dumps(run(url, "project", "--client", "alice", "--amount",
                                              "5000", "--paths", "500", "--json"))


def test_a_cash_only_account_needs_no_prices(booked: dict) -> None:
    url = booked["url"]
    run(url, "account", "import-holdings", str(_cash_only(booked["prices"].parent)))
    data = run(url, "project", "--account", "B1", "--years", "3", "--paths", "500", "--json")
    assert data["amount"] == 777.25


def _cash_only(folder: Path) -> Path:
    path = folder / "cash_b1.csv"
    path.write_text("account,ticker,shares\nB1,CASH,777.25\n")
    return path


PROJECT_BAD = [
    (("project", "--account", "A1"), "no price for them"),
    (("project", "--account", "Z9", "--amount", "10"), "unknown account Z9"),
    (("project", "--client", "nobody", "--amount", "10"), "unknown client nobody"),
    (("project", "--client", "gone", "--amount", "10"), "was erased"),
    (("project", "--client", "alice", "--account", "A1", "--amount", "10"), "not both"),
    (("project", "--client", "alice", "--answers", str(EXAMPLES / "tier3_balanced.yaml"),
      "--amount", "10"), "drop --answers"),
    (("project", "--account", "A1", "--tier", "2", "--amount", "10"), "drop --tier"),
]


@pytest.mark.parametrize(("args", "says"), PROJECT_BAD,
                         ids=[f"project-{i}" for i in range(len(PROJECT_BAD))])
def test_project_bad_input_is_one_line_exit_2(booked: dict, args: tuple[str, ...],
                                              says: str) -> None:
    url = booked["url"]
    before = record_count(url)
    result = run(url, *args, code=2)
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert record_count(url) == before


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
