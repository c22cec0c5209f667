"""Small synthetic books shared by the batch tests (written once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from roboadvisor.services.batch import SynthRequest, synth_book

SMALL_ACCOUNTS = 3_000
SMALL_PARTITIONS = 6
SUITABILITY = "holdings"


@pytest.fixture(scope="session")
def small_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 accounts in 6 partitions, seed 7, under holdings suitability, so that some
    products are above a tier's level (read-only: copy before changing it)."""
    out = tmp_path_factory.mktemp("books") / "small"
    synth_book(SynthRequest(SMALL_ACCOUNTS, out, seed=7, partitions=SMALL_PARTITIONS,
                            suitability=SUITABILITY))
    return out


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes), dot-files included."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}
