"""Coroutines in virtual time, without asyncio.

The flow interpreter is an `async def` that awaits only its Channel. Live, the Channel is asyncio-based;
in tests and in the simulator the scripted Channel awaits these `Future`s, and `Task` drives the
coroutine forward each time one resolves, on the `VirtualClock`. That keeps the interpreter the same
code in both worlds and makes simulated calls cost a few function calls, not an event-loop round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Generator
from typing import Any, Generic, TypeVar, cast

from alur.core.clock import Clock, TimerHandle, VirtualClock

T = TypeVar("T")

_PENDING = object()


class Future(Generic[T]):
    """A value that will be set later; awaiting it suspends the coroutine that awaits it.

    Nearly every future has one callback (the task awaiting it): it gets a slot of its own, and a
    list exists only for more. A simulated call in progress holds two futures; at 1,200 agents a
    thousand calls wait, and two lists fewer each is that much less memory to go cold."""

    __slots__ = ("_result", "_exception", "_callback", "_more")

    def __init__(self) -> None:
        self._result: Any = _PENDING
        self._exception: BaseException | None = None
        self._callback: Callable[[Future[T]], None] | None = None  # the first callback
        self._more: list[Callable[[Future[T]], None]] | None = None  # the others, in order

    def done(self) -> bool:
        return self._result is not _PENDING or self._exception is not None

    def set_result(self, value: T) -> None:
        if self._result is not _PENDING or self._exception is not None:  # done() inline: a hot path
            return
        self._result = value
        self._fire()

    def set_exception(self, exc: BaseException) -> None:
        if self.done():
            return
        self._exception = exc
        self._fire()

    def result(self) -> T:
        if self._exception is not None:
            raise self._exception
        if self._result is _PENDING:
            raise RuntimeError("future is not done")
        return self._result  # type: ignore[no-any-return]

    def add_done_callback(self, callback: Callable[[Future[T]], None]) -> None:
        if self._result is not _PENDING or self._exception is not None:
            callback(self)
        elif self._callback is None:
            self._callback = callback
        elif self._more is None:
            self._more = [callback]
        else:
            self._more.append(callback)

    def _fire(self) -> None:
        first, more = self._callback, self._more
        self._callback = self._more = None
        if first is not None:
            first(self)
        if more is not None:
            for callback in more:
                callback(self)

    def __await__(self) -> Generator[Future[T], None, T]:
        if self._result is _PENDING and self._exception is None:
            yield self
        return self.result()


def sleep(clock: Clock, delay: float) -> Future[None]:
    """A future that resolves after `delay` seconds of the clock's time."""
    future: Future[None] = Future()
    clock.call_later(delay, lambda: future.set_result(None))
    return future


def with_deadline(
    clock: Clock, future: Future[T], at: float, expire: Callable[[Future[T]], None]
) -> Future[T]:
    """A future that follows `future`, unless time `at` comes first: then `expire(it)` settles it."""
    out: Future[T] = Future()
    timer: TimerHandle = clock.call_at(at, lambda: expire(out))

    def relay(done: Future[T]) -> None:
        timer.cancel()
        if done._exception is not None:
            out.set_exception(done._exception)
        else:
            out.set_result(done._result)

    future.add_done_callback(relay)
    return out


def first_of(clock: Clock, future: Future[T], timeout: float) -> Future[T | None]:
    """Resolve with the future's value, or None if `timeout` passes first."""
    maybe = cast(Future[T | None], future)
    return with_deadline(clock, maybe, clock.now() + timeout, lambda out: out.set_result(None))


class Task(Generic[T]):
    """Drives one coroutine that awaits only `Future`s; its own `future` holds the outcome."""

    __slots__ = ("_coro", "future")

    def __init__(self, coro: Coroutine[Any, Any, T]) -> None:
        self._coro = coro
        self.future: Future[T] = Future()
        self._step(None, None)

    def _step(self, value: Any, exc: BaseException | None) -> None:
        try:
            awaited = self._coro.throw(exc) if exc is not None else self._coro.send(value)
        except StopIteration as stop:
            self.future.set_result(stop.value)
            return
        except BaseException as error:  # the coroutine failed: keep the error for whoever waits
            self.future.set_exception(error)
            return
        if not isinstance(awaited, Future):
            self._coro.throw(TypeError(f"virtual-time task awaited {awaited!r}, not a core Future"))
            return
        awaited.add_done_callback(self._resume)

    def _resume(self, done: Future[Any]) -> None:
        if done._exception is not None:
            self._step(None, done._exception)
        else:
            self._step(done._result, None)


def run_until_complete(clock: VirtualClock, coro: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine to its end on a VirtualClock (used by test-flow and unit tests)."""
    task = Task(coro)
    while not task.future.done() and clock.step():
        pass
    return task.future.result()
