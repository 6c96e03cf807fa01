"""weighted_random: a random free agent, with chances proportional to weight (option `weights:
{agent: w}`, else the agent's configured `weight`). Free agents are kept by weight, so one draw picks
a weight (chance: weight x free agents of that weight) then an agent of it: O(distinct weights).
Efraimidis-Spirakis keys give the full ranking (explanations, and when the first draws cannot take
the call)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import Strategy, StrategyContext
from alur.routing.strategies.random import Bag, draws


class WeightedRandom(Strategy):
    name = "weighted_random"
    shows_runners_up = False
    options_allowed = frozenset({"weights"})

    def __init__(self, options: Mapping[str, Any], ctx: StrategyContext) -> None:
        super().__init__(options, ctx)
        self.weights: dict[str, Any] = self.option("weights", {}, dict)
        self.bags: dict[float, Bag] = {}

    def weight(self, agent: Agent) -> float:
        return float(self.weights.get(agent.id, agent.weight))

    def add(self, agent: Agent, now: float) -> None:
        self.free[agent.id] = agent
        w = self.weight(agent)
        bag = self.bags.get(w)
        if bag is None:
            bag = self.bags[w] = Bag()
        bag.add(agent)

    def remove(self, agent: Agent) -> None:
        if self.free.pop(agent.id, None) is not None:
            self.bags[self.weight(agent)].discard(agent)

    def _draw(self) -> Agent:
        rng = self.ctx.rng
        bags = [(w, bag) for w, bag in self.bags.items() if w > 0 and bag.items]
        if not bags:  # only zero weights are free: any of them
            items = [a for bag in self.bags.values() for a in bag.items]
            return items[rng.randrange(len(items))]
        u = rng.random() * sum(w * len(bag) for w, bag in bags)
        for w, bag in bags:
            u -= w * len(bag)
            if u < 0:
                break
        return bag.items[rng.randrange(len(bag))]

    def best(self, call: WaitingCall, now: float) -> Iterator[Agent]:
        def rest() -> list[Agent]:
            return [self.free[r.agent_id] for r in self.select(list(self.free.values()), call, now)]

        return draws(len(self.free), self._draw, rest)

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        rng = self.ctx.rng
        keyed = []
        for a in sorted(candidates, key=lambda a: a.order):
            w = self.weight(a)
            key = rng.random() ** (1.0 / w) if w > 0 else -1.0
            keyed.append((key, a, w))
        keyed.sort(key=lambda t: -t[0])
        return [
            Ranked(a.id, key, f"weight {w:g}" if i < self.noted else "")
            for i, (key, a, w) in enumerate(keyed)
        ]

    def score(self, agent: Agent, call: WaitingCall) -> float:
        return self.weight(agent)
