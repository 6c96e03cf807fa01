"""skills: the best-matching agent: highest levels on the call's required skills (sum), then the
lowest queue penalty, the highest queue level, and the longest idle."""

from __future__ import annotations

from collections.abc import Sequence

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import NOTED, Strategy, ranked


def skill_score(agent: Agent, call: WaitingCall) -> int:
    return sum(agent.skills.get(skill, 0) for skill in call.skills)


def rank_by_skills(candidates: Sequence[Agent], call: WaitingCall, noted: int = NOTED) -> list[Ranked]:
    q = call.queue
    ordered = sorted(
        candidates,
        key=lambda a: (-skill_score(a, call), a.penalty_in(q), -a.level_in(q), a.idle_since, a.order),
    )
    return ranked(
        ordered,
        lambda a: float(skill_score(a, call)),
        lambda a: (
            f"skills {sum(1 for s in call.skills if s in a.skills)}/{len(call.skills)} "
            f"sum {skill_score(a, call)}, penalty {a.penalty_in(q)}"
        ),
        noted,
    )


class Skills(Strategy):
    name = "skills"

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        return rank_by_skills(candidates, call, self.noted)
