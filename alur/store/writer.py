"""Writing the event log off the event loop, and never giving up on it.

`StoreWriter` is the event bus's store subscriber: the bus hands it batches of stamped events and it
writes each batch in a worker thread. A write that fails (database down, disk full, a lock) is logged
on one line and tried again after a pause that doubles up to a cap, until it succeeds or the task is
cancelled: the log may fall behind, but it never stops silently and never loses a batch it was given.

`EventWriter` is the older buffer the SIP server emits into (`emit(event)`); it keeps the same promise.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from alur.core.envelope import Envelope
from alur.core.events import Event
from alur.store.event_store import EventStore

log = logging.getLogger("alur.store")

FIRST_RETRY = 0.05  # seconds before the first retry of a failed write
MAX_RETRY = 5.0  # the pause between retries doubles up to this


class StoreWriter:
    """A bus subscriber that writes each batch it is handed; counters tell how it is doing."""

    def __init__(
        self, store: EventStore, *, first_retry: float = FIRST_RETRY, max_retry: float = MAX_RETRY
    ) -> None:
        self._store = store
        self._first_retry, self._max_retry = first_retry, max_retry
        self.written = 0  # events stored
        self.failed_attempts = 0  # writes that raised (each retry counts)
        self.last_error: str | None = None  # the latest failure, "ExceptionType: message"
        self.stored_seq = 0  # the highest bus sequence number stored so far
        self._progress = asyncio.Condition()

    async def stored(self, seq: int) -> None:
        """Wait until the events up to bus sequence `seq` are in the log (readers of the log that
        must see what was just published, e.g. the webhooks' call records)."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.stored_seq >= seq)

    async def handle(self, batch: Sequence[Envelope | Event]) -> None:
        """Store `batch`, retrying until it is stored; raises only CancelledError."""
        items = list(batch)
        delay = self._first_retry
        while True:
            try:
                self.written += await asyncio.to_thread(self._store.append_many, items)
                seqs = [item.seq for item in items if isinstance(item, Envelope)]
                if seqs and max(seqs) > self.stored_seq:
                    async with self._progress:
                        self.stored_seq = max(seqs)
                        self._progress.notify_all()
                return
            except Exception as error:  # anything but cancellation: log, wait, try again
                self.failed_attempts += 1
                self.last_error = f"{type(error).__name__}: {_first_line(error)}"
                log.error(
                    "event log: writing %d events failed (attempt %d, next in %.2fs): %s",
                    len(items),
                    self.failed_attempts,
                    delay,
                    self.last_error,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_retry)


class EventWriter:
    """Buffers events emitted by the engine and writes them in batches off the loop.

    `emit(event)` never blocks; a background task drains the buffer through a `StoreWriter`, so a
    failed write is logged and retried, never the end of the log. Closing flushes everything, so no
    event is lost on a clean shutdown.
    """

    def __init__(
        self,
        store: EventStore,
        *,
        max_batch: int = 500,
        first_retry: float = FIRST_RETRY,
        max_retry: float = MAX_RETRY,
    ) -> None:
        self._writer = StoreWriter(store, first_retry=first_retry, max_retry=max_retry)
        self._max_batch = max_batch
        self._buffer: list[Event] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.listeners: list[Callable[[Event], None]] = []

    @property
    def written(self) -> int:
        return self._writer.written

    @property
    def failed_attempts(self) -> int:
        return self._writer.failed_attempts

    @property
    def last_error(self) -> str | None:
        return self._writer.last_error

    @property
    def pending(self) -> int:
        """Events emitted and not yet handed to the store."""
        return len(self._buffer)

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
            try:
                await self._writer.handle(batch)
            except asyncio.CancelledError:
                self._buffer[:0] = batch  # not stored: keep it for the next flush
                raise

    async def _drain(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.flush()
            if self._closing:
                await self.flush()
                return


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else repr(error)
