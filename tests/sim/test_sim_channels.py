"""Chats in the simulator: arrivals straight into a chat queue, agents holding several at once. With
every agent serving only that queue the system is M/M/c with c = agents x capacity, and the simulation
(real router, capacity per channel) agrees with Erlang C; the what-if of 2 against 3 chats per agent
shows shorter waits and a higher service level with 3, on the same tasks."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from alur.config.project import load_project
from alur.sim.erlang import erlang_c_kpis
from alur.sim.runner import Simulation
from alur.sim.scenario import ScenarioError, load_scenario
from alur.sim.variants import build_variants

HERE = Path(__file__).parent
SEEDS = range(1, 7)
RATE, AHT, AGENTS = 120 / 3600, 180.0, 4  # 6 Erlangs of chats: 75% of 4 x 2 slots


def web_figures(project_dir: Path, overrides: list[str] | None = None) -> dict[str, np.ndarray]:
    project = load_project(project_dir)
    scenario = load_scenario(HERE / "chats.yaml", overrides)
    out: dict[str, list[float]] = {"p_wait": [], "asa": [], "service_level": []}
    for seed in SEEDS:
        web = Simulation(project, scenario, seed).run().kpis.queues["web"]
        for name in out:
            out[name].append(getattr(web, name))
    return {k: np.asarray(v) for k, v in out.items()}


def test_chats_with_capacity_agree_with_erlang_c_of_agents_times_capacity() -> None:
    sim = web_figures(HERE / "projects" / "chats")
    theory = erlang_c_kpis(RATE, AHT, AGENTS * 2, threshold=60)  # c = 4 agents x 2 chats
    t = stats.t.ppf(0.975, len(SEEDS) - 1)
    expected = {"p_wait": theory.p_wait, "asa": theory.asa, "service_level": theory.service_level}
    report = []
    for name, value in expected.items():
        mean = sim[name].mean()
        half = t * sim[name].std(ddof=1) / math.sqrt(len(SEEDS))
        report.append(f"{name}: sim {mean:.4f} ± {half:.4f}, theory {value:.4f}")
        assert abs(mean - value) <= half, "\n".join(report)


def test_three_chats_per_agent_against_two_on_the_same_tasks() -> None:
    variants = build_variants(
        HERE / "projects" / "chats", HERE / "chats.yaml", ["queues.web.capacity=3 as three"]
    )
    two, three = (Simulation(v.project, v.scenario, 1, label=v.label).run() for v in variants)
    a, b = two.kpis.queues["web"], three.kpis.queues["web"]
    assert a.offered == b.offered  # the same tasks (common random numbers)
    assert b.asa < a.asa and b.service_level > a.service_level
    assert b.asa == pytest.approx(erlang_c_kpis(RATE, AHT, AGENTS * 3, 60).asa, abs=2.0)


def test_channel_arrivals_must_name_a_chat_sms_or_email_queue(tmp_path: Path) -> None:
    project = load_project(HERE / "projects" / "chats")
    scenario = load_scenario(HERE / "chats.yaml", ["channels=[{queue: support, arrivals: {calls: [5]}}]"])
    with pytest.raises(ScenarioError, match="'support' is a voice queue"):
        Simulation(project, scenario, 1)
