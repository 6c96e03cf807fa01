"""Each strategy, driven through the real router on a virtual clock."""

from __future__ import annotations

from collections import Counter

import pytest

from alur.core.errors import ConfigError
from alur.core.events import Answered, OfferDeclined, OffersWithdrawn
from alur.routing import STRATEGIES, AgentState, QueueConfig
from alur.routing.strategies.base import Strategy


def q(strategy: str, **kw: object) -> list[dict[str, object]]:
    return [{"name": "q", "strategy": strategy, **kw}]


def test_every_strategy_is_registered_by_name() -> None:
    assert set(STRATEGIES) == {
        "ring_all",
        "fixed_order",
        "round_robin",
        "longest_idle",
        "least_talk_time",
        "fewest_calls",
        "random",
        "weighted_random",
        "skills",
        "language",
        "percentage",
        "schedule",
        "vip",
        "predictive",
    }


def test_round_robin_follows_the_last_agent_and_wraps(desk_cls) -> None:
    ids = [f"agent{i}" for i in range(1, 8)]
    desk = desk_cls(q("round_robin"), desk_cls.agents(*ids))
    got = []
    for n in range(5):
        desk.call(f"c{n}")
        got.append(desk.take(f"c{n}"))
    assert got[-1] == "agent5"
    desk.call("next")
    assert desk.take("next") == "agent6"
    desk.call("then")
    assert desk.take("then") == "agent7"
    desk.call("wrap")
    assert desk.take("wrap") == "agent1"


def test_round_robin_skips_a_busy_agent_and_remembers_who_took_the_call(desk_cls) -> None:
    desk = desk_cls(q("round_robin"), desk_cls.agents("a1", "a2", "a3"))
    desk.call("c1")
    assert desk.take("c1") == "a1"
    desk.call("long")  # a2 answers and stays on the call
    offer = desk.offer_for("long")
    assert offer.agent_id == "a2"
    desk.router.answer(offer.reservation_id)
    desk.call("c3")
    assert desk.take("c3") == "a3"
    desk.call("c4")
    assert desk.take("c4") == "a1"  # after a3 comes a1 (a2 still busy)


def test_fixed_order_first_agent_gets_every_call_others_only_when_busy(desk_cls) -> None:
    desk = desk_cls(
        q("fixed_order", strategy_options={"order": ["X", "Y", "Z"]}), desk_cls.agents("Z", "Y", "X")
    )
    for n in range(4):
        desk.call(f"c{n}")
        assert desk.take(f"c{n}") == "X"
    desk.call("x-busy")
    desk.router.answer(desk.offer_for("x-busy").reservation_id)
    desk.call("to-y")
    assert desk.offer_for("to-y").agent_id == "Y"
    desk.router.answer(desk.offer_for("to-y").reservation_id)
    desk.call("to-z")
    assert desk.offer_for("to-z").agent_id == "Z"
    desk.router.talk_ended("x-busy")  # X is free again: X first
    desk.call("back-to-x")
    assert desk.offer_for("back-to-x").agent_id == "X"


def test_fixed_order_defaults_to_penalty_then_configuration_order(desk_cls) -> None:
    desk = desk_cls(
        q("fixed_order"),
        [
            {"id": "first", "queues": [{"queue": "q", "penalty": 1}]},
            {"id": "zero", "queues": [{"queue": "q", "penalty": 0}]},
            {"id": "second", "queues": [{"queue": "q", "penalty": 1}]},
        ],
    )
    desk.call("c")
    assert desk.offer_for("c").agent_id == "zero"


def test_longest_idle_picks_who_has_waited_longest(desk_cls) -> None:
    desk = desk_cls(q("longest_idle"), desk_cls.agents("a", "b", "c"), login=False)
    for agent in ("b", "c", "a"):
        desk.router.login(agent)
        desk.advance(10)
    desk.call("c1")
    assert desk.take("c1", talk=1) == "b"
    desk.call("c2")
    assert desk.take("c2", talk=1) == "c"
    desk.call("c3")
    assert desk.take("c3", talk=1) == "a"
    desk.call("c4")
    assert desk.take("c4") == "b"


def test_least_talk_time_today(desk_cls) -> None:
    desk = desk_cls(q("fixed_order", strategy_options={"order": ["a", "b"]}), desk_cls.agents("a", "b"))
    desk.call("long")
    desk.take("long", talk=300)  # a talked 300 s
    ltt = desk_cls(q("least_talk_time"), desk_cls.agents("a", "b"))
    ltt.call("c1")
    assert ltt.take("c1", talk=300) == "a"  # tie: configuration order
    ltt.call("c2")
    assert ltt.take("c2", talk=10) == "b"
    ltt.call("c3")
    assert ltt.take("c3", talk=10) == "b"  # b: 20 s < a: 300 s
    ltt.advance(24 * 3600)  # a new day: counters reset, tie again
    ltt.call("c4")
    assert ltt.take("c4") == "a"


def test_fewest_calls_today(desk_cls) -> None:
    desk = desk_cls(q("fewest_calls"), desk_cls.agents("a", "b", "c"))
    taken = []
    for n in range(9):
        desk.call(f"c{n}")
        taken.append(desk.take(f"c{n}", talk=1))
    assert Counter(taken) == {"a": 3, "b": 3, "c": 3}


def test_random_is_reproducible_with_a_seed_and_reaches_everyone(desk_cls) -> None:
    def run(seed: int) -> list[str]:
        desk = desk_cls(q("random"), desk_cls.agents("a", "b", "c", "d"), seed=seed)
        out = []
        for n in range(40):
            desk.call(f"c{n}")
            out.append(desk.take(f"c{n}"))
        return out

    assert run(7) == run(7)
    assert run(7) != run(8)
    assert set(run(7)) == {"a", "b", "c", "d"}


def test_weighted_random_follows_weights(desk_cls) -> None:
    desk = desk_cls(
        q("weighted_random", strategy_options={"weights": {"heavy": 9}}), desk_cls.agents("heavy", "light")
    )
    taken = []
    for n in range(1000):
        desk.call(f"c{n}")
        taken.append(desk.take(f"c{n}"))
    share = taken.count("heavy") / len(taken)
    assert 0.86 < share < 0.94


def test_skills_requires_minimum_level_and_prefers_the_best(desk_cls) -> None:
    desk = desk_cls(
        q("skills"),
        [
            {"id": "novice", "queues": ["q"], "skills": {"billing": 2}},
            {"id": "expert", "queues": ["q"], "skills": {"billing": 9}},
            {"id": "good", "queues": ["q"], "skills": {"billing": 6, "sales": 3}},
            {"id": "none", "queues": ["q"]},
        ],
    )
    desk.call("c1", skills=(("billing", 3),))
    first = desk.offer_for("c1")
    assert first.agent_id == "expert"
    desk.router.answer(first.reservation_id)
    desk.call("c2", skills=(("billing", 3),))
    assert desk.offer_for("c2").agent_id == "good"
    desk.router.answer(desk.offer_for("c2").reservation_id)
    desk.call("c3", skills=(("billing", 3),))
    assert desk.router.position("c3") == 1  # novice and none are free but not qualified
    assert [o for o in desk.offers if o.call_id == "c3"] == []


def test_language_strict_and_lenient(desk_cls) -> None:
    people = [
        {"id": "en-only", "queues": ["q"], "languages": ["en"]},
        {"id": "id-basic", "queues": ["q"], "languages": {"id": 4, "en": 10}},
        {"id": "id-native", "queues": ["q"], "languages": {"id": 10}},
    ]
    desk = desk_cls(q("language"), people)
    desk.call("c1", language="id")
    assert desk.take("c1") == "id-native"
    desk.router.pause("id-native")
    desk.router.pause("id-basic")
    desk.call("c2", language="id")
    assert desk.router.position("c2") == 1  # strict: en-only never gets an Indonesian caller
    lenient = desk_cls(q("language", strategy_options={"strict": False}), people)
    lenient.router.pause("id-native")
    lenient.router.pause("id-basic")
    lenient.call("c2", language="id")
    assert lenient.offer_for("c2").agent_id == "en-only"


def test_percentage_allocates_exact_shares_over_time(desk_cls) -> None:
    people = [{"id": f"in{i}", "queues": ["q"], "group": "inhouse"} for i in range(3)]
    people += [{"id": f"out{i}", "queues": ["q"], "group": "outsourcer"} for i in range(3)]
    desk = desk_cls(q("percentage", strategy_options={"shares": {"inhouse": 70, "outsourcer": 30}}), people)
    inhouse = 0
    for n in range(1, 101):
        desk.call(f"c{n}")
        inhouse += desk.take(f"c{n}").startswith("in")
        assert abs(inhouse - 0.7 * n) <= 1
    assert inhouse == 70


def test_percentage_needs_shares() -> None:
    from alur.core.clock import VirtualClock
    from alur.routing import Router

    with pytest.raises(ConfigError) as err:
        Router.from_config(
            [QueueConfig.model_construct(name="q", strategy="percentage")], [], clock=VirtualClock()
        )
    assert err.value.code == "bad_option" and "shares" in str(err.value)


def test_schedule_only_agents_on_shift_in_their_time_zone(desk_cls) -> None:
    # T0 is 00:00 UTC on a Thursday: 07:00 in Jakarta, 01:00 in Paris
    people = [
        {
            "id": "jakarta",
            "queues": ["q"],
            "schedule": {"timezone": "Asia/Jakarta", "shifts": [{"start": "08:00", "end": "17:00"}]},
        },
        {
            "id": "paris-night",
            "queues": ["q"],
            "schedule": {"timezone": "Europe/Paris", "shifts": [{"start": "22:00", "end": "06:00"}]},
        },
        {
            "id": "paris-weekend",
            "queues": ["q"],
            "schedule": {
                "timezone": "Europe/Paris",
                "shifts": [{"days": ["sat", "sun"], "start": "00:00", "end": "23:59"}],
            },
        },
    ]
    desk = desk_cls(q("schedule"), people)
    desk.call("c1")
    assert desk.take("c1") == "paris-night"  # overnight shift that started Wednesday 22:00
    desk.router.pause("paris-night")
    desk.call("c2")
    assert desk.router.position("c2") == 1  # Jakarta starts at 08:00 local
    desk.advance(3600)  # 08:00 in Jakarta
    assert desk.offer_for("c2").agent_id == "jakarta"


def test_vip_callers_go_to_vip_agents_and_jump_the_line(desk_cls) -> None:
    people = [
        {"id": "regular", "queues": ["q"]},
        {"id": "concierge", "queues": ["q"], "skills": {"vip": 8}},
    ]
    desk = desk_cls(q("vip"), people)
    desk.call("normal")
    assert desk.offer_for("normal").agent_id == "regular"
    desk.call("gold", vip=True)
    assert desk.offer_for("gold").agent_id == "concierge"
    busy = desk_cls(q("vip"), people)
    for agent in ("regular", "concierge"):
        busy.router.pause(agent)
    busy.call("early")
    busy.call("gold", vip=True)
    assert busy.router.waiting("q") == ["gold", "early"]


def train(desk, agent: str, kind: str, resolved: bool, n: int) -> None:
    for i in range(n):
        call_id = f"train-{agent}-{kind}-{resolved}-{i}"
        for other in desk.router.agents:
            if other != agent and desk.router.agent_state(other) is AgentState.AVAILABLE:
                desk.router.pause(other)
        desk.call(call_id, call_type=kind)
        assert desk.take(call_id, talk=60) == agent
        desk.router.record_disposition(call_id, agent, "done", resolved=resolved)
        for other in desk.router.agents:
            if desk.router.agent_state(other) is AgentState.PAUSED:
                desk.router.unpause(other)


def test_predictive_learns_who_resolves_which_call_type(desk_cls) -> None:
    people = [
        {"id": "fixer", "queues": ["q"], "skills": {"billing": 3}},
        {"id": "talker", "queues": ["q"], "skills": {"billing": 9}},
    ]
    desk = desk_cls(q("predictive", strategy_options={"exploration": 0.0, "min_samples": 3}), people)
    desk.call("first", call_type="refund", skills=(("billing", 1),))
    offer = desk.offer_for("first")
    assert offer.agent_id == "talker"  # no data yet: best skills
    assert "no data yet" in desk.router.explain("first")[0].why
    desk.router.decline(offer.reservation_id, "declined")
    desk.router.abandon("first")
    train(desk, "fixer", "refund", True, 3)
    train(desk, "talker", "refund", False, 3)
    desk.advance(60)
    desk.call("learned", call_type="refund")
    assert desk.offer_for("learned").agent_id == "fixer"
    assert "predicted resolution" in desk.router.explain("learned")[-1].ranked[0].note


def test_predictive_explores_agents_with_thin_data(desk_cls) -> None:
    people = [{"id": "known", "queues": ["q"]}, {"id": "new", "queues": ["q"]}]
    desk = desk_cls(q("predictive", strategy_options={"exploration": 1.0, "min_samples": 2}), people)
    train(desk, "known", "sales", True, 2)
    desk.call("c", call_type="sales")
    assert desk.offer_for("c").agent_id == "new"
    assert desk.router.explain("c")[-1].ranked[0].note.startswith("exploring")


def test_ring_all_answer_explains_the_lost_race_once_and_keeps_the_offer_explained(desk_cls) -> None:
    ids = [f"a{i:02d}" for i in range(30)]
    desk = desk_cls(q("ring_all"), desk_cls.agents(*ids))
    desk.call("c1")
    ringing = [o for o in desk.offers if o.call_id == "c1"]
    assert len(ringing) == 30
    desk.router.answer(ringing[0].reservation_id)
    kinds = [(e.kind, e.rule) for e in desk.router.explain("c1")]
    assert ("offer", "ring_all") in kinds  # not pushed out of the call's explanations by 29 losers
    assert kinds.count(("declined", "lost_race")) == 1
    lost = next(e for e in desk.router.explain("c1") if e.rule == "lost_race")
    assert lost.why == f"{ringing[0].agent_id} answered first; the offers to 29 other agent(s) were withdrawn"


def test_ring_all_rings_everyone_and_exactly_one_wins(desk_cls) -> None:
    desk = desk_cls(q("ring_all"), desk_cls.agents("a", "b", "c"))
    desk.call("c1")
    ringing = [o for o in desk.offers if o.call_id == "c1"]
    assert sorted(o.agent_id for o in ringing) == ["a", "b", "c"] and all(o.ring_all for o in ringing)
    winner = ringing[1]
    desk.router.answer(winner.reservation_id)
    assert [e.agent_id for e in desk.of(Answered)] == [winner.agent_id]
    (withdrawn,) = desk.of(OffersWithdrawn)  # one event for the phones that lost the race
    assert withdrawn.reason == "lost_race" and not desk.of(OfferDeclined)
    losers = set(withdrawn.agent_ids)
    assert losers == {"a", "b", "c"} - {winner.agent_id}
    assert {d.reservation_id for d in withdrawn.declines()} == {
        o.reservation_id for o in ringing if o.agent_id in losers
    }
    assert {o.agent_id for o, why in desk.cancelled} == losers
    for agent in losers:
        assert desk.router.agent_state(agent) is AgentState.AVAILABLE
    from alur.routing import RoutingError

    with pytest.raises(RoutingError) as err:
        desk.router.answer(ringing[0].reservation_id)  # a late answer from a loser
    assert err.value.code == "offer_gone"


def test_unknown_strategy_option_is_named() -> None:
    from alur.core.clock import VirtualClock
    from alur.routing import Router

    with pytest.raises(ConfigError) as err:
        Router.from_config(
            [QueueConfig.model_construct(name="q", strategy="round_robin", strategy_options={"oder": []})],
            [],
            clock=VirtualClock(),
        )
    assert "oder" in str(err.value) and err.value.code == "unknown_option"


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_no_strategy_offers_a_call_to_an_agent_outside_their_shift(desk_cls, strategy: str) -> None:
    # T0 is 00:00 UTC; the agent works 01:00-02:00 UTC and is logged in early
    options = {"shares": {"team": 100}} if strategy == "percentage" else {}
    people = [
        {
            "id": "early",
            "queues": ["q"],
            "group": "team",
            "schedule": {"shifts": [{"start": "01:00", "end": "02:00"}]},
        }
    ]
    desk = desk_cls(q(strategy, strategy_options=options), people)
    assert desk.call("c1") is None  # logged in, available, but not on shift yet
    desk.advance(1800)
    assert not desk.offers
    desk.advance(1800)  # 01:00: the shift starts and the waiting call is offered
    assert desk.offer_for("c1").agent_id == "early"
    desk.take("c1")
    desk.advance(3600)  # 02:00: the shift is over
    assert desk.call("c2") is None


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_a_strategy_that_learns_from_events_says_so(name: str) -> None:
    # the router builds TalkEnded for `observe` only when `learns` is set: an override it did not
    # declare would never be told how long calls took
    cls = STRATEGIES[name]
    below = [k for k in cls.__mro__ if k is not Strategy and issubclass(k, Strategy)]
    overrides = any("observe" in vars(k) for k in below)
    assert cls.learns == overrides, name
