"""The event log on SQLite and PostgreSQL: order, filters, envelopes, old rows, hostile input."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from storekit import CALL, stamped

from alur.core import events as ev
from alur.core.envelope import Envelope
from alur.flow.expr import compile_expression
from alur.store.call_records import call_record
from alur.store.event_store import MIGRATIONS, EventStore


def test_store_keeps_order_filters_and_survives_reopen(open_store: Callable[[], EventStore]) -> None:
    store = open_store()
    store.append_many(CALL)
    store.append(ev.CallArrived(50.0, "c2", "+6299", "1000", "main"))
    store.close()

    reopened = open_store()  # migrations are idempotent
    assert list(reopened.events(call_id="c1")) == CALL
    assert [e.call_id for e in reopened.events(since=36.0, until=60.0)] == ["c1", "c1", "c2"]
    assert [type(e).__name__ for e in reopened.events(agent_id="a2")] == ["Offered", "Answered", "TalkEnded"]


def test_envelopes_come_back_stamped_in_row_order_with_filters(store: EventStore) -> None:
    envelopes = stamped(CALL)
    store.append_many(envelopes[:5])
    store.append(ev.CallArrived(11.0, "c2", "+6299", "1000", "main"))  # a bare event: no stamp
    store.append_many(envelopes[5:])

    rows = list(store.envelopes())
    ids = [row_id for row_id, _ in rows]
    assert ids == sorted(ids)
    assert [e for _, e in rows if e.event.call_id == "c1"] == envelopes
    bare = next(e for _, e in rows if e.event.call_id == "c2")
    assert (bare.seq, bare.server, bare.stamped_at) == (0, "", 11.0)

    after = ids[5]
    assert [e.event for _, e in store.envelopes(after_id=after)] == CALL[5:]
    assert [e.event for _, e in store.envelopes(kinds=["call.arrived"])] == [CALL[0], bare.event]
    assert [e.seq for _, e in store.envelopes(kinds=["offer.made", "offer.answered"])] == [6, 8, 9]
    assert [e.event for _, e in store.envelopes(call_id="c2")] == [bare.event]
    assert [e.seq for _, e in store.envelopes(agent_id="a1", kinds=["offer.declined"])] == [7]


def test_last_seq_is_per_server_and_a_stored_stamp_is_never_stored_twice(store: EventStore) -> None:
    assert store.last_seq("s1") == 0
    store.append_many(stamped(CALL[:4], "s1") + stamped(CALL[:2], "s2"))
    store.append(CALL[4])  # unstamped events do not count
    assert (store.last_seq("s1"), store.last_seq("s2"), store.last_seq("s3")) == (4, 2, 0)

    store.append_many(stamped(CALL[:6], "s1"))  # a batch written again after an unclear failure
    assert [e.seq for _, e in store.envelopes() if e.server == "s1"] == [1, 2, 3, 4, 5, 6]


def test_latest_is_the_last_row_of_a_kind(store: EventStore) -> None:
    assert store.latest("agent.state_changed") is None
    store.append_many(stamped([ev.AgentStateChanged(1.0, "a1", "offline", "available")] + CALL))
    store.append(ev.AgentStateChanged(200.0, "a1", "available", "paused", "lunch"))
    found = store.latest("agent.state_changed")
    assert found is not None
    row_id, envelope = found
    assert envelope.event == ev.AgentStateChanged(200.0, "a1", "available", "paused", "lunch")
    assert row_id == max(i for i, _ in store.envelopes())


def test_recent_calls_lists_newest_first_with_how_they_ended(store: EventStore) -> None:
    store.append_many(CALL)
    store.append_many(
        [
            ev.CallArrived(200.0, "c2", "+6299", "1001", "sales"),
            ev.CallArrived(210.0, "c3", "+6255", "1000", "main"),
            ev.CallEnded(230.0, "c3", "flow_hangup", "bye"),
        ]
    )
    calls = store.recent_calls(limit=2)
    assert calls == [
        {"call_id": "c3", "caller_id": "+6255", "dialed": "1000", "flow": "main", "arrived_at": 210.0}
        | {"ended_at": 230.0, "how": "flow_hangup"},
        {"call_id": "c2", "caller_id": "+6299", "dialed": "1001", "flow": "sales", "arrived_at": 200.0}
        | {"ended_at": None, "how": None},
    ]
    assert [c["call_id"] for c in store.recent_calls()] == ["c3", "c2", "c1"]
    assert store.recent_calls()[2]["how"] == "caller_hangup"


def test_call_record_tells_the_calls_story() -> None:
    record = call_record("c1", CALL)
    assert record.path == ["welcome", "menu"]
    assert record.menu_choices == ["2"]
    assert (record.queue, record.agent_id, record.wait, record.talk_time) == ("billing", "a2", 25.0, 120.0)
    assert record.offers == [("a1", "offered"), ("a1", "no_answer"), ("a2", "offered"), ("a2", "answered")]
    assert record.duration == 150.0 and record.ended_how == "caller_hangup"


def test_cel_values_and_transfers_are_stored_and_read_back(store: EventStore) -> None:
    value = compile_expression(
        '{"when": timestamp("2026-11-24T10:00:00+07:00"), "wait": duration("90s"), "raw": b"\\xff",'
        ' "tries": [1, 2.5, null], "by_code": {7: "seven"}}'
    ).evaluate({})
    written = [
        ev.VariableSet(1.0, "c1", "facts", value),
        ev.VariableSet(2.0, "c1", "ratio", float("inf")),
        ev.CallTransferred(3.0, "c1", "2000", "agent_blind"),  # a field named `kind`
        ev.Disposition(4.0, "c1", "a1", "sale", extra={"due": value["when"]}),
    ]
    store.append_many(stamped(written))
    read = [e.event for _, e in store.envelopes()]
    assert read == written
    assert read[3].extra == {"due": value["when"]}  # not part of equality


def test_hostile_ids_are_stored_not_refused(store: EventStore) -> None:
    """A SIP Call-ID or caller id may hold NUL, broken UTF-16 or be very long: neither database may
    refuse the row (that would stall the log); the event keeps the id exactly."""
    odd = ["c\x00nul", "c\ud800lone", "c" * 300]
    written = [
        ev.CallArrived(float(i), call_id, "+62\x00\udfff", "1000", "main") for i, call_id in enumerate(odd)
    ]
    store.append_many(written)
    assert list(store.events()) == written
    for event in written:
        assert list(store.events(call_id=event.call_id)) == [event]


def test_rows_from_before_named_kinds_still_read(store_url: str) -> None:
    """A database made by migration 0001, holding rows keyed by Python class names, is upgraded in
    place and reads back; a transfer's `kind` field had overwritten the class name in its data."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(store_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        # exactly what the store wrote then: the kind column and "kind" key held the class name
        legacy = [
            {"kind": "CallArrived", "at": 1.0, "call_id": "c1", "caller_id": "+62", "dialed": "100"}
            | {"flow": "main"},
            {"kind": "CallQueued", "at": 2.0, "call_id": "c1", "queue": "billing", "priority": 0}
            | {"skills": [["billing", 2]], "language": None, "vip": False, "call_type": ""},
            {"kind": "ring_group", "at": 3.0, "call_id": "c1", "destination": "sales"},
        ]
        insert = text(
            "INSERT INTO events (at, kind, call_id, agent_id, data) VALUES (:at, :kind, :c, NULL, :d)"
        )
        connection.execute(
            insert,
            [
                {"at": row["at"], "kind": kind, "c": "c1", "d": json.dumps(row)}
                for kind, row in zip(["CallArrived", "CallQueued", "CallTransferred"], legacy, strict=True)
            ],
        )
    engine.dispose()

    store = EventStore(store_url)
    try:
        expected = [
            ev.CallArrived(1.0, "c1", "+62", "100", "main"),
            ev.CallQueued(2.0, "c1", "billing", skills=(("billing", 2),)),
            ev.CallTransferred(3.0, "c1", "sales", "ring_group"),
        ]
        assert list(store.events()) == expected
        assert [e.event for _, e in store.envelopes(kinds=["call.arrived", "call.transferred"])] == [
            expected[0],
            expected[2],
        ]
        assert store.recent_calls()[0]["caller_id"] == "+62"
        store.append(Envelope(1, "s1", 9.0, ev.CallEnded(9.0, "c1", "transferred")))
        assert store.last_seq("s1") == 1
    finally:
        store.close()


def test_reading_streams_instead_of_loading_the_table(store: EventStore) -> None:
    big = "x" * 2000
    store.append_many(ev.VariableSet(float(i), f"c{i}", "note", big) for i in range(5000))  # ~10 MB
    tracemalloc.start()
    try:
        rows = store.envelopes()
        first = next(rows)
        _, peak = tracemalloc.get_traced_memory()
        cursors = _server_side_cursors(store)
        rows.close()
    finally:
        tracemalloc.stop()
    assert first[1].event.call_id == "c0"
    assert peak < 2_000_000, f"reading one row of 10 MB took {peak} bytes"
    if store.engine.dialect.name == "postgresql":  # libpq's memory is not Python's: ask the server
        assert cursors, "PostgreSQL rows are fetched through a client-side cursor (all at once)"


def _server_side_cursors(store: EventStore) -> list[str]:
    if store.engine.dialect.name != "postgresql":
        return []
    with store.engine.connect() as connection:
        query = text(
            "SELECT query FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
            " AND (query ILIKE 'DECLARE%' OR query ILIKE 'FETCH%')"
        )
        return list(connection.execute(query).scalars())
