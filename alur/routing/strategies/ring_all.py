"""ring_all: ring every eligible agent at once (up to `max_ringing`, longest idle first); the first
to answer gets the call.

One decision reserves up to `max_ringing` agents and its answer sends all but one straight back, with
the same place in the index (a lost race keeps the agent's idle time). So a rung agent's entry stays
in the index while the phone rings ("parked": out of `free`, skipped by the walk) and is taken out
only when the agent does not come back the same way (answered, paused, logged out): the common round
trip costs no index work. The cost of a decision still grows with the agents it rings."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from alur.routing.agents import Agent, States
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import ByIdle, StrategyContext

OFFERED = frozenset({States.RESERVED, States.RINGING})  # still holding an offer: may come back as it was


class RingAll(ByIdle):
    name = "ring_all"
    rings_all = True
    options_allowed = frozenset({"max_ringing"})

    def __init__(self, options: Mapping[str, Any], ctx: StrategyContext) -> None:
        super().__init__(options, ctx)
        self.limit: int = self.option("max_ringing", 50, int)
        self._parked: dict[str, Agent] = {}  # rung agents whose entries stay in the index
        self._stale: list[Agent] = []  # parked agents the last walk found gone elsewhere

    @property
    def offers_at_most(self) -> int:
        return self.limit

    def remove(self, agent: Agent) -> None:
        if agent.state is States.RESERVED and agent.id in self.free:
            del self.free[agent.id]  # rung: most likely back in a moment with the same key
            self._parked[agent.id] = agent
            return
        super().remove(agent)

    def add(self, agent: Agent, now: float) -> None:
        if self._parked.pop(agent.id, None) is not None:
            aid, key_for = agent.id, self.key_for
            for variant, entries in self._entries.items():  # a plain loop: 50 agents come back per answer
                entry = entries.get(aid)
                if entry is None or entry[0] != key_for(agent, variant):
                    break
            else:
                self.free[aid] = agent  # back from ringing: the entries are still right
                return
            self._unpark(agent)
        super().add(agent, now)

    def _unpark(self, agent: Agent) -> None:
        """Take out the entries of an agent who left the free agents for good."""
        self._parked.pop(agent.id, None)
        for variant, entries in self._entries.items():
            entry = entries.pop(agent.id, None)
            if entry is not None:
                self._index[variant].remove(entry)

    def members_changed(self) -> None:
        self._parked.clear()
        self._stale.clear()
        super().members_changed()

    def best(self, call: WaitingCall, now: float) -> Iterator[Agent]:
        for agent in self._stale:
            if agent.id in self._parked and agent.state not in OFFERED:
                self._unpark(agent)
        self._stale.clear()
        return self._walk(super().best(call, now))

    def _walk(self, ordered: Iterator[Agent]) -> Iterator[Agent]:
        free, parked, stale = self.free, self._parked, self._stale
        for agent in ordered:
            if agent.id in free:
                yield agent
            elif agent.id in parked and agent.state not in OFFERED:
                stale.append(agent)  # answered elsewhere, paused or gone: taken out at the next walk

    def ranked(self, ordered: Sequence[Agent], call: WaitingCall, noted: int | None = None) -> list[Ranked]:
        """Only the top few are kept for the explanation: the others are not scored."""
        return super().ranked(ordered[: max(self.noted, 1)], call, noted)

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        """In full (for explanations and widened calls), up to `max_ringing`."""
        return super().ranked(self._sorted(candidates, self.variant(call))[: self.limit], call)
