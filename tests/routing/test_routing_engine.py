"""Offers, ring-no-answer, callbacks, limits, wrap-up, escalation, explanations and statistics."""

from __future__ import annotations

import pytest

from alur.core.errors import IllegalTransition
from alur.core.events import (
    Abandoned,
    AgentStateChanged,
    Answered,
    CallbackRequested,
    Escalated,
    OfferDeclined,
    Overflowed,
    WrapUpDone,
)
from alur.routing import AgentState, RoutingError


def queue(**kw: object) -> list[dict[str, object]]:
    return [{"name": "q", "strategy": "fixed_order", **kw}]


def test_an_agent_is_offered_one_call_at_a_time(desk_cls) -> None:
    desk = desk_cls(queue(), desk_cls.agents("a"))
    desk.call("c1")
    desk.call("c2")
    assert [o.call_id for o in desk.offers] == ["c1"]
    assert desk.router.agent_state("a") is AgentState.RESERVED
    assert desk.router.position("c2") == 2  # c1 is still in line while offered


def test_ring_no_answer_returns_the_call_to_its_place_and_pauses_the_agent(desk_cls) -> None:
    desk = desk_cls(
        queue(ring_timeout=15, ring_no_answer={"pause_agent": True, "after_misses": 1}),
        desk_cls.agents("sleepy", "awake"),
        login=False,
    )
    desk.router.login("sleepy")
    desk.call("first")
    desk.call("second")
    assert desk.offer_for("first").agent_id == "sleepy"
    desk.advance(15)  # the ring timeout passes
    assert [(e.call_id, e.reason) for e in desk.of(OfferDeclined)] == [("first", "no_answer")]
    assert desk.cancelled[0][0].agent_id == "sleepy"  # the driver is told to stop ringing
    assert desk.router.agent_state("sleepy") is AgentState.PAUSED
    assert desk.router.agents["sleepy"].pause_reason == "ring_no_answer"
    assert desk.router.waiting("q") == ["first", "second"]  # first keeps its place
    desk.router.login("awake")
    assert desk.offer_for("first").agent_id == "awake"
    assert "keeps place 1" in desk.router.explain("first")[1].why


def test_ring_no_answer_without_pause_retries_other_agents_first(desk_cls) -> None:
    desk = desk_cls(
        queue(ring_no_answer={"pause_agent": False, "retry_same_agent_after": 30}), desk_cls.agents("a", "b")
    )
    desk.call("c")
    desk.router.decline(desk.offer_for("c").reservation_id, "no_answer")
    assert desk.router.agent_state("a") is AgentState.AVAILABLE
    offer = desk.offer_for("c")
    assert offer.agent_id == "b"
    desk.router.decline(offer.reservation_id, "busy")
    assert desk.router.position("c") == 1
    desk.advance(30)  # after the retry delay, a may be offered the call again
    assert desk.offer_for("c").agent_id == "a"


def test_decline_needs_a_known_reason_and_a_live_offer(desk_cls) -> None:
    desk = desk_cls(queue(), desk_cls.agents("a"))
    desk.call("c")
    rid = desk.offer_for("c").reservation_id
    with pytest.raises(RoutingError) as err:
        desk.router.decline(rid, "sleeping")
    assert err.value.code == "bad_reason" and "sleeping" in str(err.value)
    desk.router.answer(rid)
    with pytest.raises(RoutingError) as gone:
        desk.router.decline(rid)
    assert gone.value.code == "offer_gone"


def test_callback_keeps_the_place_in_line(desk_cls) -> None:
    desk = desk_cls(queue(max_wait=60), desk_cls.agents("a"))
    desk.router.pause("a")
    for c in ("c1", "c2", "c3"):
        desk.call(c)
    desk.router.request_callback("c2", "+62811000")
    assert desk.outcomes["c2"].result == "callback"
    assert desk.of(CallbackRequested)[0].number == "+62811000"
    assert desk.router.abandon("c2") is False  # the caller hanging up now is expected
    desk.advance(120)  # max wait: c1 and c3 time out, the callback waits on
    assert desk.outcomes["c1"].result == "timeout" and desk.outcomes["c3"].result == "timeout"
    assert desk.router.waiting("q") == ["c2"]
    desk.router.unpause("a")
    offer = desk.offer_for("c2")
    assert offer.callback_number == "+62811000"


def test_callback_is_served_in_arrival_order(desk_cls) -> None:
    desk = desk_cls(queue(), desk_cls.agents("a"))
    desk.router.pause("a")
    for c in ("c1", "c2", "c3"):
        desk.call(c)
    desk.router.request_callback("c1", "100")
    desk.router.unpause("a")
    assert desk.take("c1") == "a"
    assert desk.offer_for("c2")


def test_abandon_while_offered_frees_the_agent(desk_cls) -> None:
    desk = desk_cls(queue(), desk_cls.agents("a"))
    desk.advance(5)
    desk.call("c")
    desk.advance(3)
    assert desk.router.abandon("c") is True
    assert desk.of(Abandoned)[0].wait == 3
    assert desk.router.agent_state("a") is AgentState.AVAILABLE
    assert desk.cancelled[0][1] == "caller_left"
    assert desk.outcomes["c"].result == "abandoned"


def test_max_length_and_overflow_target(desk_cls) -> None:
    desk = desk_cls(queue(max_length=2, overflow="voicemail"), desk_cls.agents("a"), login=False)
    desk.call("c1")
    desk.call("c2")
    desk.call("c3")
    assert desk.outcomes["c3"].result == "full" and desk.outcomes["c3"].target == "voicemail"
    assert desk.of(Overflowed)[0].reason == "full"


def test_no_agents_leave(desk_cls) -> None:
    desk = desk_cls(queue(when_no_agents="leave"), desk_cls.agents("a"), login=False)
    desk.call("c1")
    assert desk.outcomes["c1"].result == "no_agents"
    desk.router.login("a", paused="meeting")
    desk.call("c2")
    assert desk.outcomes["c2"].result == "no_agents"  # paused agents do not staff the queue
    desk.router.unpause("a")
    assert desk.call("c3") is not None


def test_max_wait_overflows_to_the_queue_target(desk_cls) -> None:
    desk = desk_cls(queue(max_wait=90, overflow="after_hours"), desk_cls.agents("a"), login=False)
    desk.call("c", max_wait=None)
    desk.advance(89)
    assert "c" not in desk.outcomes
    desk.advance(1)
    assert desk.outcomes["c"].result == "overflow" and desk.outcomes["c"].target == "after_hours"
    assert desk.outcomes["c"].wait == 90


def test_wrap_up_is_respected(desk_cls) -> None:
    desk = desk_cls(queue(wrap_up=30), desk_cls.agents("a"))
    desk.call("c1")
    desk.take("c1", talk=100)
    assert desk.router.agent_state("a") is AgentState.WRAP_UP
    desk.call("c2")
    desk.advance(29)
    assert [o.call_id for o in desk.offers] == ["c1"]
    desk.advance(1)
    assert desk.offer_for("c2").agent_id == "a"
    assert desk.of(WrapUpDone)[0].duration == 30


def test_ready_ends_wrap_up_early_and_pause_during_a_call_waits(desk_cls) -> None:
    desk = desk_cls(queue(wrap_up=60), desk_cls.agents("a"))
    desk.call("c1")
    desk.router.answer(desk.offer_for("c1").reservation_id)
    desk.router.pause("a", "lunch")  # on a call: takes effect afterwards
    assert desk.router.agent_state("a") is AgentState.BUSY
    desk.router.talk_ended("c1")
    desk.advance(10)
    desk.router.ready("a")  # ends wrap-up; the pending pause applies
    assert desk.router.agent_state("a") is AgentState.PAUSED
    assert desk.router.agents["a"].pause_reason == "lunch"


def test_illegal_transitions_are_rejected_with_a_clear_message(desk_cls) -> None:
    desk = desk_cls(queue(), desk_cls.agents("a"), login=False)
    with pytest.raises(IllegalTransition) as err:
        desk.router.unpause("a")
    assert "'a'" in str(err.value) and "offline" in str(err.value)
    with pytest.raises(IllegalTransition):
        desk.router.pause("a")
    desk.router.login("a")
    with pytest.raises(IllegalTransition):
        desk.router.login("a")
    desk.call("c")
    desk.router.answer(desk.offer_for("c").reservation_id)
    with pytest.raises(IllegalTransition) as busy:
        desk.router.ready("a")
    assert "busy" in str(busy.value)
    agent = desk.router.agents["a"]
    with pytest.raises(IllegalTransition) as table:
        agent.move(AgentState.RESERVED)
    assert "cannot go from busy to reserved" in str(table.value) and table.value.code == "illegal_transition"


def test_logout_during_a_call_happens_after_it(desk_cls) -> None:
    desk = desk_cls(queue(), desk_cls.agents("a"))
    desk.call("c")
    desk.router.answer(desk.offer_for("c").reservation_id)
    desk.router.logout("a")
    assert desk.router.agent_state("a") is AgentState.BUSY
    desk.router.talk_ended("c")
    assert desk.router.agent_state("a") is AgentState.OFFLINE


def test_logout_withdraws_an_offer_and_the_call_goes_to_someone_else(desk_cls) -> None:
    desk = desk_cls(queue(), desk_cls.agents("a", "b"))
    desk.call("c")
    desk.router.logout("a")
    assert desk.cancelled[0][1] == "agent_logged_out"
    assert desk.offer_for("c").agent_id == "b"


def test_escalation_ladder_over_time(desk_cls) -> None:
    steps = [
        {"after": 30, "action": "widen_skill_level", "by": 3},
        {"after": 60, "action": "add_groups", "groups": ["tier2"]},
        {"after": 90, "action": "raise_priority", "by": 5},
        {"after": 120, "action": "overflow", "target": "voicemail"},
    ]
    people = [
        {"id": "junior", "queues": ["q"], "skills": {"billing": 4}},
        {"id": "backoffice", "group": "tier2", "skills": {"billing": 9}},
    ]
    desk = desk_cls(queue(escalation=steps), people, login=False)
    desk.call("c", skills=(("billing", 7),))
    desk.router.login("junior", paused="training")
    desk.advance(29)
    desk.router.unpause("junior")
    assert desk.offers == []  # level 4 < 7
    desk.advance(1)  # step 1: 7 -> 4
    offer = desk.offer_for("c")
    assert offer.agent_id == "junior"
    desk.router.decline(offer.reservation_id, "declined")
    desk.router.pause("junior")
    desk.router.login("backoffice")
    desk.advance(29)
    assert len(desk.offers) == 1  # tier2 is not in this queue yet
    desk.router.pause("backoffice")
    desk.advance(1)  # step 2: tier2 added, but backoffice is paused
    desk.router.unpause("backoffice")
    assert desk.offer_for("c").agent_id == "backoffice"
    desk.router.decline(desk.offer_for("c").reservation_id, "declined")
    desk.router.pause("backoffice")
    desk.call("later")
    desk.advance(30)  # step 3: priority 0 -> 5
    assert desk.router.waiting("q") == ["c", "later"]
    assert desk.router.calls["c"].priority == 5
    desk.advance(30)  # step 4: overflow
    assert desk.outcomes["c"].result == "overflow" and desk.outcomes["c"].target == "voicemail"
    assert [(e.step, e.action) for e in desk.of(Escalated) if e.call_id == "c"] == [
        (1, "widen_skill_level"),
        (2, "add_groups"),
        (3, "raise_priority"),
        (4, "overflow"),
    ]
    rules = [e.rule for e in desk.router.explain("c") if e.kind == "escalation"]
    assert rules == [
        "step 1: widen_skill_level",
        "step 2: add_groups",
        "step 3: raise_priority",
        "step 4: overflow",
    ]


def test_move_queue_keeps_the_original_arrival_order(desk_cls) -> None:
    queues = [
        {"name": "q", "escalation": [{"after": 60, "action": "move_queue", "target": "general"}]},
        {"name": "general"},
    ]
    desk = desk_cls(queues, [{"id": "g", "queues": ["general"]}], login=False)
    desk.call("old", queue="q")
    desk.advance(30)
    desk.call("newer", queue="general")
    desk.advance(30)
    assert desk.router.waiting("general") == ["old", "newer"]
    desk.router.login("g")
    assert desk.offer_for("old").queue == "general"
    desk.router.answer(desk.offer_for("old").reservation_id)
    assert desk.of(Answered)[0].wait == 60


def test_add_queues_borrows_agents_of_another_queue(desk_cls) -> None:
    queues = [
        {"name": "q", "escalation": [{"after": 10, "action": "add_queues", "queues": ["sales"]}]},
        {"name": "sales"},
    ]
    desk = desk_cls(queues, [{"id": "seller", "queues": ["sales"]}])
    desk.call("c", queue="q")
    assert desk.offers == []
    desk.advance(10)
    assert desk.offer_for("c").agent_id == "seller"


def test_explanations_name_candidates_scores_and_choice(desk_cls) -> None:
    desk = desk_cls(
        [{"name": "q", "strategy": "skills"}],
        [
            {"id": "a", "queues": ["q"], "skills": {"billing": 5}},
            {"id": "b", "queues": ["q"], "skills": {"billing": 8}},
        ],
    )
    desk.call("c", skills=(("billing", 3),))
    (e,) = desk.router.explain("c")
    assert e.kind == "offer" and e.rule == "skills" and e.candidates == 2 and e.chosen == ("b",)
    assert [r.agent_id for r in e.ranked] == ["b", "a"] and e.ranked[0].score == 8
    assert e.required == (("billing", 3),) and "b" in e.why
    assert desk.router.explain("unknown") == []


def test_explanations_are_bounded(desk_cls) -> None:
    desk = desk_cls(queue(), desk_cls.agents("a"))
    desk.router.explanations.capacity = 5
    for n in range(20):
        desk.call(f"c{n}")
        desk.take(f"c{n}")
    assert desk.router.explain("c0") == [] and desk.router.explain("c19")
    assert len(desk.router.explanations._by_call) == 5


def test_queue_statistics_for_announcements(desk_cls) -> None:
    desk = desk_cls(
        queue(expected_handle_time=120, ring_timeout=60, service_level={"percent": 80, "seconds": 20}),
        desk_cls.agents("a", "b"),
    )
    desk.call("c1")
    desk.call("c2")
    for n in range(3, 7):
        desk.call(f"c{n}")
    assert desk.router.position("c5") == 5  # c1 and c2 are ringing agents, still in line
    assert desk.router.estimated_wait("c5") == pytest.approx(5 * 120 / 2)
    desk.advance(30)
    desk.router.answer(desk.offer_for("c2").reservation_id)
    desk.take("c1", talk=200)
    stats = desk.router.queue_stats("q")
    assert stats.waiting == 4 and stats.staffed == 2 and stats.answered == 2
    assert stats.answered_within_target == 0 and stats.service_level == 0.0
    assert stats.average_handle_time == pytest.approx(120 + 0.1 * (200 - 120))
    assert "handle time" in stats.ewt_method
    assert stats.longest_wait == 230


def test_unknown_queue_and_duplicate_call_are_named(desk_cls) -> None:
    desk = desk_cls(queue(), desk_cls.agents("a"))
    with pytest.raises(RoutingError) as err:
        desk.call("c", queue="biling")
    assert err.value.code == "unknown_queue" and "'biling'" in str(err.value)
    desk.call("c")
    with pytest.raises(RoutingError) as dup:
        desk.call("c")
    assert dup.value.code == "duplicate_call"


def test_state_changes_are_events(desk_cls) -> None:
    desk = desk_cls(queue(), desk_cls.agents("a"), login=False)
    desk.router.login("a")
    desk.router.pause("a", "coffee")
    assert [(e.old, e.new, e.reason) for e in desk.of(AgentStateChanged)] == [
        ("offline", "available", ""),
        ("available", "paused", "coffee"),
    ]


def test_a_driver_may_answer_inside_on_offer(desk_cls) -> None:
    desk = desk_cls(queue(wrap_up=5), desk_cls.agents("a", "b"))
    desk.router.on_offer = lambda offer: desk.router.answer(offer.reservation_id)
    for n in range(4):
        desk.call(f"c{n}")
    assert sorted(e.call_id for e in desk.of(Answered)) == ["c0", "c1"]
    desk.router.talk_ended("c0")
    desk.advance(5)
    assert sorted(e.call_id for e in desk.of(Answered)) == ["c0", "c1", "c2"]


def test_an_agent_in_several_queues_serves_the_heavier_queue_first(desk_cls) -> None:
    queues = [{"name": "light", "weight": 1}, {"name": "heavy", "weight": 5}]
    desk = desk_cls(queues, [{"id": "a", "queues": ["light", "heavy"]}], login=False)
    desk.call("l1", queue="light")
    desk.call("h1", queue="heavy")
    desk.router.login("a")
    assert desk.offer_for("h1").agent_id == "a"
    desk.take("h1")
    assert desk.offer_for("l1").agent_id == "a"


def test_higher_priority_caller_in_another_queue_goes_first(desk_cls) -> None:
    queues = [{"name": "sales", "weight": 5}, {"name": "support"}]
    desk = desk_cls(queues, [{"id": "a", "queues": ["sales", "support"]}], login=False)
    desk.call("s1", queue="sales")
    desk.call("urgent", queue="support", priority=3)
    desk.router.login("a")
    assert desk.offer_for("urgent").agent_id == "a"


def test_disposition_is_logged_and_unknown_calls_are_named(desk_cls) -> None:
    from alur.core.events import Disposition

    desk = desk_cls(queue(), desk_cls.agents("a"))
    desk.call("c")
    desk.take("c")
    desk.router.record_disposition("c", "a", "refund", resolved=False)
    assert desk.of(Disposition)[0].resolved is False
    with pytest.raises(RoutingError) as err:
        desk.router.talk_ended("c")
    assert err.value.code == "unknown_call"


def test_ringing_then_answer_and_explanations_as_json(desk_cls) -> None:
    import json

    desk = desk_cls(queue(), desk_cls.agents("a"))
    desk.call("c")
    offer = desk.offer_for("c")
    desk.router.ringing(offer.reservation_id)
    assert desk.router.agent_state("a") is AgentState.RINGING
    desk.router.answer(offer.reservation_id)
    assert desk.router.agent_state("a") is AgentState.BUSY
    data = json.loads(json.dumps([e.as_dict() for e in desk.router.explain("c")]))
    assert data[0]["chosen"] == ["a"] and data[0]["ranked"][0]["agent_id"] == "a"
    assert data[0]["why"].startswith("fixed_order chose a of 1 eligible")


def test_only_an_offline_agent_can_be_removed(desk_cls) -> None:
    desk = desk_cls(queue(), desk_cls.agents("a", "b"))
    with pytest.raises(IllegalTransition):
        desk.router.remove_agent("a")
    desk.router.logout("a")
    desk.router.remove_agent("a")
    desk.call("c")
    assert desk.offer_for("c").agent_id == "b"
    assert "a" not in desk.router.agents


def test_a_driver_declining_inside_on_offer_does_not_loop(desk_cls) -> None:
    desk = desk_cls(
        queue(ring_no_answer={"pause_agent": False, "retry_same_agent_after": 10}), desk_cls.agents("a", "b")
    )
    desk.router.on_offer = lambda offer: (
        desk.offers.append(offer),
        desk.router.decline(offer.reservation_id, "busy"),
    )
    desk.call("c")
    assert [o.agent_id for o in desk.offers] == ["a", "b"]  # each tried once, then the call waits
    assert desk.router.position("c") == 1
    desk.advance(10)
    assert [o.agent_id for o in desk.offers] == ["a", "b", "a", "b"]


def test_explain_says_why_a_call_is_still_waiting(desk_cls) -> None:
    desk = desk_cls(
        queue(escalation=[{"after": 60, "action": "widen_skill_level", "by": 2}]),
        [{"id": "a", "queues": ["q"], "skills": {"billing": 3}}, {"id": "b", "queues": ["q"]}],
    )
    desk.call("c", skills=(("billing", 5),))
    desk.advance(12)
    (entry,) = desk.router.explain("c")
    assert entry.kind == "waiting"
    assert "place 1 of 1; 2 staffed, 2 available to this call (2 lack the skills" in entry.why
    assert "waited 12s, escalation step 0/1" in entry.why


def test_callback_chosen_while_an_agent_rings_is_offered_again_as_a_callback(desk_cls) -> None:
    desk = desk_cls(queue(), desk_cls.agents("a"))
    desk.call("c")
    first = desk.offer_for("c")
    assert first.callback_number is None
    desk.router.request_callback("c", "+62811")
    assert desk.cancelled == [(first, "callback")]
    again = desk.offer_for("c")
    assert again.agent_id == "a" and again.callback_number == "+62811"


def test_agent_status_for_the_wallboard(desk_cls) -> None:
    desk = desk_cls(queue(), [{"id": "a", "name": "Ana", "queues": ["q"]}])
    desk.advance(5)
    desk.call("c")
    desk.router.answer(desk.offer_for("c").reservation_id)
    desk.router.pause("a", "lunch")
    desk.advance(40)
    status = desk.router.agent_status("a")
    assert (status.name, status.state, status.call_id, status.queue) == ("Ana", "busy", "c", "q")
    assert status.since == desk.clock.now() - 40 and status.pending == "pause:lunch"
    assert status.calls_today == 1


def test_no_wait_is_estimated_while_nobody_is_staffed(desk_cls) -> None:
    desk = desk_cls(queue(expected_handle_time=120), desk_cls.agents("a", "b"), login=False)
    desk.call("c1")
    assert desk.router.estimated_wait("c1") is None
    assert desk.router.queue_stats("q").estimated_wait_next is None
    desk.router.login("a")
    desk.router.pause("a", "break")
    assert desk.router.estimated_wait("c1") is None  # paused agents are not staffed either
    desk.router.login("b")
    assert desk.router.estimated_wait("c1") == pytest.approx(120.0)
