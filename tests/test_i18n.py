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
