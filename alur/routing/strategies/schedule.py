"""schedule: longest idle among the agents on shift now (shifts in each agent's own time zone).

Every strategy leaves agents outside their shift alone (the dispatcher checks shifts); this one adds
the option `recheck_every`: how often to look again while the free agents are all off shift."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alur.routing.agents import Agent
from alur.routing.calls import WaitingCall
from alur.routing.strategies.base import ByIdle, StrategyContext


class Schedule(ByIdle):
    name = "schedule"
    options_allowed = frozenset({"recheck_every"})

    def __init__(self, options: Mapping[str, Any], ctx: StrategyContext) -> None:
        super().__init__(options, ctx)
        # shifts start on the minute: look again each minute while free agents are off shift
        self.recheck_after = float(self.option("recheck_every", 60, (int, float)))

    def note(self, agent: Agent, call: WaitingCall) -> str:
        return "on shift, " + super().note(agent, call)
