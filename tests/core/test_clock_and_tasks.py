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
    assert task.future.result() == "boom"
