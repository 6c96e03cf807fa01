"""Events to JSON-ready dicts and back, for storage and the wire.

An event is stored under its explicit `KIND` and `VERSION` (see `alur.core.events`), with its fields
apart so that no field name can clash with them:

    {"kind": "call.transferred", "version": 1, "fields": {"at": 12.5, "call_id": "c1", "kind": "external"}}

Rows written before kinds were named (flat dicts whose "kind" is the Python class name) still read
back: `LEGACY_KINDS` maps those names once, here. A stored version older than the class's goes through
`UPGRADES`, one step at a time; a kind or version this Alur does not know is a clear error.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from alur.core import events as _events
from alur.core.envelope import Envelope
from alur.core.errors import AlurError
from alur.core.jsonvalues import decode_value, encode_value

Fields = dict[str, Any]
#: (kind, version) -> a function turning that version's fields into the next version's
Upgrades = Mapping[tuple[str, int], Callable[[Fields], Fields]]


class UnknownEventKind(AlurError):
    code = "unknown_event_kind"


class UnknownEventVersion(AlurError):
    code = "unknown_event_version"


class BadEventData(AlurError):
    code = "bad_event_data"


def _event_classes() -> list[type[_events.Event]]:
    return [
        cls
        for cls in vars(_events).values()
        if isinstance(cls, type) and issubclass(cls, _events.Event) and cls is not _events.Event
    ]


#: every event class by its stored kind (a class without KIND is left out: the codec test names it)
EVENT_TYPES: dict[str, type[_events.Event]] = {
    cls.KIND: cls for cls in _event_classes() if isinstance(vars(cls).get("KIND"), str)
}

#: the names rows were stored under before events had explicit kinds (their Python class names)
LEGACY_KINDS: dict[str, str] = {
    "CallArrived": "call.arrived",
    "NodeEntered": "ivr.node_entered",
    "PromptPlayed": "ivr.prompt_played",
    "DigitsCollected": "ivr.digits_collected",
    "MenuOptionChosen": "ivr.menu_option_chosen",
    "MenuInputRejected": "ivr.menu_input_rejected",
    "VariableSet": "ivr.variable_set",
    "CallerAuthenticated": "ivr.caller_authenticated",
    "HttpRequested": "ivr.http_requested",
    "CallTransferred": "call.transferred",
    "VoicemailRecorded": "call.voicemail_recorded",
    "CallEnded": "call.ended",
    "CallQueued": "queue.joined",
    "Offered": "offer.made",
    "OfferDeclined": "offer.declined",
    "Answered": "offer.answered",
    "Abandoned": "queue.abandoned",
    "Overflowed": "queue.overflowed",
    "Escalated": "queue.escalated",
    "CallbackRequested": "callback.requested",
    "CallbackAttempted": "callback.attempted",
    "TalkEnded": "call.talk_ended",
    "AgentStateChanged": "agent.state_changed",
    "WrapUpDone": "agent.wrap_up_done",
    "Disposition": "agent.disposition",
}

#: one step per changed event: (kind, old version) -> the fields of the next version
UPGRADES: dict[tuple[str, int], Callable[[Fields], Fields]] = {
    ("conversation.started", 1): lambda f: {**f, "token_hash": ""},  # a v1 chat cannot be rejoined
}

_PLAIN = frozenset({str, int, bool, type(None)})
_FIELDS: dict[type[_events.Event], tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in _event_classes()
}
_TUPLE_FIELDS: dict[type[_events.Event], frozenset[str]] = {
    cls: frozenset(f.name for f in dataclasses.fields(cls) if str(f.type).startswith("tuple"))
    for cls in _event_classes()
}


def event_kind(event: _events.Event) -> str:
    """The name `event` is stored under."""
    kind = vars(type(event)).get("KIND")
    if not isinstance(kind, str):
        name = type(event).__name__
        raise UnknownEventKind(f"event class {name} declares no KIND, so it cannot be stored", value=name)
    return kind


def stored_names(kinds: Iterable[str]) -> list[str]:
    """The names rows of these kinds may be stored under: the kind and its legacy class name."""
    wanted = set(kinds)
    return sorted(wanted | {old for old, new in LEGACY_KINDS.items() if new in wanted})


def event_to_dict(event: _events.Event) -> dict[str, Any]:
    """A JSON-ready dict; values JSON cannot hold are tagged (see alur.core.jsonvalues), never fatal."""
    kind = event_kind(event)
    names = _FIELDS.get(type(event)) or tuple(f.name for f in dataclasses.fields(event))
    fields = {}
    for name in names:  # the hot path of every write: plain values skip the encoder
        value = getattr(event, name)
        kind_of = type(value)
        plain = kind_of in _PLAIN or (kind_of is float and math.isfinite(value))
        fields[name] = value if plain else encode_value(value)
    return {"kind": kind, "version": type(event).VERSION, "fields": fields}


def event_from_dict(
    data: Mapping[str, Any], *, kind: str | None = None, upgrades: Upgrades = UPGRADES
) -> _events.Event:
    """Inverse of `event_to_dict`; also reads legacy flat rows (`kind` is then the row's kind column,
    when known, because a legacy row's own "kind" key could be overwritten by a field of that name)."""
    if "fields" in data:
        name, version, fields = str(data.get("kind")), data.get("version", 1), dict(data["fields"])
    else:
        name = kind if kind is not None else str(data.get("kind"))
        version, fields = 1, dict(data)
    name = LEGACY_KINDS.get(name, name)
    cls = EVENT_TYPES.get(name)
    if cls is None:
        raise UnknownEventKind(f"unknown event kind {name!r} (known: {sorted(EVENT_TYPES)})", value=name)
    fields = _upgrade(cls, name, version, fields, upgrades)
    return _build(cls, name, fields)


def _upgrade(cls: type[_events.Event], name: str, version: Any, fields: Fields, upgrades: Upgrades) -> Fields:
    if not isinstance(version, int) or version < 1 or version > cls.VERSION:
        raise UnknownEventVersion(
            f"event {name!r} version {version!r} is not one this Alur reads (1 to {cls.VERSION})",
            value=version,
        )
    while version < cls.VERSION:
        step = upgrades.get((name, version))
        if step is None:
            raise UnknownEventVersion(
                f"event {name!r} version {version} has no upgrade to version {version + 1}", value=version
            )
        fields, version = step(fields), version + 1
    return fields


def _build(cls: type[_events.Event], name: str, fields: Fields) -> _events.Event:
    tuples = _TUPLE_FIELDS.get(cls, frozenset())
    values: dict[str, Any] = {}
    for field in _FIELDS.get(cls) or ():
        if field in fields:
            value = decode_value(fields[field])
            if field in tuples and isinstance(value, list):
                value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
            values[field] = value
    try:
        return cls(**values)
    except TypeError as error:
        raise BadEventData(
            f"stored event {name!r} does not fit {cls.__name__}: {error}", value=fields
        ) from None


def envelope_to_dict(envelope: Envelope) -> dict[str, Any]:
    """An envelope for the wire: its stamp beside the event's dict."""
    data = event_to_dict(envelope.event)
    data.update(seq=envelope.seq, server=envelope.server, stamped_at=envelope.stamped_at)
    return data


def envelope_from_dict(data: Mapping[str, Any]) -> Envelope:
    event = event_from_dict(data)
    return Envelope(int(data["seq"]), str(data["server"]), float(data["stamped_at"]), event)
