"""What the API keeps beside the contact center: a small fold of the events it needs to answer
(the caller behind each open call, each agent's last call and its disposition) and the WebSocket
listeners. Bounded: calls leave when they end, agents are the configured ones."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alur.api.auth import TokenCache
from alur.core import events as ev
from alur.core.envelope import Envelope
from alur.metrics.kpis import Snapshot
from alur.store.deliveries import DeliveryStore

if TYPE_CHECKING:
    from alur.service.center import ContactCenter


@dataclass(slots=True)
class OpenCall:
    caller_id: str = ""
    flow: str = ""
    customer_id: str | None = None  # set when the caller authenticated in the flow


@dataclass(slots=True)
class LastCall:
    call_id: str
    queue: str
    answered_at: float
    disposition: str | None = None


@dataclass(slots=True, eq=False)
class Listener:
    """One WebSocket: its own bounded queue; `overflowed` when it fell too far behind."""

    accepts: Any  # Callable[[Envelope], bool]
    queue: asyncio.Queue[Any] = field(default_factory=lambda: asyncio.Queue(10_000))  # Envelope | signal
    overflowed: bool = False
    agent_id: str | None = None  # an agent's stream: also gets the signals of its conversations


class ApiContext:
    def __init__(self, center: ContactCenter, tokens: TokenCache, webhooks: Any = None) -> None:
        self.center = center
        self.tokens = tokens
        self.webhooks = webhooks  # alur.integrations.webhooks.Webhooks, when this server posts them
        self.deliveries = DeliveryStore(center.store.engine) if center.store is not None else None
        self.delivery_counts: dict[str, int] = {}  # read when /metrics is scraped
        self.calls: dict[str, OpenCall] = {}
        self.last_calls: dict[str, LastCall] = {}
        self.listeners: set[Listener] = set()
        self.events_seen = 0
        self.listeners_dropped = 0
        self._snapshot: tuple[int, float, Snapshot] | None = None  # (events seen, when, today's KPIs)
        center.bus.subscribe("api", self.handle)
        center.conversations.signals.append(self.signal)

    def signal(self, conv: Any, item: dict[str, Any]) -> None:
        """A fact not worth logging (the customer typing) for the desktop of the agent holding it."""
        message = {"kind": f"conversation.{item['type']}", "event": {**item, "conversation_id": conv.id}}
        for listener in list(self.listeners):
            if listener.agent_id == conv.agent_id:
                with contextlib.suppress(asyncio.QueueFull):  # a stream that far behind is closed anyway
                    listener.queue.put_nowait(message)

    def kpi_snapshot(self, max_age: float = 0.5) -> Snapshot:
        """Today's KPIs, shared by every stream for up to `max_age` seconds while nothing happens."""
        now = time.monotonic()
        cached = self._snapshot
        if cached is None or cached[0] != self.events_seen or now - cached[1] > max_age:
            cached = self._snapshot = (
                self.events_seen,
                now,
                self.center.kpis.snapshot(self.center.clock.now()),
            )
        return cached[2]

    async def handle(self, batch: list[Envelope]) -> None:
        for envelope in batch:
            self._apply(envelope.event)
            for listener in list(self.listeners):
                if listener.accepts(envelope):
                    try:
                        listener.queue.put_nowait(envelope)
                    except asyncio.QueueFull:
                        listener.overflowed = True
                        self.listeners.discard(listener)
                        self.listeners_dropped += 1
        self.events_seen += len(batch)

    def _apply(self, event: ev.Event) -> None:
        if isinstance(event, ev.CallArrived):
            self.calls[event.call_id] = OpenCall(event.caller_id, event.flow)
        elif isinstance(event, ev.CallerAuthenticated) and event.success:
            call = self.calls.get(event.call_id)
            if call is not None:
                call.customer_id = event.customer_id
        elif isinstance(event, ev.Answered):
            self.last_calls[event.agent_id] = LastCall(event.call_id, event.queue, event.at)
        elif isinstance(event, ev.Disposition):
            last = self.last_calls.get(event.agent_id)
            if last is not None and last.call_id == event.call_id:
                last.disposition = event.code
        elif isinstance(event, ev.CallEnded):
            self.calls.pop(event.call_id, None)

    def agent_queues(self, agent_id: str) -> tuple[str, ...]:
        agent = self.center.router.agents.get(agent_id)
        return tuple(agent.memberships) if agent is not None else ()
