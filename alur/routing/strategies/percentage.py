"""percentage: split calls between groups (agent `group` or `department`) in exact shares over time,
e.g. `shares: {inhouse: 70, outsourcer: 30}`. Each call goes to the group furthest below its share
(largest deficit) among groups with a free agent, so after n calls each group is within one call of
its share whenever it had agents free. Within a group: longest idle (one index per group)."""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import Any

from sortedcontainers import SortedList

from alur.core.errors import ConfigError
from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import Key, Strategy, StrategyContext


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
        self.groups: dict[str, SortedList] = {g: SortedList() for g in self.shares}

    def group_of(self, agent: Agent) -> str | None:
        if agent.group in self.shares:
            return agent.group
        if agent.department in self.shares:
            return agent.department
        return None

    def deficit(self, group: str) -> float:
        return self.shares[group] * (self.total + 1) - self.counts[group]

    def key_for(self, agent: Agent, variant: Hashable) -> Key:
        g = self.group_of(agent)
        return (-self.deficit(g) if g is not None else float("inf"), agent.idle_since, agent.order)

    def add(self, agent: Agent, now: float) -> None:
        g = self.group_of(agent)
        if g is not None:  # agents in no shared group are never offered this queue's calls
            self.free[agent.id] = agent
            self.groups[g].add((agent.idle_since, agent.order, agent))

    def remove(self, agent: Agent) -> None:
        if self.free.pop(agent.id, None) is not None:
            self.groups[self.group_of(agent) or ""].remove((agent.idle_since, agent.order, agent))

    def best(self, call: WaitingCall, now: float) -> Iterator[Agent]:
        """Groups by deficit, largest first, each longest idle first (merged where deficits tie)."""
        lanes = [_lane(-self.deficit(g), members) for g, members in self.groups.items() if members]
        return (entry[-1] for entry in heapq.merge(*lanes))

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        return super().select([a for a in candidates if self.group_of(a) is not None], call, now)

    def score(self, agent: Agent, call: WaitingCall) -> float:
        g = self.group_of(agent)
        return self.deficit(g) if g is not None else float("-inf")

    def note(self, agent: Agent, call: WaitingCall) -> str:
        g = self.group_of(agent) or ""
        return f"group {g}: {self.counts[g]}/{self.total} calls, share {self.shares[g]:.0%}"

    def assigned(self, agent: Agent, call: WaitingCall, now: float) -> None:
        g = self.group_of(agent)
        if g is not None:
            self.counts[g] += 1
            self.total += 1


def _lane(rank: float, members: SortedList) -> Iterator[tuple[float, float, int, Agent]]:
    return ((rank, idle, order, agent) for idle, order, agent in members)
