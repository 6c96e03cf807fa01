"""fewest_calls: the agent who has answered the fewest calls today; ties go to the longest idle."""

from __future__ import annotations

from collections.abc import Sequence

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import Strategy, ranked


class FewestCalls(Strategy):
    name = "fewest_calls"

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        for a in candidates:
            a.roll_day(now)
        ordered = sorted(candidates, key=lambda a: (a.calls_today, a.idle_since, a.order))
        return ranked(
            ordered, lambda a: -float(a.calls_today), lambda a: f"{a.calls_today} calls today", self.noted
        )
