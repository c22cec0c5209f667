"""Strict reading of YAML and JSON documents, with errors that name the file.

Every data file the product reads (questionnaires, answers, universes, assumptions, policies,
views, backtest configs) comes through here. Reading is strict: a missing, empty, binary or
oversized file, malformed syntax, a value PyYAML cannot build (a date like 2020-13-01) and a
duplicate key are errors. Duplicate keys matter because PyYAML and ``json`` silently keep the
last value, and in an answers file or a config that is almost always a mistake.

Before any value is built, the document's structure is checked (``_check_structure``): YAML
anchors, aliases and merge keys (``&a``, ``*a``, ``<<:``) are refused, since a 600-byte file
of nested aliases expands to gigabytes and a merge key can hide a duplicate answer; nesting
deeper than ``MAX_DEPTH`` (YAML or JSON) is refused in one line instead of a RecursionError.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from roboadvisor.errors import InputError, shown
from roboadvisor.errors import catalog_text as _msg

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 32
"""Levels of nested mappings/lists a data file may have (ours use at most five)."""


class _Problem(Exception):
    """A reading problem, phrased to follow the file's name ("file is empty", ...): a catalog
    key "files.<name>" and its parameters."""

    def __init__(self, key: str, /, **params: Any) -> None:
        super().__init__(key)
        self.text = _msg(f"files.{key}", **params)


_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's C parser when PyYAML was built with it (about 8x faster on the shipped files);
the checks below are constructors, which run the same on either."""


class _StrictLoader(_SafeBase):  # type: ignore[valid-type, misc]
    """SafeLoader (the C one when available) that refuses duplicate mapping keys."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise _Problem("merge_key", line=key_node.start_mark.line + 1)
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:  # an unhashable key: let PyYAML report it
            continue
        if duplicate:
            raise _Problem("duplicate_key_at", key=shown(key), line=key_node.start_mark.line + 1)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Problem("duplicate_key", key=shown(key))
        result[key] = value
    return result


def _read_text(path: Path) -> str:
    try:
        if path.is_dir():
            raise _Problem("directory")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _Problem("too_large", kb=MAX_FILE_BYTES // 1000)
        data = path.read_bytes()
    except FileNotFoundError:
        raise _Problem("not_found") from None
    except OSError as exc:
        raise _Problem("unreadable", reason=exc.strerror or exc) from None
    if b"\x00" in data:
        raise _Problem("binary")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _Problem("not_utf8") from None
    if not text.strip():
        raise _Problem("empty")
    return text


def _check_yaml_structure(text: str) -> None:
    """Refuse anchors, aliases and deep nesting from the event stream (no value is built),
    parsed by libyaml too when available (the pure-Python event parser took most of a
    ``plan``'s reading time: issue 14)."""
    depth = 0
    for event in yaml.parse(text, Loader=_SafeBase):
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Problem("alias", line=line)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Problem("too_deep_at", depth=MAX_DEPTH, line=line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _check_json_depth(text: str) -> None:
    """Refuse JSON nested deeper than MAX_DEPTH (brackets outside strings)."""
    depth = 0
    deepest = 0
    for ch in _JSON_STRING.sub("", text):
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                raise _Problem("too_deep", depth=MAX_DEPTH)
        elif ch in "]}":
            depth -= 1


def _parse(path: Path, text: str) -> Any:
    if path.suffix.lower() == ".json":
        _check_json_depth(text)
        try:
            return json.loads(text, object_pairs_hook=_json_pairs)
        except json.JSONDecodeError as exc:
            raise _Problem("bad_json", detail=exc.msg, line=exc.lineno, column=exc.colno
                           ) from None
    try:
        _check_yaml_structure(text)
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = _msg("files.line_column", line=mark.line + 1, column=mark.column + 1) if mark \
            else ""
        raise _Problem("bad_yaml", detail=exc.problem or exc.context, at=at) from None
    except yaml.YAMLError as exc:
        raise _Problem("bad_yaml", detail=" ".join(str(exc).split()), at="") from None
    except ValueError as exc:  # a value PyYAML recognises but cannot build, e.g. 2020-13-01
        raise _Problem("bad_value", detail=shown(str(exc), 80)) from None


def read_document(path: Path, error: type[InputError] = InputError, label: str = "") -> Any:
    """The parsed content of a YAML (or, by suffix, JSON) file.

    Problems raise ``error`` with ``"<label> <path>: <problem>"`` (label optional, e.g.
    "answers file").
    """
    path = Path(path)
    prefix = _prefix(path, label)
    try:
        content = _parse(path, _read_text(path))
    except _Problem as exc:
        raise error.from_catalog("data.in_file", path=prefix, problem=exc.text) from None
    if content is None:
        raise error.from_catalog("data.in_file", path=prefix, problem=_msg("files.only_comments"))
    return content


def _prefix(path: Path, label: str) -> str:
    """The file as messages name it: "answers file <path>" (label localized) or the path."""
    if not label:
        return str(path)
    return _msg(f"files.label_{label.replace(' ', '_')}", path=path)


def load_mapping(path: Path, error: type[InputError] = InputError,
                 label: str = "") -> dict[str, Any]:
    """A document whose top level must be a mapping of keys to values."""
    data = read_document(path, error, label)
    if not isinstance(data, dict):
        raise error.from_catalog("data.in_file", path=_prefix(Path(path), label),
                                 problem=_msg("files.not_mapping", found=type(data).__name__))
    return data
