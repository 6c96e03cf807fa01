"""The writers never stop silently: a bad value is encoded, a failed write is logged and retried."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import text
from storekit import CALL, stamped, until

from alur.core import events as ev
from alur.core.envelope import Envelope
from alur.flow.expr import compile_expression
from alur.store.event_store import EventStore
from alur.store.writer import EventWriter, StoreWriter


def rename_events_table(store: EventStore, old: str, new: str) -> None:
    """A real write error on either database: the table is not where the store expects it."""
    with store.engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


async def test_event_writer_stores_a_cel_timestamp_and_carries_on(store: EventStore) -> None:
    """Once, a VariableSet holding a CEL timestamp killed the writer task: nothing after it was stored."""
    when = compile_expression('timestamp("2026-11-24T03:00:00Z")').evaluate({})
    async with EventWriter(store, max_batch=3) as writer:
        writer.emit(ev.VariableSet(1.0, "c1", "when", when))
        await until(lambda: writer.written == 1)
        for event in CALL:
            writer.emit(event)
    assert writer.written == 1 + len(CALL) and writer.failed_attempts == 0
    assert list(store.events()) == [ev.VariableSet(1.0, "c1", "when", when), *CALL]


async def test_event_writer_flushes_everything_on_close(store: EventStore) -> None:
    seen: list[ev.Event] = []
    async with EventWriter(store, max_batch=3) as writer:
        writer.listeners.append(seen.append)
        for event in CALL:
            writer.emit(event)
            if event.at == 20.0:
                await asyncio.sleep(0)  # let a batch go mid-way
    assert writer.written == len(CALL) and writer.pending == 0
    assert list(store.events()) == CALL and seen == CALL


async def test_store_writer_logs_and_retries_a_failed_write_until_it_succeeds(
    store: EventStore, caplog: pytest.LogCaptureFixture
) -> None:
    writer = StoreWriter(store, first_retry=0.01, max_retry=0.04)
    await writer.handle(stamped(CALL[:2]))
    rename_events_table(store, "events", "events_away")
    caplog.set_level(logging.ERROR, logger="alur.store")

    batch = stamped(CALL[2:], first=3)
    handling = asyncio.create_task(writer.handle(batch))
    await until(lambda: writer.failed_attempts >= 3)
    assert not handling.done()
    rename_events_table(store, "events_away", "events")
    await asyncio.wait_for(handling, 10)

    assert writer.written == len(CALL)
    assert [e for _, e in store.envelopes()] == stamped(CALL)
    assert writer.last_error is not None and "events" in writer.last_error
    failures = [r.getMessage() for r in caplog.records if r.name == "alur.store"]
    assert len(failures) == writer.failed_attempts
    assert all("\n" not in line and f"writing {len(batch)} events failed" in line for line in failures)


async def test_store_writer_can_be_cancelled_while_retrying(store: EventStore) -> None:
    writer = StoreWriter(store, first_retry=0.01, max_retry=0.02)
    rename_events_table(store, "events", "events_away")
    handling = asyncio.create_task(writer.handle(stamped(CALL)))
    await until(lambda: writer.failed_attempts >= 2)
    handling.cancel()
    with pytest.raises(asyncio.CancelledError):
        await handling
    assert writer.written == 0


async def test_event_writer_keeps_its_events_through_a_failed_write(store: EventStore) -> None:
    async with EventWriter(store, first_retry=0.01, max_retry=0.02) as writer:
        rename_events_table(store, "events", "events_away")
        writer.emit(CALL[0])
        await until(lambda: writer.failed_attempts >= 2)
        writer.emit(CALL[1])  # emitting goes on while the store is away
        rename_events_table(store, "events_away", "events")
    assert writer.written == 2 and list(store.events()) == CALL[:2]


async def test_store_writer_takes_envelopes_in_sequence(store: EventStore) -> None:
    writer = StoreWriter(store)
    await writer.handle([Envelope(1, "s1", 1.5, CALL[0])])
    await writer.handle([Envelope(2, "s1", 1.6, CALL[1]), Envelope(3, "s1", 1.7, CALL[2])])
    assert store.last_seq("s1") == 3 and writer.written == 3
