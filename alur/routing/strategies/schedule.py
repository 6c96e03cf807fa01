"""schedule: only agents on shift now (shifts in each agent's own time zone), longest idle first."""

from __future__ import annotations

from collections.abc import Sequence

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import Strategy, longest_idle


class Schedule(Strategy):
    name = "schedule"
    options_allowed = frozenset({"recheck_every"})

    @property
    def recheck_after(self) -> float:  # type: ignore[override]
        """Shifts start on the minute: look again each minute while free agents are off shift."""
        return float(self.option("recheck_every", 60, (int, float)))

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        on_shift = [a for a in candidates if a.config.schedule.on_shift(now)]
        return [
            Ranked(r.agent_id, r.score, "on shift, " + r.note) for r in longest_idle(on_shift, self.noted)
        ]
