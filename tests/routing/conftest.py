"""A small driver for the router: a virtual clock and lists of what the router said."""

from __future__ import annotations

from typing import Any

import pytest

from alur.core.channel import QueueOutcome, QueueRequest
from alur.core.clock import VirtualClock
from alur.core.events import Event
from alur.routing import AgentConfig, Offer, QueueConfig, Router

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC, a Thursday


class Desk:
    """Drives a Router like the simulator or SIP server would, recording every callback."""

    def __init__(
        self, queues: list[dict[str, Any]], agents: list[dict[str, Any]], *, login: bool = True, seed: int = 0
    ) -> None:
        import random

        self.clock = VirtualClock(T0)
        self.events: list[Event] = []
        self.offers: list[Offer] = []
        self.cancelled: list[tuple[Offer, str]] = []
        self.outcomes: dict[str, QueueOutcome] = {}
        self.router = Router.from_config(
            [QueueConfig.model_validate(q) for q in queues],
            [AgentConfig.model_validate(a) for a in agents],
            clock=self.clock,
            emit=self.events.append,
            on_offer=self.offers.append,
            on_cancel=lambda o, why: self.cancelled.append((o, why)),
            on_outcome=self.outcomes.__setitem__,
            rng=random.Random(seed),
        )
        if login:
            for a in agents:
                self.router.login(a["id"])

    def call(self, call_id: str, queue: str = "q", **kw: Any) -> Offer | None:
        """Queue a call; returns the offer it got at once, if any."""
        before = len(self.offers)
        self.router.enqueue(call_id, QueueRequest(queue=queue, **kw))
        new = [o for o in self.offers[before:] if o.call_id == call_id]
        return new[0] if new else None

    def offer_for(self, call_id: str) -> Offer:
        live = [
            o for o in self.offers if o.call_id == call_id and o.reservation_id in self.router.reservations
        ]
        assert len(live) == 1, live
        return live[0]

    def take(self, call_id: str, talk: float = 0.0) -> str:
        """Answer the call's live offer, talk for `talk` seconds, hang up; returns the agent id."""
        offer = self.offer_for(call_id)
        self.router.answer(offer.reservation_id)
        if talk:
            self.advance(talk)
        self.router.talk_ended(call_id)
        return offer.agent_id

    def advance(self, seconds: float) -> None:
        self.clock.run(self.clock.now() + seconds)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    @staticmethod
    def agents(*ids: str, queue: str = "q", **kw: Any) -> list[dict[str, Any]]:
        return [{"id": i, "queues": [queue], **kw} for i in ids]


@pytest.fixture
def desk_cls() -> type[Desk]:
    return Desk
