"""The Typer app: command registration, global options and the one error boundary.

Every ``RoboAdvisorError`` becomes one line on stderr and exit code 2 (bad input) or 1 (other
failures); so does an ``OSError`` no check caught (exit 1, the file and the system's reason);
a traceback only with ROBOADVISOR_DEBUG=1. Commands import heavy modules inside their
functions so ``roboadvisor --help`` stays instant.
"""

from __future__ import annotations

import copy
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from roboadvisor import __version__
from roboadvisor.cli import plain_coercion
from roboadvisor.cli.commands import account as account_cmd
from roboadvisor.cli.commands import allocate as allocate_cmd
from roboadvisor.cli.commands import assess as assess_cmd
from roboadvisor.cli.commands import backtest as backtest_cmd
from roboadvisor.cli.commands import book as book_cmd
from roboadvisor.cli.commands import client as client_cmd
from roboadvisor.cli.commands import data as data_cmd
from roboadvisor.cli.commands import db as db_cmd
from roboadvisor.cli.commands import explain as explain_cmd
from roboadvisor.cli.commands import frontier as frontier_cmd
from roboadvisor.cli.commands import model as model_cmd
from roboadvisor.cli.commands import plan as plan_cmd
from roboadvisor.cli.commands import project as project_cmd
from roboadvisor.cli.commands import questionnaire as questionnaire_cmd
from roboadvisor.cli.commands import records as records_cmd
from roboadvisor.cli.commands import report as report_cmd
from roboadvisor.cli.commands import universe as universe_cmd
from roboadvisor.errors import RoboAdvisorError

plain_coercion.install()  # options read without pydantic (issue 14)


class _ErrorBoundary(TyperGroup):
    """Turns our errors into one line and an exit code; Ctrl-C into a clean exit."""

    def invoke(self, ctx: Any) -> Any:
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


app = typer.Typer(
    cls=_ErrorBoundary,
    name="roboadvisor",
    help="Risk questionnaire -> risk tier -> mean-variance global ETF portfolio -> backtests.\n\n"
    "Start with:  roboadvisor plan --answers questionnaires/examples/tier3_balanced.yaml",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"roboadvisor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Risk questionnaire -> risk tier -> mean-variance global ETF portfolio -> backtests."""


app.command("plan", help=plan_cmd.HELP)(plan_cmd.plan)
app.command("assess", help=assess_cmd.HELP)(assess_cmd.assess)
app.command("allocate", help=allocate_cmd.HELP)(allocate_cmd.allocate)
app.command("explain", help=explain_cmd.HELP)(explain_cmd.explain)
app.command("frontier", help=frontier_cmd.HELP)(frontier_cmd.frontier)
app.command("project", help=project_cmd.HELP)(project_cmd.project)
app.command("report", help=report_cmd.HELP)(report_cmd.report)
app.add_typer(questionnaire_cmd.app, name="questionnaire", help=questionnaire_cmd.HELP)
app.add_typer(universe_cmd.app, name="universe", help=universe_cmd.HELP)
app.add_typer(data_cmd.app, name="data", help=data_cmd.HELP)
app.add_typer(backtest_cmd.app, name="backtest", help=backtest_cmd.HELP)
app.add_typer(client_cmd.app, name="client", help=client_cmd.HELP)
app.add_typer(account_cmd.app, name="account", help=account_cmd.HELP)
app.add_typer(records_cmd.app, name="records", help=records_cmd.HELP)
app.add_typer(db_cmd.app, name="db", help=db_cmd.HELP)
app.add_typer(model_cmd.app, name="model", help=model_cmd.HELP)
app.add_typer(book_cmd.app, name="book", help=book_cmd.HELP)


def main() -> None:
    """Console-script entry point."""
    app_for(sys.argv[1:])()


def app_for(args: list[str]) -> typer.Typer:
    """``app`` with only the command that ``args`` start with, when they start with one.

    Typer turns every registered function into a Click command (signatures, type hints,
    options) before it runs any: 44 commands, about 25 ms of a ``plan`` whose whole process
    takes a quarter of a second (issue 14). A command line that starts with a command's or a
    group's name runs that one the same way with the others left out; anything else (no
    arguments, ``--help``, ``--version``, a misspelt command that Click should suggest a
    name for) gets the full app."""
    name = args[0] if args else ""
    commands = [c for c in app.registered_commands if c.name == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    slim = copy.copy(app)
    slim.registered_commands, slim.registered_groups = commands, groups
    return slim
