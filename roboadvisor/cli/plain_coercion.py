"""Command-line values converted without pydantic, so that a command starts quickly (issue 14).

typer (0.2x) converts every option's text through a pydantic ``TypeAdapter`` built on first
use: importing pydantic (with asyncio, ssl, email, zoneinfo that it pulls in) and building the
adapters cost about 0.1-0.15 s of every command that takes an option, more than ``plan``
computes. Our options are plain: str, Path, int, float, bool and ``Literal["en", "zh"]``.

``install`` gives every typer parameter a conversion that handles the ordinary
spellings of these directly, with typer's own pydantic-free helpers where typer has them
(``coerce_cli_path`` for paths, ``coerce_cli_choice`` for choices), returning the value typer's
adapter returns. Anything else (a value it does not recognise, a bad choice, a number with
bounds, a date, a list) goes to typer's own conversion, built the way typer builds it: errors
read word for word as typer's. On a typer without this machinery (older versions convert with
click types) ``install`` changes nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:  # typer's private coercion layer (0.2x); without it there is nothing to speed up
    from typer import _coercion
    from typer._param_types import choice_coercion_annotation, coerce_cli_choice, coerce_cli_path
    from typer.core import _TyperParameter
except ImportError:  # pragma: no cover - an older typer
    _coercion = None  # type: ignore[assignment]

_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]{1,3})?")
"""The spellings converted here; pydantic accepts these and more ("1_000", " 5") and gives the
same number for these (the rest go to typer's conversion)."""

_UNHANDLED = object()


def install() -> None:
    """Make every typer parameter convert with ``_Plain`` (once per process; idempotent).

    Set on typer's parameter class rather than on our parameters one by one, because typer
    makes some parameters late (each command's ``--help`` option, when the line is parsed)."""
    if _coercion is None or getattr(_TyperParameter, "_plain_coercion", False):
        return

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            descriptor = self.type_descriptor
            self._runtime_param = _Plain(descriptor.parameter_info, descriptor.annotation,
                                         descriptor)
        return self._runtime_param

    _TyperParameter.get_runtime_param = get_runtime_param  # type: ignore[method-assign]
    _TyperParameter._plain_coercion = True  # type: ignore[attr-defined]


if _coercion is not None:

    @dataclass(frozen=True)
    class _Plain(_coercion.RuntimeParam):
        """A plain value converted here; anything else by typer's (pydantic) conversion."""

        descriptor: Any = None
        _typer: list[Any] = field(default_factory=list, compare=False, repr=False)

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            quick = _plain_value(self.annotation, self.parameter_info, value, param, ctx)
            if quick is not _UNHANDLED:
                return quick
            if not self._typer:
                self._typer.append(_coercion.build_runtime_param(self.descriptor))
            return self._typer[0].coerce(value, param=param, ctx=ctx)


def _plain_value(annotation: Any, info: Any, value: Any, param: Any, ctx: Any) -> Any:
    """``value`` converted to ``annotation`` as typer's adapter would, or ``_UNHANDLED``."""
    if annotation is str:
        return value if isinstance(value, str) else _UNHANDLED
    if annotation is Path:
        if not isinstance(value, str | Path) or info.allow_dash or info.path_type is not None:
            return _UNHANDLED
        return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
    if annotation in (int, float):
        if info.min is not None or info.max is not None or info.clamp:
            return _UNHANDLED
        if type(value) is annotation:
            return value
        if isinstance(value, str) and (_INT if annotation is int else _FLOAT).fullmatch(value):
            number = annotation(value)
            return number if math.isfinite(number) else _UNHANDLED
        return _UNHANDLED
    choices = choice_coercion_annotation(annotation, info)
    if choices is not None:
        try:
            return coerce_cli_choice(value, choices=choices[0], case_sensitive=choices[1],
                                     ctx=ctx)
        except ValueError:
            return _UNHANDLED
    return _UNHANDLED
