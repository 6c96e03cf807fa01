"""The ACD engine: waiting calls in, exclusive time-limited offers out.

`Router` is pure: it owns no thread, socket or event loop. Time comes from the injected `Clock`
(timers for ring timeouts, escalation steps, maximum wait and wrap-up), facts go out through `emit`
(events of `alur.core.events`), offers through `on_offer`, withdrawn offers through `on_cancel`, and
the end of each wait through `on_outcome(call_id, QueueOutcome)`. The driver (live SIP server or
simulator) reports back with `answer`, `decline`, `abandon`, `talk_ended` and the agent commands.

Work per event is bounded: available agents are indexed per pool (each queue they serve, their group
and department); a decision looks only at the pools of one call's queue (plus pools added by its
escalation), never at every agent of every queue.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Iterable
from functools import partial

from alur.core.channel import QueueOutcome, QueueRequest
from alur.core.clock import Clock
from alur.core.events import (
    Abandoned,
    AgentStateChanged,
    Answered,
    CallbackRequested,
    CallQueued,
    Disposition,
    Event,
    OfferDeclined,
    Offered,
    Overflowed,
    TalkEnded,
    WrapUpDone,
)  # fmt: skip
from alur.routing.agents import Agent, AgentState
from alur.routing.calls import Explanation, ExplanationLog, Line, Offer, Reservation, WaitingCall
from alur.routing.errors import RoutingError
from alur.routing.model import AgentConfig, QueueConfig, check_references
from alur.routing.queues import Queue, QueueStats
from alur.routing.strategies import StrategyContext, create

S = AgentState
Pool = tuple[str, str]
RETURNED = frozenset({S.RESERVED, S.RINGING})  # back to available without having worked
MISSES = frozenset({"no_answer", "busy", "declined"})


class Router:
    """The automatic call distributor. Build with `Router.from_config(queues, agents, clock=...)`."""

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
        self._finished: dict[str, str] = {}  # recently connected call -> queue (for Disposition)

    @classmethod
    def from_config(
        cls, queues: Iterable[QueueConfig], agents: Iterable[AgentConfig], *, clock: Clock, **kwargs: object
    ) -> Router:
        qs, ags = list(queues), list(agents)
        check_references(qs, ags)
        router = cls(clock, **kwargs)  # type: ignore[arg-type]
        for q in qs:
            router.add_queue(q)
        for a in ags:
            router.add_agent(a)
        return router

    # --- configuration ---------------------------------------------------------------------------

    def add_queue(self, config: QueueConfig) -> None:
        if config.name in self.queues:
            raise RoutingError(
                f"queue {config.name!r} already exists", code="duplicate_name", value=config.name
            )
        ctx = StrategyContext(queue=config.name, members=[], rng=self.rng)
        strategy = create(config.strategy, config.strategy_options, ctx)
        self.queues[config.name] = Queue(config, strategy, ctx.members, Line())
        self._watchers.setdefault(("queue", config.name), {})[config.name] = 1

    def add_agent(self, config: AgentConfig) -> Agent:
        if config.id in self.agents:
            raise RoutingError(f"agent {config.id!r} already exists", code="duplicate_name", value=config.id)
        for m in config.queues:
            if m.queue not in self.queues:
                raise RoutingError(
                    f"agent {config.id!r} serves queue {m.queue!r}, which does not exist",
                    code="unknown_queue",
                    value=m.queue,
                )
        agent = Agent(config, len(self.agents))
        self.agents[config.id] = agent
        for m in config.queues:
            q = self.queues[m.queue]
            bisect.insort(q.members, agent.id, key=partial(self._member_key, q.name))
        return agent

    def _member_key(self, queue: str, agent_id: str) -> tuple[int, int]:
        agent = self.agents[agent_id]
        return (agent.penalty_in(queue), agent.order)

    # --- calls -----------------------------------------------------------------------------------

    def enqueue(self, call_id: str, request: QueueRequest) -> None:
        """Put a call in line. The end of its wait is reported through `on_outcome`."""
        q = self._queue(request.queue)
        if call_id in self.calls or call_id in self.connected:
            raise RoutingError(
                f"call {call_id!r} is already queued or connected", code="duplicate_call", value=call_id
            )
        now = self.clock.now()
        skills = dict(q.config.required_skills)
        skills.update(dict(request.skills))
        priority = request.priority + (q.config.vip_priority if request.vip else 0)
        self._seq += 1
        call = WaitingCall(
            call_id,
            q.name,
            self._seq,
            now,
            priority,
            skills,
            request.language,
            request.vip,
            request.call_type,
            dict(request.attributes),
            request.max_wait,
        )
        call.base_skills = dict(request.skills)
        self._emit(
            CallQueued(
                now,
                call_id,
                q.name,
                priority,
                tuple(sorted(skills.items())),
                request.language,
                request.vip,
                request.call_type,
            )
        )
        if q.config.max_length is not None and len(q.line) >= q.config.max_length:
            self._refuse(call, q, "full")
            return
        if q.config.when_no_agents == "leave" and q.staffed == 0:
            self._refuse(call, q, "no_agents")
            return
        self.calls[call_id] = call
        q.line.add(call)
        max_wait = request.max_wait if request.max_wait is not None else q.config.max_wait
        if max_wait is not None:
            call.max_wait_timer = self.clock.call_at(now + max_wait, partial(self._max_wait, call))
        self._schedule_step(call, q)
        self._kick(q.name)

    def abandon(self, call_id: str) -> bool:
        """The caller hung up while waiting (or while connected: then it is `talk_ended`).
        False if the call is unknown or is a callback (a callback's caller has already gone)."""
        if call_id in self.connected:
            self.talk_ended(call_id, ended_by="caller")
            return True
        call = self.calls.get(call_id)
        if call is None or call.callback_number is not None:
            return False
        self._leave(call, "abandoned")
        return True

    hangup = abandon

    def request_callback(self, call_id: str, number: str) -> None:
        """The caller leaves a number and hangs up; the call keeps its place in line and, when its
        turn comes, is offered to an agent with `Offer.callback_number` set."""
        call = self._call(call_id)
        now = self.clock.now()
        call.callback_number = number
        if call.max_wait_timer is not None:
            call.max_wait_timer.cancel()
            call.max_wait_timer = None
        self._emit(CallbackRequested(now, call_id, call.queue, number))
        self._explain(
            call,
            "outcome",
            "callback",
            f"caller chose a callback to {number}; keeps place {self.position(call_id)}",
        )
        self._outcome(call_id, QueueOutcome("callback", wait=now - call.first_at))
        self._run()

    def cancel_callback(self, call_id: str) -> bool:
        call = self.calls.get(call_id)
        if call is None or call.callback_number is None:
            return False
        self._leave(call, "abandoned")
        return True

    # --- offers ----------------------------------------------------------------------------------

    def ringing(self, reservation_id: str) -> None:
        """The agent's phone is ringing (optional; answers are accepted from reserved too)."""
        res = self._reservation(reservation_id)
        agent = self.agents[res.agent_id]
        if agent.state is S.RESERVED:
            self._set_state(agent, S.RINGING)

    def answer(self, reservation_id: str) -> None:
        """The agent answered: the call is connected; other ring_all offers lose the race."""
        res = self._reservation(reservation_id)
        call, agent, q = res.call, self.agents[res.agent_id], self.queues[res.queue]
        now = self.clock.now()
        self._drop_reservation(res)
        for other in list(call.reservations):
            self._release(self.reservations[other], "lost_race", notify=True)
        self._forget(call)
        agent.roll_day(now)
        agent.calls_today += 1
        agent.misses = 0
        agent.call_id, agent.call_queue, agent.answered_at = call.call_id, q.name, now
        self._set_state(agent, S.BUSY)
        wait = now - call.first_at
        self.connected[call.call_id] = (agent.id, q.name, now)
        q.record_answer(wait)
        self._emit(Answered(now, call.call_id, agent.id, q.name, wait))
        q.strategy.assigned(agent, call, now)
        self._outcome(call.call_id, QueueOutcome("answered", agent_id=agent.id, wait=wait))
        self._run()

    def decline(self, reservation_id: str, reason: str = "declined") -> None:
        """The offer failed: 'no_answer', 'busy' or 'declined'. The call goes back to its place in
        line; the agent is available again or paused per the queue's `ring_no_answer` policy."""
        if reason not in MISSES:
            raise RoutingError(
                f"decline reason must be one of {sorted(MISSES)} (got {reason!r})",
                code="bad_reason",
                value=reason,
            )
        self._release(self._reservation(reservation_id), reason, notify=False)
        self._run()

    def talk_ended(self, call_id: str, ended_by: str = "caller") -> None:
        """Caller and agent are no longer connected; the agent goes to wrap-up (or straight on)."""
        conn = self.connected.pop(call_id, None)
        if conn is None:
            raise RoutingError(
                f"call {call_id!r} is not connected to an agent", code="unknown_call", value=call_id
            )
        agent_id, queue, answered_at = conn
        agent, q, now = self.agents[agent_id], self.queues[queue], self.clock.now()
        talk = now - answered_at
        agent.roll_day(now)
        agent.talk_today += talk
        self._finished[call_id] = queue
        if len(self._finished) > 10_000:
            del self._finished[next(iter(self._finished))]
        wrap = q.config.wrap_up
        q.record_handle(talk + wrap)
        event = TalkEnded(now, call_id, agent_id, queue, talk, ended_by)
        self._emit(event)
        q.strategy.observe(event)
        if wrap > 0:
            self._set_state(agent, S.WRAP_UP)
            agent.wrap_started = now
            agent.wrap_timer = self.clock.call_at(now + wrap, partial(self._wrap_done, agent))
        else:
            agent.call_id = agent.call_queue = None
            self._after_work(agent)
        self._run()

    def record_disposition(self, call_id: str, agent_id: str, code: str, resolved: bool = True) -> None:
        """The agent's after-call result; also teaches learning strategies (predictive)."""
        self.observe(Disposition(self.clock.now(), call_id, agent_id, code, resolved))

    def observe(self, event: Event) -> None:
        """Feed an outside event (e.g. a Disposition logged elsewhere) to the queue's strategy."""
        if isinstance(event, Disposition):
            self._emit(event)
            queue = self._finished.get(event.call_id)
            if queue is None and event.call_id in self.connected:
                queue = self.connected[event.call_id][1]
            if queue is not None:
                self.queues[queue].strategy.observe(event)

    # --- agents ----------------------------------------------------------------------------------

    def login(self, agent_id: str, *, paused: str | None = None) -> None:
        agent = self._agent(agent_id)
        if agent.state is not S.OFFLINE:
            raise_illegal(agent, "log in", "offline")
        self._set_state(agent, S.PAUSED if paused else S.AVAILABLE, paused or "")
        self._run()

    def logout(self, agent_id: str) -> None:
        """Offline now; an agent on a call logs out once the call ends; an offer is withdrawn."""
        agent = self._agent(agent_id)
        if agent.state in (S.BUSY,):
            agent.pending_logout = True
            return
        self._withdraw(agent, "agent_logged_out")
        self._end_wrap(agent)
        self._set_state(agent, S.OFFLINE)
        self._run()

    def pause(self, agent_id: str, reason: str = "break") -> None:
        """Paused with a reason; an agent on a call is paused once the call and wrap-up end."""
        agent = self._agent(agent_id)
        if agent.state is S.OFFLINE:
            raise_illegal(agent, "pause", "logged in")
        if agent.state is S.BUSY:
            agent.pending_pause = reason
            return
        if agent.state is S.PAUSED:
            agent.pause_reason = reason
            return
        self._withdraw(agent, "agent_paused")
        self._end_wrap(agent)
        self._set_state(agent, S.PAUSED, reason)
        self._run()

    def unpause(self, agent_id: str) -> None:
        agent = self._agent(agent_id)
        if agent.state is not S.PAUSED:
            raise_illegal(agent, "unpause", "paused")
        agent.misses = 0
        self._set_state(agent, S.AVAILABLE)
        self._run()

    def ready(self, agent_id: str) -> None:
        """'I am ready': ends wrap-up early, unpauses, or logs in."""
        agent = self._agent(agent_id)
        if agent.state is S.WRAP_UP:
            self._end_wrap(agent)
            self._after_work(agent)
            self._run()
        elif agent.state is S.PAUSED:
            self.unpause(agent_id)
        elif agent.state is S.OFFLINE:
            self.login(agent_id)
        else:
            raise_illegal(agent, "become ready", "in wrap-up, paused or offline")

    # --- queries ---------------------------------------------------------------------------------

    def agent_state(self, agent_id: str) -> AgentState:
        return self._agent(agent_id).state

    def waiting(self, queue: str) -> list[str]:
        """Call ids in line, in service order."""
        return [c.call_id for c in self._queue(queue).line.calls]

    def position(self, call_id: str) -> int:
        call = self._call(call_id)
        return self.queues[call.queue].line.position(call)

    def estimated_wait(self, call_id: str) -> float:
        """Seconds until answer: position x average handle time / staffed agents (see QueueStats)."""
        call = self._call(call_id)
        return self.queues[call.queue].estimated_wait(self.position(call_id))

    def queue_stats(self, queue: str) -> QueueStats:
        q = self._queue(queue)
        return q.stats(self.clock.now(), len(self._pools.get(("queue", queue), ())))

    def explain(self, call_id: str) -> list[Explanation]:
        """Why each thing happened to a recent call: offers (candidates, scores, choice), escalation
        steps and outcomes, oldest first. Bounded: the last N calls are kept."""
        return self.explanations.get(call_id)

    def offer(self, reservation_id: str) -> Offer:
        res = self._reservation(reservation_id)
        return self._offer_of(res)

    # --- the dispatcher --------------------------------------------------------------------------

    def _kick(self, queue: str) -> None:
        self._dirty[queue] = None
        self._run()

    def _run(self) -> None:
        """Match waiting calls with available agents, most urgent queue first. Re-entrant calls (a
        driver answering inside `on_offer`) only mark work; the outer loop does it."""
        if self._dispatching:
            return
        self._dispatching = True
        try:
            while self._dirty:
                name = (
                    min(self._dirty, key=self._urgency) if len(self._dirty) > 1 else next(iter(self._dirty))
                )
                del self._dirty[name]
                self._dispatch(self.queues[name])
        finally:
            self._dispatching = False

    def _urgency(self, name: str) -> tuple[float, float, float]:
        q = self.queues[name]
        if not q.line.calls:
            return (float("inf"), 0.0, 0.0)
        head = q.line.calls[0]
        return (-head.priority, -q.config.weight, head.seq)

    def _dispatch(self, q: Queue) -> None:
        scanned = 0
        for call in list(q.line.calls):
            if call.reservations or self.calls.get(call.call_id) is not call or call.queue != q.name:
                continue
            scanned += 1
            if scanned > q.config.lookahead:
                break
            candidates = self._candidates(call, q)
            if not candidates:
                continue
            ranked = q.strategy.select(candidates, call, self.clock.now())
            if ranked:
                self._make_offers(call, q, ranked, len(candidates))
            elif q.strategy.recheck_after and q.recheck is None:
                # time-dependent strategies (schedule): free agents may qualify later
                q.recheck = self.clock.call_later(q.strategy.recheck_after, partial(self._recheck, q))

    def _recheck(self, q: Queue) -> None:
        q.recheck = None
        self._kick(q.name)

    def _candidates(self, call: WaitingCall, q: Queue) -> list[Agent]:
        now = self.clock.now()
        pools: list[Pool] = [("queue", q.name), *call.extra_pools]
        skills = call.skills.items()
        lang = call.language if q.config.require_language else None
        excluded = call.excluded
        seen: set[str] = set()
        out: list[Agent] = []
        for pool in pools:
            for aid in self._pools.get(pool, ()):
                if aid in seen:
                    continue
                seen.add(aid)
                if excluded and excluded.get(aid, 0.0) > now:
                    continue
                agent = self.agents[aid]
                if skills and not all(agent.skills.get(s, 0) >= lvl for s, lvl in skills):
                    continue
                if lang and agent.languages.get(lang, 0) <= 0:
                    continue
                out.append(agent)
        return out

    def _make_offers(self, call: WaitingCall, q: Queue, ranked: list, eligible: int) -> None:  # type: ignore[type-arg]
        now = self.clock.now()
        chosen = ranked if q.strategy.rings_all else ranked[:1]
        expires = now + q.config.ring_timeout
        made: list[Reservation] = []
        for r in chosen:
            agent = self.agents[r.agent_id]
            if agent.state is not S.AVAILABLE:
                continue
            self._rid += 1
            res = Reservation(f"r{self._rid}", call, agent.id, q.name, expires)
            self.reservations[res.id] = res
            call.reservations.append(res.id)
            agent.reservations.add(res.id)
            self._set_state(agent, S.RESERVED)
            res.timer = self.clock.call_at(expires, partial(self._expire, res.id))
            made.append(res)
        ids = tuple(r.agent_id for r in made)
        self.explanations.add(
            Explanation(
                now,
                call.call_id,
                q.name,
                "offer",
                q.strategy.name,
                f"{q.strategy.name} chose {', '.join(ids)} of {eligible} eligible: {ranked[0].note}",
                eligible,
                tuple(ranked[:5]),
                ids,
                tuple(sorted(call.skills.items())),
                call.step,
            )
        )
        for res in made:
            self._emit(Offered(now, call.call_id, res.agent_id, q.name, res.id, expires))
        for res in made:
            if res.id in self.reservations and self.on_offer is not None:
                self.on_offer(self._offer_of(res))

    def _offer_of(self, res: Reservation) -> Offer:
        return Offer(
            res.id,
            res.call.call_id,
            res.agent_id,
            res.queue,
            res.expires_at,
            res.call.callback_number,
            self.queues[res.queue].strategy.rings_all,
        )

    def _expire(self, reservation_id: str) -> None:
        res = self.reservations.get(reservation_id)
        if res is not None:
            self._release(res, "no_answer", notify=True)
            self._run()

    def _drop_reservation(self, res: Reservation) -> None:
        del self.reservations[res.id]
        if res.timer is not None:
            res.timer.cancel()
        self.agents[res.agent_id].reservations.discard(res.id)
        res.call.reservations.remove(res.id)

    def _release(self, res: Reservation, reason: str, *, notify: bool) -> None:
        """End an offer without an answer; the call stays in its place in line."""
        self._drop_reservation(res)
        agent, q, call, now = self.agents[res.agent_id], self.queues[res.queue], res.call, self.clock.now()
        if notify and self.on_cancel is not None:
            self.on_cancel(self._offer_of(res), reason)
        self._emit(OfferDeclined(now, call.call_id, agent.id, q.name, reason))
        policy = q.config.ring_no_answer
        why = f"{agent.id} did not take the call ({reason}); the call keeps place {q.line.position(call)}"
        if reason in MISSES:
            agent.misses += 1
            if policy.retry_same_agent_after > 0:
                call.excluded[agent.id] = now + policy.retry_same_agent_after
                self.clock.call_at(now + policy.retry_same_agent_after, partial(self._kick, call.queue))
            if policy.pause_agent and agent.misses >= policy.after_misses:
                why += f"; {agent.id} paused after {agent.misses} missed offer(s)"
                self._explain(call, "declined", "ring_no_answer", why)
                self._set_state(agent, S.PAUSED, policy.pause_reason)
                self._dirty[call.queue] = None
                return
        self._explain(call, "declined", "ring_no_answer" if reason in MISSES else reason, why)
        if agent.state in RETURNED:
            self._after_work(agent)
        self._dirty[call.queue] = None

    def _withdraw(self, agent: Agent, reason: str) -> None:
        for rid in list(agent.reservations):
            self._release(self.reservations[rid], reason, notify=True)

    # --- agent state -----------------------------------------------------------------------------

    def _set_state(self, agent: Agent, new: AgentState, reason: str = "") -> None:
        old = agent.move(new)
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
        self._emit(AgentStateChanged(now, agent.id, old.value, new.value, reason))

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

    def _wrap_done(self, agent: Agent) -> None:
        agent.wrap_timer = None
        if agent.state is S.WRAP_UP:
            self._end_wrap(agent)
            self._after_work(agent)
            self._run()

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

    # --- leaving the line, escalation ------------------------------------------------------------

    def _forget(self, call: WaitingCall) -> None:
        """Take a call out of line and drop its timers and pool watches (no events)."""
        del self.calls[call.call_id]
        self.queues[call.queue].line.remove(call)
        for timer in (call.max_wait_timer, call.step_timer):
            if timer is not None:
                timer.cancel()
        self._unwatch(call)

    def _unwatch(self, call: WaitingCall) -> None:
        for pool in call.extra_pools:
            watchers = self._watchers[pool]
            watchers[call.queue] -= 1
            if watchers[call.queue] == 0:
                del watchers[call.queue]
        call.extra_pools = []

    def _leave(self, call: WaitingCall, result: str, target: str | None = None, reason: str = "") -> None:
        """The wait ends without an agent: abandoned, timeout, overflow."""
        for rid in list(call.reservations):
            self._release(self.reservations[rid], "caller_left", notify=True)
        self._forget(call)
        now, q = self.clock.now(), self.queues[call.queue]
        wait = now - call.first_at
        if result == "abandoned":
            q.abandoned += 1
            self._emit(Abandoned(now, call.call_id, q.name, wait))
        else:
            self._emit(Overflowed(now, call.call_id, q.name, target or "", reason or result, wait))
        self._explain(
            call, "outcome", result, f"{result} after {wait:g}s" + (f" to {target}" if target else "")
        )
        self._outcome(call.call_id, QueueOutcome(result, wait=wait, target=target))
        self._run()

    def _refuse(self, call: WaitingCall, q: Queue, result: str) -> None:
        target = q.config.overflow
        self._emit(Overflowed(call.first_at, call.call_id, q.name, target or "", result, 0.0))
        why = f"queue is full ({q.config.max_length} waiting)" if result == "full" else "no agents logged in"
        self._explain(call, "outcome", result, why)
        self._outcome(call.call_id, QueueOutcome(result, wait=0.0, target=target))

    def _max_wait(self, call: WaitingCall) -> None:
        if self.calls.get(call.call_id) is not call:
            return
        target = self.queues[call.queue].config.overflow
        self._leave(call, "overflow" if target else "timeout", target, "max_wait")

    def _schedule_step(self, call: WaitingCall, q: Queue) -> None:
        steps = q.config.escalation
        if call.step < len(steps):
            when = call.entered_at + steps[call.step].after
            call.step_timer = self.clock.call_at(when, partial(self._escalate, call, q.name))

    def _escalate(self, call: WaitingCall, queue: str) -> None:
        from alur.routing.escalation import apply_step

        if self.calls.get(call.call_id) is not call or call.queue != queue:
            return
        apply_step(self, call, self.queues[queue])

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
    from alur.core.errors import IllegalTransition

    raise IllegalTransition(
        f"agent {agent.id!r} cannot {action} while {agent.state.value} (must be {needs})",
        value=agent.state.value,
    )
