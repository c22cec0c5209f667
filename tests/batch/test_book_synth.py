"""`book synth`: a seeded, partitioned, realistic synthetic book, written atomically."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from roboadvisor.batch.schema import SCHEMAS, Table
from roboadvisor.cli.app import app
from roboadvisor.domain.models import Tier
from roboadvisor.services.allocate import AllocationRequest, allocate
from roboadvisor.services.assess import assess_answers, get_questionnaire
from roboadvisor.services.batch import SynthRequest, synth_book
from tests.batch.conftest import SMALL_ACCOUNTS, SMALL_PARTITIONS, SUITABILITY, folder_bytes

runner = CliRunner()


def _read(book: Path, table: Table):  # type: ignore[no-untyped-def]
    return pq.read_table(sorted((book / table.value).glob("part-*.parquet"))).to_pandas()


def _expected_partition(account_id: str, partitions: int) -> int:
    return int(hashlib.sha256(account_id.encode()).hexdigest()[:16], 16) % partitions


def test_same_seed_same_bytes_other_seed_other_book(small_book: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    result = runner.invoke(app, ["book", "synth", "--accounts", str(SMALL_ACCOUNTS), "--out",
                                 str(again), "--seed", "7", "--partitions",
                                 str(SMALL_PARTITIONS), "--suitability", SUITABILITY,
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert folder_bytes(again) == folder_bytes(small_book)
    other = tmp_path / "other"
    synth_book(SynthRequest(SMALL_ACCOUNTS, other, seed=8, partitions=SMALL_PARTITIONS,
                            suitability=SUITABILITY))
    assert folder_bytes(other) != folder_bytes(small_book)


def test_partitions_by_stable_hash_and_schema(small_book: Path) -> None:
    seen: set[str] = set()
    for table in Table:
        for p in range(SMALL_PARTITIONS):
            data = pq.read_table(small_book / table.value / f"part-{p:05d}.parquet")
            assert data.schema.equals(SCHEMAS[table])
            ids = set(data.column("account_id").to_pylist())
            assert all(_expected_partition(a, SMALL_PARTITIONS) == p for a in ids)
            if table is Table.ACCOUNTS:
                seen |= ids
    assert len(seen) == SMALL_ACCOUNTS


def test_the_book_is_realistic(small_book: Path) -> None:
    manifest = json.loads((small_book / "book.json").read_text())
    tickers = manifest["tickers"]
    prices = manifest["prices"]["values"]
    accounts = _read(small_book, Table.ACCOUNTS).set_index("account_id")
    holdings = _read(small_book, Table.HOLDINGS)
    answers = _read(small_book, Table.ANSWERS).set_index("account_id")
    flows = _read(small_book, Table.CASH_FLOWS)
    questionnaire = get_questionnaire()
    as_of = np.datetime64(manifest["as_of"])

    # answers decode to valid answer sets whose tiers spread over all five
    tiers = {}
    for account_id, codes in answers["options"].items():
        chosen = {q.id: q.option_ids[c] for q, c in zip(questionnaire.questions, codes,
                                                         strict=True)}
        tiers[account_id] = int(assess_answers(questionnaire, chosen).tier)
    assert set(tiers.values()) == {1, 2, 3, 4, 5}
    # most accounts hold their scored tier; a few are one tier off (a tier change waits)
    off = sum(tiers[a] != t for a, t in accounts["tier"].items())
    assert 0 < off < 0.1 * SMALL_ACCOUNTS
    # about 1% of clients chose the tier above the assessed one (never the lowest category)
    chose = accounts.index[accounts["above_level"]]
    assert 0.003 * SMALL_ACCOUNTS < len(chose) < 0.03 * SMALL_ACCOUNTS
    for a in chose:
        chosen = {q.id: q.option_ids[c] for q, c in zip(questionnaire.questions,
                                                         answers.at[a, "options"], strict=True)}
        assert not questionnaire.is_lowest_category(chosen), a
        assert accounts.at[a, "tier"] == tiers[a] + 1, a
    # some assessments expired, most not
    expired = (accounts["expires_on"].to_numpy().astype("datetime64[D]") < as_of).mean()
    assert 0.05 < expired < 0.3
    # deposits and withdrawals waiting
    assert (flows["amount"] > 0).sum() > 50 and (flows["amount"] < 0).sum() > 20
    # a few accounts hold products above their tier's level
    risk = {a.ticker: a.risk_level for a in _universe()}
    holdings["risk"] = holdings["ticker"].map(risk)
    holdings["tier"] = holdings["account_id"].map(accounts["tier"])
    above = holdings.loc[holdings["risk"] > holdings["tier"], "account_id"].nunique()
    assert 0 < above < 0.02 * SMALL_ACCOUNTS
    # holdings are close to the tier-in-force target: drift computed here from the tables
    targets = {t: allocate(AllocationRequest(tier=int(t), suitability=SUITABILITY)
                           ).allocation.as_dict()
               for t in Tier}
    holdings["value"] = holdings["shares"] * holdings["ticker"].map(prices)
    invested = holdings.groupby("account_id")["value"].sum()
    total = invested.add(accounts["cash"], fill_value=0.0)
    weights = holdings.pivot_table(index="account_id", columns="ticker", values="value",
                                   aggfunc="sum").reindex(columns=tickers).fillna(0.0)
    weights = weights.div(total[weights.index], axis=0)
    target = np.array([[targets[Tier(int(accounts.at[a, "tier"]))].get(t, 0.0)
                        for t in tickers] for a in weights.index])
    drift = 0.5 * (np.abs(weights.to_numpy() - target).sum(axis=1)
                   + (accounts.loc[weights.index, "cash"] / total[weights.index]).to_numpy())
    assert 0.005 < np.median(drift) < 0.1
    assert (accounts["cash"] >= 0).all() and (holdings["shares"] > 0).all()
    assert (holdings["shares"] == np.floor(holdings["shares"])).all()


def _universe():  # type: ignore[no-untyped-def]
    from roboadvisor.data.universe_file import load_universe

    return load_universe(None)


def test_existing_out_is_refused_and_nothing_left_behind(tmp_path: Path) -> None:
    out = tmp_path / "book"
    out.mkdir()
    result = runner.invoke(app, ["book", "synth", "--accounts", "10", "--out", str(out)])
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert list(tmp_path.iterdir()) == [out]


@pytest.mark.parametrize(("args", "message"), [
    (["--accounts", "0"], "at least 1"),
    (["--accounts", "10", "--partitions", "0"], "partitions"),
])
def test_bad_input_is_one_line_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["book", "synth", *args, "--out", str(tmp_path / "b")])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "b").exists()
