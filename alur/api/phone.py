"""The browser phone's signalling: WebSocket `/phone?token=...` (agent tokens only).

While it is open, the agent's desktop page is their phone: offers ring there and the page answers with
WebRTC (the messages are described in `alur.telephony.browser`). Each message is one JSON object with a
`type`. The contact center's `phones` (alur.service.phones) passes them between this socket and the SIP
adapter; when the socket closes, the page has the project's `browser_phone.reconnect_grace` to come back
before its calls end and the agent is paused.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from alur.api.auth import websocket_principal
from alur.api.context import ApiContext
from alur.api.errors import ApiError

AGENT = frozenset({"agent"})
OUTBOX = 200  # messages waiting for a page that reads too slowly; past it the page is closed


def register(router: APIRouter) -> None:
    async def phone(websocket: WebSocket) -> None:
        await phone_socket(websocket)

    phone.roles = AGENT  # type: ignore[attr-defined]
    router.add_api_websocket_route("/phone", phone)


async def phone_socket(websocket: WebSocket) -> None:
    ctx: ApiContext = websocket.app.state.ctx
    await websocket.accept()
    try:
        principal = await websocket_principal(websocket)
    except ApiError as refused:
        await websocket.send_json({"type": "error", "error": refused.code, "message": refused.message})
        await websocket.close(code=4401 if refused.status == 401 else 4403, reason=refused.message[:120])
        return
    if principal.role != "agent" or not principal.agent_id:
        text = f"the browser phone is for agent tokens (this token's role: {principal.role})"
        await websocket.send_json({"type": "error", "error": "forbidden", "message": text})
        await websocket.close(code=4403, reason=text)
        return
    outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(OUTBOX)

    def send(message: dict[str, Any]) -> None:
        try:
            outbox.put_nowait(message)
        except asyncio.QueueFull:
            while not outbox.empty():
                outbox.get_nowait()
            outbox.put_nowait(None)  # too slow: close it; the page reconnects

    phones = ctx.center.phones
    page = phones.attach(principal.agent_id, send)
    writer = asyncio.ensure_future(_write(websocket, outbox))
    try:
        while True:
            message = await websocket.receive_json()
            if isinstance(message, dict):
                phones.deliver(page, message)
    except (WebSocketDisconnect, ValueError):
        pass
    finally:
        phones.detach(page)
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer


async def _write(websocket: WebSocket, outbox: asyncio.Queue[dict[str, Any] | None]) -> None:
    while True:
        message = await outbox.get()
        if message is None:
            await websocket.close(code=1013, reason="too slow")
            return
        await websocket.send_json(message)
