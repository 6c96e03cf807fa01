"""ring_all: ring every eligible agent at once (up to `max_ringing`, longest idle first); the first
to answer gets the call.

One decision is one group offer (alur.routing.group): the rung agents stay in the index, held by the
offer, and the dispatcher's walk skips them; an answer lets the others go with their place (and idle
time) unchanged. So the index sees no work for a ring, and a decision costs the walk to the first
`max_ringing` eligible agents plus a few dictionary entries per phone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import ByIdle, StrategyContext


class RingAll(ByIdle):
    name = "ring_all"
    rings_all = True
    options_allowed = frozenset({"max_ringing"})

    def __init__(self, options: Mapping[str, Any], ctx: StrategyContext) -> None:
        super().__init__(options, ctx)
        self.limit: int = self.option("max_ringing", 50, int)

    @property
    def offers_at_most(self) -> int:
        return self.limit

    def ranked(self, ordered: Sequence[Agent], call: WaitingCall, noted: int | None = None) -> list[Ranked]:
        """Only the top few are kept for the explanation: the others are not scored."""
        return super().ranked(ordered[: max(self.noted, 1)], call, noted)

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        """In full (for explanations and widened calls), up to `max_ringing`."""
        return super().ranked(self._sorted(candidates, self.variant(call))[: self.limit], call)
