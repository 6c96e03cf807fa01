"""Flow test cases (`PROJECT/tests/*.yaml`): a scripted caller, a time of call, and what must happen.

This module reads and checks the files; `alur.testing.flowtests` runs the cases.

cases:
  - name: VIP caller in Indonesian reaches the VIP queue
    at: "2026-11-24T10:00:00+07:00"     # when the call arrives (ISO 8601, with offset)
    caller_id: "+6281100000001"
    dialed: "1000"
    caller:                             # what the caller does each time the flow listens
      - "2"                             # press 2
      - {press: "100001#", after: 2}    # first digit 2 s after the flow listens
      - {say: "tagihan"}                # say a phrase (matched as a perfect recogniser would)
      - silence                         # press nothing
      - {hangup: 3}                     # hang up 3 s after the flow listens
    hangup_at: 300                      # or: hang up 300 s after the call starts, wherever it is
    queue: {result: answered, after: 20, talk: 90}   # or abandoned / timeout / full / no_agents
    transfer: {result: busy}            # transfers and ring groups
    record_seconds: 12                  # voicemail length
    http:                               # scripted web services, matched by URL prefix
      - {url: "https://crm.example.com/", status: 200, json: {balance: 125000}}
    expect:
      path: [hours, greeting, language, ...]   # every node entered, in order
      path_includes: [vip_queue]               # these nodes, in this order, among others
      prompts: ["Selamat datang"]              # heard in this order (text contains), among others
      queue: {name: vip, priority: 10, skills: {billing: 1}, language: id, vip: true}
      vars: {customer_id: "100001"}
      customer: {vip: true}
      language: id
      ended: answered                          # how the call ended (CallEnded.how)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from alur.config.project import Project, pydantic_problems, yaml_documents
from alur.config.yamlsrc import Problem, node_line, plain

DTMF = frozenset("0123456789*#")


@dataclass(frozen=True, slots=True)
class CallerStep:
    """One move of a case's scripted caller, as written: `press` digits, `say` a phrase, stay silent,
    or hang up."""

    action: Literal["press", "say", "silence", "hangup"]
    digits: str = ""  # the keys pressed, or the words said
    after: float = 0.0  # seconds after the flow starts listening (press, hangup)
    gap: float = 0.3  # seconds between the keys of one press
    barge_in: bool = False


def parse_step(step: Any) -> CallerStep:
    """'1' / 1 press; 'silence'; 'hangup'; {press, after, gap}; {say: words, after}; {silence: true};
    {hangup: seconds}."""
    if isinstance(step, CallerStep):
        return step
    if isinstance(step, bool):
        raise ValueError(f"caller step {step!r} is not understood")
    if isinstance(step, int):
        return _press(str(step))
    if isinstance(step, str):
        if step == "silence":
            return CallerStep("silence")
        if step == "hangup":
            return CallerStep("hangup")
        if step and all(c in DTMF for c in step):
            return _press(step)
        raise ValueError(f"caller step {step!r}: use digits, 'silence', 'hangup' or a mapping")
    if isinstance(step, dict):
        if "press" in step:
            extra = set(step) - {"press", "after", "gap", "barge_in"}
            if extra:
                raise ValueError(f"caller step {step!r}: unknown key(s) {sorted(extra)}")
            digits = str(step["press"])
            if not all(c in DTMF for c in digits):
                raise ValueError(f"caller step: press {digits!r} must be DTMF digits")
            return _press(
                digits, float(step.get("after", 1.0)), float(step.get("gap", 0.3)), bool(step.get("barge_in"))
            )
        if "say" in step:
            extra = set(step) - {"say", "after"}
            if extra:
                raise ValueError(f"caller step {step!r}: unknown key(s) {sorted(extra)}")
            words = str(step["say"] or "").strip()
            if not words:
                raise ValueError(f"caller step {step!r}: say needs the words the caller says")
            return CallerStep("say", words, float(step.get("after", 1.0)))
        if set(step) == {"silence"}:
            return CallerStep("silence")
        if set(step) == {"hangup"}:
            return CallerStep("hangup", after=float(step["hangup"] or 0))
    raise ValueError(f"caller step {step!r} is not understood (press/say/silence/hangup)")


def _press(digits: str, after: float = 1.0, gap: float = 0.3, barge_in: bool = False) -> CallerStep:
    return CallerStep("press", digits, after, gap, barge_in)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QueueScript(_Model):
    result: str = "answered"
    after: float = Field(default=10.0, ge=0)
    talk: float = Field(default=60.0, ge=0)
    agent: str = "agent"
    target: str | None = None


class ConnectScript(_Model):
    result: str = "answered"
    after: float = Field(default=5.0, ge=0)
    answered_by: str | None = None


class HttpScript(_Model):
    url: str
    method: str | None = None
    status: int | None = 200
    json_: Any = Field(None, alias="json")
    error: str | None = None


class QueueExpect(_Model):
    name: str | None = None
    priority: int | None = None
    skills: dict[str, int] | None = None
    language: str | None = None
    vip: bool | None = None


class Expect(_Model):
    path: list[str] | None = None
    path_includes: list[str] | None = None
    prompts: list[str] | None = None
    queue: QueueExpect | None = None
    no_queue: bool | None = None
    vars: dict[str, Any] | None = None
    customer: dict[str, Any] | None = None
    language: str | None = None
    ended: str | None = None
    flow: str | None = None


class Case(_Model):
    name: str
    at: datetime | None = None
    caller_id: str = "anonymous"
    dialed: str = ""
    flow: str | None = None
    caller: list[CallerStep] = Field(default_factory=list)
    hangup_at: float | None = Field(None, ge=0)
    queue: QueueScript = QueueScript()
    transfer: ConnectScript = ConnectScript()
    record_seconds: float = Field(10.0, ge=0)
    http: list[HttpScript] = Field(default_factory=list)
    expect: Expect = Expect()

    @field_validator("caller_id", "dialed", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v

    @field_validator("caller", mode="before")
    @classmethod
    def _steps(cls, v: Any) -> Any:
        return [parse_step(step) for step in v] if isinstance(v, list) else v


@dataclass
class LoadedCase:
    file: str
    line: int | None
    case: Case


def load_cases(project: Project, problems: list[Problem]) -> list[LoadedCase]:
    cases: list[LoadedCase] = []
    for _file, display, data in yaml_documents(project.root, "tests", problems):
        items = data.get("cases") if isinstance(data, dict) else data
        if not isinstance(items, list):
            problems.append(Problem(display, 1, "a test file needs 'cases: [...]'", code="invalid_test"))
            continue
        for item in items:
            line = node_line(item, 1)
            try:
                case = Case.model_validate(plain(item))
            except ValidationError as error:
                problems += pydantic_problems(error, item, display, line)
                continue
            if case.flow is not None and case.flow not in project.flows:
                problems.append(
                    Problem(
                        display,
                        line,
                        f"case '{case.name}': flow '{case.flow}' does not exist",
                        code="unknown_flow",
                    )
                )
                continue
            cases.append(LoadedCase(display, line, case))
    return cases
