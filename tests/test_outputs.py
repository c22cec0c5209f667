"""Output files (issue 8): checked before the work starts, written together at the end.

An unwritable folder is /proc here: even root cannot create files there, so the test is real
(a chmod'ed folder does not stop root, which runs these tests in CI)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from roboadvisor.cli.app import app
from roboadvisor.data.outputs import check_output, write_outputs
from roboadvisor.errors import ConfigError, InputError
from tests.conftest import REPO_ROOT

UNWRITABLE = Path("/proc")
pytestmark = pytest.mark.skipif(not UNWRITABLE.is_dir(), reason="needs /proc (Linux)")
runner = CliRunner()


def test_an_unwritable_folder_is_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"--plot /proc/x.png: cannot write in /proc"):
        check_output(UNWRITABLE / "x.png", "--plot", suffix=".png")
    assert check_output(tmp_path / "new" / "x.csv", "--csv", create_parent=True)
    with pytest.raises(InputError, match="does not exist"):
        check_output(tmp_path / "new" / "x.csv", "--csv")


def test_files_of_one_command_are_written_all_or_none(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("old")
    with pytest.raises(ConfigError, match="nothing was written"):
        write_outputs({tmp_path / "a.csv": "new", tmp_path / "b.csv": "b",
                       UNWRITABLE / "c.png": b"png"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]
    assert (tmp_path / "a.csv").read_text() == "old"
    assert write_outputs({tmp_path / "a.csv": "new", tmp_path / "d" / "b.csv": "b"}) == [
        tmp_path / "a.csv", tmp_path / "d" / "b.csv"]
    assert (tmp_path / "a.csv").read_text() == "new"


def test_backtest_refuses_an_unwritable_plot_before_running(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["backtest", "run", str(REPO_ROOT / "backtests" /
                                                         "tier3_quarterly.yaml"),
                                 "--csv", str(out), "--plot", "/proc/x.png"], color=False)
    assert result.exit_code == 2
    assert "cannot write in /proc" in result.output and "CAGR" not in result.output
    assert not out.exists()


def test_frontier_refuses_an_unwritable_plot_in_one_line() -> None:
    result = runner.invoke(app, ["frontier", "--plot", "/proc/f.png"], color=False)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "cannot write in /proc" in result.output


def test_assess_refuses_an_unwritable_answers_file_before_the_first_question() -> None:
    result = runner.invoke(app, ["assess", "--save-answers", "/proc/a.yaml"], input="1\n" * 12,
                           color=False)
    assert result.exit_code == 2 and "cannot write in /proc" in result.output
    assert "?" not in result.output  # no question was asked
