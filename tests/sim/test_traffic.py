"""Traffic drawn as the run goes gives every call the numbers an up-front draw gives, in any order."""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from alur.api.reports import no_nan  # NaN (no calls in an interval) compares equal
from alur.config.project import load_project
from alur.sim import draws
from alur.sim.runner import Simulation
from alur.sim.scenario import load_scenario
from alur.sim.traffic import IVR_DRAWS, Traffic, _phone, _pick, stream

HERE = Path(__file__).parent
IVR = HERE / "projects" / "ivr"


def eager(traffic: Traffic, default_dialed: str) -> dict[str, list]:
    """Every draw the way the simulator made them before the run, whole arrays at once."""
    scenario, seed, n = traffic.scenario, traffic.seed, traffic.n
    rng = stream(seed, "arrivals")
    times = []
    for i, mean in enumerate(scenario.arrivals.rates()):
        begin = traffic.start + i * scenario.arrivals.interval
        length = min(
            scenario.arrivals.interval, scenario.arrivals.duration_seconds - i * scenario.arrivals.interval
        )
        times += np.sort(rng.uniform(begin, begin + length, rng.poisson(mean))).tolist()
    rng = stream(seed, "callers")
    u_known, u_vip, u_pick, u_lang, u_dial = (rng.random(n) for _ in range(5))
    digits = rng.integers(0, 10, size=(n, scenario.callers.numbers.count("#")))
    phoned = [(cid, rec) for cid, rec in sorted(traffic.customers.items()) if _phone(rec)]
    vips = [p for p in phoned if p[1].get("vip")]
    regular = [p for p in phoned if not p[1].get("vip")] or phoned
    callers = []
    for i in range(n):
        record, cid = None, None
        if phoned and u_known[i] < scenario.callers.known_share:
            pool = vips if vips and u_vip[i] < scenario.callers.vip_share else regular
            cid, record = pool[int(u_pick[i] * len(pool))]
        caller = _phone(record) if record else _fill(scenario.callers.numbers, digits[i].tolist())
        language = (record.get("language") if record else None) or _pick(
            list(scenario.callers.languages.items()), u_lang[i]
        )
        dialed = _pick(list(scenario.arrivals.dialed.items()), u_dial[i]) or default_dialed
        callers.append((caller, cid, language, dialed))
    ivr = stream(seed, "ivr")
    cb = stream(seed, "callback")
    assert scenario.patience is not None
    return {
        "times": times,
        "callers": callers,
        "patience": scenario.patience.sample(stream(seed, "patience"), n).tolist(),
        "ivr_choice": ivr.random((n, IVR_DRAWS)).tolist(),
        "ivr_wrong": ivr.random((n, IVR_DRAWS)).tolist(),
        "ivr_time": scenario.ivr.response_time.sample(stream(seed, "ivr-time"), n * IVR_DRAWS)
        .reshape(n, IVR_DRAWS)
        .tolist(),
        "accept": cb.random(n).tolist(),
        "reach": cb.random(n).tolist(),
        "talk": scenario.handle_time["default"].sample(stream(seed, "handle:default"), n).tolist(),
    }


def _fill(pattern: str, digits: list[int]) -> str:
    out, k = [], 0
    for ch in pattern:
        if ch == "#":
            out.append(str(int(digits[k])))
            k += 1
        else:
            out.append(ch)
    return "".join(out)


@pytest.mark.parametrize("shift", [0, 3, 11])
def test_drawn_as_asked_equals_drawn_up_front(monkeypatch: pytest.MonkeyPatch, shift: int) -> None:
    # tiny blocks: reading in a shuffled order crosses blocks, drops them and draws dropped ones again
    monkeypatch.setattr(draws, "BLOCK_SHIFT", shift)
    monkeypatch.setattr(draws, "BLOCK", 1 << shift)
    project = load_project(IVR)
    scenario = load_scenario(HERE / "ivr.yaml")
    traffic = Traffic(scenario, 3, project.customers, "100")
    want = eager(traffic, "100")
    n = traffic.n
    assert n > 300 and list(traffic.arrival_times()) == want["times"]
    order = list(range(n))
    random.Random(1).shuffle(order)
    for i in order:
        assert traffic.caller(i) == want["callers"][i]
        assert traffic.patience_of(i) == want["patience"][i]
        assert traffic.handle_time("support", i) == want["talk"][i]
        assert traffic.callback_accept(i) == want["accept"][i]
        assert traffic.callback_reach(i) == want["reach"][i]
        for k in (0, 5, IVR_DRAWS - 1):
            assert traffic.ivr_choice(i, k) == want["ivr_choice"][i][k]
            assert traffic.ivr_wrong(i, k) == want["ivr_wrong"][i][k]
            assert traffic.ivr_time(i, k) == want["ivr_time"][i][k]


def test_digits_in_pieces_equal_one_draw() -> None:
    # an odd number of digits per piece leaves half of a 64-bit draw for the next piece
    for seed in range(5):
        whole = stream(seed, "callers").integers(0, 10, size=5_001)
        rng, carry, parts = stream(seed, "callers"), None, []
        for size in (1, 7, 2, 999, 3_992):
            part, carry = draws.digits(rng, size, carry)
            parts.append(part)
        assert np.concatenate(parts).tolist() == whole.tolist()


def test_memory_does_not_grow_with_calls() -> None:
    def peak(calls: int) -> int:
        per_minute = ", ".join([str(calls // 50)] * 50)
        scenario = load_scenario(
            HERE / "ivr.yaml", [f"arrivals.calls=[{per_minute}]", "arrivals.interval=60"]
        )
        tracemalloc.start()
        try:
            traffic = Traffic(scenario, 1, {}, "100")
            for i, _ in enumerate(traffic.arrival_times()):  # what a run reads of every call
                (
                    traffic.caller(i),
                    traffic.patience_of(i),
                    traffic.handle_time("support", i),
                    traffic.ivr_time(i, 0),
                )
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(10_000), peak(100_000)
    assert large < 1.5 * small, (small, large)


def test_a_run_reads_blocks_out_of_order_with_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    project, scenario = load_project(IVR), load_scenario(HERE / "ivr.yaml")
    whole = Simulation(project, scenario, 4, keep_events=True).run()
    monkeypatch.setattr(draws, "BLOCK_SHIFT", 2)
    monkeypatch.setattr(draws, "BLOCK", 4)
    monkeypatch.setattr(draws, "KEEP", 1)
    pieces = Simulation(project, scenario, 4, keep_events=True).run()
    assert pieces.events == whole.events and no_nan(pieces.kpis.as_dict()) == no_nan(whole.kpis.as_dict())
