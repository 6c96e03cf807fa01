"""Events to plain dicts and back, for storage and the wire; the class name is the event's kind."""

from __future__ import annotations

import dataclasses
from typing import Any

from alur.core import events as _events
from alur.core.errors import AlurError

EVENT_TYPES: dict[str, type[_events.Event]] = {
    name: cls
    for name, cls in vars(_events).items()
    if isinstance(cls, type) and issubclass(cls, _events.Event) and cls is not _events.Event
}


class UnknownEventKind(AlurError):
    code = "unknown_event_kind"


def event_kind(event: _events.Event) -> str:
    return type(event).__name__


def event_to_dict(event: _events.Event) -> dict[str, Any]:
    """A JSON-ready dict: {'kind': ..., 'at': ..., <fields>}; tuples become lists."""
    data: dict[str, Any] = {"kind": event_kind(event)}
    for field in dataclasses.fields(event):
        data[field.name] = getattr(event, field.name)
    return data


def event_from_dict(data: dict[str, Any]) -> _events.Event:
    """Inverse of `event_to_dict`; lists go back to tuples where the event holds tuples."""
    kind = data.get("kind")
    cls = EVENT_TYPES.get(str(kind))
    if cls is None:
        raise UnknownEventKind(f"unknown event kind {kind!r} (known: {sorted(EVENT_TYPES)})", value=kind)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if field.name in data:
            value = data[field.name]
            if isinstance(value, list) and "tuple" in str(field.type):
                value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
            values[field.name] = value
    return cls(**values)
