"""Data files that would exhaust time or memory (issue 8): anchors, aliases, merge keys and
deep nesting are refused in one line before any value is built, in every loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from roboadvisor.data.backtest_config import load_backtest_config
from roboadvisor.data.yaml_io import MAX_DEPTH, load_mapping, read_document
from roboadvisor.errors import ConfigError, InputError

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n"
    for i in range(9))


def write(tmp_path: Path, text: str, name: str = "f.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_nested_aliases_are_refused_quickly(tmp_path: Path) -> None:
    path = write(tmp_path, LAUGHS)
    assert path.stat().st_size < 1000
    # before: 9**10 items were built (a minute, gigabytes, then MemoryError)
    with pytest.raises(InputError, match=r"anchor or alias .* line 1"):
        read_document(path)


def test_a_backtest_config_with_aliases_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "tier: 3\n" + LAUGHS, "bt.yaml")
    with pytest.raises(ConfigError, match="anchor or alias"):
        load_backtest_config(path)


def test_a_single_anchor_is_refused_too(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="anchor or alias"):
        read_document(write(tmp_path, "a: &x 1\nb: *x\n"))


def test_merge_keys_are_refused_so_no_answer_hides(tmp_path: Path) -> None:
    text = "answers:\n  q1: a\n  <<: {q1: b}\n"
    with pytest.raises(InputError, match="merge key"):
        load_mapping(write(tmp_path, text))


@pytest.mark.parametrize("name, text", [
    ("deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n"),
    ("deep.json", '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    ("block.yaml", "".join(" " * i + f"k{i}:\n" for i in range(200)) + " " * 200 + "v: 1\n"),
])
def test_deep_nesting_is_one_line_not_a_recursion_error(tmp_path: Path, name: str,
                                                        text: str) -> None:
    with pytest.raises(InputError) as info:
        read_document(write(tmp_path, text, name))
    assert f"nested more than {MAX_DEPTH} levels" in str(info.value)
    assert "\n" not in str(info.value)


def test_brackets_inside_json_strings_do_not_count(tmp_path: Path) -> None:
    text = '{"a": "' + "[" * 1000 + '", "b": [[1]]}'
    assert read_document(write(tmp_path, text, "s.json"))["b"] == [[1]]


def test_a_huge_duplicate_key_is_echoed_capped(tmp_path: Path) -> None:
    key = "k" * 1000
    with pytest.raises(InputError) as info:
        read_document(write(tmp_path, f"{key}: 1\n{key}: 2\n"))
    assert "twice" in str(info.value) and len(str(info.value)) < 300
