"""Waiting calls, the line they stand in, offers, and decision explanations.

A call keeps its place in line (its `seq`, taken once at first arrival) while it is offered, when an
offer fails, when the caller asks for a callback and when escalation moves it to another queue; the
line is ordered by (higher priority first, then seq), so FIFO holds within equal priority.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict, deque
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from alur.core.clock import TimerHandle


class WaitingCall:
    """A call in a queue. `skills` are the effective (possibly widened) minimum levels."""

    __slots__ = (
        "call_id", "queue", "seq", "first_at", "entered_at", "priority", "skills", "language", "vip",
        "call_type", "attributes", "extra_pools", "step", "reservations", "excluded", "max_wait_timer",
        "step_timer", "callback_number", "max_wait", "base_skills", "attempts",
    )  # fmt: skip

    def __init__(
        self,
        call_id: str,
        queue: str,
        seq: int,
        now: float,
        priority: int,
        skills: dict[str, int],
        language: str | None,
        vip: bool,
        call_type: str,
        attributes: dict[str, str],
        max_wait: float | None,
        base_skills: dict[str, int] | None = None,
    ) -> None:
        self.call_id = call_id
        self.queue = queue
        self.seq = seq
        self.first_at = now  # arrival in the first queue: waits are measured from here
        self.entered_at = now  # arrival in the current queue: escalation steps count from here
        self.priority = priority
        self.skills = skills
        # as asked by the flow, before queue requirements/widening
        self.base_skills = dict(skills) if base_skills is None else base_skills
        self.language = language
        self.vip = vip
        self.call_type = call_type
        self.attributes = attributes
        self.extra_pools: list[tuple[str, str]] = []
        self.step = 0
        self.reservations: list[str] = []
        self.excluded: dict[str, float] = {}  # agent id -> until when they are not offered this call
        self.max_wait_timer: TimerHandle | None = None
        self.step_timer: TimerHandle | None = None
        self.callback_number: str | None = None
        self.attempts = 0  # tries at calling back so far
        self.max_wait = max_wait

    @property
    def offered(self) -> bool:
        return bool(self.reservations)

    def sort_key(self) -> tuple[int, int]:
        return (-self.priority, self.seq)

    def __repr__(self) -> str:
        return f"WaitingCall({self.call_id!r}, {self.queue!r}, prio={self.priority}, seq={self.seq})"


class Line:
    """The calls of one queue in service order. Queues are short next to agent counts, so a sorted
    list with bisect is both simple and fast."""

    __slots__ = ("calls", "keys")

    def __init__(self) -> None:
        self.calls: list[WaitingCall] = []
        self.keys: list[tuple[int, int]] = []

    def add(self, call: WaitingCall) -> None:
        key = call.sort_key()
        i = bisect.bisect_right(self.keys, key)
        self.keys.insert(i, key)
        self.calls.insert(i, call)

    def remove(self, call: WaitingCall) -> None:
        i = bisect.bisect_left(self.keys, call.sort_key())
        if i < len(self.calls) and self.calls[i] is call:
            del self.keys[i]
            del self.calls[i]
            return
        self.calls.remove(call)  # the key changed under us; still correct, just slower
        self.keys = [c.sort_key() for c in self.calls]

    def position(self, call: WaitingCall) -> int:
        """1-based place in line."""
        return bisect.bisect_left(self.keys, call.sort_key()) + 1

    def __len__(self) -> int:
        return len(self.calls)


@dataclass(frozen=True, slots=True)
class Offer:
    """What the driver must do: ring `agent_id` for `call_id` until `expires_at`, then report back
    with `Router.answer(reservation_id)` or `Router.decline(reservation_id, reason)`.

    `callback_number` is set when the caller chose a callback: the agent calls this number back.
    `ring_all` marks one of several simultaneous offers for the same call (the first answer wins).
    """

    reservation_id: str
    call_id: str
    agent_id: str
    queue: str
    expires_at: float
    callback_number: str | None = None
    ring_all: bool = False


@dataclass(slots=True)
class Reservation:
    """One offer; or, with `phones`, a ring_all group offer (see alur.routing.group): `phones` maps
    each phone's offer id to its agent, and every one of those ids leads to this one reservation."""

    id: str
    call: WaitingCall
    agent_id: str
    queue: str
    expires_at: float
    timer: TimerHandle | None = None
    answered: bool = False
    phones: dict[str, str] | None = None
    # queues whose dispatch skipped an agent this group holds: looked at again when it lets go
    blocked: dict[str, None] | None = None


class Ranked(NamedTuple):
    """One candidate as a strategy ranked it: higher `score` is better; `note` says why in words.
    (A named tuple: strategies build one per candidate per decision, so it must be cheap.)"""

    agent_id: str
    score: float
    note: str = ""


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why something happened to a call: a routing decision, an escalation step or an outcome."""

    at: float
    call_id: str
    queue: str
    kind: str  # "offer" | "escalation" | "outcome" | "declined"
    rule: str  # the strategy or step that decided
    why: str
    candidates: int = 0
    ranked: tuple[Ranked, ...] = ()
    chosen: tuple[str, ...] = ()
    required: tuple[tuple[str, int], ...] = ()
    step: int = 0

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for the explain API."""
        e = self.worded()
        return {
            "at": e.at,
            "call_id": e.call_id,
            "queue": e.queue,
            "kind": e.kind,
            "rule": e.rule,
            "why": e.why,
            "step": e.step,
            "eligible": e.candidates,
            "required": dict(e.required),
            "ranked": [{"agent_id": r.agent_id, "score": r.score, "note": r.note} for r in e.ranked],
            "chosen": list(e.chosen),
        }

    def worded(self) -> Explanation:
        """This explanation with `why` filled in (offers are worded on read, not on the hot path)."""
        if self.why or self.kind != "offer":
            return self
        top = self.ranked[0].note if self.ranked else ""
        why = f"{self.rule} chose {', '.join(self.chosen)} of {self.candidates} eligible: {top}"
        return replace(self, why=why)


@dataclass(slots=True)
class ExplanationLog:
    """The last `capacity` calls' explanations (each call keeps its last `per_call` entries)."""

    capacity: int = 10_000
    per_call: int = 16
    _by_call: OrderedDict[str, deque[Explanation]] = field(default_factory=OrderedDict)

    def add(self, e: Explanation) -> None:
        entries = self._by_call.get(e.call_id)
        if entries is None:
            entries = self._by_call[e.call_id] = deque(maxlen=self.per_call)
            if len(self._by_call) > self.capacity:
                self._by_call.popitem(last=False)
        entries.append(e)

    def get(self, call_id: str) -> list[Explanation]:
        return [e.worded() for e in self._by_call.get(call_id, ())]
