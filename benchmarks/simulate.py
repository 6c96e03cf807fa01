"""Simulated calls per CPU-second: Alur's full engine against SimPy and Ciw, and Alur's cost per call
as the center grows.

1. M/M/50 at 85% occupancy (AHT 180 s, so 850 calls/hour), 100,000 calls: Alur runs the project's
   flow interpreter, routing engine and KPI fold; SimPy runs a lean idiomatic M/M/c model; Ciw runs
   its M/M/c network. All three in the same process, one after the other, timed by CPU time of the
   process (on a shared machine another job's load stretches wall time, not CPU time). Alur's time
   includes building the simulation (loading the project, scenario, traffic and router).
2. Scale: 12 -> 1,200 agents at the same 85% occupancy, the same number of calls per size, with the
   `longest_idle` and `skills` strategies: CPU microseconds per simulated call, and the ratio to the
   smallest center (flat means a decision does not grow with the number of agents).
3. Layers: where an M/M/50 call's cost goes, in CPU microseconds per call: the full engine, the same
   run with a KPI fold that counts nothing, the routing engine alone (the same arrivals and talk
   times driven straight into the router: no flow, no KPIs, no simulated callers) and SimPy's lean
   model for the floor of any discrete-event run in Python (a heap, two timers per call).
4. Memory: the peak of Python allocations (tracemalloc) of M/M/50 runs of 10,000, 100,000 and
   300,000 calls, building included; flat means nothing is kept per call.

    python benchmarks/simulate.py                  # both parts
    python benchmarks/simulate.py --calls 20000 --repeat 3 --scale-calls 20000
    python benchmarks/simulate.py --profile        # the hottest functions of the Alur M/M/50 run
    python benchmarks/simulate.py --only layers    # the cost per call of each layer
    python benchmarks/simulate.py --only memory    # peak memory of 10,000, 100,000 and 300,000-call runs
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from functools import partial
from pathlib import Path
from typing import Any

AGENTS = 50
AHT = 180.0
OCCUPANCY = 0.85
SCALE = (12, 120, 360, 1200)


def engine_kind() -> str:
    """Which build of Alur runs: the compiled engine (`ALUR_COMPILE=1`, see setup.py) or plain Python."""
    from alur.sim.report import compiled_engine

    return "compiled engine" if compiled_engine() else "plain Python engine"


def rate_per_hour(agents: int) -> float:
    return agents * OCCUPANCY * 3600 / AHT


def project_files(strategy: str) -> dict[str, str]:
    required = "required_skills: {support: 1}\n" if strategy == "skills" else ""
    return {
        "alur.yaml": "name: bench\ndefault_flow: main\nnumbers: {'100': main}\n",
        "flows/main.yaml": (
            "flow: main\nstart: wait\nnodes:\n  wait:\n    type: queue\n    queue: support\n"
            "    announce_position: false\n    announce_wait: false\n    vip: false\n"
        ),
        "queues/support.yaml": f"name: support\nstrategy: {strategy}\n{required}",
    }


def scenario_text(calls: int, agents: int) -> str:
    hours = calls / rate_per_hour(agents)
    return (
        f"name: bench\narrivals: {{rate_per_hour: {rate_per_hour(agents)}, duration: {hours * 3600:.0f}}}\n"
        f"handle_time: {{default: {{dist: exponential, mean: {AHT}}}}}\n"
        f"rosters: [{{name: agent, count: {agents}, queues: [support], skills: {{support: 5}}}}]\n"
    )


def simulation(root: Path, calls: int, agents: int, strategy: str, keep_events: bool = False) -> Any:
    """The M/M/c project and scenario written into `root`, loaded and built as `alur simulate` does."""
    from alur.config.project import load_project
    from alur.sim.runner import Simulation
    from alur.sim.scenario import load_scenario

    for name, text in project_files(strategy).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "scenario.yaml").write_text(scenario_text(calls, agents))
    return Simulation(
        load_project(root), load_scenario(root / "scenario.yaml"), seed=1, keep_events=keep_events
    )


def run_alur(
    calls: int,
    agents: int = AGENTS,
    strategy: str = "longest_idle",
    profile: bool = False,
    traced: bool = False,
) -> tuple[int, float, float]:
    """(calls, CPU seconds building, CPU seconds running)."""
    with tempfile.TemporaryDirectory() as tmp:
        if traced:
            tracemalloc.start()
        cpu0 = time.process_time()
        sim = simulation(Path(tmp), calls, agents, strategy)
        cpu1 = time.process_time()
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        result = sim.run()
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        if traced:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            return result.calls, peak, 0.0
        return result.calls, cpu1 - cpu0, time.process_time() - cpu1


def run_simpy(calls: int) -> tuple[int, float, float]:
    import simpy

    cpu0 = time.process_time()
    rng = random.Random(1)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    rate = rate_per_hour(AGENTS) / 3600.0

    def caller(env: simpy.Environment) -> object:
        with agents.request() as req:
            yield req
            yield env.timeout(rng.expovariate(1 / AHT))

    def source(env: simpy.Environment) -> object:
        for _ in range(calls):
            yield env.timeout(rng.expovariate(rate))
            env.process(caller(env))

    env.process(source(env))
    cpu1 = time.process_time()
    env.run()
    return calls, cpu1 - cpu0, time.process_time() - cpu1


def run_ciw(calls: int) -> tuple[int, float, float]:
    import ciw

    cpu0 = time.process_time()
    ciw.seed(1)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=rate_per_hour(AGENTS) / 3600.0)],
        service_distributions=[ciw.dists.Exponential(rate=1 / AHT)],
        number_of_servers=[AGENTS],
    )
    sim = ciw.Simulation(network)
    cpu1 = time.process_time()
    sim.simulate_until_max_customers(calls, method="Finish")
    return len(sim.get_all_records()), cpu1 - cpu0, time.process_time() - cpu1


def best(runs: list[tuple[int, float, float]]) -> tuple[int, float, float]:
    """The least disturbed of repeated runs (by total CPU time)."""
    return min(runs, key=lambda r: r[1] + r[2])


def compare(calls: int, repeat: int, profile: bool) -> None:
    print(
        f"M/M/{AGENTS}, {OCCUPANCY:.0%} occupancy, AHT {AHT:g} s, {calls:,} calls, best of {repeat} "
        f"({engine_kind()})"
    )
    rows = {
        "SimPy (lean M/M/c)": best([run_simpy(calls) for _ in range(repeat)]),
        "Ciw (M/M/c network)": best([run_ciw(calls) for _ in range(repeat)]),
        "Alur (flow + routing + KPIs)": best([run_alur(calls, profile=profile) for _ in range(repeat)]),
    }
    simpy_rate = rows["SimPy (lean M/M/c)"][0] / sum(rows["SimPy (lean M/M/c)"][1:])
    print(f"{'':<30}{'calls':>9}{'build s':>9}{'run s':>8}{'calls/CPU-s':>13}{'x SimPy':>9}")
    for label, (n, build, run) in rows.items():
        rate = n / (build + run)
        print(f"{label:<30}{n:>9,}{build:>9.2f}{run:>8.2f}{rate:>13,.0f}{rate / simpy_rate:>9.2f}")
    sys.stdout.flush()


def scale(calls: int, repeat: int) -> None:
    print(
        f"\nscale: {OCCUPANCY:.0%} occupancy, AHT {AHT:g} s, {calls:,} calls per size "
        f"(CPU time, run only, best of {repeat}, every strategy and size taken in turn)"
    )
    print(f"{'strategy':<14}{'agents':>7}{'calls':>9}{'us per call':>13}{'x smallest':>12}{'(median)':>10}")
    strategies = ("longest_idle", "skills")
    # round after round over every strategy and size, so a burst of load on a shared machine slows
    # one run of each rather than every run of one (the ratios compare runs of the same rounds)
    runs: dict[tuple[str, int], list[tuple[int, float, float]]] = {
        (strategy, agents): [] for strategy in strategies for agents in SCALE
    }
    for _ in range(repeat):
        for strategy in strategies:
            for agents in SCALE:
                runs[strategy, agents].append(run_alur(calls, agents, strategy))
    for strategy in strategies:
        first = first_median = None
        for agents in SCALE:
            n = runs[strategy, agents][0][0]
            per_call = min(r[2] for r in runs[strategy, agents]) / n * 1e6
            median = statistics.median(r[2] for r in runs[strategy, agents]) / n * 1e6
            first, first_median = first or per_call, first_median or median
            print(
                f"{strategy:<14}{agents:>7}{n:>9,}{per_call:>13.1f}{per_call / first:>12.2f}"
                f"{median / first_median:>10.2f}",
                flush=True,
            )


def _drop(*_: object) -> None:
    pass


def run_fold_alone(calls: int) -> tuple[int, float, float]:
    """The KPI fold by itself: the events of an M/M/50 run (kept with `keep_events`) folded again by
    a fresh fold, as the live service folds its log."""
    from alur.metrics.kpis import KpiFold

    with tempfile.TemporaryDirectory() as tmp:
        events = simulation(Path(tmp), calls, AGENTS, "longest_idle", keep_events=True).run().events
    cpu0 = time.process_time()
    fold = KpiFold(1800.0, 20.0, {"support": 20.0})
    fold.apply_all(events)
    fold.snapshot()
    return calls, 0.0, time.process_time() - cpu0


def run_router_alone(calls: int) -> tuple[int, float, float]:
    """M/M/50 straight into the routing engine: each arrival is enqueued, each answer starts a talk
    timer, each talk's end frees the agent. The same router and strategy as the full run."""
    from alur.core.channel import QueueOutcome, QueueRequest
    from alur.core.clock import VirtualClock
    from alur.routing import AgentConfig, QueueConfig, QueueMembership, Router

    cpu0 = time.process_time()
    rng = random.Random(1)
    clock = VirtualClock()
    rate = rate_per_hour(AGENTS) / 3600.0
    request = QueueRequest("support", announce_position=False, announce_wait=False)

    def answered(call_id: str, outcome: QueueOutcome) -> None:
        if outcome.result == "answered":
            clock.call_later(rng.expovariate(1 / AHT), partial(router.talk_ended, call_id))

    router = Router.from_config(
        [QueueConfig(name="support", strategy="longest_idle")],
        [AgentConfig(id=f"a{i}", queues=(QueueMembership(queue="support"),)) for i in range(AGENTS)],
        clock=clock,
        facts=lambda kind: _drop,
        on_outcome=answered,
        explanations=0,
    )
    router.answers_at_once = lambda agent_id: True
    for i in range(AGENTS):
        router.login(f"a{i}")

    def arrive(i: int) -> None:
        router.enqueue(f"c{i}", request)
        if i + 1 < calls:
            clock.call_later(rng.expovariate(rate), partial(arrive, i + 1))

    clock.call_later(rng.expovariate(rate), partial(arrive, 0))
    cpu1 = time.process_time()
    clock.run_due(float("inf"), 10 * calls)
    return calls, cpu1 - cpu0, time.process_time() - cpu1


def layers(calls: int, repeat: int) -> None:
    print(
        f"\nlayers: M/M/{AGENTS} at {OCCUPANCY:.0%}, {calls:,} calls, CPU us per call (run only, best of "
        f"{repeat}; {engine_kind()})"
    )
    rows = {
        "full engine (flow + routing + KPIs)": run_alur,
        "routing engine alone": run_router_alone,
        "KPI fold alone (the run's events)": run_fold_alone,
        "SimPy lean M/M/c": run_simpy,
    }
    print(f"{'':<38}{'us per call':>12}{'x SimPy':>9}")
    costs = {}
    for label, run in rows.items():
        results = [run(calls) for _ in range(repeat)]
        costs[label] = min(r[2] / r[0] for r in results) * 1e6
    floor = costs["SimPy lean M/M/c"]
    for label, cost in costs.items():
        print(f"{label:<38}{cost:>12.1f}{cost / floor:>9.2f}", flush=True)


def memory(sizes: tuple[int, ...]) -> None:
    print("\nmemory: M/M/50 runs of growing length, peak of Python allocations (tracemalloc)")
    print(f"{'calls':>9}{'peak MB':>9}")
    for calls in sizes:
        n, peak, _ = run_alur(calls, traced=True)
        print(f"{n:>9,}{peak / 1e6:>9.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--scale-calls", type=int, default=30_000)
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each model (and of each size); the best one counts"
    )
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--memory-calls", default="10000,100000,300000", help="run lengths for the memory table"
    )
    parser.add_argument("--only", choices=("compare", "scale", "layers", "memory"))
    args = parser.parse_args()
    if args.only in (None, "compare"):
        compare(args.calls, max(1, args.repeat), args.profile)
    if args.only in (None, "scale"):
        scale(args.scale_calls, max(1, args.repeat))
    if args.only in (None, "layers"):
        layers(args.scale_calls, max(1, args.repeat))
    if args.only in (None, "memory"):
        memory(tuple(int(c) for c in args.memory_calls.split(",")))


if __name__ == "__main__":
    main()
