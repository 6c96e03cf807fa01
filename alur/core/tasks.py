"""Coroutines in virtual time, without asyncio.

The flow interpreter is an `async def` that awaits only its Channel. Live, the Channel is asyncio-based;
in tests and in the simulator the scripted Channel awaits these `Future`s, and `Task` drives the
coroutine forward each time one resolves, on the `VirtualClock`. That keeps the interpreter the same
code in both worlds and makes simulated calls cost a few function calls, not an event-loop round trip.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Generator
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

    def __call__(self, done: Future[T]) -> None:
        """A future given as another's callback follows it: `a.add_done_callback(b)` settles `b` as
        `a` settles. (`Task` overrides this to resume its coroutine instead; the compiled build needs
        the call slot on the base class, to lay a task out as a future.)"""
        if done._exception is not None:
            self.set_exception(done._exception)
        else:
            self.set_result(done._result)

    def _fire(self) -> None:
        first, more = self._callback, self._more
        self._callback = self._more = None
        if first is not None:
            first(self)
        if more is not None:
            for callback in more:
                callback(self)

    # Awaiting a future iterates the future itself (as asyncio's does in C): a generator per await
    # would be one more object per call in progress, waiting the whole talk time.
    def __await__(self) -> Generator[Future[T], None, T]:
        return self  # type: ignore[return-value]  # an iterator as a generator's `yield from` takes it

    def __iter__(self) -> Future[T]:
        return self

    def __next__(self) -> Future[T]:
        """While pending, suspend the awaiting coroutine (it yields this future to its Task); once
        done, end the `await` with the result or raise the error."""
        if self._exception is not None:
            raise self._exception
        if self._result is _PENDING:
            return self
        raise StopIteration(self._result)


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
        out(done)  # `out` follows `future`

    future.add_done_callback(relay)
    return out


def first_of(clock: Clock, future: Future[T], timeout: float) -> Future[T | None]:
    """Resolve with the future's value, or None if `timeout` passes first."""
    maybe = cast(Future[T | None], future)
    return with_deadline(clock, maybe, clock.now() + timeout, lambda out: out.set_result(None))


class Task(Future[T]):
    """Drives one coroutine that awaits only `Future`s, and is the future of its outcome (as an
    asyncio task is): one object a simulated call, where a task beside its future was two."""

    __slots__ = ("_coro",)

    def __init__(self, coro: Coroutine[Any, Any, T]) -> None:
        super().__init__()
        self._coro = coro
        self._step()

    def _step(self) -> None:
        try:
            awaited = self._coro.send(None)
        except StopIteration as stop:
            self.set_result(stop.value)
            return
        except BaseException as error:  # the coroutine failed: keep the error for whoever waits
            self.set_exception(error)
            return
        if not isinstance(awaited, Future):
            self._coro.throw(TypeError(f"virtual-time task awaited {awaited!r}, not a core Future"))
            return
        awaited.add_done_callback(self)

    def __call__(self, done: Future[Any]) -> None:
        """The awaited future is done: resume the coroutine, whose `await` takes the result or error
        from the future itself. A task is its future's callback, not a bound method made per await."""
        self._step()


def run_until_complete(clock: VirtualClock, work: Awaitable[T]) -> T:
    """Run a coroutine, or wait for a future, to its end on a VirtualClock (test-flow and unit tests)."""
    task: Task[T] = Task(work if isinstance(work, Coroutine) else _awaiting(work))
    while not task.done() and clock.step():
        pass
    return task.result()


async def _awaiting(awaitable: Awaitable[T]) -> T:
    return await awaitable
