"""Hold and transfer routes: an agent puts its caller on hold with music, or hands its call on, blind
(to an agent, a number or back to a queue) or after a consultation (warm: the caller holds with music
while the agent talks to the destination, then completes, cancels or joins all three).

The same requests an agent can make with its phone's feature codes (*7 ... *0) or a SIP REFER.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from alur.api.agents import AGENT, agent_in_scope
from alur.api.auth import route
from alur.api.context import ApiContext
from alur.api.errors import ApiError, bad_field
from alur.service import commands as cmd

NUMBER = re.compile(r"^\+?[0-9]{2,20}$")
STEPS = ("complete", "cancel", "conference")


class TransferBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(description="An agent id, a queue name or a phone number (as `kind` says).")
    kind: Literal["agent", "queue", "number"] = "agent"
    mode: Literal["blind", "consult"] = Field(
        "blind", description="blind: hand the caller on now; consult: talk to the destination first."
    )


def connected_call(ctx: ApiContext, agent_id: str) -> str:
    """The call the agent is talking on; 409 when there is none."""
    call_id = ctx.center.router.agents[agent_id].call_id
    if call_id is None or call_id not in ctx.center.router.connected:
        raise ApiError(409, "no_call", f"agent {agent_id!r} is not on a call")
    return call_id


def check_destination(ctx: ApiContext, agent_id: str, body: TransferBody) -> None:
    """The destination exists and suits the mode; names the field at fault otherwise."""
    project = ctx.center.project
    if body.kind == "agent":
        if body.to not in project.agents:
            raise bad_field("to", f"unknown agent {body.to!r} (agents: {', '.join(sorted(project.agents))})")
        if body.to == agent_id:
            raise bad_field("to", f"agent {agent_id!r} cannot transfer a call to itself")
    elif body.kind == "queue":
        if body.to not in project.queues:
            raise bad_field("to", f"unknown queue {body.to!r} (queues: {', '.join(sorted(project.queues))})")
        if body.mode == "consult":
            raise bad_field("mode", "a consultation rings a person: choose an agent or a number, or blind")
    elif not NUMBER.match(body.to):
        raise bad_field("to", f"a phone number is digits with an optional leading + (got {body.to!r})")


def register(router: APIRouter) -> None:
    @route(router, "POST", "/agents/{agent_id}/transfer", AGENT, tags=["agent"])
    async def transfer(request: Request, agent_id: str, body: TransferBody) -> dict[str, Any]:
        """Transfer the agent's call: blind (the agent's part ends now) or consult first (the caller
        hears music until the agent completes, cancels or joins all three)."""
        ctx = agent_in_scope(request, agent_id)
        call_id = connected_call(ctx, agent_id)
        check_destination(ctx, agent_id, body)
        if body.mode == "blind":
            ctx.center.execute(cmd.Transfer(call_id, body.to, body.kind))
        else:
            prefix = "agent:" if body.kind == "agent" else "tel:"
            ctx.center.execute(cmd.Consult(call_id, prefix + body.to))
        return {"call_id": call_id, "to": body.to, "kind": body.kind, "mode": body.mode}

    @route(router, "POST", "/agents/{agent_id}/hold", AGENT, tags=["agent"])
    async def hold(request: Request, agent_id: str) -> dict[str, Any]:
        """Put the caller on hold: they hear music, the agent hears nothing, until resume."""
        ctx = agent_in_scope(request, agent_id)
        call_id = connected_call(ctx, agent_id)
        ctx.center.execute(cmd.Hold(call_id))
        return {"call_id": call_id, "held": True}

    @route(router, "POST", "/agents/{agent_id}/resume", AGENT, tags=["agent"])
    async def resume(request: Request, agent_id: str) -> dict[str, Any]:
        """Take the caller back from hold."""
        ctx = agent_in_scope(request, agent_id)
        call_id = connected_call(ctx, agent_id)
        ctx.center.execute(cmd.Hold(call_id, resume=True))
        return {"call_id": call_id, "held": False}

    @route(router, "POST", "/agents/{agent_id}/transfer/{step}", AGENT, tags=["agent"])
    async def consultation_step(request: Request, agent_id: str, step: str) -> dict[str, Any]:
        """The consultation's next step: `complete` (the caller goes to the destination), `cancel`
        (back to the caller) or `conference` (all three talk)."""
        ctx = agent_in_scope(request, agent_id)
        if step not in STEPS:
            raise ApiError(404, "not_found", f"unknown transfer step {step!r} (steps: {', '.join(STEPS)})")
        call_id = connected_call(ctx, agent_id)
        ctx.center.execute(cmd.ConsultStep(call_id, step))
        return {"call_id": call_id, "step": step}
