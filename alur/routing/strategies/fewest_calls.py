"""fewest_calls: the agent who has answered the fewest calls today; ties go to the longest idle."""

from __future__ import annotations

from collections.abc import Hashable

from alur.routing.agents import Agent
from alur.routing.calls import WaitingCall
from alur.routing.strategies.base import Key, Strategy


class FewestCalls(Strategy):
    name = "fewest_calls"
    daily = True

    def key_for(self, agent: Agent, variant: Hashable) -> Key:
        return (agent.calls_today, agent.idle_since, agent.order)

    def score(self, agent: Agent, call: WaitingCall) -> float:
        return -float(agent.calls_today)

    def note(self, agent: Agent, call: WaitingCall) -> str:
        return f"{agent.calls_today} calls today"
