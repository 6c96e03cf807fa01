"""skills: the best-matching agent: highest levels on the call's required skills (sum), then the
lowest queue penalty, the highest queue level, and the longest idle.

The order depends on which skills the call asks for, so there is one index per set of skill names
asked in this queue (levels asked only decide who is eligible, which the dispatcher checks)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from itertools import repeat
from typing import Any

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import NOTED, Key, Strategy, StrategyContext


def skill_score(agent: Agent, call: WaitingCall) -> int:
    # (sums over `map`, not generator expressions: these run for every ranked agent)
    return sum(map(agent.skills.get, call.skills, repeat(0)))


def skills_place(agent: Agent, skills: tuple[str, ...], queue: str) -> Key:
    """What of an agent's key comes from its configuration: the highest levels on `skills` (sum),
    then the lowest penalty and the highest level in `queue`."""
    m = agent.memberships.get(queue)
    penalty, level = (m.penalty, m.level) if m is not None else (100, 0)
    return (-sum(map(agent.skills.get, skills, repeat(0))), penalty, -level)


def skills_key(agent: Agent, skills: tuple[str, ...], queue: str) -> Key:
    return (skills_place(agent, skills, queue), agent.idle_since, agent.order)


class SkillPlaces:
    """Each agent's `skills_place` in one queue, per set of skill names, kept between its keys.

    A key is made each time an agent becomes free; its place comes from the agent's skills and
    memberships, dicts that at thousands of agents lie spread over memory, so reading them again
    costs cache misses, not instructions. Kept in a list by the agent's order (no lookup by id), and
    agents with the same place share one tuple, which keys compare by identity. The strategy forgets
    them when its queue's members change (`members_changed`: `configure_agent` calls it for every
    queue an agent's new settings touch), the only time a place can change."""

    __slots__ = ("queue", "_by_skills", "_shared")

    def __init__(self, queue: str) -> None:
        self.queue = queue
        self._by_skills: dict[tuple[str, ...], list[Key | None]] = {}
        self._shared: dict[Key, Key] = {}

    def key(self, agent: Agent, skills: tuple[str, ...]) -> Key:
        """`skills_key`, with the place read once per agent."""
        places = self._by_skills.get(skills)
        if places is None:
            places = self._by_skills[skills] = []
        order = agent.order
        if order >= len(places):
            places.extend([None] * (order + 1 - len(places)))
        place = places[order]
        if place is None:
            fresh = skills_place(agent, skills, self.queue)
            place = places[order] = self._shared.setdefault(fresh, fresh)
        return (place, agent.idle_since, order)

    def clear(self) -> None:
        self._by_skills.clear()
        self._shared.clear()


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


class BySkills(Strategy):
    """A strategy with indexes of agents by skills, which keeps their places between keys."""

    def __init__(self, options: Mapping[str, Any], ctx: StrategyContext) -> None:
        super().__init__(options, ctx)
        self.places = SkillPlaces(ctx.queue)

    def members_changed(self) -> None:
        super().members_changed()
        self.places.clear()


class Skills(BySkills):
    name = "skills"

    def variant(self, call: WaitingCall) -> Hashable:
        return tuple(sorted(call.skills)) if call.skills else ()

    def key_for(self, agent: Agent, variant: Hashable) -> Key:
        return self.places.key(agent, variant)  # type: ignore[arg-type]

    def score(self, agent: Agent, call: WaitingCall) -> float:
        return float(skill_score(agent, call))

    def note(self, agent: Agent, call: WaitingCall) -> str:
        return skills_note(agent, call)

    def ranked(self, ordered: Sequence[Agent], call: WaitingCall, noted: int | None = None) -> list[Ranked]:
        return skills_ranked(ordered, call, self.noted if noted is None else noted)
