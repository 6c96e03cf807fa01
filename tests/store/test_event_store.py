import asyncio
import pathlib

import pytest

from alur.core import events as ev
from alur.core.codec import UnknownEventKind, event_from_dict, event_to_dict
from alur.store.call_records import call_record
from alur.store.event_store import EventStore
from alur.store.writer import EventWriter

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


def test_every_event_kind_round_trips_through_json_dicts() -> None:
    for event in CALL:
        assert event_from_dict(event_to_dict(event)) == event
    with pytest.raises(UnknownEventKind, match="'Nope'"):
        event_from_dict({"kind": "Nope", "at": 1})


def test_store_keeps_order_filters_and_survives_reopen(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "alur.db"
    store = EventStore(str(path))
    store.append_many(CALL)
    store.append(ev.CallArrived(50.0, "c2", "+6299", "1000", "main"))
    store.close()

    reopened = EventStore(str(path))  # migrations are idempotent
    assert list(reopened.events(call_id="c1")) == CALL
    assert [e.call_id for e in reopened.events(since=36.0, until=60.0)] == ["c1", "c1", "c2"]
    assert [type(e).__name__ for e in reopened.events(agent_id="a2")] == ["Offered", "Answered", "TalkEnded"]


def test_call_record_tells_the_calls_story() -> None:
    record = call_record("c1", CALL)
    assert record.path == ["welcome", "menu"]
    assert record.menu_choices == ["2"]
    assert (record.queue, record.agent_id, record.wait, record.talk_time) == ("billing", "a2", 25.0, 120.0)
    assert record.offers == [("a1", "offered"), ("a1", "no_answer"), ("a2", "offered"), ("a2", "answered")]
    assert record.duration == 150.0 and record.ended_how == "caller_hangup"


def test_writer_flushes_everything_on_close(tmp_path: pathlib.Path) -> None:
    store = EventStore(str(tmp_path / "w.db"))
    seen: list[ev.Event] = []

    async def scenario() -> int:
        async with EventWriter(store, max_batch=3) as writer:
            writer.listeners.append(seen.append)
            for event in CALL:
                writer.emit(event)
                if event.at == 20.0:
                    await asyncio.sleep(0)  # let a batch go mid-way
        return writer.written

    assert asyncio.run(scenario()) == len(CALL)
    assert list(store.events()) == CALL and seen == CALL
