"""The plain conversion of command-line values (cli/plain_coercion) gives what typer's own
pydantic conversion gives: the same value, or the same error word for word."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest
import typer
import typer.main

from roboadvisor.cli import app as _app  # noqa: F401  (installs the plain conversion)
from roboadvisor.cli import plain_coercion

_coercion = pytest.importorskip("typer._coercion", reason="typer without its coercion layer")


def _command(tmp: Path) -> Any:
    demo = typer.Typer()

    @demo.command()
    def run(text: str = "x", path: Path | None = None, count: int = 3, rate: float = 0.5,
            lang: Literal["en", "zh"] = "en", flag: bool = False,
            bounded: int = typer.Option(1, min=0, max=9)) -> None:
        """A command with one option of each kind our CLI uses."""

    del run
    return typer.main.get_command(demo)


SAMPLES: dict[str, list[Any]] = {
    "text": ["abc", "", " spaced ", "中文", 5],
    "path": ["a.yaml", "", "-", "dir/../b.csv", Path("c.json"), 5],
    "count": ["0", "12", "-3", "007", "1_000", " 4", "4.0", "abc", "", 3, 2.5],
    "rate": ["0.5", "5", "-1e-3", "1E+2", "5.", ".5", "1e400", "nan", "inf", "abc", "", 0.5, 2],
    "lang": ["en", "zh", "ZH", "fr", "", 5],
    "flag": ["true", "false", "1", "no", "maybe", True],
    "bounded": ["3", "10", "-1", "x"],
}


def _outcome(runtime: Any, value: Any, param: Any, ctx: Any) -> tuple[str, Any]:
    try:
        result = runtime.coerce(value, param=param, ctx=ctx)
    except typer.BadParameter as exc:
        return "error", exc.format_message()
    return type(result).__name__, result


@pytest.mark.parametrize("name", list(SAMPLES))
def test_plain_values_as_typer_converts_them(name: str, tmp_path: Path) -> None:
    command = _command(tmp_path)
    ctx = command.make_context("run", [])
    param = next(p for p in command.params if p.name == name)
    ours = param.get_runtime_param()
    assert isinstance(ours, plain_coercion._Plain)
    theirs = _coercion.build_runtime_param(param.type_descriptor)
    for value in SAMPLES[name]:
        mine, typers = _outcome(ours, value, param, ctx), _outcome(theirs, value, param, ctx)
        if isinstance(typers[1], float) and typers[1] != typers[1]:  # nan
            assert mine[0] == "float" and mine[1] != mine[1], value
        else:
            assert mine == typers, value

