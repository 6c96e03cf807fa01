"""Public endpoints for customers: the web chat widget (start a chat, its WebSocket).

No API token here: a visitor proves a chat is theirs with the conversation's own secret (returned
when it starts, kept by the widget in localStorage on the business's site, sent in the WebSocket URL),
so no cookie of this server is needed on another site. Cross-origin use is allowed for the origins
listed in alur.yaml `channels.chat.origins` ("*" for any): CORS headers on the HTTP call, and the
WebSocket's `Origin` is checked too. These routes are not in `build_router` (they carry no role).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alur.api.context import ApiContext
from alur.api.errors import body as error_body
from alur.config.channels import ChatSettings
from alur.core.errors import AlurError


class StartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field("", max_length=200)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=200)
    page: str = Field("", max_length=2000)  # the page the visitor was on
    text: str = Field("", max_length=10_000)  # a first message, if the widget asked for one


def chat_settings(ctx: ApiContext) -> ChatSettings | None:
    return ctx.center.project.settings.channels.chat


def allowed(chat: ChatSettings, origin: str | None) -> str | None:
    """The value of Access-Control-Allow-Origin for this origin, or None when it is not allowed."""
    if "*" in chat.origins:
        return origin or "*"
    return origin if origin in chat.origins else None


def cors(origin: str | None) -> dict[str, str]:
    if origin is None:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


def refuse(status: int, code: str, message: str, origin: str | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status, headers=cors(origin))


def build_public_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.options("/public/chat/start")
    async def preflight(request: Request) -> Response:
        chat = chat_settings(request.app.state.ctx)
        origin = allowed(chat, request.headers.get("origin")) if chat else None
        return Response(status_code=204 if origin else 403, headers=cors(origin))

    @router.post("/public/chat/start")
    async def start(request: Request) -> Response:
        """Open a chat: `{name, phone, email, page, text}` (all optional) -> `{conversation_id, token}`."""
        ctx: ApiContext = request.app.state.ctx
        chat = chat_settings(ctx)
        if chat is None:
            return refuse(404, "chat_disabled", "web chat is not enabled (alur.yaml channels.chat)")
        origin = allowed(chat, request.headers.get("origin"))
        if origin is None:
            return refuse(
                403, "origin_refused", f"origin {request.headers.get('origin')!r} may not open chats"
            )
        try:
            raw = await request.body()
            data = StartBody.model_validate(json.loads(raw) if raw.strip() else {})
        except (ValueError, ValidationError) as bad:
            return refuse(422, "invalid_request", f"chat start: {str(bad).splitlines()[0]}", origin)
        chats = ctx.center.conversations
        conv = chats.start("chat", name=data.name, phone=data.phone, email=data.email, source=data.page)
        if data.text:
            chats.from_customer(conv.id, data.text)
        if chat.flow:
            chats.run_flow(conv, chat.flow)
        elif chat.queue:
            chats.route(conv, chat.queue)
        payload = {"conversation_id": conv.id, "token": conv.token, "websocket": "/public/chat/ws"}
        return JSONResponse(payload, headers=cors(origin))

    @router.websocket("/public/chat/ws")
    async def socket(websocket: WebSocket) -> None:
        """`?conversation=ID&token=SECRET`: the chat's messages both ways, typing and read marks."""
        ctx: ApiContext = websocket.app.state.ctx
        chat = chat_settings(ctx)
        await websocket.accept()
        if chat is None or allowed(chat, websocket.headers.get("origin")) is None:
            await websocket.close(code=4403, reason="origin refused or chat disabled")
            return
        conv = ctx.center.conversations.open.get(websocket.query_params.get("conversation", ""))
        token = websocket.query_params.get("token", "")
        if conv is None or not conv.admits(token):
            await websocket.send_json({"type": "closed", "by": "unknown"})
            await websocket.close(code=4404, reason="no such open chat")
            return
        await visitor_session(ctx, websocket, conv)

    return router


async def visitor_session(ctx: ApiContext, websocket: WebSocket, conv: Any) -> None:
    chats = ctx.center.conversations
    updates = chats.watch(conv)
    await websocket.send_json({"type": "hello", **{k: v for k, v in conv.view().items() if k != "email"}})

    async def outgoing() -> None:
        while True:
            item = await updates.get()
            await websocket.send_json(item)
            if item["type"] == "closed":
                return

    async def incoming() -> None:
        while True:
            data = await websocket.receive_json()
            kind, text = data.get("type"), str(data.get("text", ""))[:10_000]
            try:
                if kind == "message" and text.strip():
                    chats.from_customer(conv.id, text)
                elif kind == "typing":
                    chats.typing(conv.id, "customer")
                elif kind == "read":
                    chats.read(conv.id, "customer")
                elif kind == "close":
                    chats.close(conv.id, "customer")
            except AlurError as gone:
                await websocket.send_json({"type": "error", "message": gone.message})

    tasks = [asyncio.create_task(outgoing()), asyncio.create_task(incoming())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:  # a browser that went away ends both halves; nothing else is to be done
            with contextlib.suppress(BaseException):
                await task
        chats.unwatch(conv, updates)
        with contextlib.suppress(Exception):  # already closed by the browser
            await websocket.close()
