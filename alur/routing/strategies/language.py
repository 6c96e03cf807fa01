"""language: agents who speak the caller's language, most proficient first. With `strict: false`
other agents stay as a last resort; callers with no language are ranked by skills."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from itertools import takewhile
from typing import Any, cast

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import Key, StrategyContext
from alur.routing.strategies.skills import BySkills, skill_score, skills_note


class Language(BySkills):
    name = "language"
    options_allowed = frozenset({"strict"})

    def __init__(self, options: Mapping[str, Any], ctx: StrategyContext) -> None:
        super().__init__(options, ctx)
        self.strict: bool = self.option("strict", True, bool)

    def variant(self, call: WaitingCall) -> Hashable:
        if call.language:
            return ("language", call.language)
        return ("skills", tuple(sorted(call.skills)))

    def key_for(self, agent: Agent, variant: Hashable) -> Key:
        kind, what = cast(tuple[str, Any], variant)
        if kind == "skills":
            return self.places.key(agent, what)
        return (-agent.languages.get(what, 0), agent.idle_since, agent.order)

    def _speaks(self, call: WaitingCall) -> Any:
        lang = call.language
        return lambda a: not self.strict or not lang or a.languages.get(lang, 0) > 0

    def best(self, call: WaitingCall, now: float) -> Iterator[Agent]:
        # speakers come first in a language's index: strict stops at the first who does not speak it
        return takewhile(self._speaks(call), super().best(call, now))

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        return super().select([a for a in candidates if self._speaks(call)(a)], call, now)

    def score(self, agent: Agent, call: WaitingCall) -> float:
        if not call.language:
            return float(skill_score(agent, call))
        return float(agent.languages.get(call.language, 0))

    def note(self, agent: Agent, call: WaitingCall) -> str:
        if not call.language:
            return skills_note(agent, call)
        return f"{call.language} level {agent.languages.get(call.language, 0)}"
