"""Callbacks in the figures: requested, reached (completed) and given up (failed)."""

from alur.core import events as ev
from alur.metrics.kpis import kpis_of


def test_callbacks_requested_reached_and_failed_are_counted_per_queue() -> None:
    log = [
        ev.CallQueued(10.0, "c1", "sales"),
        ev.CallbackRequested(20.0, "c1", "sales", "+100"),
        ev.CallEnded(21.0, "c1", "caller_hangup"),
        ev.CallQueued(30.0, "c2", "sales"),
        ev.CallbackRequested(40.0, "c2", "sales", "+200"),
        ev.CallEnded(41.0, "c2", "caller_hangup"),
        ev.CallbackAttempted(100.0, "c1", "sales", "ann", False, 1, "no_answer", 400.0),
        ev.CallbackAttempted(110.0, "c2", "sales", "ann", True, 1, "answered"),
        ev.CallbackAttempted(400.0, "c1", "sales", "ann", False, 2, "busy", None),
        ev.CallbackFailed(400.0, "c1", "sales", 2, "attempts_exhausted"),
    ]
    snap = kpis_of(log)
    for t in (snap.total, snap.queues["sales"]):
        assert (t.callbacks_requested, t.callbacks_reached, t.callbacks_failed) == (2, 1, 1)
    assert snap.total.as_dict()["callbacks_failed"] == 1
