"""Webhook dead letters: the deliveries that failed every retry, listed and replayed by supervisors
(those of their queues) and admins (all). A replayed delivery is posted again at once, its attempts
counted from zero; the CRM can tell a repeat by its `X-Alur-Delivery` id."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Query, Request

from alur.api.agents import ctx_of
from alur.api.auth import STAFF, Principal, principal_of, route, sees_queue
from alur.api.context import ApiContext
from alur.api.errors import ApiError
from alur.store.deliveries import DEAD, Delivery


def scope(principal: Principal) -> tuple[str, ...] | None:
    """The queues whose dead letters this token sees (None: all, including those of no queue)."""
    if principal.role == "admin" or "*" in principal.queues:
        return None
    return principal.queues


def register(router: APIRouter) -> None:
    @route(router, "GET", "/webhooks/dead", STAFF, tags=["webhooks"])
    async def dead_letters(
        request: Request, limit: int = Query(100, ge=1, le=1000, description="At most this many.")
    ) -> dict[str, Any]:
        """Deliveries that failed every retry (or were refused), oldest first."""
        ctx = ctx_of(request)
        mine = scope(principal_of(request))
        found = await asyncio.to_thread(deliveries(ctx).in_status, DEAD, queues=mine, limit=limit)
        return {"dead": [d.as_dict() for d in found]}

    @route(router, "POST", "/webhooks/dead/replay", STAFF, tags=["webhooks"])
    async def replay_all(request: Request) -> dict[str, Any]:
        """Post every dead letter in this token's scope again."""
        ctx = ctx_of(request)
        store = deliveries(ctx)
        mine = scope(principal_of(request))
        found = await asyncio.to_thread(store.in_status, DEAD, queues=mine, limit=10_000)
        return {"replayed": await replay(ctx, found)}

    @route(router, "POST", "/webhooks/dead/{delivery_id}/replay", STAFF, tags=["webhooks"])
    async def replay_one(request: Request, delivery_id: str) -> dict[str, Any]:
        """Post one dead letter again."""
        ctx = ctx_of(request)
        found = await asyncio.to_thread(deliveries(ctx).get, delivery_id)
        principal = principal_of(request)
        if found is None or (scope(principal) is not None and not sees_queue(principal, found.queue or "")):
            text = f"no webhook delivery {delivery_id!r} in this token's scope"
            raise ApiError(404, "unknown_delivery", text)
        if found.status != DEAD:
            raise ApiError(409, "not_dead", f"delivery {delivery_id!r} is {found.status}, not a dead letter")
        return {"replayed": await replay(ctx, [found])}


def deliveries(ctx: ApiContext) -> Any:
    if ctx.deliveries is None:
        raise ApiError(409, "no_store", "webhook deliveries need the event log")
    return ctx.deliveries


async def replay(ctx: ApiContext, dead: list[Delivery]) -> list[str]:
    """Back in line, due now; the webhook's poster is woken (when this server runs it)."""
    now = ctx.center.clock.now()
    replayed = await asyncio.to_thread(deliveries(ctx).replay, [d.delivery_id for d in dead], now)
    if ctx.webhooks is not None:
        ctx.webhooks.wake(d.url for d in replayed)
    return [d.delivery_id for d in replayed]
