"""Routing decision speed: median and p99 latency of the full decision, per strategy and size.

200 queues; 100, 1,000 and 10,000 agents, each serving 3 random queues with a skill (level 1-10) per
queue; half of the calls require that skill at level 1-5. About half of the agents are on calls at
any time (steady state; `--busy 0.97` for a loaded center).

Two figures, both timed from the call that starts them to the answer of the offer they make:
- decision: `Router.enqueue` of a new call, then `Router.answer` of its offer. Every enqueue counts,
  also the few that find no free agent (the call waits: that is a decision too).
- freed agent: with every agent busy and calls waiting in every queue, `Router.talk_ended`: the freed
  agent is offered the next waiting call of its queues, then `answer`.

The first call of a kind in a queue builds that kind's index (a sort of the queue's free agents);
`WARMUP` untimed calls do that first, so the figures are the steady state.
Memory is the process's peak resident size so far (sizes run smallest first, so it is the largest
router's).
Times are wall-clock per operation (perf_counter); on a shared machine compare strategies and sizes
within one run.

    python benchmarks/routing.py                         # all strategies, all sizes
    python benchmarks/routing.py --agents 10000 --strategies round_robin,predictive --decisions 5000
    python benchmarks/routing.py --agents 10000 --strategies ring_all --max-ringing 5

The driver reads the router's events as the live SIP adapter does (an `Offered`, or for `ring_all` one
`GroupOffered` naming every phone rung) and answers the (first) offer.
`ring_all` rings up to `max_ringing` agents (50 by default) per decision as one group offer, and its
answer lets the other phones go in one step; its figures grow a little with that setting (the walk to
the first `max_ringing` eligible agents), not with the number of agents.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time
from collections import deque

from alur.core.channel import QueueRequest
from alur.core.clock import VirtualClock
from alur.core.events import Event, GroupOffered, Offered
from alur.routing import STRATEGIES, AgentConfig, QueueConfig, Router

QUEUES = 200
SKILLS = [f"skill{i}" for i in range(20)]
LANGS = ["en", "id", "fr"]
WARMUP = 2_000  # untimed calls first: 200 queues x 2 kinds of call each build their index once


def build(
    agents: int, strategy: str, seed: int, max_ringing: int | None = None
) -> tuple[Router, VirtualClock, list[Event]]:
    rng = random.Random(seed)
    options: dict[str, object] = {}
    if strategy == "percentage":
        options = {"shares": {"g0": 60, "g1": 40}}
    if strategy == "ring_all" and max_ringing is not None:
        options = {"max_ringing": max_ringing}
    queues = [
        QueueConfig(name=f"q{i}", strategy=strategy, ring_timeout=30, strategy_options=options)
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
                weight=float(rng.randint(1, 3)),
            )
        )
    clock = VirtualClock(1_767_225_600.0)
    offers: list[Event] = []  # the router's events, as the live adapter reads them off the bus
    router = Router.from_config(queues, people, clock=clock, emit=offers.append, rng=random.Random(seed))
    for p in people:
        router.login(p.id)
    return router, clock, offers


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def peak_rss_mb() -> float:
    """The process's peak resident size so far (Linux reports kB), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


class Driver:
    """Makes calls and answers every offer at once, keeping a share of the agents talking."""

    def __init__(self, router: Router, clock: VirtualClock, offers: list[Event], seed: int) -> None:
        self.router, self.clock, self.offers = router, clock, offers
        self.rng = random.Random(seed + 1)
        self.talking: deque[str] = deque()
        self.n = 0

    def request(self) -> tuple[str, QueueRequest]:
        rng = self.rng
        self.n += 1
        qi = rng.randrange(QUEUES)
        skills = ((SKILLS[qi % len(SKILLS)], rng.randint(1, 5)),) if rng.random() < 0.5 else ()
        request = QueueRequest(
            skills=skills,
            queue=f"q{qi}",
            call_type=rng.choice(["billing", "sales"]),
            language=rng.choice(LANGS),
        )
        return f"c{self.n}", request

    def answer_new(self, before: int) -> None:
        router, offers = self.router, self.offers
        for event in offers[before:]:
            kind = type(event)
            if kind is Offered:
                rid = event.reservation_id  # type: ignore[attr-defined]
            elif kind is GroupOffered:  # ring_all: the first phone answers
                rid = event.reservation_ids[0]  # type: ignore[attr-defined]
            else:
                continue
            if rid in router.reservations:
                router.answer(rid)
                self.talking.append(event.call_id)  # type: ignore[attr-defined]
        del offers[before:]


def run(
    agents: int,
    strategy: str,
    decisions: int,
    seed: int = 1,
    busy: float = 0.5,
    max_ringing: int | None = None,
) -> dict[str, float]:
    router, clock, offers = build(agents, strategy, seed, max_ringing)
    drive = Driver(router, clock, offers, seed)
    perf = time.perf_counter
    busy_target = int(agents * busy)
    for _ in range(WARMUP):  # the first call of a kind (e.g. a skill set) in a queue builds its index
        call_id, request = drive.request()
        before = len(offers)
        router.enqueue(call_id, request)
        drive.answer_new(before)
        clock.run(clock.now() + 0.5)
        while len(drive.talking) > busy_target:
            before = len(offers)
            router.talk_ended(drive.talking.popleft())
            drive.answer_new(before)
    decided: list[float] = []
    waited = 0
    for _ in range(decisions):  # steady state: every enqueue is timed, with the answer to its offer
        call_id, request = drive.request()
        before = len(offers)
        t0 = perf()
        router.enqueue(call_id, request)
        drive.answer_new(before)
        decided.append(perf() - t0)
        waited += call_id in router.calls
        clock.run(clock.now() + 0.5)
        while len(drive.talking) > busy_target:
            before = len(offers)
            router.talk_ended(drive.talking.popleft())
            drive.answer_new(before)
    # loaded: every agent busy and calls waiting in every queue; time the freed agent's next call
    while len(router.calls) < 4 * QUEUES:
        call_id, request = drive.request()
        before = len(offers)
        router.enqueue(call_id, request)
        drive.answer_new(before)
    freed: list[float] = []
    for _ in range(min(decisions, len(drive.talking))):
        before = len(offers)
        t0 = perf()
        router.talk_ended(drive.talking.popleft())
        drive.answer_new(before)
        freed.append(perf() - t0)
        call_id, request = drive.request()  # keep calls waiting (not timed)
        before = len(offers)
        router.enqueue(call_id, request)
        drive.answer_new(before)
    return {
        "decisions": len(decided),
        "waited": waited,
        "median_ms": statistics.median(decided) * 1e3,
        "p99_ms": percentile(decided, 0.99) * 1e3,
        "freed_n": len(freed),
        "freed_median_ms": statistics.median(freed) * 1e3,
        "freed_p99_ms": percentile(freed, 0.99) * 1e3,
        "rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agents", default="100,1000,10000")
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--decisions", type=int, default=10_000)
    parser.add_argument("--busy", type=float, default=0.5, help="share of agents kept on calls")
    parser.add_argument(
        "--max-ringing", type=int, help="ring_all's max_ringing (default: the strategy's own, 50)"
    )
    args = parser.parse_args()
    print(
        f"{'strategy':<16}{'agents':>7}{'enqueues':>9}{'waited':>7}{'median ms':>10}{'p99 ms':>8}"
        f"{'freed':>7}{'freed median':>13}{'freed p99':>10}{'peak RSS MB':>12}"
    )
    for strategy in args.strategies.split(","):
        for agents in (int(a) for a in args.agents.split(",")):
            r = run(agents, strategy, args.decisions, busy=args.busy, max_ringing=args.max_ringing)
            print(
                f"{strategy:<16}{agents:>7}{r['decisions']:>9,}{r['waited']:>7,}{r['median_ms']:>10.3f}"
                f"{r['p99_ms']:>8.3f}{r['freed_n']:>7,}{r['freed_median_ms']:>13.3f}"
                f"{r['freed_p99_ms']:>10.3f}{r['rss_mb']:>12.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
