"""The README's chat-command table is the command table, not a hand-kept copy."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.docs import END, README, START, with_command_table


def test_readme_command_table_is_generated_from_the_command_table():
    result = CliRunner().invoke(app, ["docs", "--check"])
    assert result.exit_code == 0, result.output + "\nrun `kam docs` and commit README.md"


def test_every_command_has_a_row_with_its_chinese_name_and_own_example():
    text = README.read_text(encoding="utf-8")
    table = text.split(START, 1)[1].split(END, 1)[0]
    assert "| `/visit` — Log a visit | `/拜访` |" in table
    assert "`/review` — " in table and "`/评审`" in table
    call_row = next(line for line in table.splitlines() if line.startswith("| `/call`"))
    assert "/call Acme yesterday Li Wei asked about pricing" in call_row
    assert table.index("`/visit`") < table.index("`/csat`") < table.index("`/user`")


def test_drift_is_caught_and_fixed(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{START}\n| stale |\n{END}\n\nafter\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["docs", "--check", "--readme", str(readme)]).exit_code == 1
    assert "| stale |" in readme.read_text(encoding="utf-8")  # --check writes nothing
    assert runner.invoke(app, ["docs", "--readme", str(readme)]).exit_code == 0
    fixed = readme.read_text(encoding="utf-8")
    assert "| stale |" not in fixed and "`/account`" in fixed and fixed.endswith("\n\nafter\n")


def test_markers_are_required():
    with pytest.raises(ValueError, match="markers"):
        with_command_table("no markers here")
