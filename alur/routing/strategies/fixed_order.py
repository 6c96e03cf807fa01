"""fixed_order (sequential/linear hunt): always the first agent in the list who is free.

The order is option `order: [agent ids]`, else the queue's members by penalty then configuration order.
With order X, Y, Z: X gets every call; Y only when X is not available; Z only when X and Y are not.
"""

from __future__ import annotations

from collections.abc import Sequence

from alur.core.errors import ConfigError
from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import Strategy, ranked


class FixedOrder(Strategy):
    name = "fixed_order"
    options_allowed = frozenset({"order"})

    def _position(self) -> dict[str, int]:
        order = self.options.get("order") or self.ctx.members
        if not isinstance(order, list) or not all(isinstance(x, str) for x in order):
            raise ConfigError(
                f"queue {self.ctx.queue!r}: fixed_order option 'order' must be a list of agent ids "
                f"(got {order!r})",
                code="bad_option",
                value=order,
            )
        return {agent: i for i, agent in enumerate(order)}

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        pos = self._position()
        last = len(pos)
        ordered = sorted(candidates, key=lambda a: (pos.get(a.id, last), a.order))
        return ranked(
            ordered,
            lambda a: -float(pos.get(a.id, last)),
            lambda a: f"#{pos[a.id] + 1} in order" if a.id in pos else "not listed",
            self.noted,
        )
