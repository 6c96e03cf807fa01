"""Web services in a simulation: the scenario's canned `http:` answers reach the flows' http nodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from alur.config.project import load_project
from alur.core import events as ev
from alur.sim.runner import Simulation
from alur.sim.scenario import ScenarioError, load_scenario

HERE = Path(__file__).parent
SUPPORT = HERE.parents[1] / "examples" / "support"

PROJECT = {
    "alur.yaml": "name: crm\ntimezone: UTC\ndefault_flow: main\nnumbers: {'100': main}\n",
    "queues/support.yaml": "name: support\n",
    "flows/main.yaml": """\
flow: main
start: lookup
nodes:
  lookup:
    type: http
    url: "https://crm.example.com/api/callers/${caller_id}"
    timeout: 2
    result: {tier: response.tier}
    next: route
    fail: failed
  route:
    type: branch
    conditions:
      - {when: vars.tier == "gold", next: gold}
    default: failed
  gold: {type: hangup}
  failed: {type: hangup}
""",
}

SCENARIO = """\
name: crm
start: "2026-03-02 09:00"
arrivals: {rate_per_hour: 120, duration: 1h}
rosters: [{name: desk, count: 1, queues: [support]}]
http:
  - url: "https://crm.example.com/api/callers/*"
    json: {tier: gold}
    latency: {dist: uniform, min: 0.2, max: 1.8}
"""


def simulate(tmp_path: Path, overrides: list[str] | None = None, scenario: str = SCENARIO, seed: int = 3):
    for name, text in PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "scenario.yaml").write_text(scenario)
    loaded = load_scenario(tmp_path / "scenario.yaml", overrides)
    return Simulation(load_project(tmp_path), loaded, seed, keep_events=True).run()


def http_times(result) -> dict[str, tuple[float, bool]]:
    """Per call: seconds from arrival to the service's answer, and whether it answered well."""
    arrived = {e.call_id: e.at for e in result.events if isinstance(e, ev.CallArrived)}
    return {
        e.call_id: (e.at - arrived[e.call_id], e.ok) for e in result.events if isinstance(e, ev.HttpRequested)
    }


def ended_at(result, node: str) -> int:
    return sum(1 for e in result.events if isinstance(e, ev.CallEnded) and e.node == node)


def test_answers_come_after_the_drawn_latency_and_fill_the_variables(tmp_path: Path) -> None:
    result = simulate(tmp_path)
    times = http_times(result)
    assert len(times) == result.calls > 80 and result.error_count == 0 and not result.warnings
    assert all(ok and 0.2 <= took <= 1.8 for took, ok in times.values())
    assert len({round(took, 6) for took, _ in times.values()}) > 50  # drawn per call, not one fixed value
    assert ended_at(result, "gold") == result.calls  # `tier` came from the canned JSON body


def test_failures_and_slow_answers_take_the_fail_path_after_the_timeout(tmp_path: Path) -> None:
    result = simulate(tmp_path, ["http.0.failure=0.3", "http.0.latency={dist: uniform, min: 1, max: 3}"])
    times = http_times(result)
    failed = [took for took, ok in times.values() if not ok]
    fast = [took for took, ok in times.values() if ok]
    assert failed and fast and ended_at(result, "failed") == len(failed)
    assert all(took == pytest.approx(2.0) for took in failed)  # the node's timeout
    assert all(1.0 <= took <= 2.0 for took in fast)
    # about 30% fail outright, and half the others answer later than the 2 s timeout
    assert 0.45 < len(failed) / len(times) < 0.85
    assert sum(result.warnings.values()) == len(failed)
    assert {k.split(": ", 1)[1] for k in result.warnings} == {
        "timed out after 2s (simulated failure)",
        "timed out after 2s (simulated latency)",
    }


def test_an_error_status_takes_the_fail_path_with_the_same_draws(tmp_path: Path) -> None:
    """Common random numbers: a variant where the service is down sees the same latencies."""
    up = http_times(simulate(tmp_path))
    down_result = simulate(tmp_path, ["http.0.status=503"])
    down = http_times(down_result)
    assert {c: t for c, (t, _) in up.items()} == {c: t for c, (t, _) in down.items()}
    assert not any(ok for _, ok in down.values())
    assert list(down_result.warnings.values()) == [len(down)]
    assert list(down_result.warnings)[0].endswith("HTTP status 503")


def test_a_url_without_a_canned_answer_is_named_once_per_node(tmp_path: Path) -> None:
    result = simulate(tmp_path, ["http.0.url=https://other.example.com/"])
    (where, count), *more = result.warnings.items()
    assert not more and count == result.calls and result.error_count == 0
    node, _, text = where.partition(": ")
    assert node == "main.failed"  # where the calls ended
    assert text.startswith(
        "the scenario has no http: answer for GET https://crm.example.com/api/callers/+1555"
    )


def test_method_must_match_when_given(tmp_path: Path) -> None:
    result = simulate(tmp_path, ["http.0.method=post"])
    assert ended_at(result, "failed") == result.calls


@pytest.mark.parametrize(
    "entry, message",
    [
        (
            "{url: 'https://x/', method: FETCH}",
            "method must be GET, POST, PUT, PATCH or DELETE (got 'FETCH')",
        ),
        ("{url: 'https://x/', failure: 1.5}", "http.0.failure"),
        ("{url: 'https://x/', latency: soon}", "expected a duration"),
        ("{url: 'https://x/', status: 42}", "http.0.status"),
        ("{url: 'https://x/', jsn: {}}", "http.0.jsn"),
    ],
)
def test_bad_http_entries_are_named_with_file_and_line(tmp_path: Path, entry: str, message: str) -> None:
    bad = SCENARIO.split("http:")[0] + f"http:\n  - {entry}\n"
    with pytest.raises(ScenarioError) as caught:
        simulate(tmp_path, scenario=bad)
    assert message in str(caught.value) and "scenario.yaml:6" in caught.value.location


def test_http_must_be_a_list(tmp_path: Path) -> None:
    bad = SCENARIO.split("http:")[0] + "http: {url: 'https://x/'}\n"
    with pytest.raises(ScenarioError, match="http: expected a list of entries") as caught:
        simulate(tmp_path, scenario=bad)
    assert caught.value.location and caught.value.location.endswith("scenario.yaml:5")


def test_same_seed_same_result(tmp_path: Path) -> None:
    overrides = ["http.0.failure=0.2"]
    assert simulate(tmp_path, overrides).events == simulate(tmp_path, overrides).events


def test_support_example_runs_without_flow_errors() -> None:
    scenario = load_scenario(SUPPORT / "scenarios" / "weekday.yaml", ["callers.known_share=1"])
    result = Simulation(load_project(SUPPORT), scenario, 1, keep_events=True).run()
    balances = [e for e in result.events if isinstance(e, ev.HttpRequested)]
    assert result.error_count == 0 and not result.warnings
    assert len(balances) > 20 and all(e.ok and e.node == "balance" for e in balances)
    said = [e for e in result.events if isinstance(e, ev.PromptPlayed) and "125000" in e.prompt]
    assert len(said) == len(balances)
