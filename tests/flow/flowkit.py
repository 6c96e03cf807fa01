"""Helpers for flow tests: write a small project to a temp dir, and run one scripted call through a flow."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alur.config import load_project
from alur.config.project import Project
from alur.core.clock import VirtualClock
from alur.core.events import Event
from alur.core.tasks import run_until_complete
from alur.flow.interpreter import CallResult, FlowRunner
from alur.testing.channel import ScriptedCaller, ScriptedConnect, ScriptedQueue, SimChannel

BASE_SETTINGS = """\
name: test
timezone: Asia/Jakarta
numbers: {"100": main}
default_flow: main
"""

CALENDAR = """\
name: office
timezone: Asia/Jakarta
hours:
  mon-fri: ["08:00-17:00"]
holidays:
  - {date: 2026-08-17, name: Hari Kemerdekaan}
special:
  2026-12-24: ["08:00-12:00"]
"""

CUSTOMERS = """\
customers:
  - {id: "42", pin: "1234", name: Budi, vip: true, language: id}
  - {id: "43", pin: "0007", name: Ann, vip: false}
"""

# Tuesday 24 Nov 2026, 10:00 in Jakarta
TUESDAY_10 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC).timestamp()


def write_project(
    root: Path,
    flows: dict[str, str],
    *,
    settings: str = BASE_SETTINGS,
    queues: tuple[str, ...] = ("billing", "support"),
    extra: dict[str, str] | None = None,
) -> Path:
    (root / "flows").mkdir(parents=True, exist_ok=True)
    (root / "queues").mkdir(exist_ok=True)
    (root / "calendars").mkdir(exist_ok=True)
    (root / "directory").mkdir(exist_ok=True)
    (root / "alur.yaml").write_text(settings)
    for name, text in flows.items():
        (root / "flows" / f"{name}.yaml").write_text(textwrap.dedent(text))
    for q in queues:
        (root / "queues" / f"{q}.yaml").write_text(f"name: {q}\n")
    (root / "calendars" / "office.yaml").write_text(CALENDAR)
    (root / "directory" / "customers.yaml").write_text(CUSTOMERS)
    (root / "prompts").mkdir(exist_ok=True)
    (root / "prompts" / "moh.wav").write_bytes(b"RIFF")
    for rel, text in (extra or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def flow(nodes: str, start: str = "start", name: str = "main", language: str = "en") -> str:
    """A flow file from an indented `nodes:` body."""
    body = textwrap.indent(textwrap.dedent(nodes).strip("\n"), "  ")
    return f"flow: {name}\nlanguage: {language}\nstart: {start}\nnodes:\n{body}"


def project_from(tmp_path: Path, flows: dict[str, str] | str, **kw: Any) -> Project:
    if isinstance(flows, str):
        flows = {"main": flows}
    return load_project(write_project(tmp_path / "p", flows, **kw))


class Run:
    def __init__(
        self,
        result: CallResult,
        events: list[Event],
        channel: SimChannel,
        queue: ScriptedQueue,
        connect: ScriptedConnect,
    ) -> None:
        self.result, self.events, self.channel, self.queue, self.connect = (
            result,
            events,
            channel,
            queue,
            connect,
        )

    def kinds(self, cls: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, cls)]


def run_call(
    project: Project,
    steps: list[Any] | None = None,
    *,
    at: float = TUESDAY_10,
    runner: FlowRunner | None = None,
    queue: ScriptedQueue | None = None,
    connect: ScriptedConnect | None = None,
    caller_id: str = "+628100",
    dialed: str = "100",
    hangup_after: float | None = None,
    record_seconds: float = 10.0,
    **runner_kw: Any,
) -> Run:
    clock = VirtualClock(at)
    events: list[Event] = []
    if runner is None:
        runner = FlowRunner(project, clock=clock, log=events.append, **runner_kw)
    else:
        runner.clock, runner.log = clock, events.append
    queue = queue or ScriptedQueue("answered", after=5, talk=30)
    connect = connect or ScriptedConnect("answered", after=3)
    channel = SimChannel(
        clock,
        call_id="c1",
        caller_id=caller_id,
        dialed=dialed,
        caller=ScriptedCaller(steps or []),
        queue=queue,
        connect=connect,
        record_seconds=record_seconds,
        hangup_at=at + hangup_after if hangup_after is not None else None,
    )
    result = run_until_complete(clock, runner.run_call(channel))
    return Run(result, events, channel, queue, connect)
