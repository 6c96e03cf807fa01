"""ring_all: ring every eligible agent at once; the first to answer gets the call."""

from __future__ import annotations

from collections.abc import Sequence

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import Strategy, longest_idle


class RingAll(Strategy):
    name = "ring_all"
    rings_all = True
    options_allowed = frozenset({"max_ringing"})

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        limit = self.option("max_ringing", 50, int)
        return longest_idle(candidates, self.noted)[:limit]
