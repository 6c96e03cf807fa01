"""Live counts per node of a flow, for its diagram in the flow designer: callers at each node now,
calls that entered each node today, and where today's callers hung up (read from the event log)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request

from alur.api.agents import ctx_of
from alur.api.auth import ADMIN, route
from alur.api.errors import ApiError
from alur.core import events as ev


def node_activity(events: Any, flow: str) -> dict[str, dict[str, int]]:
    """Fold one day's events: per node of `flow`, `now` (calls there and not ended), `today` (entries)
    and `hangups` (callers who hung up there)."""
    where: dict[str, tuple[str, str]] = {}  # open call -> (flow, node) it is at
    nodes: dict[str, dict[str, int]] = {}

    def count(node: str, key: str) -> None:
        nodes.setdefault(node, {"now": 0, "today": 0, "hangups": 0})[key] += 1

    for event in events:
        if isinstance(event, ev.NodeEntered):
            where[event.call_id] = (event.flow, event.node)
            if event.flow == flow:
                count(event.node, "today")
        elif isinstance(event, ev.CallEnded):
            at = where.pop(event.call_id, None)
            if at is not None and at[0] == flow and event.how == "caller_hangup":
                count(event.node or at[1], "hangups")
    for at_flow, node in where.values():
        if at_flow == flow:
            count(node, "now")
    return nodes


def register(router: APIRouter) -> None:
    @route(router, "GET", "/flows/{flow}/activity", ADMIN, tags=["admin"])
    async def activity(request: Request, flow: str) -> dict[str, Any]:
        """Per node of the flow: calls there now, calls that entered it today, callers who hung up
        there today (from the event log, since midnight in the project's time zone)."""
        center = ctx_of(request).center
        if flow not in center.project.flows:
            raise ApiError(
                404, "unknown_flow", f"unknown flow {flow!r} (flows: {sorted(center.project.flows)})"
            )
        if center.store is None:
            raise ApiError(409, "no_store", "node counts are read from the event log")
        midnight = datetime.now(center.zone).replace(hour=0, minute=0, second=0, microsecond=0)
        await center.settle()
        store = center.store

        def fold() -> dict[str, dict[str, int]]:
            return node_activity(store.events(since=midnight.timestamp()), flow)

        return {"flow": flow, "since": midnight.isoformat(), "nodes": await asyncio.to_thread(fold)}
