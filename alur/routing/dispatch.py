"""The dispatcher: match waiting calls with available agents, make and end offers, leave the line.

Re-entrant by design: a driver may call back into the router from `on_offer`; such calls only mark
queues as needing work, and the outer `_run` loop does it, most urgent queue first.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from alur.core.channel import QueueOutcome
from alur.core.events import (
    Abandoned,
    OfferDeclined,
    Offered,
    Overflowed,
)  # fmt: skip
from alur.routing.agents import Agent, States
from alur.routing.calls import Explanation, Offer, Ranked, Reservation, WaitingCall
from alur.routing.escalation import apply_step
from alur.routing.queues import Queue
from alur.routing.state import MISSES, RETURNED, RouterState

S = States


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
        scanned = 0
        calls, agents, name, lookahead = self.calls, self.agents, q.name, q.config.lookahead
        own = self._pools.setdefault(("queue", name), {})  # live: agents leave it as they get offers
        if not own and not self._widened:
            return  # nobody of this queue is free, and no call draws on other pools
        for call in list(line):
            if call.reservations or calls.get(call.call_id) is not call or call.queue != name:
                continue
            scanned += 1
            if scanned > lookahead:
                break
            if call.extra_pools or call.skills or call.excluded or q.config.require_language:
                candidates = self._candidates(call, q)
                if not candidates:
                    continue
            elif own:  # the common case: every free agent of the queue
                candidates = [agents[aid] for aid in own]
            else:
                continue  # nobody of this queue is free, and the call draws on no other pool
            ranked = q.strategy.select(candidates, call, self.clock.now())
            if ranked:
                self._make_offers(call, q, ranked, len(candidates))
                if not own and not self._widened:
                    break  # that was the last free agent: the rest of the line would find nobody
            elif q.strategy.recheck_after and q.recheck is None:
                # time-dependent strategies (schedule): free agents may qualify later
                q.recheck = self.clock.call_later(q.strategy.recheck_after, partial(self._recheck, q))

    def _recheck(self, q: Queue) -> None:
        q.recheck = None
        self._kick(q.name)

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
        skills = list(call.skills.items())
        lang = call.language if q.config.require_language else None
        excluded = call.excluded
        if not (skills or lang or excluded):  # the common case: every available agent of the pools
            return [agents[aid] for aid in ids]
        out: list[Agent] = []
        for aid in ids:
            if excluded and excluded.get(aid, 0.0) > now:
                continue
            agent = agents[aid]
            if skills:
                have = agent.skills
                if not all(have.get(s, 0) >= lvl for s, lvl in skills):
                    continue
            if lang and agent.languages.get(lang, 0) <= 0:
                continue
            out.append(agent)
        return out

    def _make_offers(self, call: WaitingCall, q: Queue, ranked: list[Ranked], eligible: int) -> None:
        now = self.clock.now()
        strategy = q.strategy
        chosen = ranked if strategy.rings_all else ranked[:1]
        expires = now + q.config.ring_timeout
        name, agents, reservations, call_at = q.name, self.agents, self.reservations, self.clock.call_at
        made: list[Reservation] = []
        for r in chosen:
            agent = agents[r.agent_id]
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
        if self._explaining:
            self.explanations.add(
                Explanation(
                    now,
                    call.call_id,
                    name,
                    "offer",
                    strategy.name,
                    "",  # worded when read (Explanation.worded): decisions stay cheap
                    eligible,
                    tuple(ranked[:5]),
                    tuple(r.agent_id for r in made),
                    tuple(sorted(call.skills.items())) if call.skills else (),
                    call.step,
                )
            )
        emit = self._emit
        for res in made:
            emit(Offered(now, call.call_id, res.agent_id, name, res.id, expires, call.callback_number))
        on_offer = self.on_offer
        if on_offer is not None:
            for res in made:
                if res.id in reservations:
                    on_offer(self._offer_of(res))

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
        self._emit(OfferDeclined(now, call.call_id, agent.id, q.name, reason, res.id))
        policy = q.config.ring_no_answer
        why = (
            f"{agent.id} did not take the call ({reason}); the call keeps place {q.line.position(call)}"
            if self._explaining
            else ""
        )
        if reason in MISSES:
            agent.misses += 1
            call.excluded[agent.id] = now + policy.retry_same_agent_after
            self.clock.call_at(now + policy.retry_same_agent_after, partial(self._kick, call.queue))
            if policy.pause_agent and agent.misses >= policy.after_misses:
                if why:
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
            self._release(self.reservations[rid], "caller_left", notify=True)
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
        if self.calls.get(call.call_id) is not call or call.queue != queue:
            return
        apply_step(self, call, self.queues[queue])
