"""longest_idle: the agent who has been available the longest (fairest spread of work)."""

from __future__ import annotations

from alur.routing.strategies.base import ByIdle


class LongestIdle(ByIdle):
    name = "longest_idle"
