"""After a restart: put the router back as the log left it, and close what died with the old process.

Calls in progress when the process died cannot go on (their media went with it): each is closed with
the honest outcome `server_lost`, its offers are released, and an agent who was talking goes through
the normal end of the call (talk time, wrap-up, a pending pause or log-out). Agents return to the state
they were in, with a pause's reason; promised callbacks return to their place in line (one between
two tries at its next try's time, one whose try died with the process at once). Chats, SMS and e-mails
need no media, so they go on (`Conversations.restore`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from alur.core import events as ev
from alur.core.clock import Clock
from alur.core.errors import AlurError
from alur.routing.engine import Router
from alur.service.state import LiveState

log = logging.getLogger("alur.rebuild")

LOST = "server_lost"


@dataclass(frozen=True, slots=True)
class Rebuilt:
    agents_restored: int
    calls_closed: int
    callbacks_restored: int


def rebuild(state: LiveState, router: Router, clock: Clock, publish: Callable[[ev.Event], None]) -> Rebuilt:
    """Apply `state` (the log folded) to a fresh `router`; publish the closing events."""
    now = clock.now()
    closed = 0
    for call in list(state.calls.values()):
        if call.call_id in state.conversations:
            continue  # a chat, SMS or e-mail goes on: `Conversations.restore`, once the agents are back
        for rid, agent_id in call.offers.items():
            publish(ev.OfferDeclined(now, call.call_id, agent_id, call.queue, LOST, rid))
        if call.waiting:
            publish(ev.WaitEnded(now, call.call_id, call.queue, LOST, now - call.first_queued))
        publish(ev.CallEnded(now, call.call_id, LOST))
        closed += 1
    restored = 0
    for agent_id, view in state.agents.items():
        if agent_id not in router.agents:
            log.warning("agent %s is in the log but no longer configured: not restored", agent_id)
            continue
        if view.state == "offline":
            continue
        pending = {"pending": view.pending, "pending_reason": view.pending_reason}
        try:
            if view.state == "busy" and view.call_id and view.queue and not view.direct:
                router.restore_connected(agent_id, view.call_id, view.queue, view.answered_at, **pending)
                router.talk_ended(view.call_id, ended_by=LOST)
            elif view.state == "wrap_up" and view.call_id and view.queue:
                router.restore_wrap_up(agent_id, view.call_id, view.queue, view.since, **pending)
            elif view.state in ("busy", "wrap_up", "reserved", "ringing"):
                if view.direct and view.call_id:
                    publish(ev.DirectCallEnded(now, view.call_id, agent_id, view.state == "busy"))
                after = view.pending if view.pending else "available"
                if after == "pause":
                    router.restore_agent(agent_id, "paused", reason=view.pending_reason)
                elif after == "available":
                    router.restore_agent(agent_id, "available")
            else:
                router.restore_agent(agent_id, view.state, reason=view.reason, since=view.since, **pending)
            restored += 1
        except AlurError as exc:
            log.warning("agent %s not restored: %s", agent_id, exc.message)
    callbacks = 0
    for cb in sorted(state.callbacks.values(), key=lambda c: c.order):
        q = cb.queued
        try:
            router.restore_callback(
                cb.call_id,
                cb.queue,
                cb.number,
                cb.first_at,
                priority=cb.priority,
                skills=dict(q.skills) if q else None,
                language=q.language if q else None,
                vip=q.vip if q else False,
                call_type=q.call_type if q else "",
                attempts=cb.attempts,
                not_before=cb.retry_at,  # a try cut short by the crash is made again at once
            )
            callbacks += 1
        except AlurError as exc:
            log.warning("callback %s not restored: %s", cb.call_id, exc.message)
    return Rebuilt(restored, closed, callbacks)
