"""ring_all's group offer: one reservation, one ring timer and one event for all the phones rung."""

from __future__ import annotations

from alur.core.events import AgentStateChanged, GroupOffered, OfferDeclined, Offered, OffersWithdrawn
from alur.routing import AgentState


def q(name: str = "q", **extra: object) -> dict[str, object]:
    return {"name": name, "strategy": "ring_all", "ring_timeout": 20, **extra}


def test_one_event_names_every_phone_and_the_agents_stay_available(desk_cls) -> None:
    desk = desk_cls([q()], desk_cls.agents("a", "b", "c"))
    changes = len(desk.of(AgentStateChanged))
    desk.call("c1")
    (group,) = desk.of(GroupOffered)
    assert set(group.agent_ids) == {"a", "b", "c"} and len(set(group.reservation_ids)) == 3
    assert [o.reservation_id for o in group.offers()] == list(group.reservation_ids)
    assert len(desk.of(AgentStateChanged)) == changes  # held by the offer, not moved out of available
    for agent in ("a", "b", "c"):
        assert desk.router.agent_state(agent) is AgentState.AVAILABLE
    assert {desk.router.offer(rid).agent_id for rid in group.reservation_ids} == {"a", "b", "c"}


def test_one_ring_timeout_for_the_group_explained_once(desk_cls) -> None:
    desk = desk_cls([q()], desk_cls.agents("a", "b", "c"))
    desk.call("c1")
    (group,) = desk.of(GroupOffered)
    desk.clock.run(desk.clock.now() + 20)
    missed = [(d.agent_id, d.reason) for d in desk.of(OfferDeclined)]
    assert sorted(missed) == [("a", "no_answer"), ("b", "no_answer"), ("c", "no_answer")]
    assert sorted(o.agent_id for o, why in desk.cancelled if why == "no_answer") == ["a", "b", "c"]
    lines = [e for e in desk.router.explain("c1") if e.kind == "declined"]
    assert len(lines) == 1 and lines[0].why.startswith("none of the 3 phone(s) rung was answered within 20s")
    assert "c1" in desk.router.calls  # back in line, its place kept
    assert not desk.router.reservations


def test_a_declined_phone_leaves_the_others_ringing(desk_cls) -> None:
    desk = desk_cls([q()], desk_cls.agents("a", "b"))
    desk.call("c1")
    (group,) = desk.of(GroupOffered)
    first, second = group.reservation_ids
    desk.router.decline(first, "declined")
    assert [d.reservation_id for d in desk.of(OfferDeclined)] == [first]
    assert second in desk.router.reservations
    desk.router.answer(second)
    assert desk.router.agent_state(group.agent_ids[1]) is AgentState.BUSY
    assert not desk.of(OffersWithdrawn)  # nobody else was still ringing


def test_an_agent_held_by_a_group_gets_no_other_call_until_it_lets_go(desk_cls) -> None:
    people = [{"id": "a", "queues": ["ring", "single"]}, {"id": "b", "queues": ["ring"]}]
    desk = desk_cls([q("ring"), {"name": "single", "strategy": "longest_idle"}], people)
    desk.call("c1", queue="ring")
    desk.call("c2", queue="single")  # a's phone rings for c1: c2 waits
    assert [o.call_id for o in desk.offers] == ["c1", "c1"]
    b_phone = next(o.reservation_id for o in desk.offers if o.agent_id == "b")
    desk.router.answer(b_phone)  # a lost the race: free again, and c2 is offered to a at once
    assert [(o.call_id, o.agent_id) for o in desk.offers[2:]] == [("c2", "a")]
    lost = next(e for e in desk.router.explain("c1") if e.rule == "lost_race")
    assert lost.why == "b answered first; the offers to 1 other agent(s) were withdrawn"


def test_pausing_a_rung_agent_stops_only_their_phone(desk_cls) -> None:
    desk = desk_cls([q()], desk_cls.agents("a", "b"))
    desk.call("c1")
    desk.router.pause("a", "break")
    assert [(d.agent_id, d.reason) for d in desk.of(OfferDeclined)] == [("a", "agent_paused")]
    assert desk.router.agent_state("a") is AgentState.PAUSED
    (b_phone,) = [rid for rid in desk.router.reservations]
    assert desk.router.offer(b_phone).agent_id == "b"


def test_a_rung_agent_paused_by_a_missed_email_offer_stops_ringing() -> None:
    from alur.core.channel import QueueRequest
    from alur.core.clock import VirtualClock
    from alur.core.events import Event
    from alur.routing import AgentConfig, QueueConfig, Router

    clock, events = VirtualClock(1_767_225_600.0), []  # type: ignore[var-annotated]
    queues = [
        QueueConfig(name="calls", strategy="ring_all", ring_timeout=15),
        QueueConfig(
            name="mail",
            channel="email",
            capacity=2,
            strategy="ring_all",
            ring_timeout=15,
            ring_no_answer={"after_misses": 1},
        ),
    ]
    agent = AgentConfig(id="a3", queues=["calls", "mail"])
    r = Router.from_config(queues, [agent], clock=clock, emit=events.append, voice_exclusive=False)
    r.login("a3")
    r.enqueue("t1", QueueRequest(queue="calls"))  # a3's phone rings (held by the group)
    r.enqueue("t2", QueueRequest(queue="mail"))  # voice is not exclusive: an e-mail offer too
    mail = next(e.reservation_id for e in events if isinstance(e, Offered) and e.call_id == "t2")
    r.decline(mail, "no_answer")  # the mail queue's policy pauses a3 after one missed offer
    assert r.agent_state("a3") is AgentState.PAUSED
    stopped = [(d.call_id, d.reason) for d in events if isinstance(d, OfferDeclined) and d.call_id == "t1"]
    assert stopped == [("t1", "agent_paused")] and "t1" in r.calls and r.agents["a3"].held is None
    clock.run(clock.now() + 60)  # no ring timeout left to fire for the stopped phone
    assert r.agent_state("a3") is AgentState.PAUSED
    assert not [e for e in events if isinstance(e, Event) and type(e).__name__ == "Answered"]
