"""Batched, off-loop writes of the event log for the live server.

`emit(event)` is what the engine's `emit` sink calls: it never blocks the event loop. A background task
drains the buffer and writes each batch in a worker thread. Closing flushes everything, so no event is
lost on a clean shutdown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alur.core.events import Event
from alur.store.event_store import EventStore


class EventWriter:
    def __init__(self, store: EventStore, *, max_batch: int = 500) -> None:
        self._store = store
        self._max_batch = max_batch
        self._buffer: list[Event] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.listeners: list[Callable[[Event], None]] = []
        self.written = 0

    def emit(self, event: Event) -> None:
        self._buffer.append(event)
        for listener in self.listeners:
            listener(event)
        self._wake.set()

    async def __aenter__(self) -> EventWriter:
        self._task = asyncio.create_task(self._drain(), name="event-writer")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def flush(self) -> None:
        """Write what is buffered now (tests and shutdown use it)."""
        while self._buffer:
            batch, self._buffer = self._buffer[: self._max_batch], self._buffer[self._max_batch :]
            self.written += await asyncio.to_thread(self._store.append_many, batch)

    async def _drain(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.flush()
            if self._closing:
                await self.flush()
                return
