"""ring_all: ring every eligible agent at once (up to `max_ringing`, longest idle first); the first
to answer gets the call."""

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

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        return super().select(candidates, call, now)[: self.limit]
