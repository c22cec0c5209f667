"""The one en/zh catalog: every key has both languages, placeholders agree, errors translate."""

from __future__ import annotations

import string

import pytest

from roboadvisor.errors import ConfigError
from roboadvisor.reports.i18n import CatalogError, Lang, catalog, t


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_has_both_languages_with_the_same_placeholders():
    messages = catalog()
    assert "common.interrupted" in messages
    for key, texts in messages.items():
        assert texts["en"].strip() and texts["zh"].strip(), key
        assert _fields(texts["en"]) == _fields(texts["zh"]), key


def test_lang_parse_accepts_common_spellings_and_refuses_others():
    assert Lang.parse(None) is Lang.EN
    assert Lang.parse("ZH-cn") is Lang.ZH
    with pytest.raises(ValueError, match="use en or zh"):
        Lang.parse("fr")


def test_unknown_key_is_a_catalog_error():
    with pytest.raises(CatalogError, match="no message"):
        t("no.such.key")


def test_error_from_catalog_is_english_and_translates():
    error = ConfigError.from_catalog("common.interrupted")
    assert isinstance(error, ConfigError)
    assert str(error) == t("common.interrupted", Lang.EN)
    assert error.localized(Lang.ZH) == t("common.interrupted", Lang.ZH)
    assert error.localized(Lang.ZH) != str(error)
    assert ConfigError("plain").localized(Lang.ZH) == "plain"


def test_message_files_are_parsed_once_per_version_and_kept_like_bytecode(tmp_path, monkeypatch):
    """``_parsed`` keeps a message file's content where Python keeps bytecode (issue 14): read
    back while the file's modification time and size match, parsed again when they do not,
    and not written when Python writes no bytecode."""
    import os
    import sys

    import yaml

    from roboadvisor.reports.i18n import _parsed

    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "pyc"))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    source = tmp_path / "area.yaml"
    source.write_text('area.a:\n  en: "one"\n  zh: "一"\n', encoding="utf-8")
    assert _parsed(source) == yaml.safe_load(source.read_text(encoding="utf-8"))
    kept = list((tmp_path / "pyc").rglob("area.*.marshal"))
    assert len(kept) == 1
    # what is kept is what is read while the file is unchanged ...
    import marshal

    version, _ = marshal.loads(kept[0].read_bytes())
    kept[0].write_bytes(marshal.dumps((version, {"area.a": {"en": "kept", "zh": "kept"}})))
    assert _parsed(source)["area.a"]["en"] == "kept"
    # ... and a changed file is parsed again
    source.write_text('area.a:\n  en: "two!"\n  zh: "二"\n', encoding="utf-8")
    os.utime(source, ns=(version[0] + 10**9, version[0] + 10**9))
    assert _parsed(source)["area.a"]["en"] == "two!"
    # a damaged copy is parsed over; with bytecode off nothing is written
    kept[0].write_bytes(b"\x00garbage")
    assert _parsed(source)["area.a"]["zh"] == "二"
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    other = tmp_path / "other.yaml"
    other.write_text('other.b:\n  en: "b"\n  zh: "乙"\n', encoding="utf-8")
    assert _parsed(other)["other.b"]["en"] == "b"
    assert not list((tmp_path / "pyc").rglob("other.*"))


def test_a_text_in_english_is_itself_and_in_chinese_is_rendered_again():
    """``Text.localized`` returns the English text as made (issue 14: no re-rendering of
    nested labels), and renders nested texts in Chinese at every level."""
    from roboadvisor.reports.i18n import text

    inner = text("zh_hardening.q_question", id="q1")
    outer = text("zh_hardening.where_colon", where=inner)
    assert outer.localized(Lang.EN) == t("zh_hardening.where_colon", Lang.EN,
                                        where=t("zh_hardening.q_question", Lang.EN, id="q1"))
    assert type(outer.localized("en")) is str
    assert outer.localized(Lang.ZH) == t("zh_hardening.where_colon", Lang.ZH,
                                        where=t("zh_hardening.q_question", Lang.ZH, id="q1"))
    assert outer.localized(Lang.ZH) != outer.localized(Lang.EN)
