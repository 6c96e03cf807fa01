"""The one interface every routing strategy implements, and the free-agent index they share.

A strategy answers two questions. `best(call, now)` yields the queue's free agents best first, lazily:
the dispatcher takes the first one the call may have (skills, language, shift, recent misses), so a
decision costs O(log n) in agents. The index behind it is kept up to date by `add`/`remove`, which the
router calls when an agent becomes free or stops being free. `select(candidates, call, now)` ranks a
given list in full, with scores and notes: for explanations and for calls that also draw on agents of
other pools (escalation). Both orders are the same by construction: one `key_for` decides both.

A strategy may keep state (round robin remembers the last agent; percentage counts allocations;
predictive learns) through `assigned` and `observe`.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, ClassVar

from alur.core.errors import ConfigError
from alur.core.events import Event
from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.entries import Entries, Entry

NOTED = 5  # notes are words for the explanation: only the top few are written, to keep decisions cheap
VARIANTS = 64  # distinct call kinds (e.g. skill sets) indexed per queue; rarer kinds are ranked in full
Key = tuple[Any, ...]
ENTRY_AGENT = itemgetter(1)  # an index entry's agent


@dataclass(slots=True)
class StrategyContext:
    """What a strategy may know beyond one decision: its queue, the queue's members in configured
    order (for fixed order and round robin) and a seeded random generator (for reproducible runs)."""

    queue: str
    members: list[str] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    notes: bool = True  # word the top candidates' notes for explanations (off when nobody reads them)


class Strategy:
    """Base class: subclasses set `name` and implement `key_for` (or override `best` and `select`)."""

    name = "base"
    rings_all = False  # True: offer to several ranked agents at once, first answer wins
    options_allowed: frozenset[str] = frozenset()
    # when every free agent is off shift, look again after this many seconds
    recheck_after: float | None = None
    daily = False  # keys use today's figures (calls, talk time): re-key agents at their midnight
    # an explanation shows the runners-up too; random strategies show only the chosen agent, since
    # drawing runners-up would use the generator and change later decisions
    shows_runners_up = True

    # the strategy learns from the events `observe` is given (TalkEnded and the like): a strategy that
    # overrides `observe` says so here, and the router builds those events only for such strategies
    learns: ClassVar[bool] = False

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
        self.free: dict[str, Agent] = {}  # the queue's available agents
        self._index: dict[Hashable, Entries] = {}  # call kind -> (key, agent) of the free agents
        self._entries: dict[Hashable, dict[str, Entry]] = {}
        self._roll_at = float("inf")  # earliest midnight of a free agent (daily strategies)

    # --- what a subclass defines ---------------------------------------------------------------

    def variant(self, call: WaitingCall) -> Hashable:
        """Which index serves `call` (strategies whose order depends on the call, e.g. its skills)."""
        return None

    def key_for(self, agent: Agent, variant: Hashable) -> Key:
        """Sort key, lowest first; the last item is `agent.order`, so keys are unique."""
        raise NotImplementedError

    def score(self, agent: Agent, call: WaitingCall) -> float:
        return 0.0

    def note(self, agent: Agent, call: WaitingCall) -> str:
        return ""

    # --- the index -----------------------------------------------------------------------------

    @property
    def offers_at_most(self) -> int:
        """How many agents one decision offers the call to."""
        return 1

    def add(self, agent: Agent, now: float) -> None:
        """`agent` is free to take this queue's calls."""
        self.free[agent.id] = agent
        if self.daily:
            agent.roll_day(now)
            self._roll_at = min(self._roll_at, agent.day_end)
        for variant, entries in self._entries.items():
            entry: Entry = (self.key_for(agent, variant), agent)
            entries[agent.id] = entry
            self._index[variant].add(entry)

    def remove(self, agent: Agent) -> None:
        """`agent` is no longer free (offered a call, paused, logged out)."""
        if self.free.pop(agent.id, None) is None:
            return
        for variant, entries in self._entries.items():
            self._index[variant].remove(entries.pop(agent.id))

    def members_changed(self) -> None:
        """The queue's configured members changed: keys that use their order are rebuilt."""
        self._index.clear()
        self._entries.clear()

    def best(self, call: WaitingCall, now: float) -> Iterator[Agent]:
        """The free agents, best first, lazily."""
        if self.daily and now >= self._roll_at:
            self._new_day(now)
        variant = self.variant(call)
        index = self._index.get(variant)
        if index is None:
            if len(self._index) >= VARIANTS:
                return iter(self._sorted(list(self.free.values()), variant))
            index = self._build(variant)
        return map(ENTRY_AGENT, index)  # the agents of the (key, agent) entries, in order

    def _build(self, variant: Hashable) -> Entries:
        entries = {a.id: (self.key_for(a, variant), a) for a in self.free.values()}
        self._entries[variant] = entries
        index = self._index[variant] = Entries(entries.values())
        return index

    def _new_day(self, now: float) -> None:
        agents = list(self.free.values())
        self.free.clear()
        self._roll_at = float("inf")
        for entries in self._entries.values():
            entries.clear()
        for index in self._index.values():
            index.clear()
        for agent in agents:
            self.add(agent, now)

    def _sorted(self, candidates: Sequence[Agent], variant: Hashable) -> list[Agent]:
        key_for = self.key_for
        return [a for _, a in sorted([(key_for(a, variant), a) for a in candidates])]

    # --- full ranking, for explanations --------------------------------------------------------

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        """Rank `candidates` for `call`, best first. Dropping a candidate means 'never this agent'."""
        if self.daily:
            for a in candidates:
                a.roll_day(now)
        return self.ranked(self._sorted(candidates, self.variant(call)), call)

    def ranked(self, ordered: Sequence[Agent], call: WaitingCall, noted: int | None = None) -> list[Ranked]:
        """Score agents already in best-first order; only the first `noted` get a worded note."""
        limit = self.noted if noted is None else noted
        score, note = self.score, self.note
        return [
            Ranked(a.id, score(a, call), note(a, call) if i < limit else "") for i, a in enumerate(ordered)
        ]

    # --- learning ------------------------------------------------------------------------------

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


class ByIdle(Strategy):
    """Longest available first, ties by configuration order (longest_idle, ring_all, schedule)."""

    def key_for(self, agent: Agent, variant: Hashable) -> Key:
        return (agent.idle_since, agent.order)

    def score(self, agent: Agent, call: WaitingCall) -> float:
        return -agent.idle_since

    def note(self, agent: Agent, call: WaitingCall) -> str:
        return f"idle since {agent.idle_since:g}"
