"""The envelope the event bus puts around each event: who stamped it, in which order, when."""

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
