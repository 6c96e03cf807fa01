"""Supervisor routes: live queues and agents, why a call went where it did, changing an agent's state,
moving a waiting call or changing its priority, and the escalations agents asked for."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from alur.api.agents import agent_in_scope, check_pause_reason, ctx_of, require_disposition, status
from alur.api.auth import STAFF, acts_for_agent, check_queue, principal_of, route, sees_queue
from alur.api.channel_view import channel_summary, queue_fields
from alur.api.context import ApiContext
from alur.api.errors import ApiError
from alur.core import events as ev
from alur.service import commands as cmd


class StateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: Literal["available", "paused", "offline"]
    reason: str = Field("", description="The pause reason (state 'paused').")


class MoveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: str


class PriorityBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    priority: int = Field(ge=-1000, le=1000)


def queue_view(ctx: ApiContext, name: str) -> dict[str, Any]:
    router, center = ctx.center.router, ctx.center
    now = center.clock.now()
    waiting = []
    for position, call_id in enumerate(router.waiting(name), start=1):
        call = router.calls[call_id]
        caller = ctx.calls.get(call_id)
        offered = [router.offer(r).agent_id for r in call.reservations if r in router.reservations]
        waiting.append({
            "call_id": call_id, "position": position, "wait": now - call.first_at, "priority": call.priority,
            "offered_to": offered, "callback_number": call.callback_number,
            "caller_id": caller.caller_id if caller else None,
        })  # fmt: skip
    stats = router.queue_stats(name)
    today = center.kpis.queues.get(name)
    agents = [a for a in router.agents.values() if name in a.memberships]
    states: dict[str, int] = {}
    for agent in agents:
        states[agent.shown_state] = states.get(agent.shown_state, 0) + 1
    sl = today.service_level if today and today.offered else None
    return {
        "queue": name,
        "waiting": waiting,
        "waiting_count": len(waiting),
        "longest_wait": max((w["wait"] for w in waiting), default=0.0),
        "agents": states,
        "staffed": stats.staffed,
        "available": stats.available,
        "wallboard": center.router.queues[name].config.wallboard.model_dump(),
        **queue_fields(ctx, name, waiting),
        "today": {
            "offered": today.offered if today else 0,
            "answered": today.answered if today else 0,
            "abandoned": today.abandoned if today else 0,
            "service_level": sl,
            "abandonment_rate": today.abandonment_rate if today else 0.0,
            "asa": today.asa if today else 0.0,
            "aht": today.aht if today else 0.0,
        },
    }


def call_queue(ctx: ApiContext, call_id: str) -> str:
    router = ctx.center.router
    if call_id in router.calls:
        return router.calls[call_id].queue
    if call_id in router.connected:
        return router.connected[call_id][1]
    entries = router.explanations.get(call_id)
    if entries:
        return entries[-1].queue
    raise ApiError(404, "unknown_call", f"call {call_id!r} is not waiting, connected or recently routed")


def register(router: APIRouter) -> None:
    @route(router, "GET", "/queues", STAFF, tags=["supervisor"])
    async def queues(request: Request) -> dict[str, Any]:
        """Every queue the token sees: waiting calls and conversations with wait times, longest wait,
        agents by state, service level and abandonment today; per chat/SMS/e-mail channel the
        conversations waiting, held and past their response target."""
        ctx, who = ctx_of(request), principal_of(request)
        names = [q for q in ctx.center.router.queues if sees_queue(who, q)]
        views = [queue_view(ctx, q) for q in names]
        return {"queues": views, "channels": channel_summary(views)}

    @route(router, "GET", "/queues/{queue}", STAFF, tags=["supervisor"])
    async def one_queue(request: Request, queue: str) -> dict[str, Any]:
        ctx = ctx_of(request)
        if queue not in ctx.center.router.queues:
            raise ApiError(
                404, "unknown_queue", f"unknown queue {queue!r} (queues: {sorted(ctx.center.router.queues)})"
            )
        check_queue(principal_of(request), queue)
        return queue_view(ctx, queue)

    @route(router, "GET", "/agents", STAFF, tags=["supervisor"])
    async def agents(request: Request) -> dict[str, Any]:
        """Agents of the token's queues: state and time in state, current call, chat/SMS/e-mail load
        against capacity, occupancy today (calls and conversations)."""
        ctx, who = ctx_of(request), principal_of(request)
        ids = [a for a in ctx.center.router.agents if acts_for_agent(who, a, ctx.agent_queues(a))]
        return {"agents": [status(ctx, a) for a in ids]}

    @route(router, "PUT", "/agents/{agent_id}/state", STAFF, tags=["supervisor"])
    async def set_state(request: Request, agent_id: str, body: StateBody) -> dict[str, Any]:
        """Put an agent in a state: available (ready), paused (with a reason) or offline."""
        ctx = agent_in_scope(request, agent_id)
        center, current = ctx.center, ctx.center.router.agent_state(agent_id)
        if body.state == "paused":
            check_pause_reason(ctx, body.reason, "reason")
            if current == "offline":
                center.execute(cmd.Login(agent_id, body.reason or "break"))
            else:
                center.execute(cmd.Pause(agent_id, body.reason or "break"))
        elif body.state == "offline":
            center.execute(cmd.Logout(agent_id))
        else:
            require_disposition(ctx, agent_id)
            center.execute(cmd.Ready(agent_id))
        return status(ctx, agent_id)

    @route(router, "GET", "/calls/{call_id}/explain", STAFF, tags=["supervisor"])
    async def explain(request: Request, call_id: str) -> dict[str, Any]:
        """Why the call went to an agent, or why it still waits: candidates, scores, rules, steps."""
        ctx = ctx_of(request)
        check_queue(principal_of(request), call_queue(ctx, call_id))
        return {"call_id": call_id, "explanations": [e.as_dict() for e in ctx.center.router.explain(call_id)]}

    @route(router, "POST", "/calls/{call_id}/move", STAFF, tags=["supervisor"])
    async def move(request: Request, call_id: str, body: MoveBody) -> dict[str, Any]:
        """Move a waiting call to another queue; it keeps its arrival time (not sent to the back)."""
        ctx, who = ctx_of(request), principal_of(request)
        if call_id not in ctx.center.router.calls:
            raise ApiError(404, "unknown_call", f"call {call_id!r} is not waiting in any queue")
        check_queue(who, call_queue(ctx, call_id))
        if body.queue not in ctx.center.router.queues:
            known = ", ".join(sorted(ctx.center.router.queues))
            message = f"queue: unknown queue {body.queue!r} (queues: {known})"
            raise ApiError(422, "invalid_request", message, field="queue")
        check_queue(who, body.queue)
        ctx.center.execute(cmd.MoveCall(call_id, body.queue, by=who.name))
        return queue_view(ctx, body.queue)

    @route(router, "POST", "/calls/{call_id}/priority", STAFF, tags=["supervisor"])
    async def priority(request: Request, call_id: str, body: PriorityBody) -> dict[str, Any]:
        """Set a waiting call's priority: higher is served first."""
        ctx, who = ctx_of(request), principal_of(request)
        if call_id not in ctx.center.router.calls:
            raise ApiError(404, "unknown_call", f"call {call_id!r} is not waiting in any queue")
        queue = call_queue(ctx, call_id)
        check_queue(who, queue)
        ctx.center.execute(cmd.SetPriority(call_id, body.priority, by=who.name))
        return queue_view(ctx, queue)

    @route(router, "GET", "/escalations", STAFF, tags=["supervisor"])
    async def escalations(request: Request, limit: int = Query(50, ge=1, le=1000)) -> dict[str, Any]:
        """The latest escalation requests from agents, for the token's queues, newest first."""
        ctx, who = ctx_of(request), principal_of(request)
        store = ctx.center.store
        if store is None:
            raise ApiError(409, "no_store", "escalations are read from the event log")
        await ctx.center.settle()

        def read() -> list[dict[str, Any]]:
            found = []
            for _row, envelope in store.envelopes(kinds=[ev.EscalationRequested.KIND]):
                e = envelope.event
                target = e.target.removeprefix("queue:")
                if isinstance(e, ev.EscalationRequested) and (
                    sees_queue(who, e.queue) or sees_queue(who, target)
                ):
                    found.append({"at": e.at, "call_id": e.call_id, "agent_id": e.agent_id, "queue": e.queue,
                                  "target": e.target, "reason": e.reason})  # fmt: skip
            return found[::-1][:limit]

        return {"escalations": await asyncio.to_thread(read)}
