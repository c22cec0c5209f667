"""CLI helpers of the book tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from roboadvisor.cli.app import app

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "questionnaires" / "examples"


def run(url: str, *args: str, code: int = 0) -> Any:
    """Run a command against the book at ``url``; check the exit code; JSON parsed when asked."""
    result = CliRunner().invoke(app, [*args, "--db", url], catch_exceptions=False)
    assert result.exit_code == code, (args, result.stdout, result.stderr)
    if "--json" in args and code == 0:
        return json.loads(result.stdout)
    return result


def record_count(url: str) -> int:
    return len(run(url, "records", "list", "--json"))
