"""A queue's wallboard colours: thresholds from its file, the defaults when absent, and thresholds in
the wrong order or out of range are one problem naming the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_project_loader import make, problems

from alur.config import load_project


def test_thresholds_from_the_file_and_defaults(tmp_path: Path) -> None:
    root = make(tmp_path, {
        "queues/billing.yaml": "name: billing\nwallboard:\n  waiting: {warn: 1, alert: 2}\n",
        "queues/sales.yaml": "name: sales\n",
    })  # fmt: skip
    project = load_project(root)
    billing = project.queues["billing"].wallboard
    assert (billing.waiting.warn, billing.waiting.alert) == (1, 2)
    assert (billing.longest_wait.warn, billing.longest_wait.alert) == (20, 60)  # not given: the default
    sales = project.queues["sales"].wallboard.model_dump()
    assert sales == {
        "waiting": {"warn": 3, "alert": 6},
        "longest_wait": {"warn": 20, "alert": 60},
        "service_level": {"warn": 80, "alert": 60},
        "abandoned": {"warn": 5, "alert": 10},
    }


@pytest.mark.parametrize(
    ("wallboard", "expected"),
    [
        ("{waiting: {warn: 6, alert: 3}}", "wallboard.waiting: alert (3) must not be below warn (6)"),
        ("{service_level: {warn: 60, alert: 80}}", "a lower service level is worse"),
        ("{abandoned: {warn: 5, alert: 150}}", "wallboard.abandoned: thresholds are percents, 0 to 100"),
        ("{longest: {warn: 1, alert: 2}}", "longest"),
    ],
)
def test_bad_thresholds_are_one_problem_with_file_and_line(
    tmp_path: Path, wallboard: str, expected: str
) -> None:
    root = make(tmp_path, {"queues/billing.yaml": f"name: billing\nwallboard: {wallboard}\n"})
    [problem] = problems(root)
    assert problem.startswith("queues/billing.yaml:") and expected in problem, problem
