"""Reading YAML/JSON mappings from files with errors that name the file.

Both PyYAML and ``json`` silently keep the last of two duplicate keys; here a duplicate key is
an error, because in a configuration or an answers file it is almost always a mistake.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from roboadvisor.errors import InputError


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate mapping keys."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode,
                              deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                 _construct_unique_mapping)


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def read_text(path: Path, error: type[InputError] = InputError) -> str:
    """The file's UTF-8 text; ``error`` names the file when it is missing, binary or empty."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, expected a file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    if b"\x00" in raw:
        raise error(f"{path}: looks like a binary file; expected UTF-8 YAML or JSON text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error(f"{path}: is not UTF-8 text; save it as UTF-8 YAML or JSON") from None
    if not text.strip():
        raise error(f"{path}: file is empty")
    return text


def load_mapping(path: Path, error: type[InputError] = InputError) -> dict[str, Any]:
    """A YAML (or JSON, by suffix) file whose top level is a mapping.

    Raises ``error`` naming the file (and line) for unreadable, binary, empty or malformed
    files, duplicate keys, and a top level that is not a mapping.
    """
    path = Path(path)
    text = read_text(path, error)
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text, object_pairs_hook=_json_pairs)
        else:
            data = yaml.load(text, Loader=_UniqueKeyLoader)
    except json.JSONDecodeError as exc:
        raise error(f"{path}: malformed JSON at line {exc.lineno}: {exc.msg}") from None
    except ValueError as exc:  # duplicate key in JSON
        raise error(f"{path}: {exc}; keep one") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise error(f"{path}: malformed YAML{where}: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: malformed YAML: {exc}") from None
    if not isinstance(data, dict):
        raise error(f"{path}: expected a mapping of keys to values at the top level, "
                    f"found {type(data).__name__}")
    return data
