"""Reading flow test case files: caller steps are checked when the file loads, errors name file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from alur.config import load_project
from alur.config.flowtests import CallerStep, Case, load_cases, parse_step
from alur.config.yamlsrc import Problem

SUPPORT = Path(__file__).resolve().parents[2] / "examples" / "support"


@pytest.mark.parametrize("step", ["press 1", {"press": "1x"}, {"press": "1", "delay": 2}, True, {"wait": 3}])
def test_bad_caller_steps(step):
    with pytest.raises(ValueError):
        parse_step(step)


def test_case_holds_its_caller_steps_parsed():
    case = Case.model_validate({"name": "c", "caller": [7, "silence", {"hangup": 2}]})
    assert case.caller == [
        CallerStep("press", "7", after=1.0),
        CallerStep("silence"),
        CallerStep("hangup", after=2.0),
    ]


def test_bad_step_is_a_problem_naming_file_and_line(tmp_path):
    project = tmp_path / "p"
    shutil.copytree(SUPPORT, project)
    (project / "tests" / "main.yaml").write_text(
        'cases:\n  - {name: ok, caller: ["1"]}\n  - name: bad\n    caller: ["1x"]\n'
    )
    problems: list[Problem] = []
    cases = load_cases(load_project(project), problems)
    assert [c.case.name for c in cases] == ["ok"]
    (problem,) = problems
    assert "main.yaml" in problem.file and problem.line == 4
    assert "caller step '1x'" in problem.message
