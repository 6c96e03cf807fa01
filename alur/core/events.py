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
    flow_version: int = 0  # the published version the call runs (0: the project's file)


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
    announcement: str = ""  # the system announcement's id ("queue.position"), when it was one


@dataclass(frozen=True, slots=True)
class DigitsCollected(Event):
    KIND: ClassVar[str] = "ivr.digits_collected"
    VERSION: ClassVar[int] = 1

    call_id: str
    node: str
    digits: str
    ended_by: str  # "max_digits" | "terminator" | "timeout" | "hangup"


@dataclass(frozen=True, slots=True)
class SpeechRecognized(Event):
    """What the recogniser heard at a menu, how sure it was, and the option it matched (None: no match)."""

    KIND: ClassVar[str] = "ivr.speech_recognized"
    VERSION: ClassVar[int] = 1

    call_id: str
    node: str
    text: str
    confidence: float
    option: str | None


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
    kind: str = "external"  # "external" | "agent_blind" | "agent_warm" | "ring_group"


@dataclass(frozen=True, slots=True)
class ConsultStarted(Event):
    """Agent `agent_id` put the caller on hold and rings `destination` (an agent or number) to
    consult before handing the call on (warm transfer) or joining a three-way conference."""

    KIND: ClassVar[str] = "call.consult_started"
    VERSION: ClassVar[int] = 1

    call_id: str
    agent_id: str
    destination: str


@dataclass(frozen=True, slots=True)
class ConsultEnded(Event):
    """How a consultation ended: `completed` (the caller is now with the destination), `cancelled`
    (back with the agent), `no_answer` / `busy` / `failed`, or `conference` (three-way)."""

    KIND: ClassVar[str] = "call.consult_ended"
    VERSION: ClassVar[int] = 1

    call_id: str
    agent_id: str
    destination: str
    outcome: str


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
    how: str  # "caller_hangup" | "flow_hangup" | "agent_hangup" | "transferred" | "server_lost" | ...
    node: str = ""
    error: str = ""  # what went wrong inside the flow, when how == "error"


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
    callback_number: str | None = None  # set when the offer is a callback's turn


@dataclass(frozen=True, slots=True)
class OfferDeclined(Event):
    KIND: ClassVar[str] = "offer.declined"
    VERSION: ClassVar[int] = 1

    call_id: str
    agent_id: str
    queue: str
    reason: str  # "no_answer" | "busy" | "declined" | "expired" | "lost_race" | "server_lost" | ...
    reservation_id: str = ""


@dataclass(frozen=True, slots=True)
class GroupOffered(Event):
    """One ring_all decision: the phones of `agent_ids` ring at once for `call_id`, the phone of
    `agent_ids[i]` under offer `reservation_ids[i]`; the first answer wins. One event, one ring
    timeout and one reservation for the group: the rung agents stay available in the agent state
    machine (held by the offer, not offered anything else) while their phones ring."""

    KIND: ClassVar[str] = "offer.group_made"
    VERSION: ClassVar[int] = 1

    call_id: str
    queue: str
    agent_ids: tuple[str, ...]
    reservation_ids: tuple[str, ...]
    expires_at: float
    callback_number: str | None = None

    def offers(self) -> list[Offered]:
        """The group as one `Offered` per phone (for adapters that ring phones one by one)."""
        return [
            Offered(self.at, self.call_id, aid, self.queue, rid, self.expires_at, self.callback_number)
            for aid, rid in zip(self.agent_ids, self.reservation_ids, strict=True)
        ]


@dataclass(frozen=True, slots=True)
class OffersWithdrawn(Event):
    """The phones of a ring_all group that stopped ringing together (another agent answered first:
    `reason` "lost_race"), in one event instead of one `OfferDeclined` each."""

    KIND: ClassVar[str] = "offer.group_withdrawn"
    VERSION: ClassVar[int] = 1

    call_id: str
    queue: str
    reason: str
    agent_ids: tuple[str, ...]
    reservation_ids: tuple[str, ...]

    def declines(self) -> list[OfferDeclined]:
        """The group as one `OfferDeclined` per phone."""
        return [
            OfferDeclined(self.at, self.call_id, aid, self.queue, self.reason, rid)
            for aid, rid in zip(self.agent_ids, self.reservation_ids, strict=True)
        ]


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
    priority: int = 0  # the call's priority after the step
    target: str = ""  # the queue a move_queue step moved it to


@dataclass(frozen=True, slots=True)
class CallbackRequested(Event):
    """The caller left `number`; with `not_before`, the callback is made from then on (the queue's
    callback hours were closed), keeping its place in line."""

    KIND: ClassVar[str] = "callback.requested"
    VERSION: ClassVar[int] = 1

    call_id: str
    queue: str
    number: str
    not_before: float | None = None


@dataclass(frozen=True, slots=True)
class CallbackAttempted(Event):
    """One try at calling a customer back. `outcome` is how the try ended (`answered`, `no_answer`,
    `busy`, `failed`, `agent_no_answer`); an unreached try names when the next one is due
    (`retry_at`), or none when the callback is given up (then `CallbackFailed` follows)."""

    KIND: ClassVar[str] = "callback.attempted"
    VERSION: ClassVar[int] = 1

    call_id: str
    queue: str
    agent_id: str
    reached: bool
    attempt: int = 1
    outcome: str = ""
    retry_at: float | None = None


@dataclass(frozen=True, slots=True)
class CallbackFailed(Event):
    """A promised callback is given up: `reason` is `attempts_exhausted` or `cancelled`."""

    KIND: ClassVar[str] = "callback.failed"
    VERSION: ClassVar[int] = 1

    call_id: str
    queue: str
    attempts: int
    reason: str


@dataclass(frozen=True, slots=True)
class SurveyAnswered(Event):
    """One answer of a post-call survey, logged as soon as it is given (a caller who hangs up
    mid-survey keeps the answers before); `agent_id` and `queue` are those of the call it rates.
    It carries all a CRM needs without looking up the call: who answered (`caller_id`, the
    authenticated `customer_id`), how (`via`) and, for a spoken answer, the words heard (`said`)."""

    KIND: ClassVar[str] = "survey.answered"
    VERSION: ClassVar[int] = 1

    call_id: str
    survey: str  # the survey node
    question: str
    answer: str  # the key pressed, or the option the speech matched
    score: int | None  # the answer on the question's scale (1..scale), when it has one
    agent_id: str | None
    queue: str | None
    via: str = "dtmf"  # "dtmf" | "speech"
    caller_id: str | None = None
    customer_id: str | None = None  # once the caller authenticated
    said: str = ""  # what the recogniser heard, for a spoken answer


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


# --- the running service ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaitEnded(Event):
    """A queued call's wait is over: the outcome the flow continues on (see QueueOutcome)."""

    KIND: ClassVar[str] = "queue.wait_ended"
    VERSION: ClassVar[int] = 1

    call_id: str
    queue: str
    result: str  # "answered" | "abandoned" | "timeout" | "full" | "no_agents" | "callback" | "overflow"
    wait: float
    agent_id: str | None = None
    target: str | None = None


@dataclass(frozen=True, slots=True)
class AgentRequestPending(Event):
    """An agent asked to pause or log out once the current call (and wrap-up) ends; "" cancels."""

    KIND: ClassVar[str] = "agent.request_pending"
    VERSION: ClassVar[int] = 1

    agent_id: str
    pending: str  # "" | "pause" | "logout"
    reason: str = ""


@dataclass(frozen=True, slots=True)
class DirectCallStarted(Event):
    """An agent's phone rings for a call the queues did not route (blind transfer, ring group)."""

    KIND: ClassVar[str] = "agent.direct_call_started"
    VERSION: ClassVar[int] = 1

    call_id: str
    agent_id: str
    kind: str  # "agent_blind" | "ring_group" | "agent"


@dataclass(frozen=True, slots=True)
class DirectCallEnded(Event):
    KIND: ClassVar[str] = "agent.direct_call_ended"
    VERSION: ClassVar[int] = 1

    call_id: str
    agent_id: str
    answered: bool
    talk_time: float = 0.0


@dataclass(frozen=True, slots=True)
class PhoneRegistered(Event):
    """An agent's phone registered (expires_at > at) or unregistered (expires_at == 0)."""

    KIND: ClassVar[str] = "agent.phone_registered"
    VERSION: ClassVar[int] = 1

    agent_id: str
    user: str
    contact: str
    transport: str = "UDP"
    expires_at: float = 0.0


@dataclass(frozen=True, slots=True)
class ServerStarted(Event):
    """The boot marker: what the server found in the log and put right before taking calls."""

    KIND: ClassVar[str] = "server.started"
    VERSION: ClassVar[int] = 1

    server: str
    pid: int
    agents_restored: int = 0
    calls_closed: int = 0
    callbacks_restored: int = 0


# --- media: recordings and supervision --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordingSaved(Event):
    """A conversation's recording was written: found with the call (`call_id`) in the store."""

    KIND: ClassVar[str] = "call.recording_saved"
    VERSION: ClassVar[int] = 1

    call_id: str
    path: str
    seconds: float
    mode: str  # "stereo" (caller left, agent right) | "mixed"
    queue: str = ""
    agent_id: str = ""
    paused_seconds: float = 0.0  # time left out at the agent's request (card numbers...)


@dataclass(frozen=True, slots=True)
class RecordingPaused(Event):
    """The recording of a call stopped taking audio (`paused`) or took it again, at someone's request."""

    KIND: ClassVar[str] = "call.recording_paused"
    VERSION: ClassVar[int] = 1

    call_id: str
    paused: bool
    by: str = ""


@dataclass(frozen=True, slots=True)
class SupervisionStarted(Event):
    """A supervisor joined an agent's call: `mode` is "monitor" (listen), "whisper" (the agent hears
    the supervisor, the caller does not) or "barge" (all three hear each other)."""

    KIND: ClassVar[str] = "supervision.started"
    VERSION: ClassVar[int] = 1

    call_id: str
    supervisor: str
    agent_id: str
    mode: str


@dataclass(frozen=True, slots=True)
class SupervisionEnded(Event):
    KIND: ClassVar[str] = "supervision.ended"
    VERSION: ClassVar[int] = 1

    call_id: str
    supervisor: str
    agent_id: str
    mode: str


# --- people working through the API ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FollowUpScheduled(Event):
    """An agent promised to come back to a customer: listed back to the agent once `due_at` comes."""

    KIND: ClassVar[str] = "agent.follow_up_scheduled"
    VERSION: ClassVar[int] = 1

    follow_up_id: str
    agent_id: str
    call_id: str
    due_at: float
    note: str = ""


@dataclass(frozen=True, slots=True)
class FollowUpDone(Event):
    KIND: ClassVar[str] = "agent.follow_up_done"
    VERSION: ClassVar[int] = 1

    follow_up_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class EscalationRequested(Event):
    """An agent asks for help with a call: from a supervisor of the queue, or another queue's agents."""

    KIND: ClassVar[str] = "agent.escalation_requested"
    VERSION: ClassVar[int] = 1

    call_id: str
    agent_id: str
    queue: str  # the queue the call came through
    target: str  # "supervisor" or "queue:<name>"
    reason: str = ""


@dataclass(frozen=True, slots=True)
class FlowPublished(Event):
    """A version of a flow became the one new calls run (version 0: the project's own file)."""

    KIND: ClassVar[str] = "flow.published"
    VERSION: ClassVar[int] = 1

    flow: str
    version: int
    by: str = ""


@dataclass(frozen=True, slots=True)
class SettingsSaved(Event):
    """An admin saved a queue's or an agent's settings as a new version (its YAML text, kept here)."""

    KIND: ClassVar[str] = "settings.saved"
    VERSION: ClassVar[int] = 1

    kind: str  # "queue" | "agent"
    name: str
    version: int
    source: str
    by: str = ""


@dataclass(frozen=True, slots=True)
class SettingsPublished(Event):
    """A version of a queue's or an agent's settings became live (version 0: the project's file)."""

    KIND: ClassVar[str] = "settings.published"
    VERSION: ClassVar[int] = 1

    kind: str  # "queue" | "agent"
    name: str
    version: int
    by: str = ""


@dataclass(frozen=True, slots=True)
class CallHeld(Event):
    """The agent put the caller on hold (the caller hears music)."""

    KIND: ClassVar[str] = "call.held"
    VERSION: ClassVar[int] = 1

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class CallResumed(Event):
    """The hold ended: `how` is 'resume' (the agent took the caller back) or who hung up."""

    KIND: ClassVar[str] = "call.resumed"
    VERSION: ClassVar[int] = 1

    call_id: str
    agent_id: str
    how: str = "resume"


# --- chat, SMS and e-mail conversations (their own module, part of this vocabulary) ---------------

# (imported last: they subclass Event, defined above; `X as X` re-exports them)
from alur.core.conversations import ConversationClosed as ConversationClosed  # noqa: E402
from alur.core.conversations import ConversationMessage as ConversationMessage  # noqa: E402
from alur.core.conversations import ConversationRead as ConversationRead  # noqa: E402
from alur.core.conversations import ConversationStarted as ConversationStarted  # noqa: E402
from alur.core.conversations import Deflected as Deflected  # noqa: E402
from alur.core.conversations import ResponseOverdue as ResponseOverdue  # noqa: E402
