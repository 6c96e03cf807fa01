"""Calling back: a try that misses the customer returns the callback to its place after the queue's
gap; after the last try it is given up; each try is an event."""

from __future__ import annotations

import pytest

from alur.core.events import CallbackAttempted, CallbackFailed, TalkEnded
from alur.routing import QueueConfig
from alur.routing.errors import RoutingError

QUEUE = {"name": "q", "wrap_up": 0, "callback": {"attempts": 2, "retry_after": 60}}


def test_an_unreached_try_waits_the_gap_then_keeps_its_place_ahead_of_later_callers(desk_cls) -> None:
    desk = desk_cls([QUEUE], desk_cls.agents("a1"), login=False)
    r = desk.router
    desk.call("c1")
    r.request_callback("c1", "+62811")
    r.login("a1")
    r.answer(desk.offer_for("c1").reservation_id)  # a1 takes the callback; the customer does not answer
    retry_at = r.callback_attempted("c1", False, "no_answer")
    assert retry_at == desk.clock.now() + 60
    assert [(t.agent_id, t.ended_by) for t in desk.of(TalkEnded)] == [("a1", "callback_unreached")]
    assert r.agent_state("a1").value == "available" and r.waiting("q") == []
    desk.call("c2")  # a later caller is served while the callback waits for its next try
    desk.take("c2")
    desk.call("c3")
    desk.advance(60)  # c3 is being offered to a1; the callback comes back ahead of it
    assert r.waiting("q") == ["c1", "c3"]
    (tried,) = desk.of(CallbackAttempted)
    assert (tried.attempt, tried.outcome, tried.reached, tried.retry_at) == (1, "no_answer", False, retry_at)


def test_the_last_unreached_try_gives_the_callback_up(desk_cls) -> None:
    desk = desk_cls([QUEUE], desk_cls.agents("a1"))
    r = desk.router
    desk.call("c1")
    r.pause("a1")
    r.request_callback("c1", "+62811")
    r.unpause("a1")
    for _ in range(2):
        r.answer(desk.offer_for("c1").reservation_id)
        r.callback_attempted("c1", False, "busy")
        desk.advance(60)
    tries = [(t.attempt, t.retry_at is None) for t in desk.of(CallbackAttempted)]
    assert tries == [(1, False), (2, True)]
    (failed,) = desk.of(CallbackFailed)
    assert (failed.call_id, failed.attempts, failed.reason) == ("c1", 2, "attempts_exhausted")
    assert r.waiting("q") == [] and r.retrying == {} and r.dialing == {}


def test_a_reached_try_is_logged_and_the_talk_goes_on(desk_cls) -> None:
    desk = desk_cls([QUEUE], desk_cls.agents("a1"))
    r = desk.router
    desk.call("c1")
    r.pause("a1")
    r.request_callback("c1", "+62811")
    r.unpause("a1")
    r.answer(desk.offer_for("c1").reservation_id)
    assert r.callback_attempted("c1", True) is None
    assert r.agent_state("a1").value == "busy"
    r.talk_ended("c1", "caller")
    assert [(t.reached, t.outcome) for t in desk.of(CallbackAttempted)] == [(True, "answered")]
    assert r.dialing == {}
    with pytest.raises(RoutingError) as err:
        r.callback_attempted("c1", True)
    assert err.value.code == "not_dialling"


def test_a_callback_between_tries_can_be_cancelled(desk_cls) -> None:
    desk = desk_cls([QUEUE], desk_cls.agents("a1"))
    r = desk.router
    desk.call("c1")
    r.pause("a1")
    r.request_callback("c1", "+62811")
    r.unpause("a1")
    r.answer(desk.offer_for("c1").reservation_id)
    r.callback_attempted("c1", False)
    assert r.cancel_callback("c1")
    desk.advance(120)
    assert r.waiting("q") == [] and [f.reason for f in desk.of(CallbackFailed)] == ["cancelled"]


def test_callback_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="ring_first"):
        QueueConfig.model_validate({"name": "q", "callback": {"ring_first": "robot"}})
    assert QueueConfig.model_validate({"name": "q"}).callback.ring_first == "agent"
