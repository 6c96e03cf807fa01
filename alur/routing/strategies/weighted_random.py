"""weighted_random: a random free agent, with chances proportional to weight (option `weights:
{agent: w}`, else the agent's configured `weight`). Efraimidis-Spirakis keys give a full ranking."""

from __future__ import annotations

from collections.abc import Sequence

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import Strategy


class WeightedRandom(Strategy):
    name = "weighted_random"
    options_allowed = frozenset({"weights"})

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        weights = self.option("weights", {}, dict)
        rng = self.ctx.rng
        keyed = []
        for a in sorted(candidates, key=lambda a: a.order):
            w = float(weights.get(a.id, a.weight))
            key = rng.random() ** (1.0 / w) if w > 0 else -1.0
            keyed.append((key, a, w))
        keyed.sort(key=lambda t: -t[0])
        return [
            Ranked(a.id, key, f"weight {w:g}" if i < self.noted else "")
            for i, (key, a, w) in enumerate(keyed)
        ]
