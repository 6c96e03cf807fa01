"""Chat, SMS and e-mail tasks in the same router as calls: capacity per channel and in total.

A voice call keeps the agent state machine to itself (offline, available, reserved, ringing, busy,
wrap-up, paused): one call at a time. A task of a queue whose `channel` is chat, sms or email does not
move that state; it takes one of the agent's slots for its channel (`Agent.capacity`, e.g. 3 chats),
from the moment it is offered until it is closed. An agent is free for such a queue when logged in
and not paused, with a slot left in the channel, under `max_tasks` in total (a call counts one), and,
when voice is exclusive (the default), not on a call. With exclusive voice an agent holding any task
is also kept out of the voice queues' indexes (`Agent.voice_blocked`) until the last one closes.

The same strategies rank the free agents (each digital queue's strategy keeps its index of agents
free for it, updated by `refresh`), and the same line, offers, timers and escalation apply. A project
with only voice queues never reaches this module: every hook is behind `Queue.digital` or
`Agent.digital_queues`.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from alur.core.channel import QueueOutcome
from alur.core.events import OfferDeclined, TalkEnded
from alur.routing.agents import Agent, States
from alur.routing.calls import Ranked, Reservation, WaitingCall
from alur.routing.queues import Queue
from alur.routing.state import MISSES

if TYPE_CHECKING:
    from alur.routing.dispatch import Dispatcher

S = States
OFF = frozenset({S.OFFLINE, S.PAUSED})
ON_VOICE = frozenset({S.RESERVED, S.RINGING, S.BUSY, S.WRAP_UP})


def held(agent: Agent) -> int:
    """Chat/sms/email tasks the agent holds (offered or connected)."""
    return sum(agent.load.values())


def has_room(router: Dispatcher, agent: Agent, channel: str) -> bool:
    """May `agent` be offered one more task of `channel` now?"""
    if agent.state in OFF or agent.load.get(channel, 0) >= agent.capacity.get(channel, 0):
        return False
    on_voice = agent.state in ON_VOICE or agent.held is not None  # held: a ring_all phone rings
    if on_voice and router.voice_exclusive:
        return False
    return agent.max_tasks is None or held(agent) + on_voice < agent.max_tasks


def refresh(router: Dispatcher, agent: Agent) -> None:
    """Bring the agent's place in its digital queues' indexes (and the voice ones) up to date."""
    now = router.clock.now()
    pools, queues, dirty = router._pools, router.queues, router._dirty
    for name in agent.digital_queues:
        q = queues[name]
        pool = pools.setdefault(("queue", name), {})
        if has_room(router, agent, q.channel):
            if agent.id not in pool:
                pool[agent.id] = None
                q.strategy.add(agent, now)
                if q.line.calls:
                    dirty[name] = None
        elif agent.id in pool:
            del pool[agent.id]
            q.strategy.remove(agent)
    tasks = held(agent)
    blocked = tasks > 0 and (
        router.voice_exclusive or (agent.max_tasks is not None and tasks + 1 > agent.max_tasks)
    )
    if blocked is not agent.voice_blocked:
        agent.voice_blocked = blocked
        if agent.state is S.AVAILABLE:
            if blocked:
                router._voice_taken(agent)
            else:
                router._voice_free(agent, now)


def dispatch(router: Dispatcher, q: Queue) -> None:
    """Offer the queue's waiting tasks to agents with a free slot, in line order."""
    own = router._pools.setdefault(("queue", q.name), {})
    now, scanned = router.clock.now(), 0
    for call in list(q.line.calls):
        if call.reservations or router.calls.get(call.call_id) is not call or call.queue != q.name:
            continue
        scanned += 1
        if scanned > q.lookahead:
            break
        if call.extra_pools:
            candidates = _candidates(router, call, q)
            ranked = q.strategy.select(candidates, call, now) if candidates else []
            chosen = [router.agents[r.agent_id] for r in ranked[: q.strategy.offers_at_most]]
            eligible = len(candidates)
        elif own:
            chosen, ranked = router._choose(call, q, now)
            eligible = len(own)
        else:
            continue
        if chosen:
            _offer(router, call, q, chosen, ranked, eligible)


def _candidates(router: Dispatcher, call: WaitingCall, q: Queue) -> list[Agent]:
    """Agents with room for an escalated task: its queue's, plus those of the groups/queues it was
    widened to (looked up over the agents, not an index: escalated digital tasks are few)."""
    now, lang = router.clock.now(), call.language if q.require_language else None
    wanted = set(call.extra_pools) | {("queue", q.name)}
    out = []
    for agent in router.agents.values():
        member = any(("queue", m) in wanted for m in agent.memberships) or any(
            ("group", g) in wanted for g in (agent.group, agent.department) if g
        )
        if member and has_room(router, agent, q.channel) and router._eligible(agent, call, lang, now):
            out.append(agent)
    return out


def _offer(
    router: Dispatcher, call: WaitingCall, q: Queue, chosen: list[Agent], ranked: list[Ranked], eligible: int
) -> None:
    now = router.clock.now()
    expires = now + q.ring_timeout
    at_once = router.answers_at_once
    made: list[Reservation] = []
    for agent in chosen:
        if not has_room(router, agent, q.channel):
            continue
        router._rid += 1
        res = Reservation(f"r{router._rid}", call, agent.id, q.name, expires)
        agent.load[q.channel] += 1
        if at_once is not None and not q.strategy.rings_all and at_once(agent.id):
            router._explain_offer(call, q, ranked, eligible, (agent.id,))
            router._offered_fact(now, call.call_id, agent.id, q.name, res.id, expires)
            _connect(router, call, agent, q, now)
            return
        router.reservations[res.id] = res
        call.reservations.append(res.id)
        agent.reservations.add(res.id)
        res.timer = router.clock.call_at(expires, partial(router._expire, res.id))
        refresh(router, agent)
        made.append(res)
    router._explain_offer(call, q, ranked, eligible, tuple(r.agent_id for r in made))
    for res in made:
        router._offered_fact(now, call.call_id, res.agent_id, q.name, res.id, expires, None)
    if router.on_offer is not None:
        for res in made:
            if res.id in router.reservations:
                router.on_offer(router._offer_of(res))


def answer(router: Dispatcher, res: Reservation) -> None:
    """The agent accepted the task: its slot, held since the offer, now holds the conversation."""
    call, agent, q = res.call, router.agents[res.agent_id], router.queues[res.queue]
    router._drop_reservation(res)
    for other in list(call.reservations):
        router._release(router.reservations[other], "lost_race", notify=True)
    _connect(router, call, agent, q, router.clock.now())
    if not router._dispatching:
        router._run()


def _connect(router: Dispatcher, call: WaitingCall, agent: Agent, q: Queue, now: float) -> None:
    router._forget(call)
    agent.roll_day(now)
    agent.calls_today += 1
    agent.misses = 0
    agent.tasks.add(call.call_id)
    wait = now - call.first_at
    router.connected[call.call_id] = (agent.id, q.name, now)
    q.record_answer(wait)
    router._answered_fact(now, call.call_id, agent.id, q.name, wait)
    q.strategy.assigned(agent, call, now)
    refresh(router, agent)
    if router.on_outcome is not None:
        router.on_outcome(call.call_id, QueueOutcome("answered", agent_id=agent.id, wait=wait))


def release(router: Dispatcher, res: Reservation, reason: str, *, notify: bool) -> None:
    """An offer ends unanswered: the slot is free again, the task keeps its place in line."""
    router._drop_reservation(res)
    agent, q, call, now = router.agents[res.agent_id], router.queues[res.queue], res.call, router.clock.now()
    agent.load[q.channel] -= 1
    if notify and router.on_cancel is not None:
        router.on_cancel(router._offer_of(res), reason)
    router._emit(OfferDeclined(now, call.call_id, agent.id, q.name, reason, res.id))
    policy = q.config.ring_no_answer
    router._explain(call, "declined", "ring_no_answer" if reason in MISSES else reason, "")
    if reason in MISSES:
        agent.misses += 1
        call.excluded[agent.id] = now + policy.retry_same_agent_after
        router.clock.call_at(now + policy.retry_same_agent_after, partial(router._kick, call.queue))
        if policy.pause_agent and agent.misses >= policy.after_misses and agent.state is S.AVAILABLE:
            router._set_state(agent, S.PAUSED, policy.pause_reason)
    refresh(router, agent)
    router._dirty[call.queue] = None


def end(router: Dispatcher, task_id: str, agent: Agent, q: Queue, answered_at: float, ended_by: str) -> None:
    """The conversation is closed: the agent's slot is free (no wrap-up state for digital tasks)."""
    now = router.clock.now()
    agent.tasks.discard(task_id)
    agent.load[q.channel] -= 1
    talk = now - answered_at
    agent.roll_day(now)
    agent.talk_today += talk
    q.record_handle(talk)
    event = TalkEnded(now, task_id, agent.id, q.name, talk, ended_by)
    router._emit(event)
    q.strategy.observe(event)
    refresh(router, agent)
    router._run()
