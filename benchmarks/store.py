"""Event log write speed: events per second the store writer sustains, on SQLite and PostgreSQL.

The events are those of realistic calls (arrival, IVR nodes and prompts, a menu choice, a variable
holding a CEL timestamp, queueing, an offer, the answer, talk, wrap-up, agent state changes, the end:
20 per call), stamped by a bus (seq, server, time) and handed to `StoreWriter.handle` in batches, as
the live service does: encoding, the worker-thread hop and one transaction per batch are all counted.
The peer is the database driver's own `executemany` of the same rows (their JSON serialised with
`json.dumps`, one transaction per batch): what any Python store of these events pays at least.

    python benchmarks/store.py                                     # SQLite only
    python benchmarks/store.py --postgres postgresql+psycopg://user@host/db --events 200000
    ALUR_TEST_POSTGRES_URL=... python benchmarks/store.py           # the tests' server

PostgreSQL runs in a fresh schema, dropped afterwards; SQLite in a temporary file (WAL, synchronous
NORMAL: the store's settings).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pathlib
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, make_url, text

from alur.core import events as ev
from alur.core.envelope import Envelope
from alur.flow.expr import compile_expression
from alur.store.event_store import EventStore, stored_row
from alur.store.writer import StoreWriter

WHEN = compile_expression('timestamp("2026-11-24T03:00:00Z") + duration("36h")').evaluate({})


def call_events(i: int, at: float) -> list[ev.Event]:
    c, a = f"call-{i:08d}", f"agent{i % 50:03d}"
    return [
        ev.CallArrived(at, c, f"+62812{i:07d}", "1000", "main"),
        ev.NodeEntered(at, c, "main", "welcome", "play"),
        ev.PromptPlayed(at + 0.1, c, "welcome", "welcome.wav", "id"),
        ev.NodeEntered(at + 4, c, "main", "menu", "menu"),
        ev.PromptPlayed(at + 4.1, c, "menu", "Press 1 for billing, 2 for support", "en"),
        ev.DigitsCollected(at + 9, c, "menu", "2", "max_digits"),
        ev.MenuOptionChosen(at + 9, c, "main", "menu", "2"),
        ev.VariableSet(at + 9, c, "callback_before", WHEN),
        ev.NodeEntered(at + 9, c, "main", "to_support", "queue"),
        ev.CallQueued(at + 9, c, "support", 1, (("support", 2),), "id"),
        ev.Offered(at + 20, c, a, "support", f"r{i}", at + 35),
        ev.AgentStateChanged(at + 20, a, "available", "reserved", "offer"),
        ev.Answered(at + 24, c, a, "support", 15.0),
        ev.AgentStateChanged(at + 24, a, "reserved", "busy", "answered"),
        ev.TalkEnded(at + 204, c, a, "support", 180.0),
        ev.AgentStateChanged(at + 204, a, "busy", "wrap_up", "talk ended"),
        ev.CallEnded(at + 204, c, "caller_hangup", "to_support"),
        ev.Disposition(at + 230, c, a, "resolved", True, "address changed"),
        ev.WrapUpDone(at + 230, a, c, "support", 26.0),
        ev.AgentStateChanged(at + 230, a, "wrap_up", "available", "wrap-up done"),
    ]


def stamped_batches(events: int, batch: int) -> list[list[Envelope]]:
    envelopes: list[Envelope] = []
    i, start = 0, 1_767_225_600.0
    while len(envelopes) < events:
        for event in call_events(i, start + i * 7.0):
            envelopes.append(Envelope(len(envelopes) + 1, "bench-1", event.at + 0.001, event))
        i += 1
    envelopes = envelopes[:events]
    return [envelopes[k : k + batch] for k in range(0, len(envelopes), batch)]


def writer_rate(url: str, batches: list[list[Envelope]]) -> float:
    store = EventStore(url)
    writer = StoreWriter(store)

    async def run() -> float:
        began = time.perf_counter()
        for batch in batches:
            await writer.handle(batch)
        return time.perf_counter() - began

    try:
        elapsed = asyncio.run(run())
        assert writer.written == sum(map(len, batches)) and writer.failed_attempts == 0
    finally:
        store.close()
    return writer.written / elapsed


COLUMNS = ("at", "kind", "call_id", "agent_id", "data", "seq", "server", "stamped_at")


def peer_rows(batches: list[list[Envelope]]) -> list[list[dict[str, Any]]]:
    return [[stored_row(e) for e in batch] for batch in batches]


def peer_rate(connect: Callable[[], Any], marker: str, batches: list[list[Envelope]]) -> float:
    """The driver's executemany of the same rows; serialising their JSON is counted, as it must be."""
    rows = peer_rows(batches)
    sql = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join([marker] * len(COLUMNS))})"
    connection = connect()
    try:
        began = time.perf_counter()
        for chunk in rows:  # one transaction per batch
            values = [tuple(json.dumps(r[c]) if c == "data" else r[c] for c in COLUMNS) for r in chunk]
            connection.cursor().executemany(sql, values)
            connection.commit()
        elapsed = time.perf_counter() - began
    finally:
        connection.close()
    return sum(map(len, rows)) / elapsed


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{pathlib.Path(folder) / 'bench.db'}"


def sqlite_peer(url: str) -> Callable[[], Any]:
    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(make_url(url).database or "")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    return connect


@contextmanager
def postgres_database(base: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def postgres_peer(url: str) -> Callable[[], Any]:
    import psycopg

    parsed = make_url(url)
    conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)

    def connect() -> Any:
        return psycopg.connect(conninfo)

    return connect


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500, help="events per batch (the bus hands over)")
    parser.add_argument("--postgres", default=os.environ.get("ALUR_TEST_POSTGRES_URL"), help="SQLAlchemy URL")
    args = parser.parse_args()
    batches = stamped_batches(args.events, args.batch)
    print(f"{args.events:,} events of 20-event calls, batches of {args.batch}")
    print(f"{'database':<11} {'StoreWriter ev/s':>16} {'executemany ev/s':>20} {'of peer':>9}")
    with sqlite_database() as url:
        ours = writer_rate(url, batches)
    with sqlite_database() as url:
        EventStore(url).close()
        theirs = peer_rate(sqlite_peer(url), "?", batches)
    print(f"{'SQLite':<11} {ours:>16,.0f} {theirs:>20,.0f} {ours / theirs:>9.0%}")
    if not args.postgres:
        print("PostgreSQL: skipped (give --postgres URL or set ALUR_TEST_POSTGRES_URL)")
        return
    with postgres_database(args.postgres) as url:
        ours = writer_rate(url, batches)
    with postgres_database(args.postgres) as url:
        EventStore(url).close()
        theirs = peer_rate(postgres_peer(url), "%s", batches)
    print(f"{'PostgreSQL':<11} {ours:>16,.0f} {theirs:>20,.0f} {ours / theirs:>9.0%}")


if __name__ == "__main__":
    main()
