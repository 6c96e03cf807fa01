"""Router state shared by the dispatcher and the public API: indexes, agent state changes, lookups.

Split from `engine.py` only to keep modules small; `Router` (engine.py) is the one public class.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import partial
from typing import Any, Final

from alur.core.channel import QueueOutcome
from alur.core.clock import Clock, TimerHandle
from alur.core.errors import IllegalTransition
from alur.core.events import (
    AgentStateChanged,
    Answered,
    CallQueued,
    Event,
    GroupOffered,
    Offered,
    OffersWithdrawn,
    TalkEnded,
    WrapUpDone,
)  # fmt: skip
from alur.routing.agents import TRANSITIONS, Agent, AgentState, States
from alur.routing.calls import Explanation, ExplanationLog, Offer, Reservation, WaitingCall
from alur.routing.errors import RoutingError
from alur.routing.queues import Queue

S = States
Pool = tuple[str, str]
RETURNED: Final = frozenset({S.RESERVED, S.RINGING})  # back to available without having worked
UNSTAFFED: Final = frozenset({S.OFFLINE, S.PAUSED})  # not counted in a queue's staffed agents
_NAMES: Final = {state: state.value for state in AgentState}  # plain str for events, without enum lookups
MISSES: Final = frozenset({"no_answer", "busy", "declined"})


class RouterState:
    """Everything the router knows; see `Router` for the public API."""

    def __init__(
        self,
        clock: Clock,
        *,
        emit: Callable[[Event], None] | None = None,
        facts: Callable[[type[Event]], Callable[..., None]] | None = None,
        on_offer: Callable[[Offer], None] | None = None,
        on_cancel: Callable[[Offer, str], None] | None = None,
        on_outcome: Callable[[str, QueueOutcome], None] | None = None,
        rng: random.Random | None = None,
        explanations: int = 10_000,
    ) -> None:
        self.clock = clock
        # the sink itself, not a method wrapping it: every state change and decision emits
        self._emit: Callable[[Event], None] = emit if emit is not None else _ignore
        # the commonest facts (agent state changes, queued, offered, answered, talk ended) go out as
        # plain fields to `facts(EventClass)`, the function that counts that kind, resolved once here:
        # a driver that only counts them builds no event object (default: build it and `emit` it)
        resolve = facts if facts is not None else partial(_builder, self._emit)
        self._state_fact = resolve(AgentStateChanged)
        self._queued_fact = resolve(CallQueued)
        self._offered_fact = resolve(Offered)
        self._answered_fact = resolve(Answered)
        self._talk_fact = resolve(TalkEnded)
        self._group_fact = resolve(GroupOffered)  # ring_all
        self._withdrawn_fact = resolve(OffersWithdrawn)
        self.on_offer = on_offer
        self.on_cancel = on_cancel
        self.on_outcome = on_outcome
        self.rng = rng if rng is not None else random.Random(0)
        self.queues: dict[str, Queue] = {}
        self.agents: dict[str, Agent] = {}
        self.calls: dict[str, WaitingCall] = {}  # waiting (incl. under offer and callbacks)
        self.reservations: dict[str, Reservation] = {}
        self.connected: dict[str, tuple[str, str, float]] = {}  # call -> (agent, queue, answered at)
        self.dialing: dict[str, WaitingCall] = {}  # callbacks taken by an agent, customer not yet reached
        self.retrying: dict[str, tuple[WaitingCall, TimerHandle]] = {}  # callbacks between two tries
        self.explanations = ExplanationLog(capacity=explanations)
        # explanations=0 (the simulator): decisions build no explanation at all
        self._explaining = explanations > 0
        self._pools: dict[Pool, dict[str, None]] = {}  # available agents per pool, in insertion order
        self._watchers: dict[Pool, dict[str, int]] = {}  # pool -> queues with calls that draw on it
        self._dirty: dict[str, None] = {}
        self._widened = 0  # waiting calls that also draw on other pools (escalation add_groups/add_queues)
        self._dispatching = False
        self._seq = 0
        self._rid = 0
        self._agent_order = 0
        self._finished: dict[str, str] = {}  # recent call -> queue whose strategy learns (Disposition)
        self._off_shift = False  # the last dispatch pass skipped a free agent outside their shift
        # set by a driver whose agents answer some offers at once (the simulator): such offers are
        # connected without ringing (no ring timer, no reserved state); the events still say "offered"
        self.answers_at_once: Callable[[str], bool] | None = None
        # an agent on a call takes no chat/sms/email task, and one holding such tasks gets no call
        self.voice_exclusive = True

    # --- agent state -----------------------------------------------------------------------------

    def _set_state(self, agent: Agent, new: AgentState, reason: str = "") -> None:
        if agent.held is not None:  # a ring_all phone rings, and the agent goes elsewhere: it stops
            self._stop_held(agent, new)
        old = agent.state
        if new not in TRANSITIONS[old]:
            agent.move(new)  # raises IllegalTransition naming the allowed targets
        agent.state = new
        now = self.clock.now()
        agent.state_since = now
        agent.pause_reason = reason if new is S.PAUSED else ""
        queues = self.queues
        if old is S.AVAILABLE:
            pools = self._pools
            for pool in agent.pools:
                pools[pool].pop(agent.id, None)
            for name in agent.voice_queues:  # each queue's strategy keeps its own index of free agents
                queues[name].strategy.remove(agent)
        elif new is S.AVAILABLE:
            if old not in RETURNED:
                agent.idle_since = now
            if not agent.voice_blocked:  # (inline copy of `_voice_free`: the hot path of every call)
                for name in agent.voice_queues:
                    queues[name].strategy.add(agent, now)
                watchers, dirty = self._watchers, self._dirty
                for pool in agent.pools:
                    self._pools.setdefault(pool, {})[agent.id] = None
                    for queue in watchers.get(pool, ()):
                        if queues[queue].line.calls:  # an empty line has nothing to dispatch
                            dirty[queue] = None
        if (old in UNSTAFFED) is not (new in UNSTAFFED):
            step = -1 if new in UNSTAFFED else 1
            for m in agent.memberships:
                self.queues[m].staffed += step
        self._state_fact(now, agent.id, _NAMES[old], _NAMES[new], reason)
        if agent.digital_queues:  # chat/sms/email slots follow the voice state (exclusive, paused...)
            self._refresh_digital(agent)

    def _refresh_digital(self, agent: Agent) -> None:
        """Overridden by the dispatcher (alur.routing.digital.refresh)."""

    def _stop_held(self, agent: Agent, new: AgentState) -> None:
        """Overridden by the dispatcher (alur.routing.group)."""

    def _voice_free(self, agent: Agent, now: float) -> None:
        """Put an available agent in the indexes of its voice queues and pools."""
        queues = self.queues
        for name in agent.voice_queues:
            queues[name].strategy.add(agent, now)
        watchers, dirty = self._watchers, self._dirty
        for pool in agent.pools:
            self._pools.setdefault(pool, {})[agent.id] = None
            for queue in watchers.get(pool, ()):
                if queues[queue].line.calls:  # an empty line has nothing to dispatch
                    dirty[queue] = None

    def _voice_taken(self, agent: Agent) -> None:
        """Take an agent out of the indexes of its voice queues and pools (it stays available)."""
        for pool in agent.pools:
            self._pools[pool].pop(agent.id, None)
        for name in agent.voice_queues:
            self.queues[name].strategy.remove(agent)

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
        if not call.extra_pools:
            self._widened += 1
        call.extra_pools.append(pool)
        watchers = self._watchers.setdefault(pool, {})
        watchers[call.queue] = watchers.get(call.queue, 0) + 1

    def _explain(self, call: WaitingCall, kind: str, rule: str, why: str) -> None:
        if self._explaining:
            self.explanations.add(
                Explanation(self.clock.now(), call.call_id, call.queue, kind, rule, why, step=call.step)
            )

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


def _ignore(event: Event) -> None:
    """The default event sink: a router built without `emit` logs nothing."""


def raise_illegal(agent: Agent, action: str, needs: str) -> None:
    raise IllegalTransition(
        f"agent {agent.id!r} cannot {action} while {agent.state.value} (must be {needs})",
        value=agent.state.value,
    )


def _builder(emit: Callable[[Event], None], cls: type[Event]) -> Callable[..., None]:
    """Facts of kind `cls` as events, for drivers that keep or publish events."""
    return partial(_build, emit, cls)


def _build(emit: Callable[[Event], None], cls: type[Event], *fields: Any) -> None:
    emit(cls(*fields))
