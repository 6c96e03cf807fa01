"""The tutorial's files, taken from docs/tutorial.md, validate and pass their tests; its deliberate
mistakes give the errors the tutorial shows."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from alur.cli import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"


def write_tutorial_project(root: Path) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)
    (root / "alur.yaml").parent.mkdir(parents=True, exist_ok=True)
    (root / "alur.yaml").write_text(blocks[0])
    for block in blocks[1:]:
        match = re.match(r"# (\S+\.yaml)\n", block)
        if match:
            path = root / match.group(1)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block)


def test_tutorial_project_validates_and_passes(tmp_path):
    write_tutorial_project(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["validate", str(tmp_path)]).exit_code == 0
    result = runner.invoke(app, ["test-flow", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "5 passed, 0 failed" in result.output


def test_tutorial_mistakes_read_as_documented(tmp_path):
    write_tutorial_project(tmp_path)
    flow = tmp_path / "flows" / "main.yaml"
    flow.write_text(
        flow.read_text().replace('"1": support', '"1": suport').replace("queue: support", "queue: helpdesk")
    )
    result = CliRunner().invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    for line in re.findall(r"^error .*$", DOC.read_text(), re.M):
        assert line in result.output
