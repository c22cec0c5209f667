"""The one number validator (issue 8): every loader refuses bool, text, NaN and infinity in
its numeric fields, naming the field, through ``roboadvisor.data.numbers.number``."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from roboadvisor.config import RESOURCES_DIR
from roboadvisor.data.numbers import number
from roboadvisor.data.universe_file import load_universe
from roboadvisor.data.views_file import load_views
from roboadvisor.errors import ConfigError, InputError, UniverseError


@pytest.mark.parametrize("value", [True, "1", None, [1], math.inf, -math.inf, math.nan])
def test_only_finite_numbers_pass(value: object) -> None:
    with pytest.raises(ValueError, match="field x must be a"):
        number(value, "field x", ValueError)


@pytest.mark.parametrize("value, kwargs, fragment", [
    (2, {"lo": 0, "hi": 1}, "= 2 is outside 0..1"),
    (0, {"lo": 0, "lo_open": True}, "= 0 must be above 0"),
    (0.5, {"lo": 0, "hi": 0.5, "hi_open": True}, "must be at least 0 and below 0.5"),
    (1.5, {"whole": True}, "must be a whole number"),
])
def test_ranges_are_named(value: float, kwargs: dict, fragment: str) -> None:
    with pytest.raises(ValueError, match="f") as info:
        number(value, "f", ValueError, **kwargs)
    assert fragment in str(info.value)


def test_values_in_range_come_back_as_floats() -> None:
    assert number(1, "f", ValueError, 0, 1) == 1.0 and isinstance(number(1, "f", ValueError),
                                                                  float)


def test_echoed_values_are_capped() -> None:
    with pytest.raises(ValueError) as info:
        number("z" * 10_000, "f", ValueError)
    assert len(str(info.value)) < 80


def test_universe_and_views_refuse_infinity(tmp_path: Path) -> None:
    universe = load_universe()
    first = universe.tickers[0]
    path = tmp_path / "v.yaml"
    path.write_text(f"views:\n  - asset: {first}\n    expected_return: .inf\n")
    with pytest.raises(ConfigError, match="expected_return must be a finite number"):
        load_views(path, universe)
    text = (RESOURCES_DIR / "universe_default.yaml").read_text()
    bad = tmp_path / "u.yaml"
    bad.write_text(text.replace("expense_ratio: 0.0003", "expense_ratio: .nan", 1))
    with pytest.raises((UniverseError, InputError), match="expense_ratio must be a finite"):
        load_universe(bad)
