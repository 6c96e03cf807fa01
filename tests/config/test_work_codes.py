"""Codes people pick from lists: pause reasons (alur.yaml) and a queue's wrap-up dispositions."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_project_loader import make, problems

from alur.config import load_project


def test_pause_reasons_and_dispositions_load(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "alur.yaml": "default_flow: main\npause_reasons: [break, lunch]\n",
            "queues/billing.yaml": "dispositions: [paid, refund]\ndisposition_required: true\n",
        },
    )
    project = load_project(root)
    assert project.settings.pause_reasons == ("break", "lunch")
    billing = project.queues["billing"]
    assert billing.dispositions == ("paid", "refund") and billing.disposition_required


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"alur.yaml": "default_flow: main\npause_reasons: [break, break]\n"},
            "alur.yaml:2: pause_reasons: pause reason code 'break' is listed twice",
        ),
        (
            {"alur.yaml": "default_flow: main\npause_reasons: ['coffee break']\n"},
            "alur.yaml:2: pause_reasons: pause reason code 'coffee break' must be letters, digits",
        ),
        (
            {"queues/billing.yaml": "disposition_required: true\n"},
            "queues/billing.yaml:1: disposition_required needs a 'dispositions' list of codes to choose from",
        ),
        (
            {"queues/billing.yaml": "dispositions: [paid, paid]\n"},
            "queues/billing.yaml:1: dispositions: disposition code 'paid' is listed twice",
        ),
    ],
)
def test_bad_codes_are_one_clear_problem(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    found = problems(make(tmp_path, files))
    assert len(found) == 1
    assert found[0].startswith(expected), found
