"""least_talk_time: the agent with the least talk time today (midnight in the agent's time zone)."""

from __future__ import annotations

from collections.abc import Sequence

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import Strategy, rank_by


class LeastTalkTime(Strategy):
    name = "least_talk_time"

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        for a in candidates:
            a.roll_day(now)
        return rank_by(
            candidates, lambda a: a.talk_today, lambda a: f"talked {a.talk_today:g}s today", self.noted
        )
