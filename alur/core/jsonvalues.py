"""Any value an event may carry, to JSON and back, without ever raising.

Most event fields are text and numbers, but a flow variable (`VariableSet.value`) or a disposition's
`extra` hold whatever a CEL expression returned: a timestamp (`datetime`), a duration (`timedelta`),
bytes, a map with integer keys, NaN, or a list of those. JSON has none of these, and PostgreSQL refuses
NaN, so they are stored in a tagged form and read back as the same Python value:

    {"$alur": "timestamp", "value": "2024-01-02T03:04:05+00:00"}
    {"$alur": "duration", "microseconds": 90000000}
    {"$alur": "bytes", "base64": "YWL/"}
    {"$alur": "float", "value": "nan"}                      # also "inf" and "-inf"
    {"$alur": "map", "items": [[1, "one"], [true, "yes"]]}  # keys that are not text
    {"$alur": "text", "type": "decimal.Decimal", "value": "1.5"}

Anything else becomes its text with its type name (`text` above) and reads back as that text: a
strange value costs its type, never the event. Tuples and sets read back as lists.
"""

from __future__ import annotations

import base64
import math
from datetime import datetime, timedelta
from typing import Any

TAG = "$alur"
_MICROSECOND = timedelta(microseconds=1)
_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def encode_value(value: Any) -> Any:
    """A JSON-ready form of `value` (plain values come back unchanged); never raises."""
    try:
        return _encode(value)
    except RecursionError:  # a value that contains itself, or absurdly deep nesting
        return _as_text(value)


def decode_value(value: Any) -> Any:
    """Inverse of `encode_value`; a tag this version does not know is left as the dict it is."""
    kind = type(value)
    if kind is dict:
        tag = value.get(TAG)
        if tag is None:
            return {k: decode_value(v) for k, v in value.items()}
        return _decode_tagged(tag, value)
    if kind is list:
        return [decode_value(v) for v in value]
    return value


def _encode(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else {TAG: "float", "value": str(value)}
    if isinstance(value, dict):
        if all(type(k) is str for k in value) and TAG not in value:
            return {k: _encode(v) for k, v in value.items()}
        return {TAG: "map", "items": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple | set | frozenset):
        return [_encode(v) for v in value]
    if isinstance(value, datetime):
        return {TAG: "timestamp", "value": value.isoformat()}
    if isinstance(value, timedelta):
        return {TAG: "duration", "microseconds": value // _MICROSECOND}
    if isinstance(value, bytes | bytearray | memoryview):
        return {TAG: "bytes", "base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, str):  # str subclasses (enums)
        return str(value)
    if isinstance(value, int | float):  # int and float subclasses (IntEnum, numpy scalars' peers)
        return _encode(float(value) if isinstance(value, float) else int(value))
    return _as_text(value)


def _as_text(value: Any) -> dict[str, Any]:
    kind = type(value)
    try:
        text = str(value)
    except Exception:  # a broken __str__ must not lose the event
        text = f"<unprintable {kind.__name__}>"
    return {TAG: "text", "type": f"{kind.__module__}.{kind.__qualname__}", "value": text}


def _decode_tagged(tag: Any, value: dict[str, Any]) -> Any:
    try:
        if tag == "timestamp":
            return datetime.fromisoformat(value["value"])
        if tag == "duration":
            return timedelta(microseconds=value["microseconds"])
        if tag == "bytes":
            return base64.b64decode(value["base64"])
        if tag == "float":
            return _FLOATS[value["value"]]
        if tag == "map":
            return {_hashable(decode_value(k)): decode_value(v) for k, v in value["items"]}
        if tag == "text":
            return value["value"]
    except (KeyError, TypeError, ValueError):  # a damaged tagged value reads back as stored
        pass
    return value


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key
