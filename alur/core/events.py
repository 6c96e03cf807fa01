"""The event log: frozen facts about calls and agents, appended in order, never changed.

Metrics, reports, the wallboard and the simulator's KPIs are all folds over these events, so they
agree by construction. Every event carries `at`, the clock time (seconds since the epoch) it happened.
Add a new event here rather than elsewhere, so the log stays one vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    at: float


# --- calls and the IVR ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallArrived(Event):
    call_id: str
    caller_id: str
    dialed: str
    flow: str


@dataclass(frozen=True, slots=True)
class NodeEntered(Event):
    call_id: str
    flow: str
    node: str
    node_type: str


@dataclass(frozen=True, slots=True)
class PromptPlayed(Event):
    call_id: str
    node: str
    prompt: str  # the file name or the spoken text
    language: str = "en"


@dataclass(frozen=True, slots=True)
class DigitsCollected(Event):
    call_id: str
    node: str
    digits: str
    ended_by: str  # "max_digits" | "terminator" | "timeout" | "hangup"


@dataclass(frozen=True, slots=True)
class MenuOptionChosen(Event):
    """One valid IVR choice: the source of IVR option popularity."""

    call_id: str
    flow: str
    node: str
    option: str


@dataclass(frozen=True, slots=True)
class MenuInputRejected(Event):
    call_id: str
    node: str
    digits: str
    reason: str  # "invalid" | "timeout"


@dataclass(frozen=True, slots=True)
class VariableSet(Event):
    call_id: str
    name: str
    value: Any


@dataclass(frozen=True, slots=True)
class CallerAuthenticated(Event):
    call_id: str
    customer_id: str
    success: bool
    attempt: int


@dataclass(frozen=True, slots=True)
class HttpRequested(Event):
    call_id: str
    node: str
    url: str
    status: int | None
    ok: bool


@dataclass(frozen=True, slots=True)
class CallTransferred(Event):
    call_id: str
    destination: str
    kind: str = "external"  # "external" | "agent_blind" | "ring_group"


@dataclass(frozen=True, slots=True)
class VoicemailRecorded(Event):
    call_id: str
    mailbox: str
    duration: float
    path: str = ""


@dataclass(frozen=True, slots=True)
class CallEnded(Event):
    call_id: str
    how: str  # "caller_hangup" | "flow_hangup" | "agent_hangup" | "transferred" | "voicemail" | ...
    node: str = ""


# --- queues and routing ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallQueued(Event):
    call_id: str
    queue: str
    priority: int = 0
    skills: tuple[tuple[str, int], ...] = ()  # (skill, minimum level)
    language: str | None = None
    vip: bool = False
    call_type: str = ""


@dataclass(frozen=True, slots=True)
class Offered(Event):
    """An exclusive, time-limited reservation of `agent_id` for `call_id`."""

    call_id: str
    agent_id: str
    queue: str
    reservation_id: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class OfferDeclined(Event):
    call_id: str
    agent_id: str
    queue: str
    reason: str  # "no_answer" | "busy" | "declined" | "expired" | "lost_race"


@dataclass(frozen=True, slots=True)
class Answered(Event):
    call_id: str
    agent_id: str
    queue: str
    wait: float


@dataclass(frozen=True, slots=True)
class Abandoned(Event):
    call_id: str
    queue: str
    wait: float


@dataclass(frozen=True, slots=True)
class Overflowed(Event):
    """The call left its queue for another target (max wait, max length, escalation, no agents)."""

    call_id: str
    queue: str
    target: str
    reason: str
    wait: float


@dataclass(frozen=True, slots=True)
class Escalated(Event):
    call_id: str
    queue: str
    step: int
    action: str  # e.g. "widen_skill_level", "add_agents", "raise_priority", "move_queue"
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CallbackRequested(Event):
    call_id: str
    queue: str
    number: str


@dataclass(frozen=True, slots=True)
class CallbackAttempted(Event):
    call_id: str
    queue: str
    agent_id: str
    reached: bool


@dataclass(frozen=True, slots=True)
class TalkEnded(Event):
    """Caller and agent are no longer connected; handle time = talk + wrap-up."""

    call_id: str
    agent_id: str
    queue: str
    talk_time: float
    ended_by: str = "caller"  # "caller" | "agent" | "transfer"


# --- agents ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentStateChanged(Event):
    agent_id: str
    old: str
    new: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class WrapUpDone(Event):
    agent_id: str
    call_id: str
    queue: str
    duration: float


@dataclass(frozen=True, slots=True)
class Disposition(Event):
    """After-call work result entered by the agent (or the simulator)."""

    call_id: str
    agent_id: str
    code: str
    resolved: bool = True
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
