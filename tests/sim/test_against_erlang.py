"""The simulator, running the real flow interpreter and router, agrees with queueing theory.

M/M/c (Erlang C) and M/M/c+M (Erlang A): over several seeds, the formula's P(wait), ASA, service
level and abandonment fall inside the simulation's 95% confidence interval (Student t over seeds).
Seeds are fixed, so these tests are deterministic.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from alur.config.project import load_project
from alur.sim.erlang import QueueKpis, erlang_a_kpis, erlang_c_kpis
from alur.sim.runner import Simulation
from alur.sim.scenario import load_scenario

HERE = Path(__file__).parent
SEEDS = range(1, 7)


def run_seeds(overrides: list[str]) -> dict[str, np.ndarray]:
    project = load_project(HERE / "projects" / "mmc")
    scenario = load_scenario(HERE / "mmc.yaml", overrides)
    out: dict[str, list[float]] = {"p_wait": [], "asa": [], "service_level": [], "abandonment_rate": []}
    for seed in SEEDS:
        total = Simulation(project, scenario, seed).run().kpis.total
        for name in out:
            out[name].append(getattr(total, name))
    return {k: np.asarray(v) for k, v in out.items()}


def check_within_ci(sim: dict[str, np.ndarray], theory: QueueKpis, names: list[str]) -> None:
    t = stats.t.ppf(0.975, len(SEEDS) - 1)
    expected = {
        "p_wait": theory.p_wait,
        "asa": theory.asa,
        "service_level": theory.service_level,
        "abandonment_rate": theory.p_abandon,
    }
    report = []
    for name in names:
        values = sim[name]
        mean, half = values.mean(), t * values.std(ddof=1) / math.sqrt(len(values))
        report.append(f"{name}: sim {mean:.4f} ± {half:.4f}, theory {expected[name]:.4f}")
        assert abs(mean - expected[name]) <= half, "\n".join(report)


def test_mmc_agrees_with_erlang_c() -> None:
    # 5 agents, AHT 120 s, 4 Erlangs offered (80% occupancy), 40 h per seed after a 1 h warm-up
    sim = run_seeds(
        [
            "arrivals.rate_per_hour=120",
            "arrivals.duration=40h",
            "warmup=1h",
            "handle_time.default.mean=120",
            "rosters=[{name: agent, count: 5, queues: [support]}]",
        ]
    )
    theory = erlang_c_kpis(120 / 3600, 120, 5, threshold=20)
    check_within_ci(sim, theory, ["p_wait", "asa", "service_level"])
    assert (sim["abandonment_rate"] == 0).all()


def test_mmc_with_abandonment_agrees_with_erlang_a() -> None:
    # 5 agents at 100% offered load (5 Erlangs): only abandonment (mean patience 120 s) keeps it stable
    sim = run_seeds(
        [
            "arrivals.rate_per_hour=150",
            "arrivals.duration=30h",
            "warmup=1h",
            "handle_time.default.mean=120",
            "patience={dist: exponential, mean: 120}",
            "rosters=[{name: agent, count: 5, queues: [support]}]",
        ]
    )
    theory = erlang_a_kpis(150 / 3600, 120, 5, patience=120, threshold=20)
    check_within_ci(sim, theory, ["p_wait", "asa", "service_level", "abandonment_rate"])


@pytest.mark.parametrize("agents", [3, 8])
def test_erlang_c_occupancy_is_the_offered_load_per_agent(agents: int) -> None:
    project = load_project(HERE / "projects" / "mmc")
    scenario = load_scenario(
        HERE / "mmc.yaml",
        [
            "arrivals.rate_per_hour=60",
            "arrivals.duration=20h",
            "handle_time.default.mean=120",
            f"rosters=[{{name: agent, count: {agents}, queues: [support]}}]",
        ],
    )
    total = Simulation(project, scenario, 3).run().kpis.total
    # 2 Erlangs spread over the agents; the total includes the drain after the last arrival
    assert total.occupancy == pytest.approx(2 / agents, rel=0.08)
