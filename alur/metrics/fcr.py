"""First-contact resolution (FCR) from the event log.

A call an agent handled counts as resolved at first contact when the same customer does not call
again within `repeat_days` days and the agent did not mark it unresolved in the wrap-up. The customer
is the directory id when the caller authenticated, else the caller's number; an anonymous caller
cannot be recognised, so only the wrap-up can mark their call unresolved.

The fold needs the arrivals of the `repeat_days` after the report's end too: feed it those events
(`CallArrived`, `CallerAuthenticated`) after the report's own.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from alur.core import events as ev

ANONYMOUS = frozenset({"", "anonymous", "unknown", "restricted"})
DAY = 86400.0


@dataclass(slots=True)
class Handled:
    """A call an agent answered: where and by whom, for the per-queue and per-agent figures."""

    call_id: str
    queue: str
    agent_id: str


@dataclass
class FirstContactFold:
    repeat_days: float
    arrived_at: dict[str, float] = field(default_factory=dict)  # call -> when it arrived
    caller: dict[str, str] = field(default_factory=dict)  # call -> the caller's number
    customer: dict[str, str] = field(default_factory=dict)  # call -> directory id, once authenticated
    handled: dict[str, Handled] = field(default_factory=dict)
    unresolved: set[str] = field(default_factory=set)  # calls the agent's wrap-up marked unresolved

    def apply(self, event: ev.Event) -> None:
        if isinstance(event, ev.CallArrived):
            self.arrived_at[event.call_id] = event.at
            self.caller[event.call_id] = event.caller_id
        elif isinstance(event, ev.CallerAuthenticated) and event.success:
            self.customer[event.call_id] = event.customer_id
        elif isinstance(event, ev.Answered):
            self.handled[event.call_id] = Handled(event.call_id, event.queue, event.agent_id)
        elif isinstance(event, ev.Disposition):
            if event.resolved:
                self.unresolved.discard(event.call_id)
            else:
                self.unresolved.add(event.call_id)

    def keys(self, call_id: str) -> set[str]:
        """How the caller can be recognised: their directory id once authenticated, their number
        unless anonymous (a later call matching either is the same customer)."""
        keys = set()
        if call_id in self.customer:
            keys.add(f"customer:{self.customer[call_id]}")
        number = self.caller.get(call_id, "")
        if number.lower() not in ANONYMOUS:
            keys.add(f"phone:{number}")
        return keys

    def repeats(self) -> set[str]:
        """The handled calls whose customer called again within the window."""
        arrivals: dict[str, list[float]] = {}
        for call_id, at in self.arrived_at.items():
            for key in self.keys(call_id):
                arrivals.setdefault(key, []).append(at)
        for times in arrivals.values():
            times.sort()
        window = self.repeat_days * DAY
        out = set()
        for call_id in self.handled:
            arrived = self.arrived_at.get(call_id)
            if arrived is None:
                continue
            for key in self.keys(call_id):
                times = arrivals[key]
                later = bisect.bisect_right(times, arrived)
                if later < len(times) and times[later] <= arrived + window:
                    out.add(call_id)
        return out

    def resolved(self) -> set[str]:
        """The handled calls resolved at first contact."""
        return set(self.handled) - self.repeats() - self.unresolved


def fcr(resolved: int, handled: int) -> dict[str, int | float | None]:
    """The figure as reports show it: counts and their rate (None when nothing was handled)."""
    return {"resolved": resolved, "handled": handled, "rate": resolved / handled if handled else None}
