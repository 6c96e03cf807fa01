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
from typing import Final

from alur.core.channel import QueueOutcome, QueueRequest
from alur.core.clock import Clock
from alur.core.events import (
    AgentRequestPending,
    AgentStateChanged,
    CallbackRequested,
    DirectCallEnded,
    DirectCallStarted,
    Disposition,
    Event,
    TalkEnded,
)  # fmt: skip
from alur.routing import digital, group
from alur.routing.agents import Agent, AgentState, AgentStatus, States, status_of
from alur.routing.calls import Explanation, Line, Offer, WaitingCall
from alur.routing.errors import RoutingError
from alur.routing.escalation import supervisor_move, supervisor_priority
from alur.routing.model import AgentConfig, QueueConfig
from alur.routing.queues import Queue, QueueStats
from alur.routing.references import check_references
from alur.routing.restore import Restoring
from alur.routing.state import MISSES, UNSTAFFED, raise_illegal
from alur.routing.strategies import StrategyContext, create

S = States
# recently ended calls whose Disposition the queue's strategy can still learn from
FINISHED_KEPT: Final = 10_000


class Router(Restoring):
    """The automatic call distributor. Build with `Router.from_config(queues, agents, clock=...)`.

    `Router(clock, *, emit, on_offer, on_cancel, on_outcome, rng, explanations)`: every argument but
    the clock is optional; `rng` is the seeded generator random strategies draw from; `explanations`
    is how many calls' explanations are kept (0: none are built, the cheapest decisions). `facts`,
    when given, resolves the commonest kinds of fact to the functions that take them as plain fields
    (`facts(EventClass)(at, *fields)`, once per kind) instead of `emit` receiving built events (a
    simulator that only counts them skips building the objects).
    """

    @classmethod
    def from_config(
        cls,
        queues: Iterable[QueueConfig],
        agents: Iterable[AgentConfig],
        *,
        clock: Clock,
        emit: Callable[[Event], None] | None = None,
        facts: Callable[[type[Event]], Callable[..., None]] | None = None,
        on_offer: Callable[[Offer], None] | None = None,
        on_cancel: Callable[[Offer, str], None] | None = None,
        on_outcome: Callable[[str, QueueOutcome], None] | None = None,
        rng: random.Random | None = None,
        explanations: int = 10_000,
        voice_exclusive: bool = True,
    ) -> Router:
        """A router with these queues and agents (all offline); raises `ConfigError` on bad references.
        `voice_exclusive`: an agent on a call takes no chat/sms/email task, and one holding such tasks
        is offered no call (see alur.routing.digital)."""
        qs, ags = list(queues), list(agents)
        check_references(qs, ags)
        router = cls(
            clock,
            emit=emit,
            facts=facts,
            on_offer=on_offer,
            on_cancel=on_cancel,
            on_outcome=on_outcome,
            rng=rng,
            explanations=explanations,
        )
        router.voice_exclusive = voice_exclusive
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
        ctx = StrategyContext(queue=config.name, members=[], rng=self.rng, notes=self._explaining)
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
        self._agent_order += 1
        agent = Agent(config, self._agent_order, *self._channels_of(config))
        self.agents[config.id] = agent
        for m in config.queues:
            q = self.queues[m.queue]
            bisect.insort(q.members, agent.id, key=partial(self._member_key, q.name))
            q.strategy.members_changed()
        return agent

    def _channels_of(self, config: AgentConfig) -> tuple[dict[str, str], dict[str, int]]:
        """The channel of each queue the agent serves, and the capacity its queues give per channel."""
        channels: dict[str, str] = {m.queue: self.queues[m.queue].channel for m in config.queues}
        given: dict[str, int] = {}
        for m in config.queues:
            qc = self.queues[m.queue].config
            if qc.capacity is not None:
                given[qc.channel] = max(given.get(qc.channel, 0), qc.capacity)
        return channels, given

    def remove_agent(self, agent_id: str) -> None:
        """Forget an agent (e.g. on configuration reload); only an offline agent can be removed."""
        agent = self._agent(agent_id)
        if agent.state is not S.OFFLINE:
            raise_illegal(agent, "be removed", "offline")
        for queue in agent.memberships:
            self.queues[queue].members.remove(agent_id)
            self.queues[queue].strategy.members_changed()
        del self.agents[agent_id]

    def configure_queue(self, config: QueueConfig) -> None:
        """Add a queue, or give an existing one new settings live: its waiting calls and members stay;
        its strategy starts afresh with the new options (e.g. a new round-robin turn)."""
        q = self.queues.get(config.name)
        if q is None:
            self.add_queue(config)
            return
        ctx = StrategyContext(queue=config.name, members=q.members, rng=self.rng, notes=self._explaining)
        strategy = create(config.strategy, config.strategy_options, ctx)
        now = self.clock.now()
        for agent in q.strategy.free.values():
            strategy.add(agent, now)
        q.strategy, q.config = strategy, config
        self._kick(config.name)

    def configure_agent(self, config: AgentConfig) -> None:
        """Add an agent (offline), or give an existing one new settings live (queues, penalties, skills,
        languages...): its state and current call stay; the next offers follow the new settings."""
        agent = self.agents.get(config.id)
        if agent is None:
            self.add_agent(config)
            return
        missing = [m.queue for m in config.queues if m.queue not in self.queues]
        if missing:
            raise RoutingError(
                f"agent {config.id!r} serves queue {missing[0]!r}, which does not exist",
                code="unknown_queue",
                value=missing[0],
            )
        free = agent.state is AgentState.AVAILABLE
        staffed = agent.state not in UNSTAFFED
        before = set(agent.memberships)
        if free and not agent.voice_blocked:  # withdraw the agent from what its old settings gave
            self._voice_taken(agent)
        for name in agent.digital_queues:
            pool = self._pools.get(("queue", name), {})
            if agent.id in pool:
                del pool[agent.id]
                self.queues[name].strategy.remove(agent)
        for name in before:
            q = self.queues[name]
            q.members.remove(agent.id)
            q.staffed -= staffed
        agent.configure(config, *self._channels_of(config))
        for name in agent.memberships:
            q = self.queues[name]
            bisect.insort(q.members, agent.id, key=partial(self._member_key, name))
            q.staffed += staffed
        for name in before | set(agent.memberships):
            self.queues[name].strategy.members_changed()
        if free and not agent.voice_blocked:
            self._voice_free(agent, self.clock.now())
        if agent.digital_queues:
            self._refresh_digital(agent)
        self._run()

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
        asked = dict(request.skills)
        skills = {**q.required_skills, **asked} if q.required_skills else dict(asked)
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
            base_skills=asked,
        )
        self._queued_fact(
            now,
            call_id,
            q.name,
            priority,
            tuple(sorted(skills.items())) if skills else (),
            request.language,
            request.vip,
            request.call_type,
        )
        if q.max_length is not None and len(q.line) >= q.max_length:
            self._refuse(call, q, "full")
            return
        if q.when_no_agents == "leave" and q.staffed == 0:
            self._refuse(call, q, "no_agents")
            return
        self.calls[call_id] = call
        q.line.add(call)
        max_wait = request.max_wait if request.max_wait is not None else q.max_wait
        if max_wait is not None:
            call.max_wait_timer = self.clock.call_at(now + max_wait, partial(self._max_wait, call))
        if q.escalation:
            self._schedule_step(call, q)
        self._dirty[q.name] = None
        self._run()

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

    def hangup(self, call_id: str) -> bool:
        """The same as `abandon` (the word the telephony side uses)."""
        return self.abandon(call_id)

    def request_callback(self, call_id: str, number: str, not_before: float | None = None) -> None:
        """The caller leaves a number and hangs up; the call keeps its place in line and, when its
        turn comes, is offered to an agent with `Offer.callback_number` set. With `not_before` (the
        queue's callback hours are closed), it leaves the line until then, keeping its sequence."""
        call = self._call(call_id)
        now = self.clock.now()
        for rid in list(call.reservations):  # a phone ringing for the live caller: ring again, for a callback
            self._release_id(rid, "callback", notify=True)
        call.callback_number = number
        if call.max_wait_timer is not None:
            call.max_wait_timer.cancel()
            call.max_wait_timer = None
        later = not_before if not_before is not None and not_before > now else None
        self._emit(CallbackRequested(now, call_id, call.queue, number, later))
        self._explain(
            call,
            "outcome",
            "callback",
            f"caller chose a callback to {number}; keeps place {self.position(call_id)}"
            + (f", from {later:.0f}" if later is not None else ""),
        )
        if later is not None:
            self._forget(call)
            self._retry_at(call, later)
        self._outcome(call_id, QueueOutcome("callback", wait=now - call.first_at))
        self._run()

    def cancel_callback(self, call_id: str) -> bool:
        if self.drop_retry(call_id):
            return True
        call = self.calls.get(call_id)
        if call is None or call.callback_number is None:
            return False
        self._leave(call, "abandoned")
        return True

    def move_call(self, call_id: str, queue: str, *, by: str = "") -> None:
        """Move a waiting call to another queue (a supervisor's decision); it keeps its arrival time."""
        call, to = self._call(call_id), self._queue(queue)
        if call.queue == queue:
            raise RoutingError(f"call {call_id!r} already waits in {queue!r}", code="same_queue", value=queue)
        supervisor_move(self, call, to, by)

    def set_priority(self, call_id: str, priority: int, *, by: str = "") -> None:
        """Set a waiting call's priority (a supervisor's decision); higher is served first."""
        supervisor_priority(self, self._call(call_id), priority, by)

    # --- offers ----------------------------------------------------------------------------------

    def ringing(self, reservation_id: str) -> None:
        """The agent's phone is ringing (optional; answers are accepted from reserved too)."""
        res = self._reservation(reservation_id)
        if res.phones is not None:
            return  # a ring_all group's agent stays available (held) while the phone rings
        agent = self.agents[res.agent_id]
        if agent.state is S.RESERVED and not self.queues[res.queue].digital:
            self._set_state(agent, S.RINGING)

    def answer(self, reservation_id: str) -> None:
        """The agent answered: the call is connected; other ring_all offers lose the race."""
        res = self.reservations.get(reservation_id) or self._reservation(reservation_id)
        if res.phones is not None:  # ring_all: the other phones of the group lose the race
            group.answer(self, res, reservation_id)
            if not self._dispatching:
                self._run()
            return
        call, agent, q = res.call, self.agents[res.agent_id], self.queues[res.queue]
        if q.digital:
            digital.answer(self, res)
            return
        self._drop_reservation(res)
        self._connect(call, agent, q, self.clock.now())
        if not self._dispatching:  # answered from inside `on_offer`: the dispatch loop carries on
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
        self._reservation(reservation_id)
        self._release_id(reservation_id, reason, notify=False)
        self._run()

    def talk_ended(self, call_id: str, ended_by: str = "caller") -> None:
        """Caller and agent are no longer connected; the agent goes to wrap-up (or straight on)."""
        conn = self.connected.pop(call_id, None)
        if conn is None:
            raise RoutingError(
                f"call {call_id!r} is not connected to an agent", code="unknown_call", value=call_id
            )
        agent_id, queue, answered_at = conn
        self.dialing.pop(call_id, None)
        agent, q, now = self.agents[agent_id], self.queues[queue], self.clock.now()
        if q.digital:
            digital.end(self, call_id, agent, q, answered_at, ended_by)
            return
        talk = now - answered_at
        agent.roll_day(now)
        agent.talk_today += talk
        wrap = q.wrap_up
        q.record_handle(talk + wrap)
        if q.strategy.learns:
            # its disposition, which comes after, is for this queue's strategy to learn from too
            finished = self._finished
            finished[call_id] = queue
            if len(finished) > 2 * FINISHED_KEPT:  # forget the oldest in one go, not one per call
                for old in list(finished)[: len(finished) - FINISHED_KEPT]:
                    del finished[old]
            event = TalkEnded(now, call_id, agent_id, queue, talk, ended_by)
            self._emit(event)
            q.strategy.observe(event)
        else:  # nothing learns from it here: a plain fact (no event object when no log is kept)
            self._talk_fact(now, call_id, agent_id, queue, talk, ended_by)
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
        self._clear_pending(agent)
        self._set_state(agent, S.PAUSED if paused else S.AVAILABLE, paused or "")
        self._run()

    def logout(self, agent_id: str) -> None:
        """Offline now; an agent on a call logs out once the call ends (replacing an earlier "pause
        after this call"); an offer is withdrawn."""
        agent = self._agent(agent_id)
        if agent.state is S.BUSY:
            self._set_pending(agent, "logout")
            return
        self._clear_pending(agent)
        self._withdraw(agent, "agent_logged_out")
        self._end_wrap(agent)
        self._set_state(agent, S.OFFLINE)
        self._run()

    def pause(self, agent_id: str, reason: str = "break") -> None:
        """Paused with a reason; an agent on a call is paused once the call and wrap-up end (the
        latest request wins: it replaces an earlier "log out after this call")."""
        agent = self._agent(agent_id)
        if agent.state is S.OFFLINE:
            raise_illegal(agent, "pause", "logged in")
        if agent.state is S.BUSY:
            self._set_pending(agent, "pause", reason)
            return
        self._clear_pending(agent)
        if agent.state is S.PAUSED:
            if reason != agent.pause_reason:
                agent.pause_reason = reason
                self._emit(AgentStateChanged(self.clock.now(), agent.id, "paused", "paused", reason))
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
        """'I am ready': ends wrap-up early, unpauses, or logs in; on a call it takes back a pending
        pause or log-out."""
        agent = self._agent(agent_id)
        if agent.state is S.BUSY and (agent.pending_logout or agent.pending_pause is not None):
            self._clear_pending(agent)
            return
        if agent.state is S.WRAP_UP:  # after-call work is done; a pending pause or log-out applies
            self._end_wrap(agent)
            self._after_work(agent)
            self._run()
        elif agent.state is S.PAUSED:
            self.unpause(agent_id)
        elif agent.state is S.OFFLINE:
            self.login(agent_id)
        else:
            raise_illegal(agent, "become ready", "in wrap-up, paused or offline")

    def _set_pending(self, agent: Agent, pending: str, reason: str = "") -> None:
        agent.pending_logout = pending == "logout"
        agent.pending_pause = reason if pending == "pause" else None
        self._emit(AgentRequestPending(self.clock.now(), agent.id, pending, reason))

    def _clear_pending(self, agent: Agent) -> None:
        """An explicit state change overrides any request made for the end of the call."""
        if agent.pending_logout or agent.pending_pause is not None:
            self._set_pending(agent, "")

    # --- calls the queues did not route ----------------------------------------------------------

    def direct_call_started(self, agent_id: str, call_id: str, kind: str) -> bool:
        """An agent's phone rings for a blind transfer or ring-group call: an available agent is
        reserved for it, so no queue offers them another call meanwhile. False if the agent was not
        available (their phone still rings; the router's state is left alone)."""
        agent = self._agent(agent_id)
        self._emit(DirectCallStarted(self.clock.now(), call_id, agent_id, kind))
        if agent.state is not S.AVAILABLE or agent.held is not None:
            return False
        self._set_state(agent, S.RESERVED, f"direct:{call_id}")
        agent.call_id = call_id
        return True

    def direct_call_answered(self, agent_id: str, call_id: str) -> None:
        agent = self._agent(agent_id)
        if agent.call_id == call_id and agent.state in (S.RESERVED, S.RINGING):
            self._set_state(agent, S.BUSY, f"direct:{call_id}")
            agent.answered_at = self.clock.now()

    def direct_call_ended(self, agent_id: str, call_id: str) -> None:
        """The direct call is over (or never answered): the agent is free, or takes a pending request."""
        agent = self._agent(agent_id)
        if agent.call_id != call_id or agent.state not in (S.RESERVED, S.RINGING, S.BUSY):
            return
        now = self.clock.now()
        answered = agent.state is S.BUSY
        talk = now - agent.answered_at if answered else 0.0
        self._emit(DirectCallEnded(now, call_id, agent_id, answered, talk))
        agent.call_id = None
        if answered:
            agent.roll_day(now)
            agent.talk_today += talk
        self._after_work(agent)
        self._run()

    # --- queries ---------------------------------------------------------------------------------

    def agent_state(self, agent_id: str) -> AgentState:
        return self._agent(agent_id).state

    def agent_status(self, agent_id: str) -> AgentStatus:
        """State, reason, time in state, current call and today's figures, for desktops and wallboards."""
        agent = self._agent(agent_id)
        agent.roll_day(self.clock.now())
        return status_of(agent)

    def waiting(self, queue: str) -> list[str]:
        """Call ids in line, in service order."""
        return [c.call_id for c in self._queue(queue).line.calls]

    def position(self, call_id: str) -> int:
        call = self._call(call_id)
        return self.queues[call.queue].line.position(call)

    def estimated_wait(self, call_id: str) -> float | None:
        """Seconds until answer: position x average handle time / staffed agents (see QueueStats);
        None when nobody is staffed."""
        call = self._call(call_id)
        return self.queues[call.queue].estimated_wait(self.position(call_id))

    def queue_stats(self, queue: str) -> QueueStats:
        q = self._queue(queue)
        return q.stats(self.clock.now(), len(self._pools.get(("queue", queue), ())))

    def explain(self, call_id: str) -> list[Explanation]:
        """Why each thing happened to a recent call: offers (candidates, scores, choice), escalation
        steps and outcomes, oldest first. Bounded: the last N calls are kept. A call still waiting
        ends with a "waiting" entry, worked out now, saying why no agent has it yet."""
        entries = self.explanations.get(call_id)
        call = self.calls.get(call_id)
        if call is not None and not call.reservations:
            entries.append(self._why_waiting(call))
        return entries

    def _why_waiting(self, call: WaitingCall) -> Explanation:
        """Count why the agents this call could draw on are not taking it (on demand only)."""
        q, now = self.queues[call.queue], self.clock.now()
        pools = [("queue", call.queue), *call.extra_pools]
        ids = dict.fromkeys(i for pool in pools for i in self._pools.get(pool, ()))
        lang = call.language if q.require_language else None
        excluded = sum(1 for i in ids if call.excluded.get(i, 0.0) > now)
        unskilled = sum(
            1 for i in ids if any(self.agents[i].skills.get(s, 0) < lvl for s, lvl in call.skills.items())
        )
        no_lang = sum(1 for i in ids if lang and self.agents[i].languages.get(lang, 0) <= 0)
        position = q.line.position(call)
        why = (
            f"place {position} of {len(q.line)}; {q.staffed} staffed, {len(ids)} available to this call"
            f" ({unskilled} lack the skills {call.skills or '-'}, {excluded} recently missed it"
            + (f", {no_lang} do not speak {lang}" if lang else "")
            + f"); waited {now - call.first_at:g}s, escalation step {call.step}/{len(q.escalation)}"
        )
        if ids and position > 1:
            why += "; callers ahead are served first"
        return Explanation(
            now, call.call_id, call.queue, "waiting", q.strategy.name, why, len(ids), (), (),
            tuple(sorted(call.skills.items())), call.step,
        )  # fmt: skip

    def offer(self, reservation_id: str) -> Offer:
        res = self._reservation(reservation_id)
        return self._offer_of(res, reservation_id)
