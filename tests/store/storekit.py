"""Shared pieces of the store tests: one call's events, stamping, waiting for a condition."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alur.core import events as ev
from alur.core.envelope import Envelope

CALL = [
    ev.CallArrived(10.0, "c1", "+6281234", "1000", "main"),
    ev.NodeEntered(10.0, "c1", "main", "welcome", "play"),
    ev.NodeEntered(12.0, "c1", "main", "menu", "menu"),
    ev.MenuOptionChosen(15.0, "c1", "main", "menu", "2"),
    ev.CallQueued(15.0, "c1", "billing", priority=1, skills=(("billing", 2),), language="id"),
    ev.Offered(20.0, "c1", "a1", "billing", "r1", 35.0),
    ev.OfferDeclined(35.0, "c1", "a1", "billing", "no_answer"),
    ev.Offered(36.0, "c1", "a2", "billing", "r2", 51.0),
    ev.Answered(40.0, "c1", "a2", "billing", 25.0),
    ev.TalkEnded(160.0, "c1", "a2", "billing", 120.0),
    ev.CallEnded(160.0, "c1", "caller_hangup", "queue"),
]


def stamped(events: list[ev.Event], server: str = "s1", first: int = 1) -> list[Envelope]:
    return [Envelope(first + i, server, 1000.0 + first + i, e) for i, e in enumerate(events)]


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for `condition` to hold (polling the loop), failing after `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)
