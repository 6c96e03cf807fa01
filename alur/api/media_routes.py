"""Media routes: a supervisor listens to, whispers to or barges into an agent's call from their own
phone (Alur rings it), changes mode while on, and leaves; an agent pauses the call's recording while a
card number is read; a supervisor fetches a call's recording.

The same things a supervisor can do by dialling a feature code (*51/*52/*53 + the agent's extension)
and an agent by dialling the queue's pause code.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from alur.api.agents import AGENT, agent_in_scope, ctx_of
from alur.api.auth import STAFF, check_queue, principal_of, route
from alur.api.errors import ApiError
from alur.api.transfers import connected_call
from alur.core import events as ev
from alur.service import commands as cmd


class SuperviseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["monitor", "whisper", "barge"] = Field(
        description="monitor: listen; whisper: talk to the agent only; barge: talk to both."
    )
    phone: str = Field(
        "",
        description="Where to ring the supervisor: an extension, a SIP URI or a number "
        "(default: the phone registered under the supervisor's user name).",
    )


def register(router: APIRouter) -> None:
    @route(router, "POST", "/agents/{agent_id}/supervise", STAFF, tags=["supervisor"])
    async def supervise(request: Request, agent_id: str, body: SuperviseBody) -> dict[str, Any]:
        """Ring the supervisor's phone and join the agent's call in `mode` when it answers; when the
        supervisor is already on the call, change to `mode` at once."""
        ctx = agent_in_scope(request, agent_id)
        call_id = connected_call(ctx, agent_id)
        who = principal_of(request)
        check_queue(who, ctx.center.router.connected[call_id][1])
        phone = body.phone.strip() or who.name
        ctx.center.execute(cmd.Supervise(agent_id, body.mode, phone, who.name))
        return {"call_id": call_id, "agent_id": agent_id, "mode": body.mode, "phone": phone}

    @route(router, "DELETE", "/agents/{agent_id}/supervise", STAFF, tags=["supervisor"])
    async def leave(request: Request, agent_id: str) -> dict[str, Any]:
        """Leave the agent's call (the supervisor's phone is hung up, or stops ringing)."""
        ctx = agent_in_scope(request, agent_id)
        ctx.center.execute(cmd.EndSupervision(agent_id))
        return {"agent_id": agent_id, "supervised": False}

    @route(router, "POST", "/agents/{agent_id}/recording/{action}", AGENT, tags=["agent"])
    async def pause_recording(
        request: Request, agent_id: str, action: Literal["pause", "resume"]
    ) -> dict[str, Any]:
        """Pause the recording of the agent's call (the caller reads a card number), or resume it."""
        ctx = agent_in_scope(request, agent_id)
        call_id = connected_call(ctx, agent_id)
        paused = action == "pause"
        ctx.center.execute(cmd.PauseRecording(call_id, paused, by=principal_of(request).name))
        return {"call_id": call_id, "recording_paused": paused}

    @route(router, "GET", "/calls/{call_id}/recording", STAFF, tags=["supervisor"])
    async def recording(request: Request, call_id: str) -> FileResponse:
        """The call's recording as a WAV file (stereo: caller left, agent right; or mixed)."""
        ctx = ctx_of(request)
        store = ctx.center.store
        if store is None:
            raise ApiError(409, "no_store", "recordings are found through the event log")
        await ctx.center.settle()
        saved = await asyncio.to_thread(
            lambda: [e for e in store.events(call_id=call_id) if isinstance(e, ev.RecordingSaved)]
        )
        if not saved:
            raise ApiError(404, "no_recording", f"call {call_id!r} has no recording")
        check_queue(principal_of(request), saved[-1].queue)
        path = Path(saved[-1].path)
        if not path.is_file():
            raise ApiError(
                410, "recording_gone", f"the recording of call {call_id!r} was deleted (retention)"
            )
        return FileResponse(path, media_type="audio/wav", filename=f"{call_id.split('@')[0]}.wav")
