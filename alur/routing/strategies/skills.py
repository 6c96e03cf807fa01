"""skills: the best-matching agent: highest levels on the call's required skills (sum), then the
lowest queue penalty, the highest queue level, and the longest idle.

The order depends on which skills the call asks for, so there is one index per set of skill names
asked in this queue (levels asked only decide who is eligible, which the dispatcher checks)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from itertools import repeat

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import NOTED, Key, Strategy


def skill_score(agent: Agent, call: WaitingCall) -> int:
    # (sums over `map`, not generator expressions: these run for every ranked agent)
    return sum(map(agent.skills.get, call.skills, repeat(0)))


def skills_key(agent: Agent, skills: tuple[str, ...], queue: str) -> Key:
    m = agent.memberships.get(queue)
    penalty, level = (m.penalty, m.level) if m is not None else (100, 0)
    return (-sum(map(agent.skills.get, skills, repeat(0))), penalty, -level, agent.idle_since, agent.order)


def skills_note(agent: Agent, call: WaitingCall) -> str:
    have, asked = agent.skills, call.skills
    m = agent.memberships.get(call.queue)
    return (
        f"skills {sum(map(have.__contains__, asked))}/{len(asked)} "
        f"sum {sum(map(have.get, asked, repeat(0)))}, penalty {m.penalty if m is not None else 100}"
    )


def skills_ranked(ordered: Sequence[Agent], call: WaitingCall, noted: int) -> list[Ranked]:
    """Score agents already in best-first order, the first `noted` with `skills_note`'s words: one
    pass that sums each agent's levels once for the score and the note (every decision explained)."""
    asked, queue, out = call.skills, call.queue, []
    for i, a in enumerate(ordered):
        have = a.skills
        total = sum(map(have.get, asked, repeat(0)))
        note = ""
        if i < noted:
            m = a.memberships.get(queue)
            note = (
                f"skills {sum(map(have.__contains__, asked))}/{len(asked)} "
                f"sum {total}, penalty {m.penalty if m is not None else 100}"
            )
        out.append(Ranked(a.id, float(total), note))
    return out


def rank_by_skills(candidates: Sequence[Agent], call: WaitingCall, noted: int = NOTED) -> list[Ranked]:
    skills, q = tuple(sorted(call.skills)), call.queue
    return skills_ranked(sorted(candidates, key=lambda a: skills_key(a, skills, q)), call, noted)


class Skills(Strategy):
    name = "skills"

    def variant(self, call: WaitingCall) -> Hashable:
        return tuple(sorted(call.skills)) if call.skills else ()

    def key_for(self, agent: Agent, variant: Hashable) -> Key:
        return skills_key(agent, variant, self.ctx.queue)  # type: ignore[arg-type]

    def score(self, agent: Agent, call: WaitingCall) -> float:
        return float(skill_score(agent, call))

    def note(self, agent: Agent, call: WaitingCall) -> str:
        return skills_note(agent, call)

    def ranked(self, ordered: Sequence[Agent], call: WaitingCall, noted: int | None = None) -> list[Ranked]:
        return skills_ranked(ordered, call, self.noted if noted is None else noted)
