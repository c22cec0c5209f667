"""The strict YAML reader on libyaml's C parser (issue 14): still refuses duplicate keys, at
any depth, with the line, and reads the same values as the pure-Python SafeLoader."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from roboadvisor.data import yaml_io
from roboadvisor.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def test_the_c_parser_is_used_when_pyyaml_has_it() -> None:
    if not yaml.__with_libyaml__:
        pytest.skip("this PyYAML was built without libyaml")
    assert issubclass(yaml_io._StrictLoader, yaml.CSafeLoader)


@pytest.mark.parametrize("text, key, line", [
    ("a: 1\nb: 2\na: 3\n", "a", 3),
    ("outer:\n  x: 1\n  y: 2\n  x: 4\n", "x", 4),
    ("- name: one\n  name: two\n", "name", 2),
])
def test_duplicate_keys_are_still_refused(tmp_path: Path, text: str, key: str,
                                          line: int) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=rf"has the key '{key}' twice \(line {line}\)"):
        yaml_io.read_document(path)


@pytest.mark.parametrize("name", ["roboadvisor/resources/universe_default.yaml",
                                  "roboadvisor/resources/policies.yaml",
                                  "roboadvisor/resources/cma_default.yaml",
                                  "questionnaires/examples/tier3_balanced.yaml"])
def test_shipped_files_read_as_the_python_loader_reads_them(name: str) -> None:
    path = ROOT / name
    text = path.read_text(encoding="utf-8")
    assert yaml_io.read_document(path) == yaml.load(text, Loader=yaml.SafeLoader)


def test_universe_and_policies_files_are_parsed_once_per_version(tmp_path: Path) -> None:
    import os

    from roboadvisor.data.policy_file import DEFAULT_POLICIES, load_policies
    from roboadvisor.data.universe_file import DEFAULT_UNIVERSE, load_universe

    universe_path = tmp_path / "universe.yaml"
    universe_path.write_bytes(DEFAULT_UNIVERSE.read_bytes())
    first = load_universe(universe_path)
    assert load_universe(universe_path) is first                 # same version: parsed once
    text = DEFAULT_UNIVERSE.read_text(encoding="utf-8")
    assert "name:" in text
    universe_path.write_text(text + "\n# edited\n", encoding="utf-8")
    stat = universe_path.stat()
    os.utime(universe_path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    second = load_universe(universe_path)
    assert second is not first and second == first               # a new version is read again

    policies_path = tmp_path / "policies.yaml"
    policies_path.write_bytes(DEFAULT_POLICIES.read_bytes())
    a = load_policies(policies_path)
    a.clear()                                                    # a caller's edit ...
    assert load_policies(policies_path) == load_policies(DEFAULT_POLICIES) != {}  # ... stays
    policies_path.write_text("tiers: {}\n", encoding="utf-8")   # a broken new version: refused
    with pytest.raises(InputError, match="tiers"):
        load_policies(policies_path)
