"""A router without explanations (the simulator's, `explanations=0`) decides exactly as one with them."""

from __future__ import annotations

import random
from typing import Any

import pytest

from alur.core.channel import QueueOutcome, QueueRequest
from alur.core.clock import VirtualClock
from alur.core.events import Event
from alur.routing import AgentConfig, Offer, QueueConfig, Router
from alur.routing.strategies import STRATEGIES

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC

OPTIONS: dict[str, dict[str, Any]] = {"percentage": {"shares": {"tier1": 60, "tier2": 40}}}


def workload(strategy: str, explanations: int, seed: int) -> tuple[list[Event], Router]:
    """A busy hour of mixed calls (skills, languages, VIPs), some offers missed, some callers leaving."""
    clock = VirtualClock(T0)
    events: list[Event] = []
    offers: list[Offer] = []
    outcomes: dict[str, QueueOutcome] = {}
    queue = QueueConfig.model_validate(
        {
            "name": "q",
            "strategy": strategy,
            "strategy_options": OPTIONS.get(strategy, {}),
            "wrap_up": 5,
            "ring_timeout": 8,
        }
    )
    agents = [
        AgentConfig.model_validate(
            {
                "id": f"a{i}",
                "queues": ["q"],
                "group": "tier1" if i % 3 else "tier2",
                "skills": {"billing": 1 + i % 5, **({"vip": 5} if i % 2 else {})},
                "languages": {"en": 5, **({"id": 3} if i % 2 else {})},
            }
        )
        for i in range(8)
    ]
    router = Router.from_config(
        [queue],
        agents,
        clock=clock,
        emit=events.append,
        on_offer=offers.append,
        on_outcome=outcomes.__setitem__,
        rng=random.Random(seed),
        explanations=explanations,
    )
    for a in agents:
        router.login(a.id)
    rng = random.Random(seed)
    t = T0
    for n in range(120):
        t += rng.expovariate(1 / 20)
        call_id = f"c{n}"
        skills = (("billing", rng.randint(1, 4)),) if rng.random() < 0.4 else ()
        request = QueueRequest(
            queue="q", skills=skills, language=rng.choice([None, "en", "id"]), vip=rng.random() < 0.2
        )
        clock.call_at(t, lambda c=call_id, r=request: router.enqueue(c, r))
        if rng.random() < 0.2:  # some callers hang up while waiting
            clock.call_at(t + rng.uniform(5, 60), lambda c=call_id: leave(c))
    handled: set[str] = set()

    def leave(call_id: str) -> None:
        if call_id in router.calls:
            router.abandon(call_id)

    def drive() -> None:
        """Answer or miss the offers made so far; end talks after a drawn time."""
        for offer in offers:
            if offer.reservation_id in handled or offer.reservation_id not in router.reservations:
                continue
            handled.add(offer.reservation_id)
            if rng.random() < 0.15:
                router.decline(offer.reservation_id, "no_answer")
                continue
            router.answer(offer.reservation_id)
            clock.call_later(rng.expovariate(1 / 120), lambda c=offer.call_id: hang_up(c))

    def hang_up(call_id: str) -> None:
        if call_id in router.connected:  # not if the caller already hung up (abandon ends the talk)
            router.talk_ended(call_id)

    while clock.next_time() is not None:
        clock.step()
        drive()
    return events, router


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_same_decisions_with_and_without_explanations(strategy: str) -> None:
    told, explaining = workload(strategy, 10_000, seed=3)
    quiet, silent = workload(strategy, 0, seed=3)
    assert len(told) > 500
    assert quiet == told  # every offer, answer and state change, in the same order at the same time
    offered = next(e.call_id for e in told if type(e).__name__ in ("Offered", "GroupOffered"))
    assert any(x.kind == "offer" for x in explaining.explain(offered))
    assert silent.explain(offered) == []  # nothing was built
