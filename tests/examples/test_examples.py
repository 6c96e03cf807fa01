"""Every example validates and passes its own flow tests through `alur test-flow`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from alur.cli import app

EXAMPLES = sorted(p for p in (Path(__file__).resolve().parents[2] / "examples").iterdir() if p.is_dir())


def test_there_are_examples():
    assert {p.name for p in EXAMPLES} >= {"support", "small-business"}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_layout(example: Path):
    for part in ("alur.yaml", "flows", "queues", "agents", "calendars", "directory", "tests", "README.md"):
        assert (example / part).exists(), f"{example.name} lacks {part}"
    assert list((example / "tests").glob("*.yaml"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_validates(example: Path):
    result = CliRunner().invoke(app, ["validate", str(example)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok ")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_flow_tests_pass(example: Path):
    result = CliRunner().invoke(app, ["test-flow", str(example)])
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.output and "FAIL" not in result.output


def test_support_example_is_bilingual_and_routes_by_language():
    from alur.config import load_project

    project = load_project(EXAMPLES[[p.name for p in EXAMPLES].index("support")])
    main = project.flows["main"]
    languages = {
        lang for node in main.nodes.values() for _, spec in node.prompts() for lang in spec.languages()
    }
    assert {"en", "id"} <= languages
    queues = [n for n in main.nodes.values() if n.type == "queue"]
    assert queues and all(n.language == "${language}" for n in queues)
