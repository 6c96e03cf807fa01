"""How big one simulation run may be: bounds checked before any call is drawn.

A run draws its calls' random numbers as it goes, but one arrival interval's times are drawn (and sorted)
together and a run's time grows with its calls, so a typo such as `calls: [2000000000]` must be an error
naming the scenario file and field, not a process that runs for days or runs out of memory.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alur.sim.scenario import Scenario

#: expected calls one run may generate (the mean of the Poisson arrivals, over all intervals)
MAX_CALLS = 5_000_000
#: agents the scenario's rosters may add up to
MAX_AGENTS = 100_000
#: arrival intervals, and report intervals over the arrivals, in one run
MAX_INTERVALS = 100_000


def check_size(scenario: Scenario) -> None:
    """Raise ScenarioError (file:line of the field) when a run would exceed a bound above."""
    from alur.sim.scenario import ScenarioError

    arrivals = scenario.arrivals
    field = "calls" if arrivals.calls else "duration"
    duration = arrivals.duration_seconds
    intervals = len(arrivals.calls) if arrivals.calls else duration / arrivals.interval
    if not math.isfinite(duration) or intervals > MAX_INTERVALS:
        raise ScenarioError(
            f"arrivals.{field}: {intervals:,.0f} intervals of {arrivals.interval:g} s; a run may have at "
            f"most {MAX_INTERVALS:,} (use a longer interval, or several runs)",
            location=scenario.where("arrivals", field),
            code="too_big",
            value=intervals,
        )
    if arrivals.calls:
        expected = math.fsum(arrivals.calls)
    else:
        assert arrivals.rate_per_hour is not None
        field, expected = "rate_per_hour", arrivals.rate_per_hour * duration / 3600.0
    if not expected <= MAX_CALLS:
        raise ScenarioError(
            f"arrivals.{field}: {expected:,.0f} calls expected; a run may generate at most {MAX_CALLS:,} "
            "(split it into several runs, or lower the volume)",
            location=scenario.where("arrivals", field),
            code="too_big",
            value=expected,
        )
    reports = duration / scenario.report_interval
    if reports > MAX_INTERVALS:
        raise ScenarioError(
            f"report_interval: {reports:,.0f} report intervals of {scenario.report_interval:g} s; at most "
            f"{MAX_INTERVALS:,} (use a longer report_interval)",
            location=scenario.where("report_interval"),
            code="too_big",
            value=scenario.report_interval,
        )
    staff = 0
    for i, roster in enumerate(scenario.rosters):
        staff += roster.count
        if staff > MAX_AGENTS:
            raise ScenarioError(
                f"rosters.{roster.name}.count: the rosters add up to {staff:,} agents; a run may have at "
                f"most {MAX_AGENTS:,}",
                location=scenario.where("rosters", i, "count"),
                code="too_big",
                value=roster.count,
            )
