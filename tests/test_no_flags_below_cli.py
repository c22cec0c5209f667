"""Services, the domain, the batch and the book name an input by its neutral ``Field``, never
by a CLI flag: the CLI's error boundary shows fields as the flags typed (``cli.flags``), a
Python API caller sees the neutral name. Two scans keep the class from coming back (a flag
written as a string literal below the CLI; a flag in the text of a catalog key raised outside
the CLI), and the renderings are checked on both sides of the boundary."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import roboadvisor
from roboadvisor.cli.flags import CLI_FLAGS
from roboadvisor.errors import InputError, RoboAdvisorError
from roboadvisor.fields import Field, name, named
from roboadvisor.reports.i18n import Lang, catalog, t

PACKAGE = Path(roboadvisor.__file__).resolve().parent
BELOW_CLI = ("services", "domain", "batch", "book")
FLAG = re.compile(r"(?<![\w-])--[a-z][\w-]*")
"""A CLI flag in a text (``--min-trade``), not a dash run or an em dash."""


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the bare string statements (module, class, function and attribute docstrings)."""
    return {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)}


def _strings(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every string constant of ``path`` but its docstrings (f-string parts
    included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docs):
            yield node.lineno, node.value


def flag_literals(root: Path = PACKAGE) -> list[str]:
    """``file:line: text`` of every string literal naming a flag in the layers below the CLI."""
    found = []
    for package in BELOW_CLI:
        for path in sorted((root / package).rglob("*.py")):
            for line, value in _strings(path):
                if FLAG.search(value):
                    found.append(f"{path.relative_to(root)}:{line}: {value[:60]!r}")
    return found


def _key_patterns(path: Path) -> Iterator[re.Pattern[str]]:
    """The catalog keys ``path`` can name: each string constant, and each f-string with its
    holes as wildcards (``f"zh_hardening.download_{kind}"``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            head = node.values[0] if node.values else None
            if not (isinstance(head, ast.Constant) and re.match(r"\w+\.", str(head.value))):
                continue  # not a key: a key's f-string starts with its area
            parts = [re.escape(v.value) if isinstance(v, ast.Constant) else ".+"
                     for v in node.values]
            yield re.compile("".join(parts))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in docs):
            yield re.compile(re.escape(node.value))


def keys_used_outside_cli(root: Path = PACKAGE) -> set[str]:
    """Catalog keys named anywhere in the package but roboadvisor/cli (raised, or passed on
    as a ``Text`` that any caller, the Python API included, may see)."""
    keys = set(catalog())
    used: set[str] = set()
    for path in root.rglob("*.py"):
        if path.relative_to(root).parts[0] == "cli":
            continue
        for pattern in _key_patterns(path):
            used |= {k for k in keys if pattern.fullmatch(k)}
    return used


def flagged_keys_outside_cli(root: Path = PACKAGE) -> list[str]:
    messages = catalog()
    return sorted(f"{key}: {sorted(set(FLAG.findall(texts['en'] + ' ' + texts['zh'])))}"
                  for key in keys_used_outside_cli(root)
                  for texts in [messages[key]] if FLAG.search(texts["en"] + texts["zh"]))


def test_no_flag_literal_in_services_domain_batch_book() -> None:
    assert flag_literals() == []


def test_no_flag_in_catalog_keys_raised_outside_the_cli() -> None:
    assert flagged_keys_outside_cli() == []


def test_the_scans_find_what_they_look_for(tmp_path: Path) -> None:
    """Both scans fail on a flag written the old way (so the two tests above can fail)."""
    services = tmp_path / "services"
    services.mkdir()
    (services / "bad.py").write_text(
        '"""Docstrings may say --min-trade."""\n'
        'X = 1\n"""Attribute docstrings too: --min-trade."""\n'
        'def f(v):\n    raise ValueError(option="--min-trade", text=f"{v} --rule")\n',
        encoding="utf-8")
    for package in BELOW_CLI[1:]:
        (tmp_path / package).mkdir()
    assert [line.split(": ")[0] for line in flag_literals(tmp_path)] == [
        "services/bad.py:5", "services/bad.py:5"]
    flagged = next(k for k, v in catalog().items() if FLAG.search(v["en"]))
    (services / "raise.py").write_text(f'E = "{flagged}"\n', encoding="utf-8")
    assert [line.split(":")[0] for line in flagged_keys_outside_cli(tmp_path)] == [flagged]


def test_every_input_placeholder_names_a_field() -> None:
    for key, texts in catalog().items():
        for lang in Lang:
            for _, hole, _, _ in string.Formatter().parse(texts[lang.value]):
                if hole and hole.startswith("input."):
                    assert hole.removeprefix("input.").upper() in Field.__members__, (key, hole)


def test_every_field_is_shown_as_an_option_some_command_has() -> None:
    import typer.main

    from roboadvisor.cli.app import app

    options: set[str] = set()
    stack = [typer.main.get_command(app)]
    while stack:
        command = stack.pop()
        stack.extend(getattr(command, "commands", {}).values())
        for param in command.params:
            options.update(getattr(param, "opts", ()))
            options.update(getattr(param, "secondary_opts", ()))
    assert set(CLI_FLAGS) == set(Field)
    assert {flag for flag in CLI_FLAGS.values() if flag not in options} == set()


def test_a_field_is_its_neutral_name_outside_the_cli_and_its_flag_inside() -> None:
    error = InputError.from_catalog("scaletrades.min_trade_negative", value=-1)
    assert str(error) == error.localized(Lang.EN)
    assert "min_trade -1" in str(error) and "--" not in str(error)
    assert "min_trade" in error.localized(Lang.ZH) and "--" not in error.localized(Lang.ZH)
    with named(CLI_FLAGS):
        assert error.localized(Lang.EN).startswith("--min-trade -1 is negative")
        assert error.localized(Lang.ZH).startswith("--min-trade -1")
        assert t("zh_hardening.option_problem", Lang.EN, option=Field.RULE,
                 problem="x") == "--rule: x"
    assert name(Field.RULE) == "rule"


runner = CliRunner()


def _api_error(call: object, *args: object, **kwargs: object) -> RoboAdvisorError:
    with pytest.raises(RoboAdvisorError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value


@pytest.mark.parametrize(("call", "kwargs", "neutral"), [
    ("project", {"tier": 3, "amount": 1000.0, "monthly": -5.0}, "monthly"),
    ("project", {"tier": 3, "amount": 0.0, "monthly": 0.0}, "amount"),
    ("project", {"tier": 3, "amount": 100.0, "goal": 1e6, "target_probability": 2.0},
     "target_probability"),
    ("allocate", {"tier": 3, "estimates": "bogus"}, "estimates"),
    ("allocate", {"tier": 3, "method": "bogus", "estimates": "history"}, "method"),
    ("allocate", {"tier": 3, "method": "mean"}, "method"),
    ("backtest", {"strategy": 3, "rule": "bogus"}, "rule"),
])
def test_an_api_call_with_a_bad_value_names_the_neutral_field(
        call: str, kwargs: dict[str, object], neutral: str) -> None:
    import roboadvisor.api as ra

    error = _api_error(getattr(ra, call), **kwargs)
    for lang in Lang:
        shown = error.localized(lang)
        assert neutral in shown and "--" not in shown, shown


@pytest.mark.parametrize(("args", "shown"), [
    (["project", "--tier", "3", "--monthly", "-5"], "--monthly -5"),
    (["allocate", "--tier", "3", "--source", "bogus"], "--source bogus"),
    (["allocate", "--tier", "3", "--method", "ema"], "--method applies to --source history"),
])
def test_the_terminal_still_names_the_flags_in_both_languages(args: list[str],
                                                               shown: str) -> None:
    from roboadvisor.cli.app import app

    for lang, prefix in (("en", "error: "), ("zh", "错误: ")):
        result = runner.invoke(app, [*args, "--lang", lang], color=False, terminal_width=400)
        assert result.exit_code == 2
        assert result.output.startswith(prefix + shown.split(" applies")[0]), result.output
        if lang == "en":
            assert shown in result.output
        assert name(Field.MONTHLY) == "monthly"  # the naming ended with the command
