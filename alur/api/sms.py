"""SMS and messaging apps through HTTP gateways: the inbound webhook `/public/sms/<gateway>` (its
signature checked before anything else) and replies sent through the gateway a conversation came by.

An SMS conversation is one task from the first message until an agent closes it; a message after that
opens a new one, linked to the last (`previous`), and the customer's history shows both.
"""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from alur.api.context import ApiContext
from alur.api.errors import body as error_body
from alur.integrations import sms
from alur.service.center import ContactCenter
from alur.service.conversations import Conversation

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def install_sender(center: ContactCenter) -> None:
    settings = center.project.settings.channels.sms
    if settings is None:
        return
    gateways = {g.name: g for g in settings.gateways}

    async def send(conv: Conversation, text: str, extra: dict[str, object]) -> dict[str, object]:
        gateway = gateways.get(conv.source) or settings.gateways[0]
        async with httpx.AsyncClient(timeout=10) as client:
            return await sms.send(client, gateway, conv.phone, text)

    async def notify(to: str, text: str) -> dict[str, object]:
        async with httpx.AsyncClient(timeout=10) as client:
            return await sms.send(client, settings.gateways[0], to, text)

    center.conversations.senders["sms"] = send
    center.conversations.notifiers["sms"] = notify


def build_sms_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.post("/public/sms/{gateway}")
    async def inbound(request: Request, gateway: str) -> Response:
        """A gateway's webhook: one message from a customer's phone."""
        ctx: ApiContext = request.app.state.ctx
        settings = ctx.center.project.settings.channels.sms
        found = next((g for g in settings.gateways if g.name == gateway), None) if settings else None
        if settings is None or found is None:
            return JSONResponse(error_body("unknown_gateway", f"no SMS gateway {gateway!r}"), 404)
        try:
            message = sms.parse_inbound(found, str(request.url), request.headers, await request.body())
        except sms.BadWebhook as bad:
            return JSONResponse(error_body(bad.code, bad.message), 403)
        conv = ctx.center.conversations.inbound(
            "sms", message.sender, message.text, queue=settings.queue, source=found.name,
            extra={"gateway_id": message.message_id} if message.message_id else None, phone=message.sender,
        )  # fmt: skip
        if found.format == "twilio":
            return Response(EMPTY_TWIML, media_type="text/xml")
        return JSONResponse({"conversation_id": conv.id})

    return router
