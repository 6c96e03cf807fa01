"""language: agents who speak the caller's language, most proficient first. With `strict: false`
other agents stay as a last resort; callers with no language are ranked by skills."""

from __future__ import annotations

from collections.abc import Sequence

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import Strategy, ranked
from alur.routing.strategies.skills import rank_by_skills


class Language(Strategy):
    name = "language"
    options_allowed = frozenset({"strict"})

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        lang = call.language
        if not lang:
            return rank_by_skills(candidates, call, self.noted)
        strict = self.option("strict", True, bool)
        pool = [a for a in candidates if a.languages.get(lang, 0) > 0] if strict else list(candidates)
        ordered = sorted(pool, key=lambda a: (-a.languages.get(lang, 0), a.idle_since, a.order))
        return ranked(
            ordered,
            lambda a: float(a.languages.get(lang, 0)),
            lambda a: f"{lang} level {a.languages.get(lang, 0)}",
            self.noted,
        )
