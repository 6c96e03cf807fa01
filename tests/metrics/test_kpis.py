"""KPI fold: definitions on a hand-written log, interval attribution, and invariants on random logs."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alur.core import events as ev
from alur.metrics.kpis import KpiFold, kpis_of


def call_log() -> list[ev.Event]:
    return [
        ev.AgentStateChanged(0.0, "ann", "offline", "available"),
        ev.AgentStateChanged(0.0, "bob", "offline", "available"),
        ev.CallArrived(10.0, "c1", "+100", "500", "main"),
        ev.MenuOptionChosen(15.0, "c1", "main", "menu", "1"),
        ev.CallQueued(20.0, "c1", "sales"),
        ev.Offered(25.0, "c1", "ann", "sales", "r1", 45.0),
        ev.AgentStateChanged(25.0, "ann", "available", "ringing"),
        ev.Answered(30.0, "c1", "ann", "sales", wait=10.0),
        ev.AgentStateChanged(30.0, "ann", "ringing", "busy"),
        ev.CallArrived(40.0, "c2", "+200", "500", "main"),
        ev.MenuOptionChosen(45.0, "c2", "main", "menu", "1"),
        ev.CallQueued(50.0, "c2", "sales"),
        ev.Abandoned(90.0, "c2", "sales", wait=40.0),
        ev.CallEnded(90.0, "c2", "caller_hangup"),
        ev.TalkEnded(130.0, "c1", "ann", "sales", talk_time=100.0),
        ev.AgentStateChanged(130.0, "ann", "busy", "wrap_up"),
        ev.WrapUpDone(150.0, "ann", "c1", "sales", duration=20.0),
        ev.AgentStateChanged(150.0, "ann", "wrap_up", "available"),
        ev.CallArrived(1790.0, "c3", "+300", "500", "main"),
        ev.MenuOptionChosen(1795.0, "c3", "main", "menu", "2"),
        ev.CallQueued(1799.0, "c3", "support"),
        ev.Offered(1799.0, "c3", "bob", "support", "r2", 1819.0),
        ev.AgentStateChanged(1799.0, "bob", "available", "reserved"),
        ev.Answered(1830.0, "c3", "bob", "support", wait=31.0),
        ev.AgentStateChanged(1830.0, "bob", "reserved", "busy"),
        ev.TalkEnded(1900.0, "c3", "bob", "support", talk_time=70.0),
        ev.AgentStateChanged(1900.0, "bob", "busy", "available"),
        ev.WrapUpDone(1900.0, "bob", "c3", "support", duration=0.0),
        ev.AgentStateChanged(3600.0, "ann", "available", "offline"),
        ev.AgentStateChanged(3600.0, "bob", "available", "offline"),
    ]


def test_totals_follow_the_definitions() -> None:
    snap = kpis_of(call_log(), interval=1800, sl_threshold=20)
    t = snap.total
    assert (t.arrived, t.offered, t.answered, t.abandoned) == (3, 3, 2, 1)
    assert t.abandonment_rate == pytest.approx(1 / 3)
    assert t.asa == pytest.approx((10 + 31) / 2)
    assert t.service_level == pytest.approx(1 / 3)  # only c1 answered within 20 s, out of 3 offered
    assert t.aht == pytest.approx((100 + 20 + 70) / 2)
    assert t.longest_wait == 40.0
    # ann worked 25..150 (125 s), bob 1799..1900 (101 s); both staffed 3600 s
    assert snap.agents["ann"].occupancy == pytest.approx(125 / 3600)
    assert snap.agents["bob"].occupancy == pytest.approx(101 / 3600)
    assert t.occupancy == pytest.approx(226 / 7200)
    assert snap.agents["ann"].answered == 1 and snap.agents["bob"].answered == 1
    assert snap.ivr_options == {("main", "menu", "1"): 2, ("main", "menu", "2"): 1}
    assert snap.queues["sales"].offered == 2 and snap.queues["support"].answered == 1


def test_outcomes_count_in_the_interval_the_call_was_queued() -> None:
    snap = kpis_of(call_log(), interval=1800)
    first, second = snap.intervals[0.0], snap.intervals[1800.0]
    assert first.offered == 3 and first.answered == 2  # c3 queued at 1799 s, answered at 1830 s
    assert second.offered == 0 and second.answered == 0
    # agent time is split at the boundary: bob worked 1 s in the first interval and 100 s in the second
    assert first.working_time == pytest.approx(125 + 1)
    assert second.working_time == pytest.approx(100)
    assert first.staffed_time + second.staffed_time == pytest.approx(7200)


def test_wrap_up_counts_in_the_interval_its_call_was_queued() -> None:
    """AHT of an interval is talk plus wrap-up of the calls queued in it, even when the wrap-up
    ends in the next interval, and whatever other agents' calls happen in between."""
    log = [
        ev.CallQueued(1700.0, "c1", "sales"),
        ev.Answered(1710.0, "c1", "ann", "sales", wait=10.0),
        ev.CallQueued(1750.0, "c2", "sales"),
        ev.Answered(1755.0, "c2", "bob", "sales", wait=5.0),
        ev.TalkEnded(1790.0, "c1", "ann", "sales", talk_time=80.0),
        ev.TalkEnded(1795.0, "c2", "bob", "sales", talk_time=40.0),
        ev.CallQueued(1850.0, "c3", "sales"),
        ev.Answered(1860.0, "c3", "bob", "sales", wait=10.0),
        ev.WrapUpDone(1850.0, "ann", "c1", "sales", duration=60.0),  # ends in the second interval
        ev.TalkEnded(1900.0, "c3", "bob", "sales", talk_time=40.0),
        ev.WrapUpDone(1920.0, "bob", "c3", "sales", duration=20.0),
    ]
    snap = kpis_of(log, interval=1800)
    first, second = snap.intervals[0.0], snap.intervals[1800.0]
    assert first.wrap_time == 60.0 and first.aht == pytest.approx((80 + 60 + 40) / 2)
    assert second.wrap_time == 20.0 and second.aht == pytest.approx(40 + 20)
    assert snap.agents["ann"].wrap_time == 60.0 and snap.agents["bob"].wrap_time == 20.0


def test_snapshot_counts_open_spans_and_waiting_callers_without_changing_the_fold() -> None:
    fold = KpiFold(interval=1800)
    fold.apply(ev.AgentStateChanged(0.0, "ann", "offline", "busy"))
    fold.apply(ev.CallQueued(100.0, "c9", "sales"))
    snap = fold.snapshot(now=400.0)
    assert snap.agents["ann"].occupancy == 1.0 and snap.agents["ann"].staffed_time == 400.0
    assert snap.waiting_now == 1 and snap.oldest_waiting == 300.0
    assert fold.agents["ann"].staffed_time == 0.0  # the live fold is untouched
    fold.apply(ev.Answered(450.0, "c9", "ann", "sales", 350.0))
    assert fold.snapshot(now=500.0).waiting_now == 0


def test_a_call_moved_between_queues_is_offered_once_in_total() -> None:
    log = [
        ev.CallQueued(0.0, "c1", "sales"),
        ev.CallQueued(60.0, "c1", "overflow"),
        ev.Answered(70.0, "c1", "a", "overflow", 70.0),
    ]
    snap = kpis_of(log)
    assert snap.total.offered == 1 and snap.total.answered == 1
    assert snap.queues["sales"].offered == 1 and snap.queues["overflow"].offered == 1


def test_an_overflow_to_another_queue_is_not_the_call_outcome() -> None:
    log = [
        ev.CallQueued(0.0, "c1", "sales"),
        ev.Overflowed(300.0, "c1", "sales", "support", "max_wait", 300.0),
        ev.CallQueued(301.0, "c1", "support"),
        ev.Answered(320.0, "c1", "a", "support", 19.0),
        ev.CallQueued(400.0, "c2", "sales"),
        ev.Overflowed(700.0, "c2", "sales", "voicemail", "max_wait", 300.0),
        ev.CallEnded(760.0, "c2", "voicemail"),
    ]
    snap = kpis_of(log)
    t = snap.total
    assert (t.offered, t.answered, t.overflowed) == (2, 1, 1)  # c1 was answered; only c2 overflowed for good
    assert t.p_wait == 1.0
    assert snap.queues["sales"].overflowed == 2 and snap.queues["support"].answered == 1


def test_empty_log_has_no_nan_except_service_level() -> None:
    snap = kpis_of([])
    d = snap.as_dict()["total"]
    assert d["offered"] == 0 and d["asa"] == 0.0 and math.isnan(d["service_level"])


@st.composite
def random_logs(draw: st.DrawFn) -> list[ev.Event]:
    log: list[ev.Event] = []
    t = 0.0
    for i in range(draw(st.integers(0, 40))):
        t += draw(st.floats(0, 900))
        cid = f"c{i}"
        log.append(ev.CallQueued(t, cid, draw(st.sampled_from(["a", "b"]))))
        wait = draw(st.floats(0, 300))
        queue = log[-1].queue  # type: ignore[attr-defined]
        outcome = draw(st.sampled_from(["answered", "abandoned", "overflow", "moved", "none"]))
        if outcome == "answered":
            log.append(ev.Answered(t + wait, cid, "x", queue, wait))
        elif outcome == "abandoned":
            log.append(ev.Abandoned(t + wait, cid, queue, wait))
        elif outcome == "overflow":
            log.append(ev.Overflowed(t + wait, cid, queue, "vm", "max_wait", wait))
        elif outcome == "moved":  # overflows to the other queue and is answered there
            other = "b" if queue == "a" else "a"
            log.append(ev.Overflowed(t + wait, cid, queue, other, "max_wait", wait))
            log.append(ev.CallQueued(t + wait, cid, other))
            log.append(ev.Answered(t + wait + 5, cid, "x", other, 5.0))
    return sorted(log, key=lambda e: e.at)


@settings(max_examples=60, deadline=None)
@given(random_logs())
def test_intervals_add_up_to_the_total_and_calls_are_conserved(log: list[ev.Event]) -> None:
    snap = kpis_of(log, interval=600)
    t = snap.total
    assert t.answered + t.abandoned + t.overflowed <= t.offered
    for name in ("offered", "answered", "abandoned", "overflowed", "within_sl", "waited"):
        assert sum(getattr(i, name) for i in snap.intervals.values()) == getattr(t, name)
    for name in ("answered", "abandoned", "within_sl"):
        assert sum(getattr(q, name) for q in snap.queues.values()) == getattr(t, name)
    assert 0 <= t.abandonment_rate <= 1
