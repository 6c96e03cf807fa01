"""Stored event names: declared, unique, versioned; old rows and unknown kinds handled on purpose."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from alur.core import events as ev
from alur.core.codec import (
    EVENT_TYPES,
    LEGACY_KINDS,
    BadEventData,
    UnknownEventKind,
    UnknownEventVersion,
    envelope_from_dict,
    envelope_to_dict,
    event_from_dict,
    event_kind,
    event_to_dict,
    stored_names,
)
from alur.core.envelope import Envelope

KIND_NAME = re.compile(r"^[a-z]+(\.[a-z][a-z_]*)+$")


def event_classes() -> list[type[ev.Event]]:
    return [
        c for c in vars(ev).values() if isinstance(c, type) and issubclass(c, ev.Event) and c is not ev.Event
    ]


def naming_problems(classes: list[type[ev.Event]]) -> list[str]:
    """What is wrong with the classes' stored names, one line per class."""
    problems, seen = [], {}
    for cls in classes:
        kind, version = vars(cls).get("KIND"), vars(cls).get("VERSION")
        if not isinstance(kind, str) or not KIND_NAME.match(kind):
            problems.append(f'{cls.__name__} needs KIND: ClassVar[str] = "area.what_happened" (has {kind!r})')
        elif kind in seen:
            problems.append(f"{cls.__name__} has KIND {kind!r}, already used by {seen[kind]}")
        else:
            seen[kind] = cls.__name__
        if not isinstance(version, int) or version < 1:
            problems.append(f"{cls.__name__} needs VERSION: ClassVar[int] = 1 (has {version!r})")
    return problems


def test_every_event_class_declares_a_unique_kind_and_a_version() -> None:
    assert naming_problems(event_classes()) == []
    assert sorted(EVENT_TYPES.values(), key=lambda c: c.__name__) == sorted(
        event_classes(), key=lambda c: c.__name__
    )


def test_a_class_without_kind_or_with_a_taken_one_is_named() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class QueuePaused(ev.Event):
        queue: str

    @dataclasses.dataclass(frozen=True, slots=True)
    class CallArrivedAgain(ev.CallArrived):
        KIND = "call.arrived"
        VERSION = 1

    assert naming_problems([ev.CallArrived, QueuePaused, CallArrivedAgain]) == [
        'QueuePaused needs KIND: ClassVar[str] = "area.what_happened" (has None)',
        "QueuePaused needs VERSION: ClassVar[int] = 1 (has None)",
        "CallArrivedAgain has KIND 'call.arrived', already used by CallArrived",
    ]
    with pytest.raises(UnknownEventKind, match="QueuePaused declares no KIND"):
        event_kind(QueuePaused(1.0, "billing"))


def test_every_legacy_name_is_a_class_name_mapped_to_its_kind() -> None:
    by_name = {c.__name__: getattr(c, "KIND", None) for c in event_classes()}
    assert {name: by_name[name] for name in LEGACY_KINDS} == LEGACY_KINDS


def sample(cls: type[ev.Event]) -> ev.Event:
    values: dict[str, Any] = {}
    for i, field in enumerate(dataclasses.fields(cls)):
        kind = str(field.type)
        if field.name == "at" or "float" in kind:
            values[field.name] = 1.5 + i
        elif "tuple" in kind:
            values[field.name] = (("billing", 2),)
        elif "bool" in kind:
            values[field.name] = True
        elif "int" in kind:
            values[field.name] = i
        elif "dict" in kind:
            values[field.name] = {"n": i}
        else:
            values[field.name] = f"{field.name}-{i}"
    return cls(**values)


@pytest.mark.parametrize("cls", event_classes(), ids=lambda c: c.__name__)
def test_every_event_round_trips_under_its_kind(cls: type[ev.Event]) -> None:
    event = sample(cls)
    data = event_to_dict(event)
    assert (data["kind"], data["version"]) == (cls.KIND, cls.VERSION)
    assert event_from_dict(data) == event


def test_a_field_named_kind_does_not_hide_the_events_kind() -> None:
    """Once, a transfer's `kind` field overwrote the stored kind and the log could not be read back."""
    transfer = ev.CallTransferred(3.0, "c1", "2000", "agent_blind")
    assert event_from_dict(event_to_dict(transfer)) == transfer


def test_rows_stored_under_class_names_still_read() -> None:
    flat = {
        "kind": "OfferDeclined",
        "at": 4.0,
        "call_id": "c1",
        "agent_id": "a1",
        "queue": "q",
        "reason": "busy",
    }
    assert event_from_dict(flat) == ev.OfferDeclined(4.0, "c1", "a1", "q", "busy")
    overwritten = {"kind": "external", "at": 5.0, "call_id": "c1", "destination": "+62"}
    assert event_from_dict(overwritten, kind="CallTransferred") == ev.CallTransferred(
        5.0, "c1", "+62", "external"
    )
    assert stored_names(["call.transferred", "queue.joined"]) == [
        "CallQueued",
        "CallTransferred",
        "call.transferred",
        "queue.joined",
    ]


def test_unknown_kinds_and_versions_are_clear_errors() -> None:
    with pytest.raises(UnknownEventKind, match="unknown event kind 'call.teleported'") as error:
        event_from_dict({"kind": "call.teleported", "version": 1, "fields": {"at": 1.0}})
    assert error.value.code == "unknown_event_kind" and error.value.value == "call.teleported"
    with pytest.raises(UnknownEventKind, match="'Nope'"):
        event_from_dict({"kind": "Nope", "at": 1})
    newer = event_to_dict(ev.CallEnded(1.0, "c1", "caller_hangup")) | {"version": 2}
    with pytest.raises(UnknownEventVersion, match="'call.ended' version 2 is not one this Alur reads"):
        event_from_dict(newer)
    with pytest.raises(BadEventData, match="'call.ended' does not fit CallEnded"):
        event_from_dict({"kind": "call.ended", "version": 1, "fields": {"at": 1.0}})


def test_an_older_version_is_upgraded_step_by_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """How a changed event keeps its old rows readable: VERSION goes up, UPGRADES gains a step."""
    monkeypatch.setattr(ev.CallEnded, "VERSION", 3)
    upgrades = {
        ("call.ended", 1): lambda f: {**f, "how": {"hangup": "caller_hangup"}.get(f["how"], f["how"])},
        ("call.ended", 2): lambda f: {k: v for k, v in f.items() if k != "cause"},
    }
    v1 = {
        "kind": "call.ended",
        "version": 1,
        "fields": {"at": 1.0, "call_id": "c1", "how": "hangup", "cause": 16},
    }
    assert event_from_dict(v1, upgrades=upgrades) == ev.CallEnded(1.0, "c1", "caller_hangup")
    with pytest.raises(UnknownEventVersion, match="version 1 has no upgrade to version 2"):
        event_from_dict(v1)


def test_envelopes_cross_the_wire_as_plain_dicts() -> None:
    envelope = Envelope(7, "alur-1", 1700000000.25, ev.Answered(12.0, "c1", "a1", "billing", 4.0))
    data = envelope_to_dict(envelope)
    assert (data["seq"], data["server"], data["kind"]) == (7, "alur-1", "offer.answered")
    assert envelope_from_dict(data) == envelope


def test_a_version_1_conversation_start_reads_with_no_token_hash() -> None:
    """Rows logged before chats survived restarts: read, with no secret to rejoin them by."""
    v1 = {"kind": "conversation.started", "version": 1,
          "fields": {"at": 1.0, "conversation_id": "chat-1", "channel": "chat", "name": "Dewi"}}  # fmt: skip
    event = event_from_dict(v1)
    assert event == ev.ConversationStarted(1.0, "chat-1", "chat", "Dewi", token_hash="")
