"""The one place that prints. Results go to stdout; warnings, errors and progress to stderr.

Area renderers live beside this module (``profile``, ``data``, ``allocation``, ``backtest``) and
build on the helpers here. Consoles are made per call so test runners that swap ``sys.stdout``
capture everything. Colour follows Rich's rules (off when not a terminal, or with NO_COLOR).
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console

_WIDE = 120  # columns used when output is not a terminal (pipes, files, test runners)


def _console(stream: Any) -> Console:
    width = None if (stream.isatty() or os.environ.get("COLUMNS")) else _WIDE
    return Console(file=stream, width=width, highlight=False)


def out() -> Console:
    """The stdout console (results)."""
    return _console(sys.stdout)


def err() -> Console:
    """The stderr console (warnings, errors, progress)."""
    return _console(sys.stderr)


def print_json(data: Any) -> None:
    """Machine-readable output on stdout: UTF-8 JSON, NaN written as null."""
    sys.stdout.write(json.dumps(_jsonable(data), ensure_ascii=False, indent=2) + "\n")


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _jsonable(value.item())
    return value


def _lang() -> str:
    from roboadvisor.cli.options import CURRENT_LANG

    return CURRENT_LANG.get()


def current_lang() -> str:
    """The running command's --lang ("en" or "zh"), for renderers of tables."""
    return _lang()


def error(message: object) -> None:
    """One line on stderr, never wrapped, in the command's --lang when the message has a
    catalog key."""
    from roboadvisor.reports.i18n import localized, t

    lang = _lang()
    err().print(f"{t('common.error_prefix', lang)}: {localized(message, lang)}", markup=False,
                soft_wrap=True, style="bold red")


def warning(message: object) -> None:
    """One line on stderr, never wrapped (localized like ``error``)."""
    from roboadvisor.reports.i18n import localized, t

    lang = _lang()
    err().print(f"{t('common.warning_prefix', lang)}: {localized(message, lang)}",
                markup=False, soft_wrap=True, style="yellow")


def show_warnings(messages: Iterable[object]) -> None:
    """Each message as a ``warning:`` line on stderr."""
    for message in messages:
        warning(message)


def note(message: str) -> None:
    """An informational line on stderr (keeps stdout clean for results), in the command's
    --lang when it is a catalog text."""
    from roboadvisor.reports.i18n import localized

    err().print(localized(message, _lang()), markup=False, soft_wrap=True, style="dim")


def pct(value: float, digits: int = 2) -> str:
    """0.0523 -> '5.23%'; NaN -> '-'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value * 100:.{digits}f}%"


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Any]:
    """A progress bar on stderr; yields ``advance(n=1, description=None)``. Descriptions that
    are catalog texts show in the command's --lang.

    Disappears when done; shows nothing when stderr is not a terminal, and then does not
    even import ``rich.progress`` (a hundredth of a second of a ``plan``: issue 14).
    """
    from roboadvisor.reports.i18n import localized

    lang = _lang()
    console = err()
    if not console.is_terminal:
        yield lambda n=1, description=None: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                   transient=True, disable=not console.is_terminal)
    with bar:
        task = bar.add_task(localized(description, lang), total=total)

        def advance(n: int = 1, description: str | None = None) -> None:
            if description is not None:
                bar.update(task, description=localized(description, lang))
            bar.advance(task, n)

        yield advance
