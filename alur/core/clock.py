"""Clocks: the only source of time for the engine.

The live server uses `RealClock`; tests and the simulator use `VirtualClock`, whose scheduled
callbacks run in (time, priority, seq) order so that a seeded run is reproducible bit for bit.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Protocol


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Clock:
    """What the engine needs of time: the current instant and timers. A base class rather than a
    Protocol: the compiled build (setup.py) then calls a clock's methods directly, ten times a call."""

    def now(self) -> float:
        """Seconds since the Unix epoch (virtual or real)."""
        raise NotImplementedError

    def call_at(self, when: float, callback: Callable[[], None], priority: int = 0) -> TimerHandle:
        raise NotImplementedError

    def call_later(self, delay: float, callback: Callable[[], None], priority: int = 0) -> TimerHandle:
        raise NotImplementedError


class _Timer:
    """A scheduled callback; cancelling clears it and the heap drops it when it surfaces."""

    __slots__ = ("when", "callback")

    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback: Callable[[], None] | None = callback

    def cancel(self) -> None:
        self.callback = None


class VirtualClock(Clock):
    """Discrete-event clock: time jumps to the next timer; nothing ever waits on the wall clock.

    The heap holds plain (time, priority, seq, timer) tuples: tuple comparison is the hot path of a
    simulation, and the unique `seq` means the timer object itself is never compared.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._queue: list[tuple[float, int, int, _Timer]] = []
        self._seq = 0

    def now(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[[], None], priority: int = 0) -> _Timer:
        self._seq += 1
        if when < self._now:
            when = self._now
        timer = _Timer(when, callback)
        heapq.heappush(self._queue, (when, priority, self._seq, timer))
        return timer

    def call_later(self, delay: float, callback: Callable[[], None], priority: int = 0) -> _Timer:
        return self.call_at(self._now + delay, callback, priority)

    def next_time(self) -> float | None:
        """When the next live timer fires, or None if nothing is scheduled."""
        queue = self._queue
        while queue and queue[0][3].callback is None:
            heapq.heappop(queue)
        return queue[0][0] if queue else None

    def step(self) -> bool:
        """Run the next timer; False when there is none."""
        queue = self._queue
        while queue:
            when, _, _, timer = heapq.heappop(queue)
            callback = timer.callback
            if callback is None:
                continue
            self._now = when
            timer.callback = None
            callback()
            return True
        return False

    def run_due(self, until: float, limit: int) -> int:
        """Run at most `limit` timers due by `until`; how many ran. The simulator's loop: one call
        per batch rather than `next_time` and `step` per timer, in the same order."""
        queue = self._queue
        pop = heapq.heappop
        ran = 0
        while queue and ran < limit:
            when, _, _, timer = queue[0]
            callback = timer.callback
            if callback is None:
                pop(queue)
                continue
            if when > until:
                break
            pop(queue)
            self._now = when
            timer.callback = None
            callback()
            ran += 1
        return ran

    def run(self, until: float | None = None) -> None:
        """Run timers in order until none are left or the next one is later than `until`."""
        while True:
            nxt = self.next_time()
            if nxt is None or (until is not None and nxt > until):
                break
            self.step()
        if until is not None and until > self._now:
            self._now = until


class RealClock(Clock):
    """Wall-clock time on an asyncio loop (timers via loop.call_later; no transports)."""

    def __init__(self, loop: AbstractEventLoopLike, now: Callable[[], float] = time.time) -> None:
        self._loop = loop
        self._time = now  # the wall clock; a test may give a fixed instant (timers still run on the loop)

    def now(self) -> float:
        return self._time()

    def call_at(self, when: float, callback: Callable[[], None], priority: int = 0) -> TimerHandle:
        return self._loop.call_later(max(0.0, when - self._time()), partial(_guarded, callback))

    def call_later(self, delay: float, callback: Callable[[], None], priority: int = 0) -> TimerHandle:
        return self._loop.call_later(max(0.0, delay), partial(_guarded, callback))


def _guarded(callback: Callable[[], None]) -> None:
    """No exception escapes a timer: it is logged with the callback that raised it."""
    try:
        callback()
    except Exception:
        logging.getLogger("alur.clock").exception("timer callback %r failed", callback)


class AbstractEventLoopLike(Protocol):
    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle: ...
