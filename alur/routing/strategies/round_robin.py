"""round_robin (rotary): remembers the last agent who took a call; the next call goes to the next
agent in the list after them who is free, wrapping round at the end."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import Strategy, StrategyContext, ranked


class RoundRobin(Strategy):
    name = "round_robin"
    options_allowed = frozenset({"order"})

    def __init__(self, options: Mapping[str, Any], ctx: StrategyContext) -> None:
        super().__init__(options, ctx)
        self.last: str | None = None

    def _order(self) -> list[str]:
        order = self.options.get("order") or self.ctx.members
        return list(order) if isinstance(order, list) else list(self.ctx.members)

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        order = self._order()
        pos = {agent: i for i, agent in enumerate(order)}
        n = max(len(order), 1)
        start = pos[self.last] + 1 if self.last in pos else 0

        def distance(a: Agent) -> int:
            return (pos[a.id] - start) % n if a.id in pos else n + a.order

        ordered = sorted(candidates, key=lambda a: (distance(a), a.order))
        last = self.last or "nobody yet"
        return ranked(
            ordered, lambda a: -float(distance(a)), lambda a: f"{distance(a)} after last ({last})", self.noted
        )

    def assigned(self, agent: Agent, call: WaitingCall, now: float) -> None:
        self.last = agent.id
