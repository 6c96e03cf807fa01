"""The event bus: stamps, per-subscriber bounded queues, failures isolated."""

from __future__ import annotations

import asyncio
import logging

import pytest

from alur.core.envelope import Envelope
from alur.core.events import CallArrived
from alur.service.bus import EventBus


def arrived(n: int) -> CallArrived:
    return CallArrived(float(n), f"c{n}", "0812", "100", "main")


async def test_events_are_stamped_in_order_and_continue_a_previous_sequence() -> None:
    seen: list[Envelope] = []

    async def record(batch: list[Envelope]) -> None:
        seen.extend(batch)

    bus = EventBus("node-a", last_seq=41, wall=lambda: 1000.0)
    bus.subscribe("record", record)
    async with asyncio.TaskGroup() as group:
        bus.start(group)
        for n in range(3):
            bus.publish(arrived(n))
        await bus.stop()
    assert [(e.seq, e.server, e.stamped_at) for e in seen] == [
        (42, "node-a", 1000.0),
        (43, "node-a", 1000.0),
        (44, "node-a", 1000.0),
    ]
    assert [e.event.call_id for e in seen] == ["c0", "c1", "c2"]  # type: ignore[attr-defined]


async def test_a_failing_subscriber_is_logged_and_isolated(caplog: pytest.LogCaptureFixture) -> None:
    good: list[int] = []
    calls = 0

    async def broken(batch: list[Envelope]) -> None:
        nonlocal calls
        calls += 1
        raise ValueError("boom")

    async def fine(batch: list[Envelope]) -> None:
        good.extend(e.seq for e in batch)

    bus = EventBus("n")
    bad = bus.subscribe("broken", broken, batch=1)
    bus.subscribe("fine", fine)
    with caplog.at_level(logging.ERROR, logger="alur.bus"):
        async with asyncio.TaskGroup() as group:
            bus.start(group)
            for n in range(5):
                bus.publish(arrived(n))
            await bus.stop()
    assert good == [1, 2, 3, 4, 5]
    assert calls == 5 and bad.failures == 5  # it kept receiving after each failure
    assert "subscriber broken failed" in caplog.text and "boom" in caplog.text


async def test_a_full_queue_drops_for_that_subscriber_only_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()
    slow_seen: list[int] = []
    fast_seen: list[int] = []

    async def slow(batch: list[Envelope]) -> None:
        await release.wait()
        slow_seen.extend(e.seq for e in batch)

    async def fast(batch: list[Envelope]) -> None:
        fast_seen.extend(e.seq for e in batch)

    bus = EventBus("n")
    lagging = bus.subscribe("slow", slow, max_queue=3, batch=1)
    bus.subscribe("fast", fast)
    with caplog.at_level(logging.ERROR, logger="alur.bus"):
        async with asyncio.TaskGroup() as group:
            bus.start(group)
            bus.publish(arrived(0))
            while lagging.queue.qsize():  # the slow subscriber has taken the first and is stuck on it
                await asyncio.sleep(0)
            for n in range(1, 10):
                bus.publish(arrived(n))
            release.set()
            await bus.stop()
    assert fast_seen == list(range(1, 11))
    assert slow_seen == [1, 2, 3, 4]  # the one in hand, then what fitted in its queue of 3
    assert lagging.dropped == 6
    assert "subscriber slow is 3 events behind: dropped 1 so far" in caplog.text
