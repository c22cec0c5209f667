"""The book from the command line, on SQLite and PostgreSQL: the tour, and bad input (one line,
exit 2, nothing written)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from roboadvisor.data.questionnaire_files import read_answers_file
from roboadvisor.data.universe_file import load_universe
from roboadvisor.services.assess import assess_answers_file
from tests.book.daily_helpers import lowest_answers
from tests.book.helpers import EXAMPLES, record_count, run

HOLDINGS = EXAMPLES / "holdings_example.csv"


def _tier_of(example: str) -> int:
    """The tier ``assess`` gives the example (the book must keep the same)."""
    return int(assess_answers_file(EXAMPLES / example).tier)


def _three_clients(url: str) -> None:
    for client, example, account in (("alice", "tier3_balanced.yaml", "A1"),
                                     ("bob", "tier1_conservative.yaml", "B1"),
                                     ("carol", "tier5_aggressive.yaml", "C1")):
        run(url, "client", "add", client, "--name", f"{client.title()} Secretname",
            "--birth-date", "1960-05-04")
        run(url, "client", "assess", client, "--answers", str(EXAMPLES / example))
        run(url, "account", "open", account, "--client", client)


def test_the_tour_adds_assesses_opens_imports_deposits_and_verifies(book_url: str) -> None:
    _three_clients(book_url)
    listed = {c["client_id"]: c for c in run(book_url, "client", "list", "--json")}
    assert listed["alice"]["assessment"]["tier"] == _tier_of("tier3_balanced.yaml")
    assert listed["bob"]["assessment"]["tier"] == _tier_of("tier1_conservative.yaml")
    assert listed["carol"]["accounts"] == ["C1"]
    imported = run(book_url, "account", "import-holdings", str(HOLDINGS), "--json")
    assert imported["rows"] == len(HOLDINGS.read_text().strip().splitlines()) - 1
    run(book_url, "account", "deposit", "A1", "1000", "--date", "2026-01-05")
    run(book_url, "account", "withdraw", "A1", "250.25")
    shown = run(book_url, "account", "show", "A1", "--json")
    expected = {}
    for line in HOLDINGS.read_text().strip().splitlines()[1:]:
        account, ticker, shares = line.split(",")
        if account == "A1" and ticker != "CASH":
            expected[ticker] = Decimal(shares)
        elif account == "A1":
            cash = Decimal(shares)
    assert {k: Decimal(v) for k, v in shown["positions"].items()} == expected
    assert Decimal(shown["cash"]) == cash
    assert [(f["kind"], Decimal(f["amount"]), f["status"]) for f in shown["cash_flows"]] == [
        ("deposit", Decimal(1000), "pending"), ("withdrawal", Decimal("250.25"), "pending")]
    verified = run(book_url, "records", "verify", "--recompute", "--json")
    assert verified["ok"] and verified["recomputed"] == 3 and not verified["skipped"]
    text = run(book_url, "records", "verify", "--recompute").stdout
    assert "holds" in text and "same outputs" in text


def test_json_output_carries_no_personal_data(book_url: str) -> None:
    _three_clients(book_url)
    answers = read_answers_file(EXAMPLES / "tier3_balanced.yaml").answers
    everything = ""
    for args in (("client", "list", "--json"), ("client", "show", "alice", "--json"),
                 ("records", "list", "--json"), ("records", "show", "3", "--json"),
                 ("account", "show", "A1", "--json")):
        everything += json.dumps(run(book_url, *args), ensure_ascii=False)
    assert "Secretname" not in everything and "1960-05-04" not in everything
    for option in set(answers.values()):
        assert f'"{option}"' not in everything


def test_the_raw_sqlite_file_holds_no_names_and_no_option_ids(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'raw.sqlite'}"
    _three_clients(url)
    run(url, "account", "open", "B2", "--client", "bob", "--tier", "2", "--above-level",
        "--acknowledge", "Bob Secretname asked for it")
    raw = (tmp_path / "raw.sqlite").read_bytes()
    assert b"Secretname" not in raw and b"1960-05-04" not in raw
    option_ids = {option for example in ("tier3_balanced.yaml", "tier1_conservative.yaml",
                                         "tier5_aggressive.yaml")
                  for option in read_answers_file(EXAMPLES / example).answers.values()}
    # Ids made of plain words ('hold', 'income') also occur in the explanation text shown to
    # the client ("you may hold products..."), so those are looked for as JSON/YAML values;
    # compound ids ('within_1_year') anywhere at all.
    for option in option_ids:
        assert f'"{option}"'.encode() not in raw and f": {option}".encode() not in raw, option
        if "_" in option:
            assert option.encode() not in raw, option


def test_the_key_file_is_created_0600_and_a_wrong_key_is_refused(book_url: str,
                                                                 _isolated_book: Path,
                                                                 monkeypatch) -> None:
    run(book_url, "client", "add", "c1", "--name", "Some Name")
    key_file = _isolated_book / "roboadvisor" / "book.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    from cryptography.fernet import Fernet

    before = record_count(book_url)
    monkeypatch.setenv("ROBOADVISOR_KEY", Fernet.generate_key().decode())
    for args in (("client", "show", "c1"), ("client", "add", "c2", "--name", "Other")):
        result = run(book_url, *args, code=2)
        assert "does not open" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert [c["client_id"] for c in run(book_url, "client", "list", "--json")] == ["c1"]
    monkeypatch.delenv("ROBOADVISOR_KEY")
    assert record_count(book_url) == before
    assert [c["client_id"] for c in run(book_url, "client", "list", "--json")] == ["c1"]


def test_without_the_key_non_personal_features_work(book_url: str, _isolated_book: Path) -> None:
    _three_clients(book_url)
    (_isolated_book / "roboadvisor" / "book.key").unlink()
    assert len(run(book_url, "client", "list", "--json")) == 3
    shown = run(book_url, "client", "show", "alice")
    assert "locked" in shown.stdout and "Secretname" not in shown.stdout
    run(book_url, "account", "open", "A2", "--client", "alice", "--tier", "2")
    run(book_url, "account", "deposit", "A2", "10")
    verified = run(book_url, "records", "verify", "--recompute", "--json")
    assert verified["ok"] and {s["reason"] for s in verified["skipped"]} == {
        "no key for the answers"}


def test_erase_removes_personal_data_and_the_chain_still_verifies(book_url: str) -> None:
    _three_clients(book_url)
    run(book_url, "client", "erase", "alice")
    shown = run(book_url, "client", "show", "alice")
    assert "Secretname" not in shown.stdout and "erased" in shown.stdout
    verified = run(book_url, "records", "verify", "--recompute", "--json")
    assert verified["ok"] and verified["recomputed"] == 2
    assert [s["seq"] for s in verified["skipped"]] == [2]
    kinds = [r["kind"] for r in run(book_url, "records", "list", "--client", "alice", "--json")]
    assert kinds == ["client", "assessment", "account", "erasure"]


def test_above_level_needs_acknowledgement_and_is_recorded(book_url: str) -> None:
    _three_clients(book_url)
    opened = run(book_url, "account", "open", "B2", "--client", "bob", "--tier", "3",
                 "--above-level", "--acknowledge", "I asked for it", "--json")
    assert opened["above_level"] and [r["kind"] for r in opened["records"]] == [
        "account", "override"]
    override = run(book_url, "records", "show", str(opened["records"][1]["seq"]), "--json")
    assert any("Special risk warning" in line for line in override["content"]["text"])
    assert "I asked for it" not in json.dumps(override)
    run(book_url, "account", "open", "B3", "--client", "bob", "--tier", "1")  # lower: allowed


def test_the_lowest_category_holds_r1_only(book_url: str, tmp_path: Path) -> None:
    run(book_url, "client", "add", "dan")
    assessed = run(book_url, "client", "assess", "dan", "--answers",
                   str(lowest_answers(tmp_path)), "--json")
    assert assessed["assessment"]["lowest"] and assessed["assessment"]["tier"] == 1
    before = record_count(book_url)
    result = run(book_url, "account", "open", "D1", "--client", "dan", "--tier", "2",
                 "--above-level", "--acknowledge", "please", code=2)
    assert "lowest category" in result.stderr
    assert record_count(book_url) == before
    # whatever the policies' suitability mode, its portfolios hold R1 products only
    levels = {a.ticker: a.risk_level for a in load_universe(None)}
    allocated = run(book_url, "allocate", "--client", "dan", "--json")
    planned = run(book_url, "plan", "--client", "dan", "--answers",
                  str(lowest_answers(tmp_path)), "--json")["allocation"]
    for weights in (allocated["weights"], planned["weights"]):
        assert weights and {levels[t] for t, w in weights.items() if w > 0} == {1}
    # an ordinary tier-1 client holds more than R1 products under portfolio suitability
    ordinary = run(book_url, "allocate", "--tier", "1", "--json")["weights"]
    assert {levels[t] for t, w in ordinary.items() if w > 0} != {1}
    verified = run(book_url, "records", "verify", "--recompute", "--json")
    assert verified["ok"] and verified["recomputed"] >= 2 and not verified["differences"]


BAD = [
    (("client", "show", "nobody"), "unknown client nobody"),
    (("client", "add", "alice"), "already exists"),
    (("account", "show", "Z9"), "unknown account Z9"),
    (("account", "deposit", "Z9", "10"), "unknown account Z9"),
    (("account", "open", "A1", "--client", "bob"), "account A1 already exists"),
    (("account", "open", "X1", "--client", "erased1"), "was erased"),
    (("account", "open", "X2", "--client", "bob", "--tier", "3"), "--above-level"),
    (("account", "open", "X3", "--client", "bob", "--tier", "3", "--above-level"),
     "--acknowledge"),
    (("account", "deposit", "A1", "0"), "positive number"),
    (("client", "assess", "erased1", "--answers", str(EXAMPLES / "tier3_balanced.yaml")),
     "was erased"),
]


@pytest.mark.parametrize(("args", "says"), BAD, ids=[" ".join(a[:2]) + f"-{i}"
                                                     for i, (a, _) in enumerate(BAD)])
def test_bad_input_is_one_line_exit_2_and_nothing_written(book_url: str, args: tuple[str, ...],
                                                          says: str) -> None:
    _three_clients(book_url)
    run(book_url, "client", "add", "erased1")
    run(book_url, "client", "erase", "erased1")
    before = run(book_url, "records", "list", "--json")
    result = run(book_url, *args, code=2)
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert run(book_url, "records", "list", "--json") == before


@pytest.mark.parametrize("born", ["2999-01-01", "1800-06-30"])
def test_a_birth_date_in_the_future_or_beyond_a_lifetime_is_refused(book_url: str,
                                                                    born: str) -> None:
    result = run(book_url, "client", "add", "dora", "--birth-date", born, code=2)
    assert f"birth date {born}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert run(book_url, "client", "list", "--json") == []
    run(book_url, "client", "add", "dora", "--birth-date", "1950-06-30")
