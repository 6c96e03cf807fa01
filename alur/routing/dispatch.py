"""The dispatcher: match waiting calls with available agents, make and end offers, leave the line.

Re-entrant by design: a driver may call back into the router from `on_offer`; such calls only mark
queues as needing work, and the outer `_run` loop does it, most urgent queue first.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Final

from alur.core.channel import QueueOutcome
from alur.core.events import (
    Abandoned,
    OfferDeclined,
    Overflowed,
)  # fmt: skip
from alur.routing import digital, group
from alur.routing.agents import Agent, AgentState, States
from alur.routing.calls import Explanation, Offer, Ranked, Reservation, WaitingCall
from alur.routing.escalation import apply_step
from alur.routing.queues import Queue
from alur.routing.state import MISSES, RETURNED, RouterState

S = States
# reasons, as `_withdraw` words them
WITHDRAWN: Final = {S.PAUSED: "agent_paused", S.OFFLINE: "agent_logged_out"}
SHIFT_RECHECK: Final = 60.0  # seconds between looks while the free agents are all outside their shifts


class Dispatcher(RouterState):
    """Offers and the line; see `Router` for the public API."""

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
        line = q.line.calls
        if not line:
            return
        if q.digital:
            digital.dispatch(self, q)
            return
        scanned = 0
        calls, name, lookahead = self.calls, q.name, q.lookahead
        own = self._pools.setdefault(("queue", name), {})  # live: agents leave it as they get offers
        if not own and not self._widened:
            return  # nobody of this queue is free, and no call draws on other pools
        strategy, now = q.strategy, self.clock.now()
        self._off_shift = False
        for call in list(line):
            if call.reservations or calls.get(call.call_id) is not call or call.queue != name:
                continue
            scanned += 1
            if scanned > lookahead:
                break
            if call.extra_pools:  # widened by escalation: agents of other pools are ranked in full
                candidates = self._candidates(call, q)
                ranked = strategy.select(candidates, call, now) if candidates else []
                chosen = [self.agents[r.agent_id] for r in ranked[: strategy.offers_at_most]]
                eligible = len(candidates)
            elif own:  # the common case: the queue's strategy walks its index, best first
                chosen, ranked = self._choose(call, q, now)
                eligible = len(own)
            else:
                continue  # nobody of this queue is free, and the call draws on no other pool
            if chosen:
                self._make_offers(call, q, chosen, ranked, eligible)
                if not own and not self._widened:
                    break  # that was the last free agent: the rest of the line would find nobody
            elif self._off_shift and q.recheck is None:
                # free agents outside their shift may start it soon: look again then
                after = strategy.recheck_after or SHIFT_RECHECK
                q.recheck = self.clock.call_later(after, partial(self._recheck, q))

    def _recheck(self, q: Queue) -> None:
        q.recheck = None
        self._kick(q.name)

    def _eligible(self, agent: Agent, call: WaitingCall, lang: str | None, now: float) -> bool:
        """May `agent` (free) take `call`: not recently missed it, has the skills and language, on shift.
        A plain loop, no generator: it runs for every agent a decision with skills looks at."""
        excluded = call.excluded
        if excluded and excluded.get(agent.id, 0.0) > now:
            return False
        if call.skills:
            have = agent.skills
            for skill, level in call.skills.items():
                if have.get(skill, 0) < level:
                    return False
        if lang and agent.languages.get(lang, 0) <= 0:
            return False
        if agent.shifts and not agent.on_shift(now):
            self._off_shift = True
            return False
        return True

    def _choose(self, call: WaitingCall, q: Queue, now: float) -> tuple[list[Agent], list[Ranked]]:
        """The agents to offer `call` to, from the strategy's index best first (only as many agents
        are looked at as it takes to find them), and their ranking when explanations are kept."""
        strategy = q.strategy
        want = strategy.offers_at_most
        keep = max(want, strategy.noted) if strategy.shows_runners_up else want  # explanations: top few
        lang = call.language if q.require_language else None
        found: list[Agent] = []
        voice = not q.digital  # an agent whose phone rings for a ring_all group takes no other call
        if not (call.skills or lang or call.excluded):
            for agent in strategy.best(call, now):
                if agent.held is not None and voice:
                    group.note_held(agent, q.name)
                    continue
                if agent.shifts and not agent.on_shift(now):
                    self._off_shift = True
                    continue
                found.append(agent)
                if len(found) >= keep:
                    break
        else:
            eligible = self._eligible
            for agent in strategy.best(call, now):
                if agent.held is not None and voice:
                    group.note_held(agent, q.name)
                    continue
                if eligible(agent, call, lang, now):
                    found.append(agent)
                    if len(found) >= keep:
                        break
        ranked = strategy.ranked(found, call) if self._explaining else []
        return found[:want], ranked

    def _candidates(self, call: WaitingCall, q: Queue) -> list[Agent]:
        """Available agents eligible for `call`: only the pools it draws on are looked at."""
        now = self.clock.now()
        agents = self.agents
        ids: Iterable[str] = self._pools.get(("queue", q.name), ())
        if call.extra_pools:
            merged = dict.fromkeys(ids)
            for pool in call.extra_pools:
                merged.update(dict.fromkeys(self._pools.get(pool, ())))
            ids = merged
        lang = call.language if q.require_language else None
        eligible = self._eligible
        found = []
        for agent in (agents[aid] for aid in ids):
            if agent.held is not None:  # ringing for a ring_all group: looked at again when it stops
                group.note_held(agent, q.name)
            elif eligible(agent, call, lang, now):
                found.append(agent)
        return found

    def _make_offers(
        self, call: WaitingCall, q: Queue, chosen: list[Agent], ranked: list[Ranked], eligible: int
    ) -> None:
        now = self.clock.now()
        strategy = q.strategy
        expires = now + q.ring_timeout
        name, reservations, call_at = q.name, self.reservations, self.clock.call_at
        if strategy.rings_all:
            group.offer(self, call, q, chosen, ranked, eligible)
            return
        at_once = self.answers_at_once
        if at_once is not None and at_once(chosen[0].id):
            # the driver answers this agent's offers at once (simulated staff): no ring timer, no
            # reserved state, the offer is connected here
            agent = chosen[0]
            self._rid += 1
            self._explain_offer(call, q, ranked, eligible, (agent.id,))
            self._offered_fact(now, call.call_id, agent.id, name, f"r{self._rid}", expires)
            self._connect(call, agent, q, now)
            return
        made: list[Reservation] = []
        for agent in chosen:
            if agent.state is not S.AVAILABLE:
                continue
            self._rid += 1
            res = Reservation(f"r{self._rid}", call, agent.id, name, expires)
            reservations[res.id] = res
            call.reservations.append(res.id)
            agent.reservations.add(res.id)
            self._set_state(agent, S.RESERVED)
            res.timer = call_at(expires, partial(self._expire, res.id))
            made.append(res)
        self._explain_offer(call, q, ranked, eligible, tuple(r.agent_id for r in made))
        fact = self._offered_fact
        for res in made:
            fact(now, call.call_id, res.agent_id, name, res.id, expires, call.callback_number)
        on_offer = self.on_offer
        if on_offer is not None:
            for res in made:
                if res.id in reservations:
                    on_offer(self._offer_of(res))

    def _explain_offer(
        self, call: WaitingCall, q: Queue, ranked: list[Ranked], eligible: int, chosen: tuple[str, ...]
    ) -> None:
        if self._explaining:
            self.explanations.add(
                Explanation(
                    self.clock.now(),
                    call.call_id,
                    q.name,
                    "offer",
                    q.strategy.name,
                    "",  # worded when read (Explanation.worded): decisions stay cheap
                    eligible,
                    tuple(ranked[:5]),
                    chosen,
                    tuple(sorted(call.skills.items())) if call.skills else (),
                    call.step,
                )
            )

    def _connect(self, call: WaitingCall, agent: Agent, q: Queue, now: float) -> None:
        """The call is answered by `agent`: out of line, the agent busy, the wait's outcome told."""
        self._forget(call)
        if call.callback_number is not None:
            self.dialing[call.call_id] = call  # kept for `callback_attempted` (a retry needs it)
        agent.roll_day(now)
        agent.calls_today += 1
        agent.misses = 0
        agent.call_id, agent.call_queue, agent.answered_at = call.call_id, q.name, now
        self._set_state(agent, S.BUSY)
        wait = now - call.first_at
        self.connected[call.call_id] = (agent.id, q.name, now)
        q.record_answer(wait)
        self._answered_fact(now, call.call_id, agent.id, q.name, wait)
        q.strategy.assigned(agent, call, now)
        if self.on_outcome is not None:
            self.on_outcome(call.call_id, QueueOutcome("answered", agent_id=agent.id, wait=wait))

    def _offer_of(self, res: Reservation, phone: str = "") -> Offer:
        if res.phones is not None:
            return group.offer_of(res, phone or res.id)
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

    def _refresh_digital(self, agent: Agent) -> None:
        digital.refresh(self, agent)

    def _release(self, res: Reservation, reason: str, *, notify: bool, explain: bool = True) -> None:
        """End an offer without an answer; the call stays in its place in line. `explain=False`: the
        caller explains it (a ring_all answer words the lost race once for all the other phones)."""
        if self.queues[res.queue].digital:
            digital.release(self, res, reason, notify=notify)
            return
        self._drop_reservation(res)
        agent, q, call, now = self.agents[res.agent_id], self.queues[res.queue], res.call, self.clock.now()
        if notify and self.on_cancel is not None:
            self.on_cancel(self._offer_of(res), reason)
        self._emit(OfferDeclined(now, call.call_id, agent.id, q.name, reason, res.id))
        why = (
            f"{agent.id} did not take the call ({reason}); the call keeps place {q.line.position(call)}"
            if self._explaining and explain
            else ""
        )
        self._after_release(agent, call, q, reason, why)

    def _after_release(self, agent: Agent, call: WaitingCall, q: Queue, reason: str, why: str) -> None:
        """An offer of `call` to `agent` ended without an answer: count a miss, explain (`why`), free
        the agent, and look at the line again."""
        if reason in MISSES and self._miss(agent, call, q):
            if why:
                why += f"; {agent.id} paused after {agent.misses} missed offer(s)"
            self._explain(call, "declined", "ring_no_answer", why)
            self._dirty[call.queue] = None
            return
        if why:
            self._explain(call, "declined", "ring_no_answer" if reason in MISSES else reason, why)
        if agent.state in RETURNED:
            self._after_work(agent)
        self._dirty[call.queue] = None

    def _miss(self, agent: Agent, call: WaitingCall, q: Queue) -> bool:
        """`agent` missed `call`: not offered it again for a while, and paused after too many misses
        when the queue says so (True then)."""
        policy, now = q.config.ring_no_answer, self.clock.now()
        agent.misses += 1
        call.excluded[agent.id] = now + policy.retry_same_agent_after
        self.clock.call_at(now + policy.retry_same_agent_after, partial(self._kick, call.queue))
        if policy.pause_agent and agent.misses >= policy.after_misses:
            self._set_state(agent, S.PAUSED, policy.pause_reason)
            return True
        return False

    def _release_id(self, reservation_id: str, reason: str, *, notify: bool) -> None:
        """End the offer `reservation_id` (one phone of a ring_all group, or a single offer)."""
        res = self.reservations[reservation_id]
        if res.phones is not None:
            group.hang_up(self, res, reservation_id, reason, notify=notify)
        else:
            self._release(res, reason, notify=notify)

    def _stop_held(self, agent: Agent, new: AgentState) -> None:
        """`agent` leaves `available` while a ring_all group rings its phone (paused by a chat's
        missed offers, say): that phone stops, the others ring on."""
        reason = WITHDRAWN.get(new, f"agent_{new.value}")
        for rid in list(agent.reservations):
            if self.reservations.get(rid) is agent.held:
                self._release_id(rid, reason, notify=True)

    def _withdraw(self, agent: Agent, reason: str) -> None:
        for rid in list(agent.reservations):
            self._release_id(rid, reason, notify=True)

    def _wrap_done(self, agent: Agent) -> None:
        agent.wrap_timer = None
        if agent.state is S.WRAP_UP:
            self._end_wrap(agent)
            self._after_work(agent)
            self._run()

    def _forget(self, call: WaitingCall) -> None:
        """Take a call out of line and drop its timers and pool watches (no events)."""
        del self.calls[call.call_id]
        self.queues[call.queue].line.remove(call)
        if call.max_wait_timer is not None:
            call.max_wait_timer.cancel()
        if call.step_timer is not None:
            call.step_timer.cancel()
        if call.extra_pools:
            self._unwatch(call)

    def _unwatch(self, call: WaitingCall) -> None:
        if call.extra_pools:
            self._widened -= 1
        for pool in call.extra_pools:
            watchers = self._watchers[pool]
            watchers[call.queue] -= 1
            if watchers[call.queue] == 0:
                del watchers[call.queue]
        call.extra_pools = []

    def _leave(self, call: WaitingCall, result: str, target: str | None = None, reason: str = "") -> None:
        """The wait ends without an agent: abandoned, timeout, overflow."""
        for rid in list(call.reservations):
            self._release_id(rid, "caller_left", notify=True)
        self._forget(call)
        now, q = self.clock.now(), self.queues[call.queue]
        wait = now - call.first_at
        if result == "abandoned":
            q.abandoned += 1
            self._emit(Abandoned(now, call.call_id, q.name, wait))
        else:
            self._emit(Overflowed(now, call.call_id, q.name, target or "", reason or result, wait))
        if self._explaining:
            self._explain(
                call, "outcome", result, f"{result} after {wait:g}s" + (f" to {target}" if target else "")
            )
        self._outcome(call.call_id, QueueOutcome(result, wait=wait, target=target))
        self._run()

    def _refuse(self, call: WaitingCall, q: Queue, result: str) -> None:
        target = q.config.overflow
        self._emit(Overflowed(call.first_at, call.call_id, q.name, target or "", result, 0.0))
        why = f"queue is full ({q.max_length} waiting)" if result == "full" else "no agents logged in"
        self._explain(call, "outcome", result, why)
        self._outcome(call.call_id, QueueOutcome(result, wait=0.0, target=target))

    def _max_wait(self, call: WaitingCall) -> None:
        if self.calls.get(call.call_id) is not call:
            return
        target = self.queues[call.queue].config.overflow
        self._leave(call, "overflow" if target else "timeout", target, "max_wait")

    def _schedule_step(self, call: WaitingCall, q: Queue) -> None:
        steps = q.escalation
        if call.step < len(steps):
            when = call.entered_at + steps[call.step].after
            call.step_timer = self.clock.call_at(when, partial(self._escalate, call, q.name))

    def _escalate(self, call: WaitingCall, queue: str) -> None:
        if self.calls.get(call.call_id) is not call or call.queue != queue:
            return
        apply_step(self, call, self.queues[queue])
