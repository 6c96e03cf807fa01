"""The one interface every routing strategy implements, and small helpers they share.

A strategy gets the eligible, available agents for one waiting call (already filtered by state, skills
and exclusions) and returns them ranked, best first. It may keep state (round robin remembers the last
agent; percentage counts allocations; predictive learns) through `assigned` and `observe`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from alur.core.errors import ConfigError
from alur.core.events import Event
from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall


@dataclass(slots=True)
class StrategyContext:
    """What a strategy may know beyond one decision: its queue, the queue's members in configured
    order (for fixed order and round robin) and a seeded random generator (for reproducible runs)."""

    queue: str
    members: list[str] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    notes: bool = True  # word the top candidates' notes for explanations (off when nobody reads them)


class Strategy:
    """Base class: subclasses set `name` and implement `select`."""

    name = "base"
    rings_all = False  # True: offer to every ranked agent at once, first answer wins
    options_allowed: frozenset[str] = frozenset()
    # if `select` drops every candidate, ask again after this many seconds (time-dependent rules)
    recheck_after: float | None = None

    def __init__(self, options: Mapping[str, Any], ctx: StrategyContext) -> None:
        unknown = sorted(set(options) - self.options_allowed)
        if unknown:
            allowed = sorted(self.options_allowed) or "none"
            raise ConfigError(
                f"queue {ctx.queue!r}: strategy {self.name!r} has no option(s) {unknown} "
                f"(allowed: {allowed})",
                code="unknown_option",
                value=unknown[0],
            )
        self.options = dict(options)
        self.ctx = ctx
        self.noted = NOTED if ctx.notes else 0  # how many ranked candidates get a worded note

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        """Rank `candidates` for `call`, best first. Dropping a candidate means 'never this agent'.
        Without notes (`ctx.notes` off) a strategy that offers one agent may return only that one."""
        raise NotImplementedError

    def assigned(self, agent: Agent, call: WaitingCall, now: float) -> None:
        """The call was answered by `agent` (called once per connected call)."""

    def observe(self, event: Event) -> None:
        """An event about this queue's calls (TalkEnded, Disposition...) for strategies that learn."""

    def option(self, key: str, default: Any, kind: type | tuple[type, ...]) -> Any:
        value = self.options.get(key, default)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise ConfigError(
                f"queue {self.ctx.queue!r}: strategy {self.name!r} option {key!r} has the wrong type "
                f"(got {value!r})",
                code="bad_option",
                value=value,
            )
        return value


NOTED = 5  # notes are words for the explanation: only the top few are written, to keep decisions cheap
_new = tuple.__new__  # builds a Ranked without the named tuple's Python-level __new__
BY_IDLE = attrgetter("idle_since", "order")  # longest available first, then configuration order


def ranked(
    ordered: Sequence[Agent],
    score: Callable[[Agent], float],
    note: Callable[[Agent], str],
    noted: int = NOTED,
) -> list[Ranked]:
    """Wrap agents already in best-first order; notes are only formatted for the first `noted`."""
    return [_new(Ranked, (a.id, score(a), note(a) if i < noted else "")) for i, a in enumerate(ordered)]


def rank_by(
    candidates: Sequence[Agent],
    key: Callable[[Agent], float],
    note: Callable[[Agent], str],
    noted: int = NOTED,
) -> list[Ranked]:
    """Lowest `key` first, ties broken by configuration order; score is the negated key."""
    keyed = sorted([(key(a), a.order, a) for a in candidates])  # `order` is unique: agents never compared
    return [_new(Ranked, (a.id, -k, note(a) if i < noted else "")) for i, (k, _, a) in enumerate(keyed)]


def longest_idle(candidates: Sequence[Agent], noted: int = NOTED) -> list[Ranked]:
    """Available longest first (the hot path of the default strategy: no per-agent Python calls)."""
    ordered = sorted(candidates, key=BY_IDLE)
    out = [_new(Ranked, (a.id, -a.idle_since, f"idle since {a.idle_since:g}")) for a in ordered[:noted]]
    if len(ordered) > noted:
        out += [_new(Ranked, (a.id, -a.idle_since, "")) for a in ordered[noted:]]
    return out
