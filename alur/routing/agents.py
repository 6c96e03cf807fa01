"""The agent as a state machine, plus the per-agent figures strategies rank by.

States: offline, available, reserved (an offer is held for one call), ringing (the phone rings),
busy (talking), wrap_up (after-call work), paused (with a reason). `TRANSITIONS` is the whole table;
any other move raises `IllegalTransition` naming the agent, the states and the allowed targets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar
from zoneinfo import ZoneInfo

from alur.core.errors import IllegalTransition
from alur.routing.model import AgentConfig, QueueMembership

if TYPE_CHECKING:
    from alur.core.clock import TimerHandle
    from alur.routing.calls import Reservation


# the local day last worked out per time zone, (its start, its end): every agent of a zone starts
# the same day, and working a midnight out costs microseconds (one entry per zone in use)
_DAYS: dict[ZoneInfo, tuple[float, float]] = {}


def day_end(now: float, tz: ZoneInfo) -> float:
    """The next local midnight after `now` in `tz` (when 'today' ends)."""
    known = _DAYS.get(tz)
    if known is not None and known[0] <= now < known[1]:
        return known[1]
    local = datetime.fromtimestamp(now, tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    _DAYS[tz] = (start.timestamp(), end)
    return end


class AgentState(StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    RESERVED = "reserved"
    RINGING = "ringing"
    BUSY = "busy"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"

    def __str__(self) -> str:
        return self.value


class States:
    """The states as plain class attributes, for hot paths: `AgentState.X` is an enum class lookup,
    several times slower than an ordinary attribute (three state changes per call add up)."""

    OFFLINE: ClassVar[AgentState] = AgentState.OFFLINE
    AVAILABLE: ClassVar[AgentState] = AgentState.AVAILABLE
    RESERVED: ClassVar[AgentState] = AgentState.RESERVED
    RINGING: ClassVar[AgentState] = AgentState.RINGING
    BUSY: ClassVar[AgentState] = AgentState.BUSY
    WRAP_UP: ClassVar[AgentState] = AgentState.WRAP_UP
    PAUSED: ClassVar[AgentState] = AgentState.PAUSED


S = AgentState
TRANSITIONS: dict[AgentState, frozenset[AgentState]] = {
    S.OFFLINE: frozenset({S.AVAILABLE, S.PAUSED}),
    # straight to busy: an offer answered at once, with no ringing in between (simulated agents)
    S.AVAILABLE: frozenset({S.RESERVED, S.BUSY, S.PAUSED, S.OFFLINE}),
    # an offer ends in an answer, or the agent goes back (declined/expired/lost race), or is paused
    S.RESERVED: frozenset({S.RINGING, S.BUSY, S.AVAILABLE, S.PAUSED, S.OFFLINE}),
    S.RINGING: frozenset({S.BUSY, S.AVAILABLE, S.PAUSED, S.OFFLINE}),
    S.BUSY: frozenset({S.WRAP_UP, S.AVAILABLE, S.PAUSED, S.OFFLINE}),  # the last three after the call
    S.WRAP_UP: frozenset({S.AVAILABLE, S.PAUSED, S.OFFLINE}),
    S.PAUSED: frozenset({S.AVAILABLE, S.OFFLINE}),
}


class Agent:
    """Runtime state of one agent. Strategies read it; only the engine writes it."""

    __slots__ = (
        "config", "id", "order", "state", "pause_reason", "idle_since", "calls_today", "talk_today",
        "_day_end", "_tz", "reservations", "call_id", "call_queue", "answered_at", "misses",
        "pending_pause", "pending_logout", "wrap_timer", "wrap_started", "skills", "languages",
        "memberships", "pools", "weight", "group", "department", "state_since", "shifts", "_shift",
        "voice_queues", "digital_queues", "capacity", "max_tasks", "load", "tasks", "voice_blocked", "held",
    )  # fmt: skip

    def __init__(
        self,
        config: AgentConfig,
        order: int,
        channels: Mapping[str, str] | None = None,
        queue_capacity: Mapping[str, int] | None = None,
    ) -> None:
        """`channels`: queue -> its channel (queues not named are voice); `queue_capacity`: channel ->
        the capacity the agent's queues of that channel give, for channels the agent does not set."""
        self.id = config.id
        self.order = order  # position in the configuration: the stable tie-breaker
        self.state = AgentState.OFFLINE
        self.state_since = 0.0
        self.pause_reason = ""
        self.idle_since = 0.0
        self.calls_today = 0
        self.talk_today = 0.0
        self._day_end = float("-inf")
        self.reservations: set[str] = set()
        self.call_id: str | None = None
        self.call_queue: str | None = None
        self.answered_at = 0.0
        self.misses = 0
        self.pending_pause: str | None = None
        self.pending_logout = False
        self.wrap_timer: TimerHandle | None = None
        self.wrap_started = 0.0
        self.load: dict[str, int] = {}  # offers held + tasks connected, per channel
        self.tasks: set[str] = set()  # chat/sms/email tasks connected to this agent
        self.voice_blocked = False  # digital tasks keep voice offers away (exclusive voice, max_tasks)
        # the ring_all group offer ringing this agent's phone (alur.routing.group): the agent stays
        # available and in the indexes, and every walk skips them
        self.held: Reservation | None = None
        self.configure(config, channels, queue_capacity)

    def configure(
        self,
        config: AgentConfig,
        channels: Mapping[str, str] | None = None,
        queue_capacity: Mapping[str, int] | None = None,
    ) -> None:
        """Take the agent's settings from `config` (at start, and when an admin edits them live);
        the agent's state, call, tasks and counters stay as they are."""
        self.config = config
        self._tz = ZoneInfo(config.schedule.timezone)
        self.skills = dict(config.skills)
        self.languages = dict(config.languages)
        self.memberships: dict[str, QueueMembership] = {m.queue: m for m in config.queues}
        self.weight = config.weight
        self.group = config.group
        self.department = config.department
        channel_of = channels or {}
        # voice queues take part in the agent state machine; chat/sms/email queues count slots
        self.voice_queues = tuple(
            m.queue for m in config.queues if channel_of.get(m.queue, "voice") == "voice"
        )
        self.digital_queues = tuple(m.queue for m in config.queues if m.queue not in self.voice_queues)
        given = queue_capacity or {}
        used = {channel_of[q] for q in self.digital_queues}
        self.capacity: dict[str, int] = {ch: config.capacity.get(ch, given.get(ch, 1)) for ch in used}
        self.max_tasks = config.max_tasks
        self.load = {ch: self.load.get(ch, 0) for ch in used}
        pools = [("queue", q) for q in self.voice_queues]
        if config.group:
            pools.append(("group", config.group))
        if config.department and config.department != config.group:
            pools.append(("group", config.department))
        self.pools: tuple[tuple[str, str], ...] = tuple(pools)
        self.shifts = bool(config.schedule.shifts)  # False: always on shift
        self._shift = (float("-inf"), True)  # (until when, on shift): the answer for the current minute

    def move(self, new: AgentState) -> AgentState:
        """Change state per `TRANSITIONS`; returns the old state."""
        old = self.state
        if new not in TRANSITIONS[old]:
            allowed = ", ".join(sorted(s.value for s in TRANSITIONS[old]))
            raise IllegalTransition(
                f"agent {self.id!r} cannot go from {old.value} to {new.value} (allowed: {allowed})",
                value=new.value,
            )
        self.state = new
        return old

    @property
    def shown_state(self) -> str:
        """The state people see: an agent whose phone rings for a ring_all group is "ringing" on the
        desktop and the wallboards, though routing keeps it available (held) meanwhile."""
        if self.held is not None and self.state is States.AVAILABLE:
            return States.RINGING.value
        return self.state.value

    def roll_day(self, now: float) -> None:
        """Reset 'today' counters at midnight in the agent's own time zone."""
        if now < self._day_end:
            return
        self._day_end = day_end(now, self._tz)
        self.calls_today = 0
        self.talk_today = 0.0

    @property
    def day_end(self) -> float:
        """When 'today' ends for this agent (their next midnight), as of the last `roll_day`."""
        return self._day_end

    def on_shift(self, now: float) -> bool:
        """True if the agent's schedule has them working at `now`. Shifts change on the minute, so
        the answer is kept until the end of the current minute."""
        if not self.shifts:
            return True
        until, on = self._shift
        if now < until and now >= until - 60.0:
            return on
        on = self.config.schedule.on_shift(now)
        if all(t.second == t.microsecond == 0 for s in self.config.schedule.shifts for t in (s.start, s.end)):
            self._shift = ((now // 60.0 + 1.0) * 60.0, on)
        return on

    def level_in(self, queue: str) -> int:
        m = self.memberships.get(queue)
        return m.level if m else 0

    def penalty_in(self, queue: str) -> int:
        m = self.memberships.get(queue)
        return m.penalty if m else 100

    def __repr__(self) -> str:
        return f"Agent({self.id!r}, {self.state.value})"


@dataclass(frozen=True, slots=True)
class AgentStatus:
    """What a wallboard or agent desktop shows about one agent."""

    agent_id: str
    name: str
    state: str
    reason: str  # pause reason, when paused
    since: float  # when the agent entered this state
    call_id: str | None
    queue: str | None
    calls_today: int
    talk_today: float
    pending: str | None  # "logout" or "pause:<reason>" once the current call ends
    load: tuple[tuple[str, int, int], ...] = ()  # (channel, tasks held, capacity) per chat/sms/email


def status_of(agent: Agent) -> AgentStatus:
    pending = (
        "logout"
        if agent.pending_logout
        else (f"pause:{agent.pending_pause}" if agent.pending_pause is not None else None)
    )
    held = agent.held.call if agent.held is not None and agent.state is States.AVAILABLE else None
    return AgentStatus(
        agent.id, agent.config.name or agent.id, agent.shown_state, agent.pause_reason, agent.state_since,
        held.call_id if held else agent.call_id, held.queue if held else agent.call_queue,
        agent.calls_today, agent.talk_today, pending,
        tuple((ch, n, agent.capacity[ch]) for ch, n in sorted(agent.load.items())),
    )  # fmt: skip
