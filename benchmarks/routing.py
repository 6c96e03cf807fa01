"""Routing decision speed: decisions per second and median/p99 latency.

200 queues; 100, 1,000 and 10,000 agents, each serving 3 random queues with a skill (level 1-10) per
queue; half of the calls require that skill at level 1-5. About half of the agents are on calls at
any time (steady state; `--busy 0.97` for a loaded center). A "decision" is `Router.enqueue` of a call
whose queue has free agents: candidate lookup, strategy ranking, reservation, explanation, events.
The second figure is the agent side: `talk_ended` when calls wait (the freed agent takes the next call).

    python benchmarks/routing.py                         # all sizes, longest_idle and skills
    python benchmarks/routing.py --agents 10000 --strategies round_robin,predictive --decisions 5000
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import deque

from alur.core.channel import QueueRequest
from alur.core.clock import VirtualClock
from alur.routing import AgentConfig, Offer, QueueConfig, Router

QUEUES = 200
SKILLS = [f"skill{i}" for i in range(20)]
LANGS = ["en", "id", "fr"]


def build(agents: int, strategy: str, seed: int) -> tuple[Router, VirtualClock, list[Offer]]:
    rng = random.Random(seed)
    queues = [
        QueueConfig(
            name=f"q{i}",
            strategy=strategy,
            ring_timeout=30,
            strategy_options={"shares": {"g0": 60, "g1": 40}} if strategy == "percentage" else {},
        )
        for i in range(QUEUES)
    ]
    people = []
    for i in range(agents):
        served = rng.sample(range(QUEUES), 3)
        skills = {SKILLS[q % len(SKILLS)]: rng.randint(1, 10) for q in served}
        people.append(
            AgentConfig(
                id=f"agent{i}",
                queues=[{"queue": f"q{q}", "penalty": rng.randint(0, 2)} for q in served],
                skills=skills,
                languages={lang: 10 for lang in rng.sample(LANGS, rng.randint(1, 2))},
                group=f"g{i % 2}",
            )
        )
    clock = VirtualClock(1_767_225_600.0)
    offers: list[Offer] = []
    router = Router.from_config(queues, people, clock=clock, on_offer=offers.append, rng=random.Random(seed))
    for p in people:
        router.login(p.id)
    return router, clock, offers


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def run(agents: int, strategy: str, decisions: int, seed: int = 1, busy: float = 0.5) -> dict[str, float]:
    router, clock, offers = build(agents, strategy, seed)
    rng = random.Random(seed + 1)
    talking: deque[str] = deque()
    busy_target = int(agents * busy)
    enqueue_lat: list[float] = []
    freed_lat: list[float] = []
    n = 0
    perf = time.perf_counter
    while len(enqueue_lat) < decisions:
        n += 1
        call_id = f"c{n}"
        qi = rng.randrange(QUEUES)
        q = f"q{qi}"
        skills = ((SKILLS[qi % len(SKILLS)], rng.randint(1, 5)),) if rng.random() < 0.5 else ()
        request = QueueRequest(
            skills=skills, queue=q, call_type=rng.choice(["billing", "sales"]), language=rng.choice(LANGS)
        )
        before = len(offers)
        t0 = perf()
        router.enqueue(call_id, request)
        t1 = perf()
        if len(offers) > before:
            enqueue_lat.append(t1 - t0)
            for offer in offers[before:]:
                if offer.reservation_id in router.reservations:
                    router.answer(offer.reservation_id)
                    talking.append(offer.call_id)
        clock.run(clock.now() + 0.5)
        while len(talking) > busy_target:
            before = len(offers)
            waiting = bool(router.calls)
            t0 = perf()
            router.talk_ended(talking.popleft())
            t1 = perf()
            if waiting and len(offers) > before:
                freed_lat.append(t1 - t0)
            for offer in offers[before:]:
                if offer.reservation_id in router.reservations:
                    router.answer(offer.reservation_id)
                    talking.append(offer.call_id)
    total = sum(enqueue_lat)
    return {
        "agents": agents,
        "decisions_per_s": len(enqueue_lat) / total,
        "median_ms": statistics.median(enqueue_lat) * 1e3,
        "p99_ms": percentile(enqueue_lat, 0.99) * 1e3,
        "freed_median_ms": statistics.median(freed_lat) * 1e3 if freed_lat else float("nan"),
        "freed_n": len(freed_lat),
        "waiting": len(router.calls),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agents", default="100,1000,10000")
    parser.add_argument("--strategies", default="longest_idle,skills")
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--busy", type=float, default=0.5, help="share of agents kept on calls")
    args = parser.parse_args()
    print(
        f"{'strategy':<16}{'agents':>8}{'decisions/s':>13}{'median ms':>11}{'p99 ms':>9}"
        f"{'freed-agent median ms':>23}"
    )
    for strategy in args.strategies.split(","):
        for agents in (int(a) for a in args.agents.split(",")):
            r = run(agents, strategy, args.decisions, busy=args.busy)
            print(
                f"{strategy:<16}{agents:>8}{r['decisions_per_s']:>13,.0f}{r['median_ms']:>11.3f}"
                f"{r['p99_ms']:>9.3f}{r['freed_median_ms']:>23.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
