"""Whatever a CEL expression returns can be stored as JSON and read back, and nothing raises."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from alur.core.jsonvalues import decode_value, encode_value
from alur.flow.expr import compile_expression


def cel(source: str) -> Any:
    return compile_expression(source).evaluate({})


def through_json(value: Any) -> Any:
    """Store and read back: strict JSON, as PostgreSQL takes it (no NaN)."""
    return decode_value(json.loads(json.dumps(encode_value(value), allow_nan=False)))


@pytest.mark.parametrize(
    "source",
    [
        'timestamp("2026-11-24T10:00:00.123456+07:00")',
        'timestamp("2026-11-24T03:00:00Z")',
        'duration("1h30m")',
        'duration("-1.5s")',
        'b"\\x00\\xff caf\\xc3\\xa9"',
        '{"when": timestamp("2026-01-01T00:00:00Z"), "waits": [duration("5s"), duration("10s")]}',
        '{1: "one", 2: b"two"}',
        "[1, 2.5, true, null, 'text', [b'x']]",
        "18446744073709551615u",
        '"$alur"',
        '{"$alur": "timestamp", "value": "not a tag, a user map"}',
    ],
)
def test_cel_values_come_back_as_they_were(source: str) -> None:
    value = cel(source)
    assert through_json(value) == value


def test_timestamps_keep_their_offset_and_durations_their_microseconds() -> None:
    when = through_json(cel('timestamp("2026-11-24T10:00:00+07:00")'))
    assert when.utcoffset() == timedelta(hours=7) and when == datetime(2026, 11, 24, 3, tzinfo=UTC)
    assert through_json(cel('duration("0.000001s")')) == timedelta(microseconds=1)


def test_non_finite_floats_are_tagged_not_written_as_invalid_json() -> None:
    assert math.isnan(through_json(cel('double("NaN")')))
    assert through_json(cel('double("Infinity")')) == math.inf
    assert through_json(-math.inf) == -math.inf


def test_anything_else_becomes_its_text_with_its_type_never_an_error() -> None:
    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("no text")

    loop: list[Any] = []
    loop.append(loop)
    assert encode_value(Decimal("1.5")) == {"$alur": "text", "type": "decimal.Decimal", "value": "1.5"}
    assert through_json(Decimal("1.5")) == "1.5"
    assert through_json({"x": Broken()}) == {"x": "<unprintable Broken>"}
    assert through_json(loop) == "[[...]]"  # a list that holds itself
    assert through_json((1, {2, 3})) == [1, [2, 3]]


def test_a_damaged_or_newer_tag_reads_back_as_stored() -> None:
    for stored in ({"$alur": "timestamp", "value": "yesterday"}, {"$alur": "quaternion", "w": 1}):
        assert decode_value(stored) == stored
