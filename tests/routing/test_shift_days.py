"""Shift days as people write them: lists, full names, ranges (a range must never silently shrink)."""

import pytest
from pydantic import ValidationError

from alur.routing.model import Shift


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("mon-fri", ("mon", "tue", "wed", "thu", "fri")),
        ("fri-mon", ("fri", "sat", "sun", "mon")),
        (["Monday", "wed"], ("mon", "wed")),
        ("sat, sun", ("sat", "sun")),
        ("mon-wed,fri", ("mon", "tue", "wed", "fri")),
    ],
)
def test_day_lists_and_ranges(days: object, expected: tuple[str, ...]) -> None:
    assert Shift(days=days, start="08:00", end="17:00").days == expected


@pytest.mark.parametrize("days", ["mon-fry", "weekdays", ["mo"]])
def test_unknown_days_are_named(days: object) -> None:
    with pytest.raises(ValidationError, match="unknown day"):
        Shift(days=days, start="08:00", end="17:00")
