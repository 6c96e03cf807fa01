"""The flow-test runner: caller steps, scripted services, expectations and their failure messages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from alur.config import load_project
from alur.config.flowtests import parse_step
from alur.testing.channel import HangUp, Press, Silence
from alur.testing.flowtests import caller_response, run_project_tests

SUPPORT = Path(__file__).resolve().parents[2] / "examples" / "support"


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ("1", Press("1")),
        (7, Press("7")),
        ("123#", Press("123#")),
        ("silence", Silence()),
        ({"silence": True}, Silence()),
        ("hangup", HangUp(0.0)),
        ({"hangup": 4}, HangUp(4.0)),
        ({"press": "55", "after": 2, "gap": 0.1}, Press("55", 2.0, 0.1)),
    ],
)
def test_caller_steps(step, expected):
    assert caller_response(parse_step(step)) == expected


def run_cases(tmp_path: Path, cases: str):
    project = tmp_path / "support"
    import shutil

    shutil.copytree(SUPPORT, project)
    (project / "tests" / "main.yaml").write_text(textwrap.dedent(cases))
    results, problems = run_project_tests(load_project(project))
    assert problems == []
    return {r.name: r for r in results}


def test_expectations_that_fail_say_why(tmp_path):
    results = run_cases(
        tmp_path,
        """\
        cases:
          - name: many wrong expectations
            at: "2026-11-24T10:00:00+07:00"
            caller: ["2", "100003#", "0007", "1"]
            queue: {result: answered, after: 5}
            expect:
              path_includes: [login, vip_queue]
              prompts: ["Halo Dewi", "Welcome back"]
              queue: {name: billing, priority: 3, skills: {billing: 5}, language: en, vip: true}
              vars: {customer_id: "100003", missing: 1}
              customer: {name: Dewi}
              language: en
              flow: after_hours
              no_queue: true
        """,
    )
    failures = "\n".join(results["many wrong expectations"].failures)
    assert "path does not pass through 'vip_queue'" in failures
    assert "prompt 'Welcome back' not heard" in failures
    assert "queue priority: expected 3, got 0" in failures
    assert "queue skills: expected {'billing': 5}, got {'billing': 3}" in failures
    assert "queue language: expected 'en', got 'id'" in failures
    assert "queue vip: expected True, got False" in failures
    assert "vars.missing: expected 1, but it is not set" in failures
    assert "customer.name: expected 'Dewi', got 'Dewi Lestari'" in failures
    assert "language: expected 'en', got 'id'" in failures
    assert "flow: expected 'after_hours', got 'main'" in failures
    assert "expected no queue, but the call was queued to 'billing'" in failures
    assert "queue name" not in failures  # billing was right


def test_unused_caller_steps_fail_the_case(tmp_path):
    results = run_cases(
        tmp_path,
        """\
        cases:
          - name: extra steps
            at: "2026-11-29T21:00:00+07:00"
            caller: ["1", "2", "3"]
            expect: {ended: voicemail}
        """,
    )
    (failure,) = results["extra steps"].failures
    assert failure.startswith("caller script: 2 step(s) never used")


def test_time_without_offset_is_in_project_time_zone(tmp_path):
    results = run_cases(
        tmp_path,
        """\
        cases:
          - name: 9 am Jakarta is open
            at: "2026-11-24T09:00:00"
            caller: [hangup]
            expect: {path: [office_hours, welcome, choose_language]}
          - name: 9 pm Jakarta is closed
            at: "2026-11-24T21:00:00"
            caller: [hangup]
            expect: {path: [office_hours, closed, closed_message]}
        """,
    )
    assert all(r.passed for r in results.values()), [r.failures for r in results.values()]


def test_scripted_http_matches_method_and_prefix(tmp_path):
    results = run_cases(
        tmp_path,
        """\
        cases:
          - name: wrong method is not matched
            at: "2026-11-25T11:00:00+07:00"
            caller: ["1", "100002#", "4321", "3"]
            http:
              - {url: "https://billing.acme.example/api/", method: POST, status: 200, json: {balance: 1}}
            expect: {path_includes: [balance, billing_queue]}
          - name: prefix match
            at: "2026-11-25T11:00:00+07:00"
            caller: ["1", "100002#", "4321", "3", hangup]
            http:
              - {url: "https://billing.acme.example/api/", status: 200, json: {balance: 7, due_date: soon}}
            expect: {vars: {balance: 7}, prompts: ["Your balance is 7 rupiah, due on soon"]}
        """,
    )
    assert all(r.passed for r in results.values()), [r.failures for r in results.values()]


def test_flow_that_cannot_start_is_a_failure_not_a_crash(tmp_path):
    project = tmp_path / "p"
    import shutil

    shutil.copytree(SUPPORT, project)
    settings = (project / "alur.yaml").read_text().replace("default_flow: main", "")
    (project / "alur.yaml").write_text(settings)
    (project / "tests" / "main.yaml").write_text('cases:\n  - {name: unknown number, dialed: "555"}\n')
    results, _ = run_project_tests(load_project(project))
    assert results[0].failures[0].startswith("the call did not run: no flow for dialled number '555'")
