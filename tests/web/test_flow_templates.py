"""The flow designer's templates: every template file in the package is a valid flow once fitted to a
project's queue and calendar (checked against both examples), and fitting replaces only those names."""

from __future__ import annotations

from pathlib import Path

import pytest

from alur.config.flows import check_flow_text
from alur.config.project import load_project
from alur.web.flow_templates import fitted, template_files, templates

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_there_are_the_four_templates() -> None:
    ids = [t["id"] for t in templates(["support"], ["office"])]
    assert ids == ["welcome_menu_queue", "after_hours", "callback_offer", "survey"]


@pytest.mark.parametrize("example", ["support", "small-business"])
def test_every_template_is_valid_in_the_examples(example: str) -> None:
    project = load_project(EXAMPLES / example)
    for template in templates(list(project.queues), list(project.calendars)):
        flow, problems = check_flow_text(project, template["source"], template["id"])
        assert flow is not None and not problems, [str(p) for p in problems]
        assert flow.name == template["flow"]


def test_fitting_replaces_the_queue_and_calendar_only() -> None:
    text = template_files()[1].read_text()
    out = fitted(text, "billing", "jakarta")
    assert "queue: billing" in out and "calendar: jakarta" in out
    assert "queue: support" not in out and "calendar: office" not in out
    assert out.count("\n") == text.count("\n")
