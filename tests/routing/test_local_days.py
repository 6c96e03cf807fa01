"""`day_end`: the shared per-zone day gives every instant the same midnight as working it out anew."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from alur.routing.agents import day_end


def midnight_after(now: float, tz: ZoneInfo) -> float:
    local = datetime.fromtimestamp(now, tz)
    return (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def test_day_end_matches_the_local_midnight_across_zones_and_clock_changes() -> None:
    zones = [ZoneInfo(z) for z in ("UTC", "Asia/Jakarta", "Europe/London", "America/Santiago")]
    start = datetime(2026, 3, 27, tzinfo=ZoneInfo("UTC")).timestamp()  # London and Santiago change clocks
    for step in range(0, 10 * 24 * 3600, 1_277):  # not a divisor of an hour: every time of day is hit
        now = start + step
        for tz in zones:
            assert day_end(now, tz) == midnight_after(now, tz), (tz, now)
