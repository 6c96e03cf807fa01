"""vip: VIP callers go to the agents with the highest level in skill `skill` (default "vip"); other
callers go to the remaining agents first, so the VIP specialists stay free. (VIP callers also move
ahead in line by the queue's `vip_priority`.)"""

from __future__ import annotations

from collections.abc import Sequence

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import Strategy, ranked


class Vip(Strategy):
    name = "vip"
    options_allowed = frozenset({"skill", "vip_only"})

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        skill = self.option("skill", "vip", str)
        if call.vip:
            pool = candidates
            if self.option("vip_only", False, bool):
                pool = [a for a in candidates if a.skills.get(skill, 0) > 0]
            ordered = sorted(pool, key=lambda a: (-a.skills.get(skill, 0), a.idle_since, a.order))
            return ranked(
                ordered,
                lambda a: float(a.skills.get(skill, 0)),
                lambda a: f"VIP caller, {skill} level {a.skills.get(skill, 0)}",
                self.noted,
            )
        ordered = sorted(candidates, key=lambda a: (a.skills.get(skill, 0), a.idle_since, a.order))
        return ranked(
            ordered,
            lambda a: -float(a.skills.get(skill, 0)),
            lambda a: f"regular caller, {skill} level {a.skills.get(skill, 0)}",
            self.noted,
        )
