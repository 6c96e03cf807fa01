"""Agent routes: state (log in/out, ready, pause), the current offer with a screen pop, accept/reject,
hang up, wrap-up (disposition, notes, summary, follow-up), follow-ups due, escalation.

An agent token acts only as its own agent; a supervisor acts for the agents of its queues; admin for all.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from alur.api.auth import ALL, check_agent, principal_of, route
from alur.api.context import ApiContext
from alur.api.errors import ApiError, bad_field
from alur.core import events as ev
from alur.core.errors import AlurError
from alur.service import commands as cmd

AGENT = ALL  # agent routes: the agent itself, its supervisors, admins (scope checked per agent)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(_Body):
    paused: str | None = Field(None, description="Log in paused with this reason code.")


class PauseBody(_Body):
    reason: str = Field(description="One of the project's pause_reasons (alur.yaml).")


class DeclineBody(_Body):
    reservation_id: str | None = None


class AcceptBody(_Body):
    reservation_id: str | None = None


class FollowUp(_Body):
    due: datetime = Field(description="When to come back to the customer (ISO 8601, with a time zone).")
    note: str = Field("", max_length=2000)


class WrapUpBody(_Body):
    call_id: str | None = Field(None, description="Default: the agent's last answered call.")
    disposition: str = ""
    resolved: bool = True
    notes: str = Field("", max_length=10_000)
    summary: str = Field("", max_length=10_000)
    follow_up: FollowUp | None = None
    ready: bool = Field(False, description="Also end the wrap-up: the agent is ready for the next call.")


class EscalateBody(_Body):
    call_id: str | None = None
    to: str = Field(description="'supervisor', or the name of a queue whose agents should help.")
    reason: str = Field("", max_length=2000)


def ctx_of(request: Request) -> ApiContext:
    return request.app.state.ctx  # type: ignore[no-any-return]


def agent_in_scope(request: Request, agent_id: str) -> ApiContext:
    ctx = ctx_of(request)
    if agent_id not in ctx.center.router.agents:
        raise ApiError(
            404, "unknown_agent", f"unknown agent {agent_id!r} (agents: {sorted(ctx.center.router.agents)})"
        )
    check_agent(principal_of(request), agent_id, ctx.agent_queues(agent_id))
    return ctx


def check_pause_reason(ctx: ApiContext, reason: str, field: str) -> None:
    allowed = ctx.center.project.settings.pause_reasons
    if allowed and reason not in allowed:
        raise bad_field(field, f"unknown pause reason {reason!r} (pause_reasons: {', '.join(allowed)})")


def status(ctx: ApiContext, agent_id: str) -> dict[str, Any]:
    s = ctx.center.router.agent_status(agent_id)
    now = ctx.center.clock.now()
    return {
        "agent_id": s.agent_id, "name": s.name, "state": s.state, "reason": s.reason, "since": s.since,
        "time_in_state": max(0.0, now - s.since) if s.since else None, "call_id": s.call_id, "queue": s.queue,
        "calls_today": s.calls_today, "talk_today": s.talk_today, "pending": s.pending,
        "queues": list(ctx.agent_queues(agent_id)),
        "load": [{"channel": ch, "held": n, "capacity": cap} for ch, n, cap in s.load],
        "occupancy": occupancy_today(ctx, agent_id),
    }  # fmt: skip


def occupancy_today(ctx: ApiContext, agent_id: str) -> float | None:
    """Share of the agent's staffed time today spent on calls or conversations (None: not staffed)."""
    tally = ctx.kpi_snapshot().agents.get(agent_id)
    return tally.occupancy if tally is not None and tally.staffed_time else None


def current_call(ctx: ApiContext, agent_id: str, call_id: str | None) -> tuple[str, str]:
    """(call id, queue) of the agent's current or last answered call; another call is refused."""
    agent = ctx.center.router.agents[agent_id]
    last = ctx.last_calls.get(agent_id)
    known = {
        c: q
        for c, q in ((agent.call_id, agent.call_queue), (last and last.call_id, last and last.queue))
        if c
    }
    if call_id is None:
        if not known:
            raise ApiError(409, "no_call", f"agent {agent_id!r} has no current or last call")
        call_id = next(iter(known))
    if call_id not in known:
        raise ApiError(409, "not_your_call", f"call {call_id!r} is not {agent_id}'s current or last call")
    return call_id, known[call_id] or ""


def register(router: APIRouter) -> None:  # noqa: C901 - one short handler per route
    @route(router, "GET", "/agents/{agent_id}", AGENT, tags=["agent"])
    async def agent_status(request: Request, agent_id: str) -> dict[str, Any]:
        """State and time in state, current call, today's figures."""
        return status(agent_in_scope(request, agent_id), agent_id)

    @route(router, "POST", "/agents/{agent_id}/login", AGENT, tags=["agent"])
    async def login(request: Request, agent_id: str, body: LoginBody | None = None) -> dict[str, Any]:
        ctx = agent_in_scope(request, agent_id)
        paused = body.paused if body else None
        if paused is not None:
            check_pause_reason(ctx, paused, "paused")
        ctx.center.execute(cmd.Login(agent_id, paused))
        return status(ctx, agent_id)

    @route(router, "POST", "/agents/{agent_id}/logout", AGENT, tags=["agent"])
    async def logout(request: Request, agent_id: str) -> dict[str, Any]:
        """Offline now, or once the current call ends."""
        ctx = agent_in_scope(request, agent_id)
        ctx.center.execute(cmd.Logout(agent_id))
        return status(ctx, agent_id)

    @route(router, "POST", "/agents/{agent_id}/ready", AGENT, tags=["agent"])
    async def ready(request: Request, agent_id: str) -> dict[str, Any]:
        """Ends wrap-up, unpauses, or logs in. A queue that requires a disposition holds the wrap-up
        until one is entered."""
        ctx = agent_in_scope(request, agent_id)
        require_disposition(ctx, agent_id)
        ctx.center.execute(cmd.Ready(agent_id))
        return status(ctx, agent_id)

    @route(router, "POST", "/agents/{agent_id}/pause", AGENT, tags=["agent"])
    async def pause(request: Request, agent_id: str, body: PauseBody) -> dict[str, Any]:
        ctx = agent_in_scope(request, agent_id)
        check_pause_reason(ctx, body.reason, "reason")
        ctx.center.execute(cmd.Pause(agent_id, body.reason))
        return status(ctx, agent_id)

    @route(router, "GET", "/agents/{agent_id}/offer", AGENT, tags=["agent"])
    async def offer(request: Request, agent_id: str) -> dict[str, Any]:
        """The call offered to the agent now, with the caller's customer record (screen pop)."""
        ctx = agent_in_scope(request, agent_id)
        found = offer_of(ctx, agent_id)
        if found is None:
            return {"offer": None}
        call = ctx.calls.get(found.call_id)
        caller_id = call.caller_id if call else (found.callback_number or "")
        return {
            "offer": {
                "reservation_id": found.reservation_id, "call_id": found.call_id, "queue": found.queue,
                "expires_at": found.expires_at, "callback_number": found.callback_number,
                "caller_id": caller_id, "flow": call.flow if call else None,
                "authenticated_customer": call.customer_id if call else None,
                "ringing_on": ctx.center.devices.ringing.get(found.reservation_id),
                "accept_picks_up": found.reservation_id in ctx.center.devices.pick_ups,
            },
            "customer": await customer_of(ctx, caller_id),
        }  # fmt: skip

    @route(router, "POST", "/agents/{agent_id}/offer/accept", AGENT, tags=["agent"])
    async def accept(request: Request, agent_id: str, body: AcceptBody | None = None) -> dict[str, Any]:
        """Take the offered call. An offer ringing on the agent's SIP phone is picked up by the phone
        itself (rung again with auto-answer): the agent is busy once it has (`picking_up_on` says where)."""
        ctx = agent_in_scope(request, agent_id)
        found = the_offer(ctx, agent_id, body.reservation_id if body else None)
        devices = ctx.center.devices
        device = devices.ringing.get(found.reservation_id)
        if device is not None:
            if not devices.pick_up(found.reservation_id):
                raise ApiError(
                    409,
                    "answer_on_phone",
                    f"offer {found.reservation_id} is ringing on {device}: answer it there",
                )
            return {**status(ctx, agent_id), "picking_up_on": device}
        ctx.center.execute(cmd.Answer(found.reservation_id))
        return status(ctx, agent_id)

    @route(router, "POST", "/agents/{agent_id}/offer/reject", AGENT, tags=["agent"])
    async def reject(request: Request, agent_id: str, body: DeclineBody | None = None) -> dict[str, Any]:
        """Turn the offer down: the call goes back to its place in line (a ringing phone stops)."""
        ctx = agent_in_scope(request, agent_id)
        found = the_offer(ctx, agent_id, body.reservation_id if body else None)
        ctx.center.execute(cmd.Decline(found.reservation_id, "declined"))
        return status(ctx, agent_id)

    @route(router, "POST", "/agents/{agent_id}/hangup", AGENT, tags=["agent"])
    async def hangup(request: Request, agent_id: str) -> dict[str, Any]:
        """End the agent's current call (its phone leg too, when the call is on SIP)."""
        ctx = agent_in_scope(request, agent_id)
        call_id = ctx.center.router.agents[agent_id].call_id
        if call_id is None or call_id not in ctx.center.router.connected:
            raise ApiError(409, "no_call", f"agent {agent_id!r} is not on a call")
        if not ctx.center.devices.hang_up(call_id):  # no device carries it: the router's record ends here
            ctx.center.execute(cmd.Hangup(call_id, "agent"))
        return {"call_id": call_id, "hung_up": True}

    @route(router, "POST", "/agents/{agent_id}/wrap-up", AGENT, tags=["agent"])
    async def wrap_up(request: Request, agent_id: str, body: WrapUpBody) -> dict[str, Any]:
        """Disposition, notes, summary and an optional follow-up for the agent's call."""
        ctx = agent_in_scope(request, agent_id)
        call_id, queue = current_call(ctx, agent_id, body.call_id)
        check_disposition(ctx, queue, body.disposition)
        due = body.follow_up.due if body.follow_up else None
        if due is not None and due.tzinfo is None:
            raise bad_field("follow_up.due", f"give a time zone (e.g. {due.isoformat()}Z or +07:00)")
        center = ctx.center
        center.execute(
            cmd.WrapUp(agent_id, call_id, body.disposition, body.resolved, body.notes, False, body.summary)
        )
        last = ctx.last_calls.get(agent_id)
        if last is not None and last.call_id == call_id:
            last.disposition = body.disposition
        follow_up_id = None
        if body.follow_up is not None and due is not None:
            follow_up_id = uuid.uuid4().hex[:12]
            center.publish(
                ev.FollowUpScheduled(
                    center.clock.now(), follow_up_id, agent_id, call_id, due.timestamp(), body.follow_up.note
                )
            )
        if body.ready and center.router.agent_state(agent_id) == "wrap_up":
            center.execute(cmd.Ready(agent_id))
        return {
            "call_id": call_id, "queue": queue, "disposition": body.disposition,
            "follow_up_id": follow_up_id, "agent": status(ctx, agent_id),
        }  # fmt: skip

    @route(router, "GET", "/agents/{agent_id}/follow-ups", AGENT, tags=["agent"])
    async def follow_ups(
        request: Request, agent_id: str, due: bool = Query(False, description="Only those due now.")
    ) -> dict[str, Any]:
        """The agent's open follow-ups, soonest first (from the event log)."""
        ctx = agent_in_scope(request, agent_id)
        center = ctx.center
        if center.store is None:
            raise ApiError(409, "no_store", "follow-ups need the event log")
        await center.settle()  # what was just published is in the log
        items = await asyncio.to_thread(open_follow_ups, center.store, agent_id)
        now = center.clock.now()
        if due:
            items = [i for i in items if i["due_at"] <= now]
        return {"follow_ups": items}

    @route(router, "POST", "/agents/{agent_id}/follow-ups/{follow_up_id}/done", AGENT, tags=["agent"])
    async def follow_up_done(request: Request, agent_id: str, follow_up_id: str) -> dict[str, Any]:
        ctx = agent_in_scope(request, agent_id)
        center = ctx.center
        if center.store is None:
            raise ApiError(409, "no_store", "follow-ups need the event log")
        await center.settle()
        items = await asyncio.to_thread(open_follow_ups, center.store, agent_id)
        if follow_up_id not in {i["follow_up_id"] for i in items}:
            raise ApiError(
                404, "unknown_follow_up", f"agent {agent_id!r} has no open follow-up {follow_up_id!r}"
            )
        center.publish(ev.FollowUpDone(center.clock.now(), follow_up_id, agent_id))
        return {"follow_up_id": follow_up_id, "done": True}

    @route(router, "POST", "/agents/{agent_id}/escalate", AGENT, tags=["agent"])
    async def escalate(request: Request, agent_id: str, body: EscalateBody) -> dict[str, Any]:
        """Ask for help with a call: a supervisor of its queue, or another queue's agents. Supervisors
        see the request on the live stream and in GET /escalations."""
        ctx = agent_in_scope(request, agent_id)
        call_id, queue = current_call(ctx, agent_id, body.call_id)
        if body.to == "supervisor":
            target = "supervisor"
        elif body.to in ctx.center.router.queues:
            target = f"queue:{body.to}"
        else:
            queues = ", ".join(sorted(ctx.center.router.queues))
            raise bad_field("to", f"must be 'supervisor' or a queue (queues: {queues}); got {body.to!r}")
        center = ctx.center
        center.publish(
            ev.EscalationRequested(center.clock.now(), call_id, agent_id, queue, target, body.reason)
        )
        return {"call_id": call_id, "queue": queue, "target": target}


def offer_of(ctx: ApiContext, agent_id: str) -> Any:
    router = ctx.center.router
    for rid in sorted(router.agents[agent_id].reservations):
        try:
            return router.offer(rid)
        except AlurError:
            continue
    return None


def the_offer(ctx: ApiContext, agent_id: str, reservation_id: str | None) -> Any:
    found = offer_of(ctx, agent_id)
    if found is None:
        raise ApiError(409, "no_offer", f"agent {agent_id!r} has no offer now")
    if reservation_id is not None and reservation_id != found.reservation_id:
        raise ApiError(
            409,
            "offer_gone",
            f"offer {reservation_id!r} is no longer {agent_id}'s (now: {found.reservation_id})",
        )
    return found


async def customer_of(ctx: ApiContext, caller_id: str) -> dict[str, Any] | None:
    """The caller's record in the directory (built-in or REST) by phone number; None if unknown."""
    if not caller_id:
        return None
    try:
        return await ctx.center.runner.directory.find_by_phone(caller_id)
    except AlurError:
        return None  # the directory is down: the offer still shows, without the record


def check_disposition(ctx: ApiContext, queue: str, disposition: str) -> None:
    config = ctx.center.project.queues.get(queue)
    if config is None:
        return
    codes = config.dispositions
    if not disposition:
        if config.disposition_required:
            raise bad_field(
                "disposition", f"queue {queue!r} requires a disposition (one of: {', '.join(codes)})"
            )
        return
    if codes and disposition not in codes:
        raise bad_field(
            "disposition",
            f"unknown disposition {disposition!r} for queue {queue!r} (one of: {', '.join(codes)})",
        )


def require_disposition(ctx: ApiContext, agent_id: str) -> None:
    router = ctx.center.router
    if router.agent_state(agent_id) != "wrap_up":
        return
    last = ctx.last_calls.get(agent_id)
    if last is None or last.disposition is not None:
        return
    config = ctx.center.project.queues.get(last.queue)
    if config is not None and config.disposition_required:
        raise ApiError(
            409, "disposition_required",
            f"queue {last.queue!r} requires a disposition for call {last.call_id!r} before the wrap-up ends "
            f"(POST /agents/{agent_id}/wrap-up with one of: {', '.join(config.dispositions)})",
        )  # fmt: skip


def open_follow_ups(store: Any, agent_id: str) -> list[dict[str, Any]]:
    """Fold the agent's follow-up events: scheduled and not done, soonest first (blocking)."""
    kinds = [ev.FollowUpScheduled.KIND, ev.FollowUpDone.KIND]
    open_: dict[str, ev.FollowUpScheduled] = {}
    for _row, envelope in store.envelopes(kinds=kinds, agent_id=agent_id):
        event = envelope.event
        if isinstance(event, ev.FollowUpScheduled):
            open_[event.follow_up_id] = event
        elif isinstance(event, ev.FollowUpDone):
            open_.pop(event.follow_up_id, None)
    items = sorted(open_.values(), key=lambda e: e.due_at)
    return [
        {"follow_up_id": e.follow_up_id, "call_id": e.call_id, "due_at": e.due_at,
         "due": datetime.fromtimestamp(e.due_at, UTC).isoformat(), "note": e.note, "created_at": e.at}
        for e in items
    ]  # fmt: skip
