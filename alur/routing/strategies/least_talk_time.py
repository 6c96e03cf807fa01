"""least_talk_time: the agent with the least talk time today (midnight in the agent's time zone)."""

from __future__ import annotations

from collections.abc import Hashable

from alur.routing.agents import Agent
from alur.routing.calls import WaitingCall
from alur.routing.strategies.base import Key, Strategy


class LeastTalkTime(Strategy):
    name = "least_talk_time"
    daily = True

    def key_for(self, agent: Agent, variant: Hashable) -> Key:
        return (agent.talk_today, agent.order)

    def score(self, agent: Agent, call: WaitingCall) -> float:
        return -agent.talk_today

    def note(self, agent: Agent, call: WaitingCall) -> str:
        return f"talked {agent.talk_today:g}s today"
