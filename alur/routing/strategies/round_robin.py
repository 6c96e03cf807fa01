"""round_robin (rotary): remembers the last agent who took a call; the next call goes to the next
agent in the list after them who is free, wrapping round at the end."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import StrategyContext
from alur.routing.strategies.fixed_order import Listed


class RoundRobin(Listed):
    name = "round_robin"

    def __init__(self, options: Mapping[str, Any], ctx: StrategyContext) -> None:
        super().__init__(options, ctx)
        self.last: str | None = None

    def _start(self) -> int:
        pos = self.position()
        return pos[self.last] + 1 if self.last in pos else 0

    def best(self, call: WaitingCall, now: float) -> Iterator[Agent]:
        """The listed agents from just after the last one, wrapping round; then the unlisted ones."""
        index = self._index.get(None) or self._build(None)
        n, start = len(self.position()), self._start()
        for lo, hi in ((start, n), (0, start), (n, None)):
            top = ((hi,),) if hi is not None else None
            for _, agent in index.irange(((lo,),), top):
                yield agent

    def distance(self, agent: Agent) -> int:
        pos = self.position()
        n = max(len(pos), 1)
        return (pos[agent.id] - self._start()) % n if agent.id in pos else n + agent.order

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        ordered = sorted(candidates, key=lambda a: (self.distance(a), a.order))
        return self.ranked(ordered, call)

    def score(self, agent: Agent, call: WaitingCall) -> float:
        return -float(self.distance(agent))

    def note(self, agent: Agent, call: WaitingCall) -> str:
        return f"{self.distance(agent)} after last ({self.last or 'nobody yet'})"

    def assigned(self, agent: Agent, call: WaitingCall, now: float) -> None:
        self.last = agent.id
