"""The flow-test runner: runs the cases of `PROJECT/tests/*.yaml` on the scripted channel, in virtual time.

The case files are read and checked by `alur.config.flowtests`; here each case becomes a `SimChannel`
call through the project's flows, and its result is compared with what the case expects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from alur.config.flowtests import CallerStep, Expect, HttpScript, LoadedCase, load_cases
from alur.config.project import Project
from alur.config.yamlsrc import Problem
from alur.core.clock import VirtualClock
from alur.core.events import Event
from alur.core.tasks import run_until_complete
from alur.flow.interpreter import CallResult, FlowRunner
from alur.flow.services import HttpResponse
from alur.testing.channel import (
    HangUp,
    Press,
    Response,
    Say,
    ScriptedCaller,
    ScriptedConnect,
    ScriptedQueue,
    Silence,
    SimChannel,
)


def caller_response(step: CallerStep) -> Response:
    """The scripted channel's move for one step of a case's caller."""
    if step.action == "press":
        return Press(step.digits, step.after, step.gap, step.barge_in)
    if step.action == "hangup":
        return HangUp(step.after)
    if step.action == "say":
        return Say(step.digits, step.after)
    return Silence()


class ScriptedHttp:
    """HTTP responses from the test case, matched by method and URL prefix."""

    def __init__(self, scripts: list[HttpScript]) -> None:
        self.scripts = scripts
        self.requests: list[tuple[str, str, Any]] = []

    async def request(
        self, method: str, url: str, *, headers: dict[str, str], json: Any, timeout: float
    ) -> HttpResponse:
        self.requests.append((method, url, json))
        for script in self.scripts:
            if url.startswith(script.url) and (script.method is None or script.method.upper() == method):
                if script.error:
                    return HttpResponse(None, None, script.error)
                return HttpResponse(script.status, script.json_)
        return HttpResponse(None, None, f"no scripted response for {method} {url}")


@dataclass
class CaseResult:
    file: str
    name: str
    failures: list[str]
    result: CallResult | None
    events: list[Event] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def run_case(project: Project, loaded: LoadedCase) -> CaseResult:
    case = loaded.case
    zone = ZoneInfo(project.settings.timezone)
    at = case.at or datetime(2026, 1, 5, 10, 0)  # a Monday morning when no time is given
    if at.tzinfo is None:  # a time without offset is in the project's time zone
        at = at.replace(tzinfo=zone)
    start = at.timestamp()
    clock = VirtualClock(start)
    events: list[Event] = []
    channel = SimChannel(
        clock,
        call_id="test-" + "-".join(case.name.lower().split())[:40],
        caller_id=case.caller_id,
        dialed=case.dialed,
        caller=ScriptedCaller([caller_response(s) for s in case.caller]),
        queue=ScriptedQueue(
            case.queue.result, case.queue.after, case.queue.talk, case.queue.agent, case.queue.target
        ),
        connect=ScriptedConnect(case.transfer.result, case.transfer.after, case.transfer.answered_by),
        record_seconds=case.record_seconds,
        hangup_at=start + case.hangup_at if case.hangup_at is not None else None,
    )
    runner = FlowRunner(project, clock=clock, log=events.append, http=ScriptedHttp(case.http))
    try:
        result = run_until_complete(clock, runner.run_call(channel, case.flow))
    except Exception as error:  # a flow that cannot run at all (e.g. no flow for the number)
        return CaseResult(loaded.file, case.name, [f"the call did not run: {error}"], None, events)
    failures = check(case.expect, result)
    caller = channel.caller
    if (
        isinstance(caller, ScriptedCaller)
        and caller.used < len(caller.steps)
        and result.how != "caller_hangup"
    ):
        unused = len(caller.steps) - caller.used
        failures.append(
            f"caller script: {unused} step(s) never used (the flow stopped listening before them: "
            f"check the steps or the flow)"
        )
    return CaseResult(loaded.file, case.name, failures, result, events)


def _contains_in_order(expected: list[str], actual: list[str], match: Any) -> int | None:
    """Index of the first expected item not found in order, or None when all are."""
    pos = 0
    for i, want in enumerate(expected):
        while pos < len(actual) and not match(want, actual[pos]):
            pos += 1
        if pos == len(actual):
            return i
        pos += 1
    return None


def check(expect: Expect, result: CallResult) -> list[str]:
    failures: list[str] = []
    nodes = result.nodes
    if expect.path is not None and expect.path != nodes:
        failures.append(
            f"path differs\n    expected: {' -> '.join(expect.path)}\n    actual:   {' -> '.join(nodes)}"
        )
    if expect.path_includes is not None:
        miss = _contains_in_order(expect.path_includes, nodes, lambda w, a: w == a)
        if miss is not None:
            failures.append(
                f"path does not pass through {expect.path_includes[miss]!r} (in the order given)\n"
                f"    expected to include: {' -> '.join(expect.path_includes)}\n"
                f"    actual:   {' -> '.join(nodes)}"
            )
    if expect.prompts is not None:
        miss = _contains_in_order(expect.prompts, result.prompts, lambda w, a: w == a or w in a)
        if miss is not None:
            heard = "\n      ".join(result.prompts) or "(nothing)"
            failures.append(
                f"prompt {expect.prompts[miss]!r} not heard (in the order given); heard:\n      {heard}"
            )
    if expect.queue is not None:
        q = result.queue
        if q is None:
            failures.append("expected the call to be queued, but it never reached a queue")
        else:
            want, got = (
                expect.queue,
                {
                    "name": q.queue,
                    "priority": q.priority,
                    "skills": dict(q.skills),
                    "language": q.language,
                    "vip": q.vip,
                },
            )
            for key in ("name", "priority", "skills", "language", "vip"):
                value = getattr(want, key)
                if value is not None and value != got[key]:
                    failures.append(f"queue {key}: expected {value!r}, got {got[key]!r}")
    if expect.no_queue and result.queue is not None:
        failures.append(f"expected no queue, but the call was queued to {result.queue.queue!r}")
    for label, want_map, got_map in (
        ("vars", expect.vars, result.vars),
        ("customer", expect.customer, result.customer),
    ):
        for key, value in (want_map or {}).items():
            if key not in got_map:
                failures.append(f"{label}.{key}: expected {value!r}, but it is not set")
            elif got_map[key] != value and str(got_map[key]) != str(value):
                failures.append(f"{label}.{key}: expected {value!r}, got {got_map[key]!r}")
    if expect.language is not None and expect.language != result.language:
        failures.append(f"language: expected {expect.language!r}, got {result.language!r}")
    if expect.ended is not None and expect.ended != result.how:
        failures.append(
            f"ended: expected {expect.ended!r}, got {result.how!r} at node {result.node!r}"
            + (f" ({result.error})" if result.error else "")
        )
    if expect.flow is not None and expect.flow != result.flow:
        failures.append(f"flow: expected {expect.flow!r}, got {result.flow!r}")
    if result.how == "error" and expect.ended != "error":
        failures.append(f"the flow failed at node {result.node!r}: {result.error}")
    return failures


def run_project_tests(project: Project, only: str | None = None) -> tuple[list[CaseResult], list[Problem]]:
    problems: list[Problem] = []
    cases = load_cases(project, problems)
    if only is not None:
        cases = [c for c in cases if c.case.name == only]
    return [run_case(project, c) for c in cases], problems


def junit_xml(suite: str, results: list[CaseResult]) -> str:
    """A JUnit XML report, so CI systems show each flow test case."""
    from xml.etree import ElementTree as ET

    failures = sum(not r.passed for r in results)
    root = ET.Element(
        "testsuite",
        name=f"alur flow tests: {suite}",
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
    )
    for r in results:
        case = ET.SubElement(root, "testcase", classname=r.file, name=r.name)
        case.set("time", "0")  # virtual time: a case costs no wall time worth reporting
        if not r.passed:
            failure = ET.SubElement(case, "failure", message=r.failures[0].splitlines()[0])
            text = "\n".join(r.failures)
            if r.result is not None:
                text += "\nactual path: " + " -> ".join(r.result.nodes)
            failure.text = text
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
