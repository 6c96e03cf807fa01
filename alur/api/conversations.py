"""Agent routes for chat, SMS and e-mail: the agent's open conversations (offered and held), accept or
decline an offer, send a message, mark read, show typing, close. Live updates come on the ordinary
`/ws` stream (`conversation.*` events carry the holding agent's id; offers are `offer.made`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from alur.api.agents import AGENT, agent_in_scope
from alur.api.auth import route
from alur.api.context import ApiContext
from alur.api.errors import ApiError
from alur.service import commands as cmd
from alur.service.conversations import Conversation


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=10_000)


def offer_for(ctx: ApiContext, agent_id: str, conversation_id: str) -> str | None:
    """The open offer of this conversation to this agent, if any."""
    for res in ctx.center.router.reservations.values():
        if res.agent_id == agent_id and res.call.call_id == conversation_id:
            return res.id
    return None


def view(ctx: ApiContext, agent_id: str, conv: Conversation) -> dict[str, Any]:
    out = conv.view()
    out["offer"] = offer_for(ctx, agent_id, conv.id)
    return out


def held(ctx: ApiContext, agent_id: str, conversation_id: str) -> Conversation:
    conv = ctx.center.conversations.get(conversation_id)
    if conv.agent_id != agent_id:
        raise ApiError(
            409, "not_your_conversation", f"conversation {conversation_id!r} is not held by {agent_id!r}"
        )
    return conv


def register(router: APIRouter) -> None:
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
    async def close(request: Request, agent_id: str, conversation_id: str) -> dict[str, Any]:
        ctx = agent_in_scope(request, agent_id)
        held(ctx, agent_id, conversation_id)
        ctx.center.conversations.close(conversation_id, "agent")
        return {"closed": conversation_id}
