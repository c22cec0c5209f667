"""Synthetic assessments expire after the questionnaire's ``expiry_months``, as the book's do."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest

from roboadvisor.batch.book_files import read_manifest, read_partition
from roboadvisor.batch.schema import Table
from roboadvisor.batch.synth import add_months_days
from roboadvisor.services.assess import get_questionnaire
from roboadvisor.services.book import add_months

EPOCH = date(1970, 1, 1)


@pytest.mark.parametrize("months", [1, 6, 12, 13, 120])
def test_add_months_days_equals_the_books_rule(months: int) -> None:
    days = np.random.default_rng(months).integers(0, 30_000, size=3_000)
    days[:4] = [(date(2024, 1, 31) - EPOCH).days, (date(2023, 2, 28) - EPOCH).days,
                (date(2024, 2, 29) - EPOCH).days, (date(2025, 12, 31) - EPOCH).days]
    got = add_months_days(days, months)
    for d, o in zip(days, got, strict=True):
        day = date.fromordinal(EPOCH.toordinal() + int(d))
        want = add_months(datetime(day.year, day.month, day.day, tzinfo=UTC), months).date()
        assert (want - EPOCH).days == o


def test_synthetic_expiry_follows_the_questionnaire(small_book: Path) -> None:
    months = get_questionnaire().expiry_months
    manifest = read_manifest(small_book)
    for p in range(manifest.partitions):
        accounts = read_partition(small_book, p)[Table.ACCOUNTS]
        assessed = pc.cast(accounts.column("assessed_on"), "int32").to_numpy()
        expires = pc.cast(accounts.column("expires_on"), "int32").to_numpy()
        assert (expires == add_months_days(assessed, months)).all()
