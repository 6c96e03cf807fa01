"""A strategy's index hands out free agents in the same order as its full ranking (`select`)."""

from __future__ import annotations

import random

import pytest

from alur.routing import STRATEGIES, AgentState, WaitingCall

RANDOM = {"random", "weighted_random", "predictive"}  # their order is a draw; compared elsewhere


@pytest.mark.parametrize("strategy", sorted(set(STRATEGIES) - RANDOM))
def test_index_order_is_the_full_ranking(desk_cls, strategy: str) -> None:
    rng = random.Random(5)
    options = {"shares": {"a": 60, "b": 40}} if strategy == "percentage" else {}
    people = [
        {
            "id": f"p{i:02d}",
            "queues": [{"queue": "q", "penalty": rng.randint(0, 2), "level": rng.randint(1, 9)}],
            "skills": {"billing": rng.randint(1, 9), "vip": rng.randint(1, 3)},
            "languages": {rng.choice(["en", "id"]): rng.randint(1, 9)},
            "group": rng.choice(["a", "b"]),
        }
        for i in range(30)
    ]
    desk = desk_cls([{"name": "q", "strategy": strategy, "strategy_options": options}], people)
    for n in range(40):  # calls, talk and idle times make the figures differ from agent to agent
        desk.call(f"c{n}", skills=(("billing", 1),) if n % 2 else ())
        live = [
            o for o in desk.offers if o.call_id == f"c{n}" and o.reservation_id in desk.router.reservations
        ]
        desk.router.answer(live[0].reservation_id)  # the first of ring_all's offers
        desk.advance(rng.uniform(1, 300))
        desk.router.talk_ended(f"c{n}")
        desk.advance(rng.uniform(0, 5))
    router = desk.router
    strategy_ = router.queues["q"].strategy
    free = [a for a in router.agents.values() if a.state is AgentState.AVAILABLE]
    assert len(free) == 30
    now = desk.clock.now()
    for skills, language, vip in (({}, None, False), ({"billing": 1}, None, False), ({}, "id", False),
                                  ({}, None, True)):  # fmt: skip
        call = WaitingCall("probe", "q", 0, now, 0, skills, language, vip, "", {}, None)
        walked = [a.id for a in strategy_.best(call, now)]
        ranked = [r.agent_id for r in strategy_.select(free, call, now)]
        assert walked == ranked, (skills, language, vip)


@pytest.mark.parametrize("objective", ["resolution", "handle_time"])
def test_predictive_index_order_is_the_full_ranking_while_predictions_change(
    desk_cls, objective: str
) -> None:
    """Walked from the index or ranked in full from the same generator state, the order is the same,
    including the exploration draws, while outcomes keep arriving for free agents."""
    rng = random.Random(11)
    people = [
        {
            "id": f"p{i:02d}",
            "queues": [{"queue": "q", "penalty": rng.randint(0, 2), "level": rng.randint(1, 9)}],
            "skills": {"billing": rng.randint(1, 9)},
        }
        for i in range(20)
    ]
    options = {"objective": objective, "min_samples": 2, "exploration": 0.3}
    desk = desk_cls([{"name": "q", "strategy": "predictive", "strategy_options": options}], people)
    router = desk.router
    strategy = router.queues["q"].strategy
    checked = explored = 0
    for n in range(150):
        kind = rng.choice(["refund", "sales"])
        skills = (("billing", 1),) if n % 3 else ()
        now = desk.clock.now()
        free = [a for a in router.agents.values() if a.state is AgentState.AVAILABLE]
        probe = WaitingCall("probe", "q", 0, now, 0, dict(skills), None, False, kind, {}, None)
        state = strategy.ctx.rng.getstate()
        walked = [a.id for a in strategy.best(probe, now)]
        explored += strategy._explored is not None
        strategy.ctx.rng.setstate(state)
        assert walked == [r.agent_id for r in strategy.select(free, probe, now)], n
        checked += 1
        desk.call(f"c{n}", call_type=kind, skills=skills)
        live = [o for o in desk.offers if o.call_id == f"c{n}" and o.reservation_id in router.reservations]
        agent = live[0].agent_id
        router.answer(live[0].reservation_id)
        desk.advance(rng.uniform(1, 300))
        router.talk_ended(f"c{n}")
        desk.advance(rng.uniform(0, 5))
        # the outcome arrives while the agent is free again: its prediction changes in the index
        router.record_disposition(f"c{n}", agent, "done", resolved=rng.random() < 0.5)
    assert checked == 150 and explored > 0


def test_ring_all_index_stays_right_when_rung_agents_leave_in_other_ways(desk_cls) -> None:
    """Rung agents keep their index entries while ringing; one that ends up answering, paused or
    logged out must not come out of the walk, and one back from ringing keeps its place."""
    people = [{"id": f"p{i}", "queues": ["q"]} for i in range(8)]
    desk = desk_cls([{"name": "q", "strategy": "ring_all", "ring_timeout": 20}], people)
    router = desk.router
    strategy = router.queues["q"].strategy

    def check() -> None:
        now = desk.clock.now()
        free = [a for a in router.agents.values() if a.state is AgentState.AVAILABLE]
        probe = WaitingCall("probe", "q", 0, now, 0, {}, None, False, "", {}, None)
        assert [a.id for a in strategy.best(probe, now)] == [
            r.agent_id for r in strategy.select(free, probe, now)
        ]

    desk.call("c1")
    router.pause("p1", "break")  # rung, then paused and logged out while the phones ring
    router.logout("p2")
    check()
    winner = next(o for o in desk.offers if o.call_id == "c1" and o.reservation_id in router.reservations)
    router.answer(winner.reservation_id)
    check()
    desk.advance(30)
    router.unpause("p1")
    router.login("p2")
    check()
    desk.call("c2")
    desk.advance(25)  # nobody answers: every offer runs out
    check()
    router.talk_ended("c1")
    desk.advance(200)
    check()
    for agent in router.agents.values():  # paused by the queue for the missed offers: back, rung again
        if agent.state is AgentState.PAUSED:
            router.unpause(agent.id)
            check()
    live = [o for o in desk.offers if o.reservation_id in router.reservations]
    assert live  # the call still waiting rings the agents who are free again
    router.answer(live[-1].reservation_id)
    check()
