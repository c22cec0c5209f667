"""The one en/zh message catalog.

Every user-facing text (terminal, JSON notices, HTML, errors) comes from here. Messages live in
``roboadvisor/reports/messages/*.yaml``, one file per area so that areas never edit the same
file; each key maps to ``{en: ..., zh: ...}`` with ``str.format`` placeholders. A key defined in
two files, or a message missing a language, is refused when the catalog is first read.

>>> t("common.interrupted", Lang.EN)
'interrupted before finishing (files are written whole or not at all)'
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from roboadvisor.fields import INPUTS, Field, name

MESSAGES_DIR = Path(__file__).resolve().parent / "messages"


class Lang(StrEnum):
    """A language of the catalog."""

    EN = "en"
    ZH = "zh"

    @classmethod
    def parse(cls, value: str | Lang | None) -> Lang:
        """'en', 'zh' (any case, also 'zh-CN'/'cn') or None (English) -> Lang."""
        if isinstance(value, Lang):
            return value
        text = (value or "en").strip().lower()
        if text in {"zh", "zh-cn", "zh_cn", "cn", "chinese"}:
            return cls.ZH
        if text in {"en", "en-us", "en_gb", "en-gb", "english"}:
            return cls.EN
        raise ValueError(f"unknown language {value!r}; use en or zh")


class CatalogError(Exception):
    """The shipped catalog itself is broken (a programming error, caught by the tests)."""


@cache
def catalog() -> dict[str, dict[str, str]]:
    """Every message: key -> {language code: template}. Read once per process."""
    merged: dict[str, dict[str, str]] = {}
    origin: dict[str, str] = {}
    for path in sorted(MESSAGES_DIR.glob("*.yaml")):
        for key, texts in _area_file(path.stem).items():
            if key in merged:
                raise CatalogError(f"message {key!r} is in both {origin[key]} and {path.name}")
            merged[key] = texts
            origin[key] = path.name
    return merged


@cache
def _area_file(stem: str) -> dict[str, dict[str, str]]:
    """The messages of ``messages/<stem>.yaml`` ({} when there is no such file), checked."""
    path = MESSAGES_DIR / f"{stem}.yaml"
    if not path.is_file():
        return {}
    data = _parsed(path) or {}
    if not isinstance(data, dict):
        raise CatalogError(f"{path.name}: expected a mapping of message keys")
    out: dict[str, dict[str, str]] = {}
    for key, texts in data.items():
        if not isinstance(texts, dict) or set(texts) != {lang.value for lang in Lang}:
            raise CatalogError(f"{path.name}: message {key!r} needs exactly en and zh")
        out[key] = {str(k): str(v) for k, v in texts.items()}
    return out


def _parsed(path: Path) -> Any:
    """The YAML of a message file, parsed once per version of it and kept like bytecode.

    A ``plan`` reads four message files, the largest 35 kB, and parsing them cost 8-20 ms
    of a process of a quarter of a second (issue 14). The parsed content is kept with
    ``marshal`` where Python keeps the bytecode of a module at that path (``__pycache__``
    beside it, or under ``PYTHONPYCACHEPREFIX``), under the same rules: not written when
    Python writes no bytecode, ignored unless its file's modification time and size match,
    and written whole (a temporary file renamed) or not at all. The checks of
    ``_area_file`` run on the content either way."""
    import importlib.util
    import marshal
    import os
    import sys

    stat = path.stat()
    version = (stat.st_mtime_ns, stat.st_size)
    kept = Path(importlib.util.cache_from_source(str(path))).with_suffix(".marshal")
    try:
        stored, content = marshal.loads(kept.read_bytes())
        if stored == version:
            return content
    except (OSError, EOFError, ValueError, TypeError):
        pass   # none yet, another Python's, or damaged: parse the file
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    content = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    if not sys.dont_write_bytecode:
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            part = kept.with_name(f"{kept.name}.{os.getpid()}.tmp")
            part.write_bytes(marshal.dumps((version, content)))
            os.replace(part, kept)
        except (OSError, ValueError):   # a read-only install; content marshal cannot keep
            pass
    return content


def _message(key: str) -> dict[str, str] | None:
    """The texts of ``key``, read lazily by area (issue 14): a key "<area>.<name>" is looked
    up in ``messages/<area>.yaml`` first, so a command reads the few areas it speaks from, not
    all of them; any other key goes to the whole catalog (whose checks the tests run)."""
    texts = _area_file(key.split(".", 1)[0]).get(key)
    return texts if texts is not None else catalog().get(key)


def t(key: str, lang: Lang | str = Lang.EN, /, **params: Any) -> str:
    """The message ``key`` in ``lang`` with ``params`` filled in; a parameter that is itself a
    catalog message (``Text``, an error from the catalog) is shown in ``lang`` too, and a list
    of them is joined with "; ". An input (``{input.min_trade}``, or a parameter holding a
    ``Field``) is shown by the naming in force (``roboadvisor.fields``)."""
    texts = _message(key)
    if texts is None:
        raise CatalogError(f"no message {key!r} in the catalog")
    shown = {k: _param(v, lang) for k, v in params.items()}
    return texts[Lang.parse(lang).value].format(input=INPUTS, **shown)


def _param(value: Any, lang: Lang | str) -> Any:
    if isinstance(value, Field):
        return name(value)
    if isinstance(value, list | tuple):
        return "; ".join(str(_param(v, lang)) for v in value)
    return localized(value, lang) if hasattr(value, "localized") else value


class Text(str):
    """An English message (a plain ``str`` everywhere) that remembers its catalog key and
    parameters, so the terminal can show it in the user's language (``localized``). Warnings
    travel through the layers as these."""

    key: str
    params: dict[str, Any]

    def localized(self, lang: Lang | str) -> str:
        """The message in ``lang``. In English that is the text itself, which ``text`` made by
        the same call: reading a file builds hundreds of location labels nested in each other
        ("question q3, option b: ..."), and rendering each again in English at every level
        of nesting cost a plan 1,700 catalog look-ups instead of 650 (issue 14)."""
        if Lang.parse(lang) is Lang.EN:
            return str(self)
        return t(self.key, lang, **self.params)


def text(key: str, /, **params: Any) -> Text:
    """Catalog message ``key`` as a ``Text`` (English value, localizable)."""
    message = Text(t(key, Lang.EN, **params))
    message.key = key
    message.params = dict(params)
    return message


def localized(message: object, lang: Lang | str) -> str:
    """``message`` in ``lang`` when it carries a catalog key (a ``Text`` or an error built
    with ``from_catalog``), else its English text."""
    render = getattr(message, "localized", None)
    return render(lang) if callable(render) else str(message)
