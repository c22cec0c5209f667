"""--lang zh shows file-reading errors, number/field errors and tables in Chinese (issue 8).
Expected texts are built from the catalog (``t(key, Lang.ZH, ...)``), never copied output."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from roboadvisor.cli.app import app
from roboadvisor.reports.i18n import Lang, t

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), color=False, terminal_width=200)
    return result.exit_code, result.output


def test_yaml_reading_errors_in_chinese(tmp_path: Path) -> None:
    aliased = tmp_path / "a.yaml"
    aliased.write_text("answers: &a\n  horizon: *a\n")
    code, out = run("assess", "--answers", str(aliased), "--lang", "zh")
    label = t("files.label_answers_file", Lang.ZH, path=aliased)
    assert code == 2
    assert out.strip() == "错误: " + t("data.in_file", Lang.ZH, path=label,
                                      problem=t("files.alias", Lang.ZH, line=1))
    code, en = run("assess", "--answers", str(aliased))
    assert code == 2 and "anchor or alias" in en and "答案" not in en

    missing = tmp_path / "none.yaml"
    code, out = run("backtest", "run", str(missing), "--lang", "zh")
    assert code == 2 and t("files.not_found", Lang.ZH) in out and str(missing) in out

    deep = tmp_path / "d.json"
    deep.write_text("[" * 40 + "]" * 40)
    code, out = run("backtest", "run", str(deep), "--lang", "zh")
    assert code == 2 and t("files.too_deep", Lang.ZH, depth=32) in out

    broken = tmp_path / "b.yaml"
    broken.write_text("tier: [3\n")
    code, out = run("backtest", "run", str(broken), "--lang", "zh")
    assert code == 2 and "不是有效的 YAML" in out and "第 " in out


def test_number_and_field_errors_in_chinese(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("tier: 3\ncosts:\n  bps: .inf\n")
    code, out = run("backtest", "run", str(config), "--lang", "zh")
    problem = t("files.must_be", Lang.ZH, where="", kind=t("files.kind_finite", Lang.ZH),
                hint="", value="inf")
    assert code == 2
    assert out.strip() == "错误: " + t("files.field", Lang.ZH, path=config, field="costs.bps",
                                      problem=problem)
    config.write_text("tier: 3\ncosts:\n  bps: 5000\n")
    code, out = run("backtest", "run", str(config), "--lang", "zh")
    assert code == 2 and t("files.outside", Lang.ZH, said="5000", lo="0", hi="1000",
                           hint="") in out
    code, en = run("backtest", "run", str(config))
    assert code == 2 and en.strip().endswith("costs.bps: 5000 is outside 0..1000")
