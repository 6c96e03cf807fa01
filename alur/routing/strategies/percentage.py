"""percentage: split calls between groups (agent `group` or `department`) in exact shares over time,
e.g. `shares: {inhouse: 70, outsourcer: 30}`. Each call goes to the group furthest below its share
(largest deficit) among groups with a free agent, so after n calls each group is within one call of
its share whenever it had agents free. Within a group: longest idle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from alur.core.errors import ConfigError
from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import Strategy, StrategyContext, ranked


class Percentage(Strategy):
    name = "percentage"
    options_allowed = frozenset({"shares"})

    def __init__(self, options: Mapping[str, Any], ctx: StrategyContext) -> None:
        super().__init__(options, ctx)
        shares = options.get("shares")
        if (
            not isinstance(shares, dict)
            or not shares
            or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in shares.values()
            )
        ):
            raise ConfigError(
                f"queue {ctx.queue!r}: strategy 'percentage' needs 'shares: {{group: percent, ...}}' with "
                f"positive numbers (got {shares!r})",
                code="bad_option",
                value=shares,
            )
        total = float(sum(shares.values()))
        self.shares = {str(g): float(v) / total for g, v in shares.items()}
        self.counts = dict.fromkeys(self.shares, 0)
        self.total = 0

    def group_of(self, agent: Agent) -> str | None:
        if agent.group in self.shares:
            return agent.group
        if agent.department in self.shares:
            return agent.department
        return None

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        n = self.total + 1

        def deficit(a: Agent) -> float:
            g = self.group_of(a)
            return self.shares[g] * n - self.counts[g] if g is not None else float("-inf")

        pool = [a for a in candidates if self.group_of(a) is not None]
        ordered = sorted(pool, key=lambda a: (-deficit(a), a.idle_since, a.order))
        return ranked(
            ordered,
            deficit,
            lambda a: (
                f"group {self.group_of(a)}: {self.counts[self.group_of(a) or '']}"
                f"/{self.total} calls, share {self.shares[self.group_of(a) or '']:.0%}"
            ),
            self.noted,
        )

    def assigned(self, agent: Agent, call: WaitingCall, now: float) -> None:
        g = self.group_of(agent)
        if g is not None:
            self.counts[g] += 1
            self.total += 1
