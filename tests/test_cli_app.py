"""The CLI shell: help lists every command, version, and the error boundary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app

runner = CliRunner()

COMMANDS = ["plan", "assess", "allocate", "explain", "frontier",
            "questionnaire", "universe", "data", "backtest", "project", "report", "client",
            "account", "records", "db", "book"]


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert "roboadvisor" in result.output


HEAVY = ("cvxpy", "yfinance", "pypfopt", "matplotlib", "pandas", "sklearn", "jinja2", "scipy",
         "sqlalchemy", "alembic", "cryptography", "psycopg", "platformdirs", "filelock",
         "pyarrow", "dask", "distributed", "numpy.ma", "pydantic", "asyncio", "rich.progress")
"""Modules that cost tenths of a second to import: neither --help nor a plan on the shipped
assumptions may load them (issue 14: plan is a whole process in well under a second).
pydantic (with asyncio) is typer's way of converting option values: cli/plain_coercion;
rich.progress draws a bar that is not shown without a terminal: render.progress."""
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "questionnaires" / "examples" / "tier3_balanced.yaml"


@pytest.mark.parametrize("argv", [["--help"], ["plan", "--answers", str(EXAMPLE)],
                                  ["plan", "--answers", str(EXAMPLE), "--json"],
                                  ["assess", "--answers", str(EXAMPLE), "--json"],
                                  ["allocate", "--tier", "3", "--json"]],
                         ids=["help", "plan", "plan-json", "assess-api", "allocate-api"])
def test_help_and_plan_do_not_import_heavy_modules(argv: list[str]) -> None:
    code = (f"import sys, runpy; sys.argv=['roboadvisor', *{argv!r}]\n"
            "try:\n    runpy.run_module('roboadvisor', run_name='__main__')\n"
            "except SystemExit as exc:\n    print('EXIT', exc.code, file=sys.stderr)\n"
            f"heavy=[m for m in {HEAVY!r} if m in sys.modules]\n"
            "print('HEAVY', heavy, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert "HEAVY []" in proc.stderr, proc.stderr[-500:]
    assert "EXIT 1" not in proc.stderr and "EXIT 2" not in proc.stderr, proc.stderr[-500:]
    if argv[0] == "plan":
        assert "Tier 3" in proc.stdout or '"tier"' in proc.stdout, proc.stdout[-500:]


def test_a_command_line_builds_only_the_command_it_names() -> None:
    """``main`` runs ``app_for(argv)``: the one command named first, or the full app when the
    line starts with an option or a name that is not a command (issue 14)."""
    from roboadvisor.cli.app import app_for

    plan_only = app_for(["plan", "--answers", str(EXAMPLE)])
    assert [c.name for c in plan_only.registered_commands] == ["plan"]
    assert not plan_only.registered_groups
    backtest_only = app_for(["backtest", "run"])
    assert [g.name for g in backtest_only.registered_groups] == ["backtest"]
    assert not backtest_only.registered_commands
    for argv in ([], ["--help"], ["--version", "plan"], ["pla"]):
        assert app_for(argv) is app
    for name in COMMANDS:
        slim = app_for([name])
        assert len(slim.registered_commands) + len(slim.registered_groups) == 1, name


def test_plan_imports_no_other_command() -> None:
    """``app_for`` imports the module of the command it runs only (issue 14)."""
    code = ("import sys\nfrom roboadvisor.cli.app import app_for\napp_for(['plan'])\n"
            "print(sorted(m for m in sys.modules if m.startswith('roboadvisor.cli.commands.')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    # plan shares its market options with allocate
    assert proc.stdout.split() == ["['roboadvisor.cli.commands.allocate',",
                                   "'roboadvisor.cli.commands.plan']"], proc.stderr[-500:]


@pytest.mark.parametrize("argv", [["plan", "--answers", str(EXAMPLE), "--json"],
                                  ["plan", "--answers", str(EXAMPLE), "--bogus"],
                                  ["plan", "--help"], ["backtest", "--help"]],
                         ids=["plan", "usage-error", "plan-help", "group-help"])
def test_the_slim_app_answers_as_the_full_one(argv: list[str]) -> None:
    from roboadvisor.cli.app import app_for

    full = runner.invoke(app, argv)
    slim = runner.invoke(app_for(argv), argv)
    assert slim.exit_code == full.exit_code
    drop = [line for line in full.output.splitlines() if "assessed_at" not in line]
    assert [line for line in slim.output.splitlines() if "assessed_at" not in line] == drop
