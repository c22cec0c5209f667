"""Numbers no user means (an amount of 1e300, a negative seed, a book of 10^11 accounts) are
refused in one line with exit 2, never a traceback or a table of 300-digit figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app

CASES = [
    (["project", "--tier", "3", "--amount", "1e300"], "--amount 1e+300"),
    (["project", "--tier", "3", "--amount", "1000", "--monthly", "1e20"], "--monthly 1e+20"),
    (["project", "--tier", "3", "--amount", "1000", "--goal", "1e300"], "--goal 1e+300"),
    (["project", "--tier", "3", "--amount", "1000", "--seed", "-1"], "--seed -1"),
    (["allocate", "--tier", "3", "--amount", "1e300"], "--amount 1e+300"),
    (["book", "synth", "--accounts", "10", "--seed", "-1"], "--seed -1"),
    (["book", "synth", "--accounts", str(10**11)], "at most"),
]


@pytest.mark.parametrize(("args", "says"), CASES, ids=[" ".join(c[0][:2]) + " " + c[1]
                                                       for c in CASES])
def test_refused_in_one_line(args: list[str], says: str, tmp_path: Path) -> None:
    if args[:2] == ["book", "synth"]:
        args = [*args, "--out", str(tmp_path / "book")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "book").exists()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_unwritable_output_is_one_line_naming_the_file(lang: str) -> None:
    """/proc exists but takes no new files: no check before the write can know, so the
    boundary's OSError net answers, naming the file asked for (not the temporary one)."""
    if not Path("/proc/self").exists():
        pytest.skip("needs Linux /proc (an existing folder that refuses new files)")
    result = CliRunner().invoke(app, ["report", "--tier", "3", "--amount", "1000", "--out",
                                      "/proc/x.html", "--lang", lang])
    message = result.stderr.strip()
    assert result.exit_code == 1 and len(message.splitlines()) == 1
    assert "/proc/x.html" in message and ".tmp" not in message
    assert ("could not read or write" if lang == "en" else "无法读写") in message
