"""Staffing per interval: the agents the simulation had, against what Erlang says the load needs.

A planner's first question after a run: "was I over- or under-staffed, and where?". For each interval
with calls, this puts the average staffed agents next to the Erlang C (or, with a patience
distribution, Erlang A) requirement for the interval's offered calls and AHT at the service-level
target. Erlang pools every queue into one, so on multi-skill projects it is a yardstick, not a plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from alur.core.errors import AlurError
from alur.sim.erlang import agents_needed, kpis


@dataclass(frozen=True, slots=True)
class StaffingRow:
    start: float
    offered: int
    aht: float
    staffed: float  # average agents logged in (available or working) over the interval
    erlang_agents: int | None  # fewest agents meeting the target, by the formula
    erlang_sl: float | None  # the formula's service level at the staffed level
    simulated_sl: float


def staffing_rows(
    intervals: dict[float, object],
    interval: float,
    target: float,
    threshold: float,
    patience: float | None,
) -> list[StaffingRow]:
    rows = []
    for start, t in sorted(intervals.items()):
        offered = getattr(t, "offered", 0)
        if not offered:
            continue
        aht = getattr(t, "aht", 0.0)
        staffed = getattr(t, "staffed_time", 0.0) / interval
        need: int | None = None
        sl: float | None = None
        if aht > 0:
            rate = offered / interval
            try:
                need = agents_needed(
                    rate, aht, service_level=target, threshold=threshold, patience=patience
                ).agents
                if staffed >= 0.5:
                    sl = kpis(rate, aht, max(1, round(staffed)), threshold, patience).service_level
            except AlurError:
                need = None
        rows.append(
            StaffingRow(start, offered, aht, staffed, need, sl, getattr(t, "service_level", math.nan))
        )
    return rows
