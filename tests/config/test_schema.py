"""The flow JSON Schema accepts the examples' flows and rejects what editors should flag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from alur.cli import app
from alur.config.schema import flow_json_schema

jsonschema = pytest.importorskip("jsonschema")
ROOT = Path(__file__).resolve().parents[2]


def validator():
    return jsonschema.Draft202012Validator(flow_json_schema())


@pytest.mark.parametrize("path", sorted(ROOT.glob("examples/*/flows/*.yaml")), ids=lambda p: p.name)
def test_example_flows_match_the_schema(path):
    assert list(validator().iter_errors(YAML(typ="safe").load(path.read_text()))) == []


@pytest.mark.parametrize(
    "nodes",
    [
        {"a": {"type": "playy"}},
        {"a": {"type": "menu", "prompt": "x", "options": {"1": "b"}, "timout": 3}},
        {"a": {"type": "play", "say": ["x"]}},
    ],
)
def test_schema_flags_mistakes(nodes):
    assert list(validator().iter_errors({"flow": "f", "start": "a", "nodes": nodes}))


def test_flow_schema_command(tmp_path):
    out = tmp_path / "flow.schema.json"
    result = CliRunner().invoke(app, ["flow-schema", "--out", str(out)])
    assert result.exit_code == 0
    schema = json.loads(out.read_text())
    assert schema["title"] == "Alur flow" and "MenuNode" in schema["$defs"]
