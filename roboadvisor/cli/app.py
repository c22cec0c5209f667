"""The Typer app: command registration, global options and the one error boundary.

Every ``RoboAdvisorError`` becomes one line on stderr and exit code 2 (bad input) or 1 (other
failures); so does an ``OSError`` no check caught (exit 1, the file and the system's reason);
a traceback only with ROBOADVISOR_DEBUG=1. Commands import heavy modules inside their
functions so ``roboadvisor --help`` stays instant.
"""

from __future__ import annotations

import functools
import importlib
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from roboadvisor import __version__
from roboadvisor.cli import plain_coercion
from roboadvisor.errors import RoboAdvisorError

plain_coercion.install()  # options read without pydantic (issue 14)


class _ErrorBoundary(TyperGroup):
    """Turns our errors into one line and an exit code; Ctrl-C into a clean exit; names
    inputs by their flags (``cli.flags``)."""

    def invoke(self, ctx: Any) -> Any:
        from roboadvisor.cli.flags import CLI_FLAGS
        from roboadvisor.fields import named

        with named(CLI_FLAGS):  # inputs shown as the flags typed, here and in every message
            return self._invoke(ctx)

    def _invoke(self, ctx: Any) -> Any:
        from roboadvisor import config
        from roboadvisor.cli import render
        from roboadvisor.cli.options import CURRENT_LANG
        from roboadvisor.reports.i18n import Lang, t

        CURRENT_LANG.set("en")  # until this command's --lang is parsed
        args = [*getattr(ctx, "_protected_args", ()), *ctx.args]  # before Click consumes them
        try:
            return super().invoke(ctx)
        except RoboAdvisorError as exc:
            if config.debug_enabled():
                raise
            render.error(exc)  # in the command's --lang (CURRENT_LANG) when from the catalog
            raise typer.Exit(exc.exit_code) from None
        except OSError as exc:
            # the safety net for a file the command could not read or write that no check
            # before it caught (a read-only folder, a full disk): one line, never a traceback
            if config.debug_enabled():
                raise
            from roboadvisor.data.atomic import target_of

            path = target_of(exc.filename) if exc.filename else "-"
            render.error(t("common.os_error", Lang.parse(CURRENT_LANG.get()), path=path,
                           reason=exc.strerror or type(exc).__name__))
            raise typer.Exit(1) from None
        except Exception as exc:  # Click's usage errors (Typer may vendor its own Click)
            from roboadvisor.cli import usage_errors as usage

            if not usage.is_usage_error(exc):
                raise
            both = usage.unknown_lang_text(args)
            if both is not None:
                render.error(both)
                raise typer.Exit(2) from None
            if usage.requested_lang(args) is not Lang.ZH:
                raise  # Click's own English message, usage line and box; or not ours
            CURRENT_LANG.set(Lang.ZH.value)
            render.error(usage.usage_text(exc, Lang.ZH))
            raise typer.Exit(getattr(exc, "exit_code", 2)) from None
        except KeyboardInterrupt:
            if config.debug_enabled():
                raise
            render.error(t("common.interrupted", Lang.parse(CURRENT_LANG.get())))
            raise typer.Exit(130) from None


COMMANDS = ("plan", "assess", "allocate", "explain", "frontier", "project", "report")
"""Commands: each is the function of that name in ``roboadvisor.cli.commands.<name>``."""
GROUPS = ("questionnaire", "universe", "data", "backtest", "client", "account", "records", "db",
          "model", "book")
"""Groups of commands: each is the Typer ``app`` of ``roboadvisor.cli.commands.<name>``."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"roboadvisor {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Risk questionnaire -> risk tier -> mean-variance global ETF portfolio -> backtests."""


def build_app(names: tuple[str, ...]) -> typer.Typer:
    """The Typer app with the commands and groups ``names`` (help lists them in that order),
    each command's module imported here."""
    built = typer.Typer(
        cls=_ErrorBoundary,
        name="roboadvisor",
        help="Risk questionnaire -> risk tier -> mean-variance global ETF portfolio -> "
        "backtests.\n\n"
        "Start with:  roboadvisor plan --answers questionnaires/examples/tier3_balanced.yaml",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
    )
    built.callback()(_root)
    for name in names:
        module = importlib.import_module(f"roboadvisor.cli.commands.{name}")
        if name in GROUPS:
            built.add_typer(module.app, name=name, help=module.HELP)
        else:
            built.command(name, help=module.HELP)(getattr(module, name))
    return built


@functools.cache
def full_app() -> typer.Typer:
    """Every command and group."""
    return build_app(COMMANDS + GROUPS)


def __getattr__(name: str) -> typer.Typer:
    """``app`` (every command; what the tests and ``--help`` use), built on first use."""
    if name == "app":
        return full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point."""
    app_for(sys.argv[1:])()


def app_for(args: list[str]) -> typer.Typer:
    """The app with only the command or group that ``args`` start with, when they start with
    one's name; else the full app (no arguments, ``--help``, ``--version``, a misspelt name
    that Click should suggest a command for).

    A process runs one command, but Typer turns every registered function into a Click
    command (signatures, type hints, options) before it runs any, and each command's module
    has its imports: building the one command named saves about 25 ms of a ``plan`` whose
    whole process takes a quarter of a second, importing only its module 15 ms more
    (issue 14). The command runs the same either way (tests/test_cli_app.py)."""
    name = args[0] if args else ""
    return build_app((name,)) if name in COMMANDS + GROUPS else full_app()
