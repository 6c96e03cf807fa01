"""longest_idle: the agent who has been available the longest (fairest spread of work)."""

from __future__ import annotations

from collections.abc import Sequence

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import BY_IDLE, Strategy, longest_idle


class LongestIdle(Strategy):
    name = "longest_idle"

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        if self.noted or len(candidates) < 2:
            return longest_idle(candidates, self.noted)
        # nobody reads the ranking (simulation): the one agent to offer is enough
        best = min(candidates, key=BY_IDLE)
        return [Ranked(best.id, -best.idle_since, "")]
