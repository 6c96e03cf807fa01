"""The event bus: every fact of the running contact center goes through `publish`.

The bus stamps each event (sequence number, server id, wall-clock time) and hands the envelope to
each subscriber through that subscriber's own bounded queue, drained by its own task. A slow
subscriber therefore never delays a call, and one that raises is logged and keeps receiving: the
router and the other subscribers never see its failure. A full queue drops that subscriber's
envelope and counts it (a subscriber that far behind is broken; memory must not grow for it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from alur.core.envelope import Envelope
from alur.core.events import Event

log = logging.getLogger("alur.bus")

Handler = Callable[[list[Envelope]], Awaitable[None]]


@dataclass(slots=True)
class Subscription:
    name: str
    handler: Handler
    queue: asyncio.Queue[Envelope]
    batch: int
    delivered: int = 0
    dropped: int = 0
    failures: int = 0
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class EventBus:
    """`publish(event)` from any code on the loop; `subscribe(name, handler)` before `start`."""

    def __init__(self, server_id: str, *, last_seq: int = 0, wall: Callable[[], float] = time.time) -> None:
        self.server_id = server_id
        self.seq = last_seq
        self._wall = wall
        self.subscriptions: list[Subscription] = []

    def subscribe(
        self, name: str, handler: Handler, *, max_queue: int = 100_000, batch: int = 500
    ) -> Subscription:
        sub = Subscription(name, handler, asyncio.Queue(max_queue), batch)
        self.subscriptions.append(sub)
        if self._group is not None:
            sub.task = self._group.create_task(self._pump(sub), name=f"bus:{name}")
        return sub

    _group: asyncio.TaskGroup | None = None

    def start(self, group: asyncio.TaskGroup) -> None:
        """Run one draining task per subscriber in the owner's task group."""
        self._group = group
        for sub in self.subscriptions:
            if sub.task is None:
                sub.task = group.create_task(self._pump(sub), name=f"bus:{sub.name}")

    def publish(self, event: Event) -> Envelope:
        """Stamp the event and queue it for every subscriber; never blocks, never raises."""
        self.seq += 1
        envelope = Envelope(self.seq, self.server_id, self._wall(), event)
        for sub in self.subscriptions:
            try:
                sub.queue.put_nowait(envelope)
            except asyncio.QueueFull:
                sub.dropped += 1
                if sub.dropped == 1 or sub.dropped % 1000 == 0:
                    log.error(
                        "subscriber %s is %d events behind: dropped %d so far",
                        sub.name,
                        sub.queue.qsize(),
                        sub.dropped,
                    )
        return envelope

    async def drain(self) -> None:
        """Wait until every subscriber has handled everything published so far."""
        for sub in self.subscriptions:
            if sub.task is not None and not sub.task.done():
                await sub.queue.join()

    async def stop(self) -> None:
        """Deliver what is queued, then end the subscribers' tasks."""
        await self.drain()
        for sub in self.subscriptions:
            if sub.task is not None:
                sub.task.cancel()
        for sub in self.subscriptions:
            if sub.task is not None:
                try:
                    await sub.task
                except asyncio.CancelledError:
                    pass
                sub.task = None
        self._group = None

    async def _pump(self, sub: Subscription) -> None:
        queue = sub.queue
        while True:
            batch = [await queue.get()]
            while len(batch) < sub.batch and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                await sub.handler(batch)
                sub.delivered += len(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                sub.failures += 1
                log.exception("subscriber %s failed on %d event(s); it keeps receiving", sub.name, len(batch))
            finally:
                for _ in batch:
                    queue.task_done()
