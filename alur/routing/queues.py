"""Queue runtime: configuration, strategy, line, and the figures announcements need.

Estimated wait time (EWT) method: `position x AHT / staffed`, where AHT is an exponentially weighted
moving average (alpha 0.1) of handle time (talk + wrap-up) over the queue's answered calls, starting
from the queue's `expected_handle_time`, and staffed counts agents logged in and not paused. It is the
classic "position-based" estimate: cheap, stable, and right on average for FIFO queues. With nobody
staffed there is no estimate (None), so nothing is announced.
"""

from __future__ import annotations

from dataclasses import dataclass

from alur.core.clock import TimerHandle
from alur.routing.calls import Line
from alur.routing.model import QueueConfig
from alur.routing.strategies.base import Strategy

ALPHA = 0.1
EWT_METHOD = "position x average handle time (EWMA of talk + wrap-up) / staffed agents"


@dataclass(frozen=True, slots=True)
class QueueStats:
    queue: str
    waiting: int
    under_offer: int
    callbacks: int
    staffed: int
    available: int
    longest_wait: float
    average_handle_time: float
    answered: int
    answered_within_target: int
    abandoned: int
    service_level: float | None  # share answered within the target among answered + abandoned
    estimated_wait_next: float | None  # for a caller joining now; None when nobody is staffed
    ewt_method: str = EWT_METHOD


class Queue:
    __slots__ = (
        "_config",
        "name",
        "strategy",
        "members",
        "line",
        "staffed",
        "aht",
        "answered",
        "within",
        "abandoned",
        "recheck",
        "channel",
        "digital",
        # the settings every call reads, as plain attributes (kept in step by the `config` setter)
        "ring_timeout",
        "lookahead",
        "require_language",
        "max_length",
        "when_no_agents",
        "max_wait",
        "escalation",
        "required_skills",
        "wrap_up",
        "sl_seconds",
    )

    def __init__(self, config: QueueConfig, strategy: Strategy, members: list[str], line: Line) -> None:
        self.config = config
        self.name = config.name  # read on every decision: a plain attribute, not a property
        self.strategy = strategy
        self.members = members  # agent ids in (penalty, configuration) order; shared with the strategy
        self.line = line
        self.staffed = 0
        self.aht = config.expected_handle_time
        self.answered = 0
        self.within = 0
        self.abandoned = 0
        self.recheck: TimerHandle | None = None  # pending re-dispatch for time-dependent strategies
        self.channel = config.channel
        self.digital = config.channel != "voice"  # tasks held several at once (alur.routing.digital)

    @property
    def config(self) -> QueueConfig:
        return self._config

    @config.setter
    def config(self, config: QueueConfig) -> None:
        """The queue's (frozen) configuration. What every call reads of it is copied to plain
        attributes: reading a pydantic model's field costs some hundred times more in the compiled
        build (setup.py), and a call reads ten of them. Routing code reads these attributes, never
        the same settings off `config`, so there is one way to read each."""
        self._config = config
        self.ring_timeout = config.ring_timeout
        self.lookahead = config.lookahead
        self.require_language = config.require_language
        self.max_length = config.max_length
        self.when_no_agents = config.when_no_agents
        self.max_wait = config.max_wait
        self.escalation = config.escalation
        self.required_skills = config.required_skills
        self.wrap_up = config.wrap_up
        self.sl_seconds = config.service_level.seconds

    def record_answer(self, wait: float) -> None:
        self.answered += 1
        if wait <= self.sl_seconds:
            self.within += 1

    def record_handle(self, seconds: float) -> None:
        self.aht += ALPHA * (seconds - self.aht)

    def estimated_wait(self, position: int) -> float | None:
        """None when nobody is staffed: with no agent logged in there is no wait to estimate."""
        if self.staffed == 0:
            return None
        return position * self.aht / self.staffed

    def stats(self, now: float, available: int) -> QueueStats:
        calls = self.line.calls
        handled = self.answered + self.abandoned
        return QueueStats(
            queue=self.name,
            waiting=len(calls),
            under_offer=sum(1 for c in calls if c.reservations),
            callbacks=sum(1 for c in calls if c.callback_number is not None),
            staffed=self.staffed,
            available=available,
            longest_wait=max((now - c.first_at for c in calls), default=0.0),
            average_handle_time=self.aht,
            answered=self.answered,
            answered_within_target=self.within,
            abandoned=self.abandoned,
            service_level=self.within / handled if handled else None,
            estimated_wait_next=0.0 if available and not calls else self.estimated_wait(len(calls) + 1),
        )
