"""ring_all's group offer: one reservation, one ring timer and one event for all the phones that one
decision rings; the first answer wins.

Ringing 50 phones one offer each cost 50 state changes out of (and back into) every pool and index,
50 timers and 100 events per call. A group offer instead *holds* the rung agents (`Agent.held`): they
stay available and in their indexes, and every walk of a voice queue skips them
(`Dispatcher._choose`, `_candidates`), so an answer lets the others go by clearing a mark. Each
phone still has its own offer id (`r<n>`, numbered as single offers are), which `Router.answer`,
`decline` and `ringing` take as before; all of them lead to the one group `Reservation`, whose
`phones` maps each id to its agent.

What the agents' figures see: a rung agent who lost the race was never out of `available` (no
reserved/ringing time), and keeps its idle time and place, as before.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from alur.core.events import OfferDeclined
from alur.routing.agents import Agent, States
from alur.routing.calls import Offer, Ranked, Reservation, WaitingCall
from alur.routing.queues import Queue

if TYPE_CHECKING:
    from alur.routing.dispatch import Dispatcher

S = States


def offer(
    router: Dispatcher, call: WaitingCall, q: Queue, chosen: list[Agent], ranked: list[Ranked], eligible: int
) -> None:
    """Ring every agent of `chosen` for `call` at once, under one reservation and one timer."""
    now = router.clock.now()
    expires = now + q.ring_timeout
    group = Reservation("", call, "", q.name, expires, phones={})
    phones: dict[str, str] = group.phones  # type: ignore[assignment]
    reservations, rid = router.reservations, router._rid
    for agent in chosen:
        if agent.state is S.AVAILABLE and agent.held is None:
            rid += 1
            pid = f"r{rid}"
            phones[pid] = agent.id
            reservations[pid] = group
            agent.held = group
            agent.reservations.add(pid)
            if agent.digital_queues:  # an agent whose phone rings takes no chat meanwhile
                router._refresh_digital(agent)
    router._rid = rid
    if not phones:
        return
    group.id = next(iter(phones))
    call.reservations.extend(phones)
    group.timer = router.clock.call_at(expires, partial(expire, router, group))
    agent_ids = tuple(phones.values())
    router._explain_offer(call, q, ranked, eligible, agent_ids)
    router._group_fact(now, call.call_id, q.name, agent_ids, tuple(phones), expires, call.callback_number)
    on_offer = router.on_offer
    if on_offer is not None:  # the driver's callback still gets one offer per phone
        for pid in list(phones):
            if pid in reservations:  # an earlier phone may have been answered from inside `on_offer`
                on_offer(offer_of(group, pid))


def offer_of(group: Reservation, phone: str) -> Offer:
    """The offer of one phone of the group."""
    assert group.phones is not None
    call = group.call
    agent_id = group.phones[phone]
    return Offer(phone, call.call_id, agent_id, group.queue, group.expires_at, call.callback_number, True)


def _let_go(router: Dispatcher, group: Reservation, phone: str) -> Agent:
    """Phone `phone` no longer rings for the group: its offer id is gone and its agent free."""
    assert group.phones is not None
    agent = router.agents[group.phones.pop(phone)]
    del router.reservations[phone]
    group.call.reservations.remove(phone)
    agent.held = None
    agent.reservations.discard(phone)
    if agent.digital_queues:
        router._refresh_digital(agent)
    if not group.phones and group.timer is not None:
        group.timer.cancel()
    if group.blocked:  # queues that skipped this agent meanwhile look again
        router._dirty.update(group.blocked)
    return agent


def answer(router: Dispatcher, group: Reservation, phone: str) -> None:
    """The agent of `phone` answered: every other phone stops ringing (one event), the call connects."""
    assert group.phones is not None
    call, q, now = group.call, router.queues[group.queue], router.clock.now()
    phones = group.phones
    winner = router.agents[phones[phone]]
    reservations, agents = router.reservations, router.agents
    for pid, aid in phones.items():
        del reservations[pid]
        agent = agents[aid]
        agent.held = None
        agent.reservations.discard(pid)
        if agent.digital_queues:
            router._refresh_digital(agent)
    group.phones = {}
    lost_ids, lost_agents = list(phones), list(phones.values())  # every phone but the one answered
    at = lost_ids.index(phone)
    del lost_ids[at], lost_agents[at]
    call.reservations.clear()
    if group.timer is not None:
        group.timer.cancel()
    if group.blocked:
        router._dirty.update(group.blocked)
    if lost_ids:
        on_cancel = router.on_cancel
        if on_cancel is not None:
            for pid, aid in zip(lost_ids, lost_agents, strict=True):
                on_cancel(
                    Offer(pid, call.call_id, aid, q.name, group.expires_at, call.callback_number, True),
                    "lost_race",
                )
        router._withdrawn_fact(now, call.call_id, q.name, "lost_race", tuple(lost_agents), tuple(lost_ids))
        if router._explaining:
            why = f"{winner.id} answered first; the offers to {len(lost_ids)} other agent(s) were withdrawn"
            router._explain(call, "declined", "lost_race", why)
    router._connect(call, winner, q, now)


def hang_up(router: Dispatcher, group: Reservation, phone: str, reason: str, *, notify: bool) -> None:
    """One phone of the group stops ringing without an answer (declined, its agent paused or logged
    out, the caller left...); the others ring on. The call keeps its place in line."""
    assert group.phones is not None
    call, q, now = group.call, router.queues[group.queue], router.clock.now()
    offer = offer_of(group, phone)
    agent = _let_go(router, group, phone)
    if notify and router.on_cancel is not None:
        router.on_cancel(offer, reason)
    router._emit(OfferDeclined(now, call.call_id, agent.id, q.name, reason, phone))
    why = ""
    if router._explaining:
        why = f"{agent.id} did not take the call ({reason}); the call keeps place {q.line.position(call)}"
    router._after_release(agent, call, q, reason, why)


def expire(router: Dispatcher, group: Reservation) -> None:
    """The group's ring timeout: every phone still ringing missed the call; one explanation line."""
    phones = group.phones
    if not phones:
        return
    call, q, now = group.call, router.queues[group.queue], router.clock.now()
    group.timer = None
    missed = list(phones)
    paused: list[str] = []
    for phone in missed:
        offer = offer_of(group, phone)
        agent = _let_go(router, group, phone)
        if router.on_cancel is not None:
            router.on_cancel(offer, "no_answer")
        router._emit(OfferDeclined(now, call.call_id, agent.id, q.name, "no_answer", phone))
        if router._miss(agent, call, q):
            paused.append(agent.id)
    router._dirty[call.queue] = None
    if router._explaining:
        why = (
            f"none of the {len(missed)} phone(s) rung was answered within {q.ring_timeout:g}s;"
            f" the call keeps place {q.line.position(call)}"
        )
        if paused:
            why += f"; paused after missed offers: {', '.join(paused)}"
        router._explain(call, "declined", "ring_no_answer", why)
    router._run()


def note_held(agent: Agent, queue: str) -> None:
    """A dispatch of `queue` skipped `agent` (held by a group): `queue` looks again when it lets go."""
    group = agent.held
    if group is not None:
        if group.blocked is None:
            group.blocked = {}
        group.blocked[queue] = None
