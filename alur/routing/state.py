"""Router state shared by the dispatcher and the public API: indexes, agent state changes, lookups.

Split from `engine.py` only to keep modules small; `Router` (engine.py) is the one public class.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from alur.core.channel import QueueOutcome
from alur.core.clock import Clock
from alur.core.errors import IllegalTransition
from alur.core.events import (
    AgentStateChanged,
    Event,
    WrapUpDone,
)  # fmt: skip
from alur.routing.agents import Agent, AgentState
from alur.routing.calls import Explanation, ExplanationLog, Offer, Reservation, WaitingCall
from alur.routing.errors import RoutingError
from alur.routing.queues import Queue

S = AgentState
Pool = tuple[str, str]
RETURNED = frozenset({S.RESERVED, S.RINGING})  # back to available without having worked
_NAMES = {state: state.value for state in AgentState}  # plain str for events, without enum lookups
MISSES = frozenset({"no_answer", "busy", "declined"})


class RouterState:
    """Everything the router knows; see `Router` for the public API."""

    def __init__(
        self,
        clock: Clock,
        *,
        emit: Callable[[Event], None] | None = None,
        on_offer: Callable[[Offer], None] | None = None,
        on_cancel: Callable[[Offer, str], None] | None = None,
        on_outcome: Callable[[str, QueueOutcome], None] | None = None,
        rng: random.Random | None = None,
        explanations: int = 10_000,
    ) -> None:
        self.clock = clock
        self._emit_sink = emit
        self.on_offer = on_offer
        self.on_cancel = on_cancel
        self.on_outcome = on_outcome
        self.rng = rng if rng is not None else random.Random(0)
        self.queues: dict[str, Queue] = {}
        self.agents: dict[str, Agent] = {}
        self.calls: dict[str, WaitingCall] = {}  # waiting (incl. under offer and callbacks)
        self.reservations: dict[str, Reservation] = {}
        self.connected: dict[str, tuple[str, str, float]] = {}  # call -> (agent, queue, answered at)
        self.explanations = ExplanationLog(capacity=explanations)
        self._pools: dict[Pool, dict[str, None]] = {}  # available agents per pool, in insertion order
        self._watchers: dict[Pool, dict[str, int]] = {}  # pool -> queues with calls that draw on it
        self._dirty: dict[str, None] = {}
        self._dispatching = False
        self._seq = 0
        self._rid = 0
        self._agent_order = 0
        self._finished: dict[str, str] = {}  # recently connected call -> queue (for Disposition)

    # --- agent state -----------------------------------------------------------------------------

    def _set_state(self, agent: Agent, new: AgentState, reason: str = "") -> None:
        old = agent.move(new)
        agent.state_since = self.clock.now()
        agent.pause_reason = reason if new is S.PAUSED else ""
        now = self.clock.now()
        if old is S.AVAILABLE:
            for pool in agent.pools:
                self._pools[pool].pop(agent.id, None)
        if new is S.AVAILABLE:
            if old not in RETURNED:
                agent.idle_since = now
            for pool in agent.pools:
                self._pools.setdefault(pool, {})[agent.id] = None
                for queue in self._watchers.get(pool, ()):
                    self._dirty[queue] = None
        was_staffed, is_staffed = old not in (S.OFFLINE, S.PAUSED), new not in (S.OFFLINE, S.PAUSED)
        if was_staffed != is_staffed:
            for m in agent.memberships:
                self.queues[m].staffed += 1 if is_staffed else -1
        self._emit(AgentStateChanged(now, agent.id, _NAMES[old], _NAMES[new], reason))

    def _after_work(self, agent: Agent) -> None:
        """The agent is free: honour a pending logout or pause, else available."""
        if agent.pending_logout:
            agent.pending_logout = False
            agent.pending_pause = None
            self._set_state(agent, S.OFFLINE)
        elif agent.pending_pause is not None:
            reason, agent.pending_pause = agent.pending_pause, None
            self._set_state(agent, S.PAUSED, reason)
        else:
            self._set_state(agent, S.AVAILABLE)

    def _end_wrap(self, agent: Agent) -> None:
        """Close after-call work (timer ran out, or the agent is ready/paused/logged out early)."""
        if agent.state is not S.WRAP_UP:
            return
        if agent.wrap_timer is not None:
            agent.wrap_timer.cancel()
            agent.wrap_timer = None
        now = self.clock.now()
        self._emit(
            WrapUpDone(now, agent.id, agent.call_id or "", agent.call_queue or "", now - agent.wrap_started)
        )
        agent.call_id = agent.call_queue = None

    # --- small helpers ---------------------------------------------------------------------------

    def _watch(self, call: WaitingCall, pool: Pool) -> None:
        if pool == ("queue", call.queue) or pool in call.extra_pools:
            return
        call.extra_pools.append(pool)
        watchers = self._watchers.setdefault(pool, {})
        watchers[call.queue] = watchers.get(call.queue, 0) + 1

    def _explain(self, call: WaitingCall, kind: str, rule: str, why: str) -> None:
        self.explanations.add(
            Explanation(self.clock.now(), call.call_id, call.queue, kind, rule, why, step=call.step)
        )

    def _emit(self, event: Event) -> None:
        if self._emit_sink is not None:
            self._emit_sink(event)

    def _outcome(self, call_id: str, outcome: QueueOutcome) -> None:
        if self.on_outcome is not None:
            self.on_outcome(call_id, outcome)

    def _queue(self, name: str) -> Queue:
        q = self.queues.get(name)
        if q is None:
            raise RoutingError(
                f"unknown queue {name!r} (queues: {sorted(self.queues)})", code="unknown_queue", value=name
            )
        return q

    def _agent(self, agent_id: str) -> Agent:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise RoutingError(f"unknown agent {agent_id!r}", code="unknown_agent", value=agent_id)
        return agent

    def _call(self, call_id: str) -> WaitingCall:
        call = self.calls.get(call_id)
        if call is None:
            raise RoutingError(
                f"call {call_id!r} is not waiting in any queue", code="unknown_call", value=call_id
            )
        return call

    def _reservation(self, reservation_id: str) -> Reservation:
        res = self.reservations.get(reservation_id)
        if res is None:
            raise RoutingError(
                f"offer {reservation_id!r} is no longer valid (answered, expired or withdrawn)",
                code="offer_gone",
                value=reservation_id,
            )
        return res


def raise_illegal(agent: Agent, action: str, needs: str) -> None:
    raise IllegalTransition(
        f"agent {agent.id!r} cannot {action} while {agent.state.value} (must be {needs})",
        value=agent.state.value,
    )
