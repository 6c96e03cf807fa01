"""'Pause / log out after this call': the request waits for the end of the call, the latest request
wins, and an explicit change of state in between takes it back."""

from __future__ import annotations

from typing import Any

from alur.core.events import AgentRequestPending
from alur.routing.agents import AgentState

S = AgentState


def queue(**kw: Any) -> dict[str, Any]:
    return {"name": "q", "strategy": "longest_idle", "wrap_up": 30, **kw}


def test_a_logout_request_does_not_outlive_a_later_pause(desk_cls: Any) -> None:
    desk = desk_cls([queue()], desk_cls.agents("a"))
    desk.call("c1")
    desk.router.answer(desk.offer_for("c1").reservation_id)
    desk.router.logout("a")  # on a call: after it
    desk.router.talk_ended("c1")
    assert desk.router.agent_state("a") is S.WRAP_UP
    desk.router.pause("a", "coaching")  # changes her mind: a pause now, no log-out
    desk.router.unpause("a")
    desk.call("c2")
    desk.take("c2")
    desk.advance(30)
    assert desk.router.agent_state("a") is S.AVAILABLE  # not logged out by the old request


def test_a_pause_request_does_not_outlive_a_later_logout(desk_cls: Any) -> None:
    desk = desk_cls([queue()], desk_cls.agents("a"))
    desk.call("c1")
    desk.router.answer(desk.offer_for("c1").reservation_id)
    desk.router.pause("a", "lunch")
    desk.router.talk_ended("c1")
    desk.router.logout("a")  # in wrap-up: logs out now
    desk.router.login("a")
    desk.call("c2")
    desk.take("c2")
    desk.advance(30)
    assert desk.router.agent_state("a") is S.AVAILABLE  # not paused for yesterday's lunch


def test_the_latest_request_wins_and_ready_takes_it_back(desk_cls: Any) -> None:
    desk = desk_cls([queue(wrap_up=0)], desk_cls.agents("a"))
    desk.call("c1")
    desk.router.answer(desk.offer_for("c1").reservation_id)
    desk.router.logout("a")
    desk.router.pause("a", "break")  # replaces the log-out
    desk.router.talk_ended("c1")
    assert desk.router.agent_state("a") is S.PAUSED and desk.router.agents["a"].pause_reason == "break"
    desk.router.unpause("a")
    desk.call("c2")
    desk.router.answer(desk.offer_for("c2").reservation_id)
    desk.router.pause("a", "break")
    desk.router.ready("a")  # "never mind": on a call, ready takes the request back
    desk.router.talk_ended("c2")
    assert desk.router.agent_state("a") is S.AVAILABLE
    requests = [(e.pending, e.reason) for e in desk.of(AgentRequestPending)]
    assert requests == [("logout", ""), ("pause", "break"), ("pause", "break"), ("", "")]
