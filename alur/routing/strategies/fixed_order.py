"""fixed_order (sequential/linear hunt): always the first agent in the list who is free.

The order is option `order: [agent ids]`, else the queue's members by penalty then configuration order.
With order X, Y, Z: X gets every call; Y only when X is not available; Z only when X and Y are not.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from alur.core.errors import ConfigError
from alur.routing.agents import Agent
from alur.routing.calls import WaitingCall
from alur.routing.strategies.base import Key, Strategy, StrategyContext


class Listed(Strategy):
    """Strategies that follow a list of agents: option `order`, else the queue's members."""

    options_allowed = frozenset({"order"})

    def __init__(self, options: Mapping[str, Any], ctx: StrategyContext) -> None:
        super().__init__(options, ctx)
        self._pos: dict[str, int] | None = None
        self.position()  # a bad `order` is reported when the queue is loaded

    def position(self) -> dict[str, int]:
        """Agent id -> place in the list (computed once; `members_changed` forgets it)."""
        if self._pos is None:
            order = self.options.get("order") or self.ctx.members
            if not isinstance(order, list) or not all(isinstance(x, str) for x in order):
                raise ConfigError(
                    f"queue {self.ctx.queue!r}: {self.name} option 'order' must be a list of agent ids "
                    f"(got {order!r})",
                    code="bad_option",
                    value=order,
                )
            self._pos = {agent: i for i, agent in enumerate(order)}
        return self._pos

    def members_changed(self) -> None:
        self._pos = None
        super().members_changed()

    def key_for(self, agent: Agent, variant: Hashable) -> Key:
        pos = self.position()
        return (pos.get(agent.id, len(pos) + agent.order), agent.order)


class FixedOrder(Listed):
    name = "fixed_order"

    def score(self, agent: Agent, call: WaitingCall) -> float:
        pos = self.position()
        return -float(pos.get(agent.id, len(pos)))

    def note(self, agent: Agent, call: WaitingCall) -> str:
        pos = self.position()
        return f"#{pos[agent.id] + 1} in order" if agent.id in pos else "not listed"
