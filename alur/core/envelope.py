"""An event as the event bus stamped it: its place in one server's sequence and when it was stamped.

The event itself stays the pure fact (`at` is the clock time it happened, virtual in a simulation);
the stamp is about delivery: `seq` counts 1, 2, 3 ... per server and carries on across restarts, so a
subscriber or a second server can tell what it has missed.
"""

from __future__ import annotations

from dataclasses import dataclass

from alur.core.events import Event


@dataclass(frozen=True, slots=True)
class Envelope:
    """An event as the bus stamped it."""

    seq: int  # per-server sequence number, 1, 2, 3 ... continuing across restarts
    server: str  # the server's id
    stamped_at: float  # wall-clock time of stamping (epoch seconds)
    event: Event
