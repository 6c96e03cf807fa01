"""random: a uniformly random free agent, from the injected seeded generator (reproducible runs)."""

from __future__ import annotations

from collections.abc import Sequence

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import Strategy


class RandomPick(Strategy):
    name = "random"

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        ordered = sorted(candidates, key=lambda a: a.order)
        self.ctx.rng.shuffle(ordered)
        n = len(ordered)
        return [
            Ranked(a.id, float(n - i), "random draw" if i < self.noted else "") for i, a in enumerate(ordered)
        ]
