"""A run pauses Python's cyclic collector and collects only when its live objects grew by
`GC_GROWTH`; whatever the run does, the collector is left as the run found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import alur.sim.runner as runner
from alur.config.project import load_project
from alur.sim.runner import Simulation
from alur.sim.scenario import load_scenario

HERE = Path(__file__).parent


def simulation(hours: int = 20) -> Simulation:
    project = load_project(HERE / "projects" / "mmc")
    return Simulation(project, load_scenario(HERE / "mmc.yaml", [f"arrivals.duration={hours}h"]), 3)


@pytest.fixture
def full_collections() -> Iterator[list[int]]:
    seen: list[int] = []

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(1)

    gc.callbacks.append(count)
    yield seen
    gc.callbacks.remove(count)


def test_the_collector_is_back_as_it_was_after_a_run(full_collections: list[int]) -> None:
    assert gc.isenabled() and gc.get_freeze_count() == 0
    sim = simulation()
    full_collections.clear()  # (building may have met an ordinary collection)
    result = sim.run()
    during = len(full_collections)
    assert result.calls > 3000
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert during == 0  # a plain M/M/c run makes no garbage worth a collection


def test_a_run_collects_once_its_objects_grew_past_the_bound(
    monkeypatch: pytest.MonkeyPatch, full_collections: list[int]
) -> None:
    monkeypatch.setattr(runner, "GC_GROWTH", 0)
    sim = simulation()
    full_collections.clear()
    sim.run()
    assert full_collections  # at the first batch of timers past the bound
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_collector_paused_by_the_caller_stays_paused() -> None:
    gc.disable()
    try:
        simulation(hours=2).run()
        assert not gc.isenabled()
    finally:
        gc.enable()
