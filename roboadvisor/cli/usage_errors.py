"""Click's own usage errors (an unknown option, a value of the wrong type, a missing argument)
in the user's language.

Click refuses these before any of our code runs, in English. When the command line asks for
``--lang zh`` (or a bad ``--lang`` value, which has no language yet), the error boundary shows
them as one line from the catalog instead: what is wrong, with the option named, and the
``--help`` to read. Click's structured fields (option name, parameter, choices, formats) fill
the sentence; Click's English detail is kept only where no field says it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from roboadvisor.reports.i18n import Lang, t

# Typer may vendor its own copy of Click (typer._click), so the exception and parameter types
# are recognised by their Click names and fields, not by identity with ``click``'s classes.


def is_usage_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a Click ``UsageError`` (of whichever Click Typer runs on)."""
    return _is(exc, "UsageError")


def _is(exc: BaseException, name: str) -> bool:
    return any(c.__name__ == name for c in type(exc).__mro__)


def _lang_value(args: Sequence[str]) -> str | None:
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def requested_lang(args: Sequence[str]) -> Lang | None:
    """The language ``--lang X`` / ``--lang=X`` asks for in ``args``; None when absent or
    not a language we have."""
    value = _lang_value(args)
    try:
        return None if value is None else Lang.parse(value)
    except ValueError:
        return None


def unknown_lang_text(args: Sequence[str]) -> str | None:
    """When ``--lang`` itself is not a language we have (the usage error is about it, or
    will be once the rest is right): one line in both languages."""
    value = _lang_value(args)
    if value is None or requested_lang(args) is not None:
        return None
    return " / ".join(t("usage.bad_lang", lang, value=value) for lang in (Lang.EN, Lang.ZH))


def _hint(exc: Any) -> str:
    param = exc.param
    if param is None:
        return str(exc.param_hint or "")
    if param.param_type_name == "option":
        return "/".join(param.opts)
    return str(getattr(param, "metavar", None) or param.name or "").upper()


def _expected(param: Any) -> tuple[str, dict[str, str]] | None:
    """(catalog key, params) of what ``param`` takes, from Click's type (``param.type``) or
    Typer's annotation (``param.type_descriptor``); None when neither says."""
    from datetime import date, datetime
    from enum import Enum
    from typing import get_args

    kind = getattr(param, "type", None)
    descriptor = getattr(param, "type_descriptor", None)
    annotation = getattr(descriptor, "annotation", None)
    args = [a for a in get_args(annotation) if a is not type(None)]
    if len(args) == 1:  # X | None
        annotation = args[0]
    formats = getattr(kind, "formats", None) or getattr(
        getattr(descriptor, "parameter_info", None), "formats", None)
    if formats or annotation in (date, datetime):
        shown = ", ".join(f.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD")
                          for f in (formats or ["%Y-%m-%d"]))
        return "usage.expect_date", {"formats": shown}
    choices = getattr(kind, "choices", None)
    if choices is None and isinstance(annotation, type) and issubclass(annotation, Enum):
        choices = list(annotation)
    if choices:
        return "usage.expect_choice", {
            "choices": ", ".join(str(getattr(c, "value", c)) for c in choices)}
    name = getattr(kind, "name", None)
    if annotation is int or name == "integer":
        return "usage.expect_int", {}
    if annotation is float or name == "float":
        return "usage.expect_number", {}
    return None


def usage_text(exc: Any, lang: Lang) -> str:
    """One line saying what is wrong and which ``--help`` to read."""
    command = exc.ctx.command_path if exc.ctx is not None else "roboadvisor"
    return t("usage.line", lang, problem=_problem(exc, lang),
             help=t("usage.see_help", lang, command=command))


def _problem(exc: Any, lang: Lang) -> str:
    if _is(exc, "NoSuchOption"):
        possible = ", ".join(sorted(exc.possibilities or ()))
        key = "usage.no_such_option_possible" if possible else "usage.no_such_option"
        return t(key, lang, option=exc.option_name, possible=possible)
    if _is(exc, "MissingParameter"):
        return t("usage.missing", lang, param=_hint(exc))
    if _is(exc, "BadParameter"):
        expected = _expected(exc.param) if exc.param is not None else None
        what = t(expected[0], lang, **expected[1]) if expected else exc.format_message()
        return t("usage.bad_value", lang, param=_hint(exc), what=what)
    return t("usage.other", lang, detail=exc.format_message())
