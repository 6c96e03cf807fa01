"""A supervisor moves a waiting call to another queue or sets its priority: the call keeps its
arrival time, outstanding offers are withdrawn, and each decision is logged and explained."""

from __future__ import annotations

import pytest
from conftest import Desk

from alur.core.events import Escalated, OfferDeclined
from alur.routing import RoutingError


def desk() -> Desk:
    queues = [{"name": "q", "strategy": "longest_idle"}, {"name": "other"}]
    agents = [{"id": "a", "queues": ["q"]}, {"id": "b", "queues": ["other"]}]
    return Desk(queues, agents, login=False)


def test_move_keeps_the_arrival_and_withdraws_offers() -> None:
    d = desk()
    d.router.login("a")
    d.call("c1")
    d.advance(10)
    d.router.move_call("c1", "other", by="sam")
    assert [(e.reason, e.call_id) for e in d.events if isinstance(e, OfferDeclined)] == [("moved", "c1")]
    moved = [e for e in d.events if isinstance(e, Escalated)]
    assert [(e.queue, e.action, e.target) for e in moved] == [("q", "move_queue", "other")]
    assert "by sam" in moved[0].detail
    assert d.router.waiting("other") == ["c1"] and d.router.agent_state("a") == "available"
    d.router.login("b")
    answered = d.take("c1")
    assert answered == "b"
    assert any("sam moved it q -> other" in e.why for e in d.router.explain("c1"))


def test_priority_moves_a_call_ahead_in_line() -> None:
    d = desk()
    for call_id in ("c1", "c2", "c3"):
        d.call(call_id)
    d.router.set_priority("c3", 5, by="sam")
    assert d.router.waiting("q") == ["c3", "c1", "c2"]
    event = [e for e in d.events if isinstance(e, Escalated)][-1]
    assert (event.action, event.priority) == ("raise_priority", 5)
    d.router.login("a")
    assert d.offers[-1].call_id == "c3"


def test_bad_moves_name_the_problem() -> None:
    d = desk()
    d.call("c1")
    with pytest.raises(RoutingError, match="call 'c1' already waits in 'q'"):
        d.router.move_call("c1", "q")
    with pytest.raises(RoutingError, match="unknown queue 'nope'"):
        d.router.move_call("c1", "nope")
    with pytest.raises(RoutingError, match="call 'zz' is not waiting in any queue"):
        d.router.set_priority("zz", 1)
