"""Agent routes for chat, SMS and e-mail: the agent's open conversations (offered and held), accept or
decline an offer, send a message, mark read, show typing, close. Live updates come on the ordinary
`/ws` stream (`conversation.*` events carry the holding agent's id; offers are `offer.made`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from alur.api.agents import AGENT, agent_in_scope, check_disposition
from alur.api.auth import STAFF, route
from alur.api.context import ApiContext
from alur.api.errors import ApiError
from alur.service import commands as cmd
from alur.service.conversations import Conversation
from alur.service.history import Identity, digits, history, identity


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=10_000)


class CloseBody(BaseModel):
    """The wrap-up of a conversation, given as it is closed (the queue's disposition list, as calls)."""

    model_config = ConfigDict(extra="forbid")
    disposition: str = ""
    resolved: bool = True
    notes: str = Field("", max_length=10_000)


def offer_for(ctx: ApiContext, agent_id: str, conversation_id: str) -> str | None:
    """The open offer of this conversation to this agent, if any."""
    for res in ctx.center.router.reservations.values():
        if res.agent_id == agent_id and res.call.call_id == conversation_id:
            return res.id
    return None


def view(ctx: ApiContext, agent_id: str, conv: Conversation) -> dict[str, Any]:
    out = conv.view()
    out["offer"] = offer_for(ctx, agent_id, conv.id)
    queue = ctx.center.project.queues.get(conv.queue)
    out["dispositions"] = list(queue.dispositions) if queue is not None else []
    out["disposition_required"] = bool(queue is not None and queue.disposition_required)
    return out


def held(ctx: ApiContext, agent_id: str, conversation_id: str) -> Conversation:
    conv = ctx.center.conversations.get(conversation_id)
    if conv.agent_id != agent_id:
        raise ApiError(
            409, "not_your_conversation", f"conversation {conversation_id!r} is not held by {agent_id!r}"
        )
    return conv


def register(router: APIRouter) -> None:
    register_history(router)
    base = "/agents/{agent_id}/conversations"

    @route(router, "GET", base, AGENT, tags=["conversations"])
    async def listing(request: Request, agent_id: str) -> dict[str, Any]:
        """Conversations offered to or held by the agent, with their recent messages."""
        ctx = agent_in_scope(request, agent_id)
        chats = ctx.center.conversations
        offered = {r.call.call_id for r in ctx.center.router.reservations.values() if r.agent_id == agent_id}
        mine = [c for c in chats.open.values() if c.agent_id == agent_id or c.id in offered]
        agent = ctx.center.router.agent_status(agent_id)
        return {
            "conversations": [view(ctx, agent_id, c) for c in mine],
            "load": [{"channel": ch, "held": n, "capacity": cap} for ch, n, cap in agent.load],
        }

    @route(router, "POST", base + "/{conversation_id}/accept", AGENT, tags=["conversations"])
    async def accept(request: Request, agent_id: str, conversation_id: str) -> dict[str, Any]:
        ctx = agent_in_scope(request, agent_id)
        rid = offer_for(ctx, agent_id, conversation_id)
        if rid is None:
            raise ApiError(404, "no_offer", f"no open offer of {conversation_id!r} to {agent_id!r}")
        ctx.center.execute(cmd.Answer(rid))
        return view(ctx, agent_id, ctx.center.conversations.get(conversation_id))

    @route(router, "POST", base + "/{conversation_id}/decline", AGENT, tags=["conversations"])
    async def decline(request: Request, agent_id: str, conversation_id: str) -> dict[str, Any]:
        ctx = agent_in_scope(request, agent_id)
        rid = offer_for(ctx, agent_id, conversation_id)
        if rid is None:
            raise ApiError(404, "no_offer", f"no open offer of {conversation_id!r} to {agent_id!r}")
        ctx.center.execute(cmd.Decline(rid, "declined"))
        return {"declined": conversation_id}

    @route(router, "POST", base + "/{conversation_id}/messages", AGENT, tags=["conversations"])
    async def send(
        request: Request, agent_id: str, conversation_id: str, body: MessageBody
    ) -> dict[str, Any]:
        ctx = agent_in_scope(request, agent_id)
        held(ctx, agent_id, conversation_id)
        return await ctx.center.conversations.from_agent(conversation_id, agent_id, body.text)

    @route(router, "POST", base + "/{conversation_id}/read", AGENT, tags=["conversations"])
    async def read(request: Request, agent_id: str, conversation_id: str) -> dict[str, Any]:
        ctx = agent_in_scope(request, agent_id)
        held(ctx, agent_id, conversation_id)
        ctx.center.conversations.read(conversation_id, "agent")
        return {"read": conversation_id}

    @route(router, "POST", base + "/{conversation_id}/typing", AGENT, tags=["conversations"])
    async def typing(request: Request, agent_id: str, conversation_id: str) -> dict[str, Any]:
        ctx = agent_in_scope(request, agent_id)
        held(ctx, agent_id, conversation_id)
        ctx.center.conversations.typing(conversation_id, "agent")
        return {"typing": conversation_id}

    @route(router, "POST", base + "/{conversation_id}/close", AGENT, tags=["conversations"])
    async def close(
        request: Request, agent_id: str, conversation_id: str, body: CloseBody | None = None
    ) -> dict[str, Any]:
        """Close the conversation; with a disposition and notes (its wrap-up), logged as
        `agent.disposition` like a call's, in the customer's history and the CRM webhook's record."""
        ctx = agent_in_scope(request, agent_id)
        conv = held(ctx, agent_id, conversation_id)
        wrap = body or CloseBody()
        check_disposition(ctx, conv.queue, wrap.disposition)
        ctx.center.conversations.close(conversation_id, "agent")
        if wrap.disposition or wrap.notes:
            ctx.center.execute(
                cmd.WrapUp(agent_id, conversation_id, wrap.disposition, wrap.resolved, wrap.notes, False, "")
            )
        return {"closed": conversation_id, "disposition": wrap.disposition}


def register_history(router: APIRouter) -> None:
    @route(router, "GET", "/customers/{key}/history", STAFF, tags=["conversations"])
    async def customer_history(request: Request, key: str) -> dict[str, Any]:
        """Every call, chat, SMS and e-mail of a customer (key `phone:...`, `email:...` or `id:...`, the
        directory's id), newest first, each with its agents, handle time and messages."""
        ctx: ApiContext = request.app.state.ctx
        return {"key": key, "items": await read_history(ctx, identity(key, ctx.center.project.customers))}

    @route(router, "GET", "/agents/{agent_id}/tasks/{task_id}/history", AGENT, tags=["conversations"])
    async def task_history(request: Request, agent_id: str, task_id: str) -> dict[str, Any]:
        """The history of the customer of a conversation or call the agent holds now (an agent sees no
        other customer's)."""
        ctx = agent_in_scope(request, agent_id)
        return {"task": task_id, "items": await read_history(ctx, customer_of_task(ctx, agent_id, task_id))}


async def read_history(ctx: ApiContext, who: Identity) -> list[dict[str, Any]]:
    center = ctx.center
    if center.store is None:
        return []
    await center.settle()  # what was just said is in the log
    return await asyncio.to_thread(history, center.store, who, center.project.settings.channels.history_limit)


def customer_of_task(ctx: ApiContext, agent_id: str, task_id: str) -> Identity:
    customers = ctx.center.project.customers
    conv = ctx.center.conversations.open.get(task_id)
    if conv is not None and conv.agent_id == agent_id:
        key = f"id:{conv.customer_id}" if conv.customer_id else f"phone:{conv.phone}" if conv.phone else ""
        who = identity(key or f"email:{conv.email}", customers)
        if conv.email:
            who.emails.add(conv.email.lower())
        if conv.phone:
            who.phones.add(digits(conv.phone))
        return who
    agent = ctx.center.router.agents.get(agent_id)
    call = ctx.calls.get(task_id)
    if agent is not None and agent.call_id == task_id and call is not None:
        key = f"id:{call.customer_id}" if call.customer_id else f"phone:{call.caller_id}"
        return identity(key, customers)
    raise ApiError(404, "no_task", f"agent {agent_id!r} holds no conversation or call {task_id!r} now")
