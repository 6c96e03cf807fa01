"""Routing configuration: what a project's `queues/*.yaml` and `agents/*.yaml` files say.

The project loader parses YAML and calls `QueueConfig.model_validate(data)` /
`AgentConfig.model_validate(data)`; `alur.routing.references` then checks names across files.
Field names are plain on purpose: they are what users type. Unknown keys are rejected (`extra="forbid"`)
so that a typo such as `ring_timout` is an error naming the key, not a silently ignored setting.

Times are in seconds. Skill and language levels are integers from 1 (beginner) to 10 (expert).
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alur.core.errors import ConfigError
from alur.core.timezones import TimeZoneName

NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
CODE = r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Channel = Literal["voice", "chat", "sms", "email"]
CHANNELS: tuple[str, ...] = ("voice", "chat", "sms", "email")
DIGITAL: tuple[str, ...] = ("chat", "sms", "email")  # the channels an agent may hold several of at once


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceLevel(_Model):
    """Target share of calls answered within `seconds`: `{percent: 80, seconds: 20}` is "80/20"."""

    percent: float = Field(default=80.0, gt=0, le=100)
    seconds: float = Field(default=20.0, gt=0)


EscalationAction = Literal[
    "widen_skill_level",  # lower every required skill level by `by` (or drop skills with `drop_skills`)
    "add_groups",  # also offer to available agents of `groups` (hierarchical/functional escalation)
    "add_queues",  # also offer to available agents who serve `queues`
    "raise_priority",  # add `by` to the call's priority
    "move_queue",  # move the call to queue `target`, keeping its original arrival time
    "overflow",  # leave the queue; the flow continues at `target` (a node, flow or number)
]


class EscalationStep(_Model):
    """One rung of the escalation ladder, applied `after` seconds of waiting (since queue entry)."""

    after: float = Field(ge=0)
    action: EscalationAction
    by: int = 1
    drop_skills: bool = False
    groups: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    target: str | None = None

    @model_validator(mode="after")
    def _needs(self) -> EscalationStep:
        if self.action == "add_groups" and not self.groups:
            raise ValueError("escalation step 'add_groups' needs 'groups: [...]'")
        if self.action == "add_queues" and not self.queues:
            raise ValueError("escalation step 'add_queues' needs 'queues: [...]'")
        if self.action in ("move_queue", "overflow") and not self.target:
            raise ValueError(f"escalation step '{self.action}' needs 'target'")
        if self.action in ("widen_skill_level", "raise_priority") and self.by < 1:
            raise ValueError(f"escalation step '{self.action}' needs 'by' >= 1 (got {self.by})")
        return self


class RingNoAnswer(_Model):
    """What happens when an offered agent does not answer within the ring timeout.

    The call always goes back to its place in line. With `pause_agent`, the agent is paused (reason
    `pause_reason`) after `after_misses` consecutive unanswered offers, so callers stop ringing an
    empty desk. The same agent is not offered the same call again for `retry_same_agent_after`
    seconds (at least 1), so the call tries other agents first.
    """

    pause_agent: bool = True
    after_misses: int = Field(default=2, ge=1)
    pause_reason: str = "ring_no_answer"
    retry_same_agent_after: float = Field(default=30.0, ge=1)


class RecordingSettings(_Model):
    """Recording of a queue's conversations (caller and agent), written beside the project.

    mode            `off` (default), `stereo` (caller left, agent right) or `mixed` (one channel)
    retention_days  recordings older than this are deleted (kept forever when unset)
    pause_code      DTMF the agent dials to pause and resume recording (card numbers, ...)
    """

    mode: Literal["off", "stereo", "mixed"] = "off"
    retention_days: int | None = Field(default=None, ge=1)
    pause_code: str | None = Field(default="*1", pattern=r"^[0-9*#]{1,4}$")


class CallbackSettings(_Model):
    """How a queue calls back a caller who left a number (the callback keeps its place in line).

    ring_first             `agent` (default): the agent's phone rings, then the customer is dialled;
                           `customer`: the customer is dialled first, the agent's phone rings once
                           they answer (no agent time lost on unanswered numbers)
    attempts               tries before the callback is given up
    retry_after            seconds between an unanswered try and the next
    customer_ring_timeout  seconds the customer's phone rings on each try
    calendar               the project calendar of the hours callbacks are made in: one asked for
                           while it is closed is made from its next opening (the caller is told when)
    """

    ring_first: Literal["agent", "customer"] = "agent"
    attempts: int = Field(default=3, ge=1, le=20)
    retry_after: float = Field(default=300.0, ge=0)
    customer_ring_timeout: float = Field(default=30.0, gt=0)
    calendar: str | None = None


class Threshold(_Model):
    """Where a wallboard figure turns amber (`warn`) and red (`alert`)."""

    warn: float = Field(ge=0)
    alert: float = Field(ge=0)


def _threshold(warn: float, alert: float) -> Any:
    return Field(default_factory=lambda: Threshold(warn=warn, alert=alert))


class WallboardColours(_Model):
    """The colours of a queue's wallboard tile (the tile shows; routing ignores this).

    waiting        callers waiting now (amber from `warn`, red from `alert`)
    longest_wait   seconds the longest caller has waited
    service_level  percent answered in time today: lower is worse (amber below `warn`, red below `alert`)
    abandoned      percent of today's callers who hung up waiting
    """

    waiting: Threshold = _threshold(3, 6)
    longest_wait: Threshold = _threshold(20, 60)
    service_level: Threshold = _threshold(80, 60)
    abandoned: Threshold = _threshold(5, 10)

    @model_validator(mode="after")
    def _order(self) -> WallboardColours:
        for name in ("waiting", "longest_wait", "abandoned"):
            t: Threshold = getattr(self, name)
            if t.alert < t.warn:
                raise ValueError(f"wallboard.{name}: alert ({t.alert:g}) must not be below warn ({t.warn:g})")
        sl = self.service_level
        if sl.alert > sl.warn:
            raise ValueError(
                f"wallboard.service_level: alert ({sl.alert:g}) must not be above warn ({sl.warn:g}): "
                "a lower service level is worse"
            )
        for name in ("service_level", "abandoned"):
            t = getattr(self, name)
            if max(t.warn, t.alert) > 100:
                raise ValueError(f"wallboard.{name}: thresholds are percents, 0 to 100")
        return self


EMAIL_RESPONSE_TARGET = 4 * 3600.0  # an e-mail queue's response target unless it names one


class QueueConfig(_Model):
    """A queue: its strategy, targets, limits and escalation ladder (one `queues/<name>.yaml`).

    name                  queue name, referenced by flows (`queue: billing`) and agents
    strategy              one of `alur.routing.STRATEGIES` (default `longest_idle`)
    strategy_options      options of that strategy (e.g. `order`, `shares`, `weights`, `objective`)
    service_level         target, e.g. `{percent: 80, seconds: 20}`
    ring_timeout          seconds an offered agent's phone rings before the offer lapses
    max_wait              seconds a caller may wait; then `overflow` (or outcome `timeout`)
    max_length            callers allowed in line; more get outcome `full`
    wrap_up               seconds of after-call work before the agent is offered another call
    weight                an agent serving several queues takes calls from the heavier queue first
    required_skills       `{skill: minimum level}` every call of this queue needs
    require_language      only offer a caller to agents who speak the caller's language
    vip_priority          priority added to VIP callers (they move ahead in line)
    escalation            the ladder: steps applied after N seconds of waiting (see EscalationStep)
    overflow              where callers go on max wait, full queue or no agents (node/flow/number)
    when_no_agents        `wait` (default) or `leave` (outcome `no_agents`) if nobody is logged in
    ring_no_answer        what an unanswered offer does to the agent (see RingNoAnswer)
    expected_handle_time  starting value of the average handle time used for estimated wait
    lookahead             how many waiting calls one dispatch pass considers (skill-based skipping)
    music_on_hold         file played (looped) to callers waiting here, unless their flow names one
    recording             record answered calls (see RecordingSettings)
    dispositions          the wrap-up codes agents choose from for this queue's calls
    disposition_required  an agent must enter one of `dispositions` before leaving wrap-up
    callback              how callbacks are dialled, retried and given up (see CallbackSettings)
    wallboard             where the wallboard's figures turn amber and red (see WallboardColours)
    channel               `voice` (default), `chat`, `sms` or `email`: the kind of task this queue holds
    capacity              for a chat/sms/email queue: how many tasks of its channel an agent takes
                          at once, unless the agent's own `capacity` says (default 1)
    response_target       for a chat/sms/email queue: seconds from a conversation's start to the
                          agent's first reply (e-mail default: 4 hours; chat and SMS: none)
    """

    name: str = Field(pattern=NAME)
    description: str = ""
    strategy: str = "longest_idle"
    strategy_options: dict[str, Any] = Field(default_factory=dict)
    service_level: ServiceLevel = Field(default_factory=ServiceLevel)
    ring_timeout: float = Field(default=20.0, gt=0)
    max_wait: float | None = Field(default=None, gt=0)
    max_length: int | None = Field(default=None, ge=1)
    wrap_up: float = Field(default=0.0, ge=0)
    weight: int = Field(default=1, ge=1)
    required_skills: dict[str, int] = Field(default_factory=dict)
    require_language: bool = False
    vip_priority: int = Field(default=10, ge=0)
    escalation: tuple[EscalationStep, ...] = ()
    overflow: str | None = None
    when_no_agents: Literal["wait", "leave"] = "wait"
    ring_no_answer: RingNoAnswer = Field(default_factory=RingNoAnswer)
    expected_handle_time: float = Field(default=180.0, gt=0)
    lookahead: int = Field(default=32, ge=1)
    music_on_hold: str | None = None
    recording: RecordingSettings = Field(default_factory=RecordingSettings)
    dispositions: tuple[str, ...] = ()
    disposition_required: bool = False
    callback: CallbackSettings = Field(default_factory=CallbackSettings)
    wallboard: WallboardColours = Field(default_factory=WallboardColours)
    channel: Channel = "voice"
    capacity: int | None = Field(default=None, ge=1, le=50)
    response_target: float | None = Field(default=None, gt=0, le=30 * 86400)

    @model_validator(mode="after")
    def _capacity_digital(self) -> QueueConfig:
        if self.capacity is not None and self.channel == "voice":
            raise ValueError("capacity applies to chat, sms and email queues (a voice call is one at a time)")
        if self.response_target is not None and self.channel == "voice":
            raise ValueError(
                "response_target applies to chat, sms and email queues (a call's target is service_level)"
            )
        return self

    @property
    def target(self) -> float | None:
        """Seconds a conversation of this queue may wait for the agent's first reply (None: no target)."""
        if self.response_target is not None:
            return self.response_target
        return EMAIL_RESPONSE_TARGET if self.channel == "email" else None

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, v: str) -> str:
        from alur.routing.strategies import STRATEGIES  # late: strategies import this module

        if v not in STRATEGIES:
            raise ValueError(f"unknown strategy {v!r} (known: {', '.join(sorted(STRATEGIES))})")
        return v

    @model_validator(mode="after")
    def _strategy_options(self) -> QueueConfig:
        # build the strategy once so a bad option is reported with the queue file, not at start-up
        from alur.routing.strategies import STRATEGIES, StrategyContext, create

        if self.strategy in STRATEGIES:
            try:
                create(self.strategy, self.strategy_options, StrategyContext(queue=self.name))
            except ConfigError as err:
                raise ValueError(err.message) from None
        return self

    @field_validator("dispositions")
    @classmethod
    def _codes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return unique_codes(v, "disposition")

    @model_validator(mode="after")
    def _required_needs_codes(self) -> QueueConfig:
        if self.disposition_required and not self.dispositions:
            raise ValueError("disposition_required needs a 'dispositions' list of codes to choose from")
        return self

    @field_validator("required_skills")
    @classmethod
    def _levels(cls, v: dict[str, int]) -> dict[str, int]:
        return _check_levels(v, "required_skills")

    @field_validator("escalation")
    @classmethod
    def _ordered(cls, v: tuple[EscalationStep, ...]) -> tuple[EscalationStep, ...]:
        afters = [s.after for s in v]
        if afters != sorted(afters):
            raise ValueError(f"escalation steps must be in order of 'after' (got {afters})")
        return v


class QueueMembership(_Model):
    """An agent's place in one queue: `level` (higher is better), `penalty` (lower is tried first)."""

    queue: str = Field(pattern=NAME)
    level: int = Field(default=5, ge=1, le=10)
    penalty: int = Field(default=0, ge=0)


def _day(word: str, given: object) -> str:
    """'mon', 'Monday' -> 'mon'; anything else is an error naming what was given."""
    key = word.strip().lower()
    for day, full in zip(DAYS, FULL_DAY_NAMES, strict=True):
        if key in (day, full):
            return day
    raise ValueError(f"unknown day {given!r} (use {', '.join(DAYS)}, or a range like 'mon-fri')")


FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Shift(_Model):
    """A working period on some weekdays, in the agent's time zone; `end` before `start` spans midnight."""

    days: tuple[str, ...] = DAYS
    start: time
    end: time

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = [d.strip() for d in v.split(",")]
        out: list[str] = []
        for item in v:
            first, _, last = str(item).partition("-")
            start, end = _day(first, item), _day(last or first, item)
            span = (DAYS.index(end) - DAYS.index(start)) % len(DAYS)  # "fri-mon" wraps the weekend
            out += [DAYS[(DAYS.index(start) + i) % len(DAYS)] for i in range(span + 1)]
        return tuple(dict.fromkeys(out))


class Schedule(_Model):
    """When the agent works: shifts in the agent's own IANA time zone (e.g. 'Asia/Jakarta')."""

    timezone: TimeZoneName = "UTC"
    shifts: tuple[Shift, ...] = ()

    def on_shift(self, at: float) -> bool:
        """True if epoch second `at` falls in a shift (no shifts at all means always on shift)."""
        if not self.shifts:
            return True
        local = datetime.fromtimestamp(at, ZoneInfo(self.timezone))
        day, now = DAYS[local.weekday()], local.time()
        yesterday = DAYS[(local.weekday() - 1) % 7]
        for s in self.shifts:
            if s.start <= s.end:
                if day in s.days and s.start <= now < s.end:
                    return True
            elif (day in s.days and now >= s.start) or (yesterday in s.days and now < s.end):
                return True
        return False


class AgentConfig(_Model):
    """An agent: identity, phone, skills, languages, queues served, schedule and group.

    id          stable identifier (login name); `name` is for display
    extension   SIP user the agent's phone registers as; `sip_uri` is a fixed address instead
    skills      `{skill: level 1-10}`
    languages   `{language: level 1-10}`, or a list (`[en, id]`) meaning level 10 in each
    queues      queues served: names, or `{queue, level, penalty}` (lower penalty is offered first)
    group       team for `percentage` shares and `add_groups` escalation; `department` likewise
    weight      share for `weighted_random` (default 1)
    schedule    `{timezone: Asia/Jakarta, shifts: [{days: [mon, tue], start: "08:00", end: "17:00"}]}`
    capacity    tasks held at once per channel, e.g. `{chat: 3, email: 2}` (voice is always 1); a
                channel not named takes its queues' `capacity` (default 1)
    max_tasks   tasks held at once over all channels (a call counts one), e.g. 3 for "1 call + 2 e-mails"
    """

    id: str = Field(pattern=NAME)
    name: str = ""
    extension: str | None = None
    sip_uri: str | None = None
    skills: dict[str, int] = Field(default_factory=dict)
    languages: dict[str, int] = Field(default_factory=dict)
    queues: tuple[QueueMembership, ...] = ()
    group: str | None = None
    department: str | None = None
    weight: float = Field(default=1.0, gt=0)
    schedule: Schedule = Field(default_factory=Schedule)
    capacity: dict[str, int] = Field(default_factory=dict)
    max_tasks: int | None = Field(default=None, ge=1, le=100)

    @field_validator("capacity")
    @classmethod
    def _channels(cls, v: dict[str, int]) -> dict[str, int]:
        for channel, n in v.items():
            if channel not in DIGITAL:
                raise ValueError(f"capacity: unknown channel {channel!r} (use {', '.join(DIGITAL)})")
            if not 0 <= n <= 50:
                raise ValueError(f"capacity: {channel} must be 0..50 (got {n})")
        return v

    @field_validator("languages", mode="before")
    @classmethod
    def _language_list(cls, v: Any) -> Any:
        # `languages: [en, id]` is shorthand for full proficiency in each
        if isinstance(v, (list, tuple)):
            return {str(x): 10 for x in v}
        return v

    @field_validator("queues", mode="before")
    @classmethod
    def _queue_names(cls, v: Any) -> Any:
        # `queues: [billing, sales]` is shorthand for default level and penalty
        if isinstance(v, (list, tuple)):
            return [{"queue": x} if isinstance(x, str) else x for x in v]
        return v

    @field_validator("skills")
    @classmethod
    def _skill_levels(cls, v: dict[str, int]) -> dict[str, int]:
        return _check_levels(v, "skills")

    @field_validator("languages")
    @classmethod
    def _language_levels(cls, v: dict[str, int]) -> dict[str, int]:
        return _check_levels(v, "languages")

    @field_validator("sip_uri")
    @classmethod
    def _uri(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^sips?:", v):
            raise ValueError(f"sip_uri must start with 'sip:' or 'sips:' (got {v!r})")
        return v

    @model_validator(mode="after")
    def _unique_queues(self) -> AgentConfig:
        names = [m.queue for m in self.queues]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"agent {self.id!r} lists queue(s) {dupes} more than once")
        return self


def unique_codes(v: tuple[str, ...], what: str) -> tuple[str, ...]:
    """Codes people pick from a list (dispositions, pause reasons): plain names, each once."""
    seen: set[str] = set()
    for code in v:
        if not re.fullmatch(CODE, code):
            raise ValueError(f"{what} code {code!r} must be letters, digits, '_' or '-' (at most 64)")
        if code in seen:
            raise ValueError(f"{what} code {code!r} is listed twice")
        seen.add(code)
    return v


def _check_levels(v: dict[str, int], what: str) -> dict[str, int]:
    for key, level in v.items():
        if not 1 <= level <= 10:
            raise ValueError(f"{what}: level of {key!r} must be 1..10 (got {level})")
    return v
