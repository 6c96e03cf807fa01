"""The call record: one call's story, read back from the event log (nothing stored twice)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from alur.core import events as ev


@dataclass(slots=True)
class CallRecord:
    call_id: str
    caller_id: str = ""
    dialed: str = ""
    flow: str = ""
    flow_version: int = 0
    arrived_at: float | None = None
    ended_at: float | None = None
    ended_how: str = ""
    path: list[str] = field(default_factory=list)
    menu_choices: list[str] = field(default_factory=list)
    queue: str | None = None
    agent_id: str | None = None
    wait: float | None = None
    talk_time: float | None = None
    abandoned: bool = False
    offers: list[tuple[str, str]] = field(default_factory=list)  # (agent, outcome)
    disposition: str | None = None

    @property
    def duration(self) -> float | None:
        if self.arrived_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.arrived_at


def call_record(call_id: str, events: Iterable[ev.Event]) -> CallRecord:
    """Fold a call's events (in log order) into its record."""
    record = CallRecord(call_id)
    for event in events:
        if getattr(event, "call_id", None) != call_id:
            continue
        match event:
            case ev.CallArrived():
                record.caller_id, record.dialed, record.flow = event.caller_id, event.dialed, event.flow
                record.flow_version = event.flow_version
                record.arrived_at = event.at
            case ev.NodeEntered():
                record.path.append(event.node)
            case ev.MenuOptionChosen():
                record.menu_choices.append(event.option)
            case ev.CallQueued():
                record.queue = event.queue
            case ev.Offered():
                record.offers.append((event.agent_id, "offered"))
            case ev.OfferDeclined():
                record.offers.append((event.agent_id, event.reason))
            case ev.GroupOffered():
                record.offers.extend((agent_id, "offered") for agent_id in event.agent_ids)
            case ev.OffersWithdrawn():
                record.offers.extend((agent_id, event.reason) for agent_id in event.agent_ids)
            case ev.Answered():
                record.agent_id, record.wait = event.agent_id, event.wait
                record.offers.append((event.agent_id, "answered"))
            case ev.Abandoned():
                record.abandoned, record.wait = True, event.wait
            case ev.TalkEnded():
                record.talk_time = event.talk_time
            case ev.Disposition():
                record.disposition = event.code
            case ev.CallEnded():
                record.ended_at, record.ended_how = event.at, event.how
    return record
