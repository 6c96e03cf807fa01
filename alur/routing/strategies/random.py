"""random: a uniformly random free agent, from the injected seeded generator (reproducible runs)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import Strategy, StrategyContext

TRIES = 8  # random draws before the rest is shuffled (when the first agents drawn cannot take the call)


class Bag:
    """Agents in a list with O(1) add, remove (swap with the last) and pick by position."""

    __slots__ = ("items", "where")

    def __init__(self) -> None:
        self.items: list[Agent] = []
        self.where: dict[str, int] = {}

    def add(self, agent: Agent) -> None:
        self.where[agent.id] = len(self.items)
        self.items.append(agent)

    def discard(self, agent: Agent) -> None:
        i = self.where.pop(agent.id, None)
        if i is None:
            return
        last = self.items.pop()
        if last is not agent:
            self.items[i] = last
            self.where[last.id] = i

    def __len__(self) -> int:
        return len(self.items)


def draws(count: int, pick: Callable[[], Agent], rest: Callable[[], Iterable[Agent]]) -> Iterator[Agent]:
    """A few random draws from `pick` (repeats skipped), then the others in the order `rest()` gives."""
    seen: set[str] = set()
    for _ in range(min(TRIES, count)):
        agent = pick()
        if agent.id not in seen:
            seen.add(agent.id)
            yield agent
    yield from (a for a in rest() if a.id not in seen)


class RandomPick(Strategy):
    name = "random"
    shows_runners_up = False

    def __init__(self, options: Mapping[str, Any], ctx: StrategyContext) -> None:
        super().__init__(options, ctx)
        self.bag = Bag()

    def add(self, agent: Agent, now: float) -> None:
        self.free[agent.id] = agent
        self.bag.add(agent)

    def remove(self, agent: Agent) -> None:
        self.free.pop(agent.id, None)
        self.bag.discard(agent)

    def best(self, call: WaitingCall, now: float) -> Iterator[Agent]:
        items, rng = self.bag.items, self.ctx.rng

        def rest() -> list[Agent]:
            return [self.free[r.agent_id] for r in self.select(list(items), call, now)]

        return draws(len(items), lambda: items[rng.randrange(len(items))], rest)

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        ordered = sorted(candidates, key=lambda a: a.order)
        self.ctx.rng.shuffle(ordered)
        n = len(ordered)
        return [
            Ranked(a.id, float(n - i), "random draw" if i < self.noted else "") for i, a in enumerate(ordered)
        ]
