"""The event log: frozen facts about calls and agents, appended in order, never changed.

Metrics, reports, the wallboard and the simulator's KPIs are all folds over these events, so they
agree by construction. Every event carries `at`, the clock time (seconds since the epoch) it happened.
Add a new event here rather than elsewhere, so the log stays one vocabulary.

Every event class names itself for storage and the wire with `KIND` (dotted, lower case: `call.*`,
`ivr.*`, `queue.*`, `offer.*`, `agent.*` ...) and `VERSION`, never its Python class name, so a class
can be renamed without orphaning the rows already stored. Changing an event's fields means raising its
`VERSION` and giving `alur.core.codec.UPGRADES` a step from the old version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Event:
    KIND: ClassVar[str]  # each subclass sets its own; tests/core/test_codec.py checks they are unique
    VERSION: ClassVar[int]

    at: float


# --- calls and the IVR ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallArrived(Event):
    KIND: ClassVar[str] = "call.arrived"
    VERSION: ClassVar[int] = 1

    call_id: str
    caller_id: str
    dialed: str
    flow: str


@dataclass(frozen=True, slots=True)
class NodeEntered(Event):
    KIND: ClassVar[str] = "ivr.node_entered"
    VERSION: ClassVar[int] = 1

    call_id: str
    flow: str
    node: str
    node_type: str


@dataclass(frozen=True, slots=True)
class PromptPlayed(Event):
    KIND: ClassVar[str] = "ivr.prompt_played"
    VERSION: ClassVar[int] = 1

    call_id: str
    node: str
    prompt: str  # the file name or the spoken text
    language: str = "en"


@dataclass(frozen=True, slots=True)
class DigitsCollected(Event):
    KIND: ClassVar[str] = "ivr.digits_collected"
    VERSION: ClassVar[int] = 1

    call_id: str
    node: str
    digits: str
    ended_by: str  # "max_digits" | "terminator" | "timeout" | "hangup"


@dataclass(frozen=True, slots=True)
class MenuOptionChosen(Event):
    """One valid IVR choice: the source of IVR option popularity."""

    KIND: ClassVar[str] = "ivr.menu_option_chosen"
    VERSION: ClassVar[int] = 1

    call_id: str
    flow: str
    node: str
    option: str


@dataclass(frozen=True, slots=True)
class MenuInputRejected(Event):
    KIND: ClassVar[str] = "ivr.menu_input_rejected"
    VERSION: ClassVar[int] = 1

    call_id: str
    node: str
    digits: str
    reason: str  # "invalid" | "timeout"


@dataclass(frozen=True, slots=True)
class VariableSet(Event):
    KIND: ClassVar[str] = "ivr.variable_set"
    VERSION: ClassVar[int] = 1

    call_id: str
    name: str
    value: Any


@dataclass(frozen=True, slots=True)
class CallerAuthenticated(Event):
    KIND: ClassVar[str] = "ivr.caller_authenticated"
    VERSION: ClassVar[int] = 1

    call_id: str
    customer_id: str
    success: bool
    attempt: int


@dataclass(frozen=True, slots=True)
class HttpRequested(Event):
    KIND: ClassVar[str] = "ivr.http_requested"
    VERSION: ClassVar[int] = 1

    call_id: str
    node: str
    url: str
    status: int | None
    ok: bool


@dataclass(frozen=True, slots=True)
class CallTransferred(Event):
    KIND: ClassVar[str] = "call.transferred"
    VERSION: ClassVar[int] = 1

    call_id: str
    destination: str
    kind: str = "external"  # "external" | "agent_blind" | "ring_group"


@dataclass(frozen=True, slots=True)
class VoicemailRecorded(Event):
    KIND: ClassVar[str] = "call.voicemail_recorded"
    VERSION: ClassVar[int] = 1

    call_id: str
    mailbox: str
    duration: float
    path: str = ""


@dataclass(frozen=True, slots=True)
class CallEnded(Event):
    KIND: ClassVar[str] = "call.ended"
    VERSION: ClassVar[int] = 1

    call_id: str
    how: str  # "caller_hangup" | "flow_hangup" | "agent_hangup" | "transferred" | "voicemail" | ...
    node: str = ""


# --- queues and routing ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallQueued(Event):
    KIND: ClassVar[str] = "queue.joined"
    VERSION: ClassVar[int] = 1

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

    KIND: ClassVar[str] = "offer.made"
    VERSION: ClassVar[int] = 1

    call_id: str
    agent_id: str
    queue: str
    reservation_id: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class OfferDeclined(Event):
    KIND: ClassVar[str] = "offer.declined"
    VERSION: ClassVar[int] = 1

    call_id: str
    agent_id: str
    queue: str
    reason: str  # "no_answer" | "busy" | "declined" | "expired" | "lost_race"


@dataclass(frozen=True, slots=True)
class Answered(Event):
    KIND: ClassVar[str] = "offer.answered"
    VERSION: ClassVar[int] = 1

    call_id: str
    agent_id: str
    queue: str
    wait: float


@dataclass(frozen=True, slots=True)
class Abandoned(Event):
    KIND: ClassVar[str] = "queue.abandoned"
    VERSION: ClassVar[int] = 1

    call_id: str
    queue: str
    wait: float


@dataclass(frozen=True, slots=True)
class Overflowed(Event):
    """The call left its queue for another target (max wait, max length, escalation, no agents)."""

    KIND: ClassVar[str] = "queue.overflowed"
    VERSION: ClassVar[int] = 1

    call_id: str
    queue: str
    target: str
    reason: str
    wait: float


@dataclass(frozen=True, slots=True)
class Escalated(Event):
    KIND: ClassVar[str] = "queue.escalated"
    VERSION: ClassVar[int] = 1

    call_id: str
    queue: str
    step: int
    action: str  # e.g. "widen_skill_level", "add_agents", "raise_priority", "move_queue"
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CallbackRequested(Event):
    KIND: ClassVar[str] = "callback.requested"
    VERSION: ClassVar[int] = 1

    call_id: str
    queue: str
    number: str


@dataclass(frozen=True, slots=True)
class CallbackAttempted(Event):
    KIND: ClassVar[str] = "callback.attempted"
    VERSION: ClassVar[int] = 1

    call_id: str
    queue: str
    agent_id: str
    reached: bool


@dataclass(frozen=True, slots=True)
class TalkEnded(Event):
    """Caller and agent are no longer connected; handle time = talk + wrap-up."""

    KIND: ClassVar[str] = "call.talk_ended"
    VERSION: ClassVar[int] = 1

    call_id: str
    agent_id: str
    queue: str
    talk_time: float
    ended_by: str = "caller"  # "caller" | "agent" | "transfer"


# --- agents ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentStateChanged(Event):
    KIND: ClassVar[str] = "agent.state_changed"
    VERSION: ClassVar[int] = 1

    agent_id: str
    old: str
    new: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class WrapUpDone(Event):
    KIND: ClassVar[str] = "agent.wrap_up_done"
    VERSION: ClassVar[int] = 1

    agent_id: str
    call_id: str
    queue: str
    duration: float


@dataclass(frozen=True, slots=True)
class Disposition(Event):
    """After-call work result entered by the agent (or the simulator)."""

    KIND: ClassVar[str] = "agent.disposition"
    VERSION: ClassVar[int] = 1

    call_id: str
    agent_id: str
    code: str
    resolved: bool = True
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
