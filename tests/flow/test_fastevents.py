"""The interpreter's fast event constructors make exactly the events the dataclasses make."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

import alur.core.events as events
from alur.flow.fastevents import constructor

EVENT_TYPES = [
    cls
    for cls in vars(events).values()
    if isinstance(cls, type) and issubclass(cls, events.Event) and cls is not events.Event
]


def _sample(cls: type, i: int) -> object:
    values = [1.5, "c7", "main", "menu", 3, True, None, ("x", 2)]
    return values[i % len(values)]


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda c: c.__name__)
def test_fast_event_is_the_dataclass_event(cls: type) -> None:
    make = constructor(cls)
    args = [_sample(cls, i) for i, _ in enumerate(dataclasses.fields(cls))]
    fast, slow = make(*args), cls(*args)
    assert type(fast) is cls
    assert fast == slow and repr(fast) == repr(slow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.at = 0.0  # type: ignore[attr-defined]


def test_defaults_are_kept() -> None:
    make = constructor(events.CallEnded)
    assert make(2.0, "c1", "answered") == events.CallEnded(2.0, "c1", "answered")


def test_classes_it_cannot_build_directly_come_back_unchanged() -> None:
    @dataclass(frozen=True, slots=True)
    class WithFactory:
        items: list[str] = field(default_factory=list)

    @dataclass(frozen=True)
    class NoSlots:
        at: float

    @dataclass(frozen=True, slots=True)
    class Checked:
        at: float

        def __post_init__(self) -> None:
            if self.at < 0:
                raise ValueError("negative time")

    for cls in (WithFactory, NoSlots, Checked):
        assert constructor(cls) is cls
