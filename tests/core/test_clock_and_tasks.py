import heapq
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alur.core.clock import VirtualClock
from alur.core.tasks import Future, Task, first_of, run_until_complete, sleep


def test_virtual_clock_orders_by_time_then_priority_then_insertion() -> None:
    clock = VirtualClock(start=100.0)
    seen: list[str] = []
    clock.call_at(105, lambda: seen.append("b-late"))
    clock.call_at(103, lambda: seen.append("a-prio1"), priority=1)
    clock.call_at(103, lambda: seen.append("a-prio0-first"))
    clock.call_at(103, lambda: seen.append("a-prio0-second"))
    cancelled = clock.call_at(104, lambda: seen.append("cancelled"))
    cancelled.cancel()
    clock.run()
    assert seen == ["a-prio0-first", "a-prio0-second", "a-prio1", "b-late"]
    assert clock.now() == 105


# a timer: (delay, priority, cancelled, timers it schedules when it runs); few distinct delays, so
# many timers share an instant and the priority and scheduling order decide
timer_plans = st.recursive(
    st.tuples(st.sampled_from([0.0, 0.5, 1.0, 2.0]), st.integers(-2, 2), st.booleans(), st.just(())),
    lambda inner: st.tuples(
        st.sampled_from([0.0, 0.5, 1.0, 2.0]), st.integers(-2, 2), st.booleans(), st.lists(inner, max_size=4)
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(timer_plans, min_size=1, max_size=25))
def test_virtual_clock_runs_timers_as_a_time_priority_order_heap_would(plans: list) -> None:
    """The clock keeps one heap entry per instant and a chain of timers beside it; whatever the ties,
    cancellations and timers scheduled from callbacks, it runs them in the order of a plain heap of
    (time, priority, order of scheduling)."""
    clock = VirtualClock(start=10.0)
    ran: list[int] = []
    numbers = itertools.count()  # each timer's number: the order it was scheduled in

    def schedule(plan: tuple) -> None:
        delay, priority, cancelled, children = plan
        n = next(numbers)

        def run() -> None:
            ran.append(n)
            for child in children:
                schedule(child)

        timer = clock.call_later(delay, run, priority)
        if cancelled:
            timer.cancel()

    for plan in plans:
        schedule(plan)
    clock.run()
    assert clock.next_time() is None

    expected: list[int] = []
    heap: list[tuple[float, int, int, list]] = []
    numbers = itertools.count()

    def push(plan_list: list, now: float) -> None:
        for delay, priority, cancelled, children in plan_list:
            n = next(numbers)
            if not cancelled:
                heapq.heappush(heap, (now + delay, priority, n, children))

    push(plans, 10.0)
    while heap:
        when, _, n, children = heapq.heappop(heap)
        expected.append(n)
        push(children, when)
    assert ran == expected


def test_a_timer_at_an_instant_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="not a number"):
        VirtualClock().call_at(float("nan"), lambda: None)


def test_run_until_stops_at_the_horizon() -> None:
    clock = VirtualClock()
    seen: list[float] = []
    for t in (1, 2, 3):
        clock.call_at(t, lambda t=t: seen.append(t))
    clock.run(until=2.5)
    assert seen == [1, 2] and clock.now() == 2.5


def test_task_drives_a_coroutine_in_virtual_time() -> None:
    clock = VirtualClock()

    async def caller() -> list[float]:
        marks = [clock.now()]
        await sleep(clock, 3)
        marks.append(clock.now())
        await sleep(clock, 0.5)
        marks.append(clock.now())
        return marks

    assert run_until_complete(clock, caller()) == [0, 3, 3.5]


def test_first_of_times_out_and_errors_propagate() -> None:
    clock = VirtualClock()
    never: Future[str] = Future()
    failing: Future[str] = Future()

    async def body() -> str | None:
        got = await first_of(clock, never, 2)
        assert got is None and clock.now() == 2
        clock.call_later(1, lambda: failing.set_exception(ValueError("boom")))
        try:
            await failing
        except ValueError as error:
            return str(error)
        return None

    task = Task(body())
    clock.run()
    assert task.result() == "boom"


def test_a_futures_callbacks_run_once_each_in_the_order_they_were_added() -> None:
    future: Future[int] = Future()
    seen: list[str] = []
    for name in ("first", "second", "third"):
        future.add_done_callback(lambda f, name=name: seen.append(f"{name}:{f.result()}"))
    future.set_result(7)
    future.set_result(8)  # a second result is ignored, and nothing runs twice
    future.add_done_callback(lambda f: seen.append(f"late:{f.result()}"))  # done: runs at once
    assert seen == ["first:7", "second:7", "third:7", "late:7"]


def test_a_future_given_as_a_callback_follows_the_other_and_a_task_is_the_future_of_its_coroutine() -> None:
    clock = VirtualClock()
    source: Future[int] = Future()
    follower: Future[int] = Future()
    source.add_done_callback(follower)
    failing: Future[int] = Future()
    failed: Future[int] = Future()
    failing.add_done_callback(failed)

    async def waits() -> int:
        value = await follower  # the future itself is what the coroutine iterates
        try:
            await failed
        except KeyError:
            return value + 1
        return -1

    task = Task(waits())
    assert not task.done()
    clock.call_at(1, lambda: source.set_result(41))
    clock.call_at(2, lambda: failing.set_exception(KeyError("gone")))
    clock.run()
    assert isinstance(task, Future) and task.result() == 42
    assert isinstance(failed._exception, KeyError)
