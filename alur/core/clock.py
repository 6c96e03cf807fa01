"""Clocks: the only source of time for the engine.

The live server uses `RealClock`; tests and the simulator use `VirtualClock`, whose scheduled
callbacks run in (time, priority, seq) order so that a seeded run is reproducible bit for bit.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    """What the engine needs of time: the current instant and timers."""

    def now(self) -> float:
        """Seconds since the Unix epoch (virtual or real)."""
        ...

    def call_at(self, when: float, callback: Callable[[], None], priority: int = 0) -> TimerHandle: ...

    def call_later(self, delay: float, callback: Callable[[], None], priority: int = 0) -> TimerHandle: ...


@dataclass(order=True, slots=True)
class _Timer:
    when: float
    priority: int
    seq: int
    callback: Callable[[], None] | None = field(compare=False)

    def cancel(self) -> None:
        self.callback = None


class VirtualClock:
    """Discrete-event clock: time jumps to the next timer; nothing ever waits on the wall clock."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._queue: list[_Timer] = []
        self._seq = 0

    def now(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[[], None], priority: int = 0) -> _Timer:
        self._seq += 1
        timer = _Timer(max(when, self._now), priority, self._seq, callback)
        heapq.heappush(self._queue, timer)
        return timer

    def call_later(self, delay: float, callback: Callable[[], None], priority: int = 0) -> _Timer:
        return self.call_at(self._now + delay, callback, priority)

    def next_time(self) -> float | None:
        """When the next live timer fires, or None if nothing is scheduled."""
        while self._queue and self._queue[0].callback is None:
            heapq.heappop(self._queue)
        return self._queue[0].when if self._queue else None

    def step(self) -> bool:
        """Run the next timer; False when there is none."""
        while self._queue:
            timer = heapq.heappop(self._queue)
            if timer.callback is None:
                continue
            self._now = timer.when
            callback, timer.callback = timer.callback, None
            callback()
            return True
        return False

    def run(self, until: float | None = None) -> None:
        """Run timers in order until none are left or the next one is later than `until`."""
        while True:
            nxt = self.next_time()
            if nxt is None or (until is not None and nxt > until):
                break
            self.step()
        if until is not None and until > self._now:
            self._now = until


class RealClock:
    """Wall-clock time on an asyncio loop (timers via loop.call_later; no transports)."""

    def __init__(self, loop: "AbstractEventLoopLike") -> None:
        self._loop = loop

    def now(self) -> float:
        return time.time()

    def call_at(self, when: float, callback: Callable[[], None], priority: int = 0) -> TimerHandle:
        return self._loop.call_later(max(0.0, when - time.time()), callback)

    def call_later(self, delay: float, callback: Callable[[], None], priority: int = 0) -> TimerHandle:
        return self._loop.call_later(max(0.0, delay), callback)


class AbstractEventLoopLike(Protocol):
    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle: ...
