"""vip: VIP callers go to the agents with the highest level in skill `skill` (default "vip"); other
callers go to the remaining agents first, so the VIP specialists stay free. (VIP callers also move
ahead in line by the queue's `vip_priority`.)"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from itertools import takewhile
from typing import Any

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import Key, Strategy, StrategyContext


class Vip(Strategy):
    name = "vip"
    options_allowed = frozenset({"skill", "vip_only"})

    def __init__(self, options: Mapping[str, Any], ctx: StrategyContext) -> None:
        super().__init__(options, ctx)
        self.skill: str = self.option("skill", "vip", str)
        self.vip_only: bool = self.option("vip_only", False, bool)

    def variant(self, call: WaitingCall) -> Hashable:
        return call.vip

    def key_for(self, agent: Agent, variant: Hashable) -> Key:
        level = agent.skills.get(self.skill, 0)
        return (-level if variant else level, agent.idle_since, agent.order)

    def _allowed(self, call: WaitingCall) -> Any:
        only = call.vip and self.vip_only
        return lambda a: not only or a.skills.get(self.skill, 0) > 0

    def best(self, call: WaitingCall, now: float) -> Iterator[Agent]:
        # for VIP callers the specialists come first: vip_only stops at the first who is not one
        return takewhile(self._allowed(call), super().best(call, now))

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        return super().select([a for a in candidates if self._allowed(call)(a)], call, now)

    def score(self, agent: Agent, call: WaitingCall) -> float:
        level = float(agent.skills.get(self.skill, 0))
        return level if call.vip else -level

    def note(self, agent: Agent, call: WaitingCall) -> str:
        who = "VIP caller" if call.vip else "regular caller"
        return f"{who}, {self.skill} level {agent.skills.get(self.skill, 0)}"
