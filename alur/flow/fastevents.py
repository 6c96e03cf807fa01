"""Cheaper construction of the events the interpreter logs on every node of every call.

Events are frozen, slotted dataclasses: their generated `__init__` stores each field through the
frozen guard (`object.__setattr__` by name), which is most of an event's cost, and a simulated call
logs one per node, prompt and key press. `constructor(cls)` returns a positional constructor that
fills the slots directly: the object it makes is the one `cls(...)` makes (same type, fields, equality,
hash and repr), at about half the cost. A class it cannot build that way (no slots, a `__post_init__`,
a field outside `__init__` or with a default factory) gets `cls` itself back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

E = TypeVar("E")


def constructor(cls: type[E]) -> Callable[..., E]:
    """A positional constructor equivalent to `cls(...)` for a frozen, slotted event dataclass."""
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__") or "__slots__" not in vars(cls):
        return cls
    fields = dataclasses.fields(cls)
    if any(not f.init or f.default_factory is not dataclasses.MISSING for f in fields):
        return cls
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    params, body = [], []
    for i, f in enumerate(fields):
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            scope[f"_d{i}"] = f.default
            params.append(f"{f.name}=_d{i}")
        scope[f"_s{i}"] = getattr(cls, f.name).__set__  # the slot's member descriptor
        body.append(f"    _s{i}(self, {f.name})")
    source = (
        f"def make({', '.join(params)}):\n    self = _new(_cls)\n" + "\n".join(body) + "\n    return self\n"
    )
    exec(source, scope)  # noqa: S102 - generated from the dataclass's own field names, as dataclasses does
    make: Callable[..., E] = scope["make"]
    make.__qualname__ = make.__name__ = f"make_{cls.__name__}"
    return make
