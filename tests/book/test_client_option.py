"""assess, plan and allocate with --client: the tier from the book, records that re-compute."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import update

from roboadvisor.book import schema
from roboadvisor.book.chain import canonical
from roboadvisor.book.crypto import Cipher, KeySource
from roboadvisor.data.questionnaire_files import read_answers_file
from roboadvisor.services.assess import assess_answers_file
from tests.book.helpers import EXAMPLES, record_count, run


def test_plan_with_client_records_the_assessment_and_the_allocation(book_url: str) -> None:
    run(book_url, "client", "add", "p1")
    planned = run(book_url, "plan", "--client", "p1", "--answers",
                  str(EXAMPLES / "tier4_growth.yaml"), "--json")
    expected_tier = int(assess_answers_file(EXAMPLES / "tier4_growth.yaml").tier)
    kinds = [r["kind"] for r in run(book_url, "records", "list", "--client", "p1", "--json")]
    assert kinds == ["client", "assessment", "allocation"]
    allocation = run(book_url, "records", "show", "3", "--json")["content"]
    assert allocation["outputs"]["tier"] == expected_tier
    weights = planned["allocation"]["weights"] if "allocation" in planned else planned["weights"]
    assert {k: round(v, 6) for k, v in weights.items()} == allocation["outputs"]["weights"]
    assert set(allocation["inputs"]) == {"universe", "policies", "assumptions"}
    assert all(len(sha) == 64 for sha in allocation["inputs"].values())
    assert allocation["text"] and allocation["package_version"]
    verified = run(book_url, "records", "verify", "--recompute", "--json")
    assert verified["ok"] and verified["recomputed"] == 2


def test_allocate_with_client_takes_the_tier_in_force(book_url: str) -> None:
    run(book_url, "client", "add", "p2")
    run(book_url, "assess", "--client", "p2", "--answers", str(EXAMPLES / "tier3_balanced.yaml"),
        "--json")
    tier = int(assess_answers_file(EXAMPLES / "tier3_balanced.yaml").tier)
    assert run(book_url, "allocate", "--client", "p2", "--json")["tier"] == tier
    assert run(book_url, "allocate", "--client", "p2", "--tier", str(tier - 1),
               "--json")["tier"] == tier - 1
    before = record_count(book_url)
    above = run(book_url, "allocate", "--client", "p2", "--tier", str(tier + 1), code=2)
    assert "above" in above.stderr and len(above.stderr.strip().splitlines()) == 1
    both = run(book_url, "allocate", "--client", "p2", "--answers",
               str(EXAMPLES / "tier3_balanced.yaml"), code=2)
    assert "drop --answers" in both.stderr
    unknown = run(book_url, "allocate", "--client", "nobody", code=2)
    assert "unknown client nobody" in unknown.stderr
    assert record_count(book_url) == before


def test_recompute_finds_stored_answers_that_no_longer_give_the_recorded_tier(
        store, _isolated_book: Path) -> None:
    run(store.url, "client", "add", "p3")
    run(store.url, "client", "assess", "p3", "--answers", str(EXAMPLES / "tier5_aggressive.yaml"))
    other = read_answers_file(EXAMPLES / "tier1_conservative.yaml").answers
    cipher = Cipher(KeySource.from_environ(dict(os.environ), _isolated_book / "roboadvisor"))
    with store.transaction() as conn:
        conn.execute(update(schema.assessments).values(
            answers_enc=cipher.encrypt(canonical(dict(other)))))
    found = run(store.url, "records", "verify", "--recompute", "--json", code=1)
    differing = {d["field"] for d in json.loads(found.stdout)["differences"]}
    assert {"tier", "answers_sha256"} <= differing


@pytest.mark.realdata
def test_a_history_allocation_from_the_cache_keeps_its_price_snapshot(
        tmp_path: Path, real_prices_csv: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    from typer.testing import CliRunner

    from roboadvisor.cli.app import app

    assert CliRunner().invoke(app, ["data", "import", str(real_prices_csv)]).exit_code == 0
    run(url, "client", "add", "h1")
    run(url, "client", "assess", "h1", "--answers", str(EXAMPLES / "tier3_balanced.yaml"))
    direct = run(url, "allocate", "--tier", "3", "--source", "history", "--json")
    recorded = run(url, "allocate", "--client", "h1", "--source", "history", "--json")
    assert recorded["weights"] == direct["weights"]
    content = run(url, "records", "show", "3", "--json")["content"]
    assert len(content["inputs"]["prices"]) == 64
    verified = run(url, "records", "verify", "--recompute", "--json")
    assert verified["ok"] and verified["recomputed"] == 2 and not verified["skipped"]
