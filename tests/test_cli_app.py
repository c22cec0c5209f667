"""The CLI shell: help lists every command, version, and the error boundary."""

from __future__ import annotations

import subprocess
import sys

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


def test_help_does_not_import_heavy_modules() -> None:
    code = ("import sys, runpy; sys.argv=['roboadvisor','--help'];\n"
            "try:\n    runpy.run_module('roboadvisor', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "heavy=[m for m in ('cvxpy','yfinance','pypfopt','matplotlib','pandas','sklearn',"
            "'jinja2','scipy','sqlalchemy','alembic','cryptography','psycopg','platformdirs',"
            "'filelock','pyarrow','dask','distributed') "
            "if m in sys.modules]\nprint('HEAVY', heavy, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert "HEAVY []" in proc.stderr, proc.stderr[-500:]
