"""Routing strategies, found by name in one lookup table.

Each strategy lives in its own module and implements `Strategy.select(candidates, call, now)`.
To add one: write the module, add one line to `STRATEGIES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alur.core.errors import ConfigError
from alur.routing.strategies.base import Strategy, StrategyContext
from alur.routing.strategies.fewest_calls import FewestCalls
from alur.routing.strategies.fixed_order import FixedOrder
from alur.routing.strategies.language import Language
from alur.routing.strategies.least_talk_time import LeastTalkTime
from alur.routing.strategies.longest_idle import LongestIdle
from alur.routing.strategies.percentage import Percentage
from alur.routing.strategies.predictive import Predictive
from alur.routing.strategies.random import RandomPick
from alur.routing.strategies.ring_all import RingAll
from alur.routing.strategies.round_robin import RoundRobin
from alur.routing.strategies.schedule import Schedule
from alur.routing.strategies.skills import Skills
from alur.routing.strategies.vip import Vip
from alur.routing.strategies.weighted_random import WeightedRandom

STRATEGIES: dict[str, type[Strategy]] = {
    "ring_all": RingAll,
    "fixed_order": FixedOrder,
    "round_robin": RoundRobin,
    "longest_idle": LongestIdle,
    "least_talk_time": LeastTalkTime,
    "fewest_calls": FewestCalls,
    "random": RandomPick,
    "weighted_random": WeightedRandom,
    "skills": Skills,
    "language": Language,
    "percentage": Percentage,
    "schedule": Schedule,
    "vip": Vip,
    "predictive": Predictive,
}


def create(name: str, options: Mapping[str, Any], ctx: StrategyContext) -> Strategy:
    """Build strategy `name` for a queue; unknown names and options raise `ConfigError`."""
    cls = STRATEGIES.get(name)
    if cls is None:
        raise ConfigError(
            f"queue {ctx.queue!r}: unknown strategy {name!r} (known: {', '.join(sorted(STRATEGIES))})",
            code="unknown_strategy",
            value=name,
        )
    return cls(options, ctx)


__all__ = ["STRATEGIES", "Strategy", "StrategyContext", "create"]
