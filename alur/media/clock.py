"""The shared media clock: one 20 ms timer sends every stream's outgoing audio in one pass.

A timer per call costs a loop wake-up per call every 20 ms and lets thousands of timers drift apart;
one clock walks all sending streams per tick instead. The schedule is absolute (tick k is due at
start + k * 20 ms), so a late tick is followed by an earlier one; a tick that finds itself several
frames behind sends at most `max_catch_up` frames per stream (never a burst), and past `resync_after`
of stall the schedule restarts from now rather than racing to catch up.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("alur.media.clock")

PTIME = 0.020


class Sender(Protocol):
    """A stream with audio to send: `tick()` sends one frame and says whether it wants more ticks."""

    def tick(self, marker: bool) -> bool: ...


@dataclass(slots=True)
class ClockStats:
    """Figures for `/metrics`: how punctual the clock is and how much it sends."""

    ticks: int = 0
    frames_sent: int = 0
    late_ticks: int = 0  # ticks that ran more than 5 ms after their due time
    max_late: float = 0.0  # worst lateness seen (seconds)
    last_late: float = 0.0
    resyncs: int = 0
    streams: int = 0  # streams sending right now


class MediaClock:
    """Owns the set of sending streams; the timer runs only while some stream is sending."""

    def __init__(self, *, max_catch_up: int = 2, resync_after: float = 0.2) -> None:
        self.max_catch_up = max_catch_up
        self.resync_after = resync_after
        self.stats = ClockStats()
        self._senders: dict[Sender, None] = {}  # insertion-ordered set
        self._timer: asyncio.TimerHandle | None = None
        self._start = 0.0
        self._k = 0  # ticks done since `_start`
        self._resynced = False

    def add(self, sender: Sender) -> None:
        """Start ticking `sender` (its first frame goes out at once)."""
        if sender in self._senders:
            return
        self._senders[sender] = None
        self.stats.streams = len(self._senders)
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._start = loop.time()
            self._k = 0
            self._timer = loop.call_soon(self._tick)  # type: ignore[assignment]

    def remove(self, sender: Sender) -> None:
        self._senders.pop(sender, None)
        self.stats.streams = len(self._senders)

    def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        late = now - (self._start + self._k * PTIME)
        stats = self.stats
        stats.ticks += 1
        stats.last_late = late
        stats.max_late = max(stats.max_late, late)
        if late > 0.005:
            stats.late_ticks += 1
        marker = self._resynced
        self._resynced = False
        if late > self.resync_after:  # a long stall: start the schedule again, no burst
            stats.resyncs += 1
            self._start = now
            self._k = 0
            frames = 1
            marker = True
        else:
            frames = min(self.max_catch_up, int(late / PTIME) + 1)
        for _ in range(frames):
            self._send_all(marker)
            marker = False
        self._k += frames
        if self._senders:
            self._timer = loop.call_at(self._start + self._k * PTIME, self._tick)
        else:
            self._timer = None

    def _send_all(self, marker: bool) -> None:
        done: list[Sender] = []
        for sender in self._senders:
            try:
                more = sender.tick(marker)
            except Exception:  # one broken stream must not silence the others
                log.exception("media stream failed; it stops sending")
                more = False
            if not more:
                done.append(sender)
        self.stats.frames_sent += len(self._senders)
        for sender in done:
            self._senders.pop(sender, None)
        self.stats.streams = len(self._senders)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._senders.clear()
