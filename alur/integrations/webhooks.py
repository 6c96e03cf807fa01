"""CRM webhooks: each event of the chosen kinds is POSTed as JSON to the project's endpoints.

One bus subscriber filters the events and hands each to its webhook's own bounded queue; one task
per webhook posts them in order. A slow or failing endpoint is retried with capped backoff, and while
it fails its queue fills and then drops (counted and logged): calls never wait for a CRM and memory
never grows for one. The body is signed with HMAC-SHA256 of the webhook's secret, so the receiver can
tell the post came from this server: `X-Alur-Signature: sha256=<hex digest of the body>`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from alur.config.project import WebhookSettings
from alur.core.codec import envelope_to_dict
from alur.core.envelope import Envelope

log = logging.getLogger("alur.webhooks")

SIGNATURE_HEADER = "X-Alur-Signature"
RETRIED_STATUSES = frozenset({408, 425, 429})  # and every 5xx: the endpoint may answer later


def signature(secret: str, body: bytes) -> str:
    """The signature header's value for `body`: what a receiver recomputes and compares."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Webhook:
    """One endpoint: its queue of events to post and its counters."""

    settings: WebhookSettings
    max_queue: int
    queue: deque[Envelope] = field(default_factory=deque)
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    delivered: int = 0
    retried: int = 0
    dropped: int = 0

    def offer(self, envelope: Envelope) -> None:
        """Queue the event for posting; a full queue drops it (never blocks the bus)."""
        if envelope.event.KIND not in self.settings.events:
            return
        if len(self.queue) >= self.max_queue:
            self.drop(f"its queue is full ({self.max_queue} events)")
            return
        self.queue.append(envelope)
        self.wakeup.set()

    def drop(self, why: str) -> None:
        self.dropped += 1
        if self.dropped == 1 or self.dropped % 100 == 0:
            log.error(
                "webhook %s: dropped an event, %s (%d dropped so far)", self.settings.url, why, self.dropped
            )


class Webhooks:
    """The project's webhooks; `start(center)` subscribes to its bus and runs one poster per webhook."""

    def __init__(
        self,
        settings: Iterable[WebhookSettings],
        client: httpx.AsyncClient,
        *,
        max_queue: int = 1000,
        attempts: int = 8,
        first_delay: float = 0.5,
        max_delay: float = 30.0,
        timeout: float = 5.0,
    ) -> None:
        self.hooks = [Webhook(s, max_queue) for s in settings]
        self._client = client
        self._attempts = attempts
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._timeout = timeout

    def start(self, center: Any) -> None:
        """Subscribe to the running center's bus and spawn the posters (nothing when no webhooks)."""
        if not self.hooks:
            return
        center.bus.subscribe("webhooks", self.handle)
        for hook in self.hooks:
            center.spawn(self.run(hook), f"webhook:{hook.settings.url}")

    async def handle(self, envelopes: list[Envelope]) -> None:
        for envelope in envelopes:
            for hook in self.hooks:
                hook.offer(envelope)

    async def run(self, hook: Webhook) -> None:
        """Post the hook's events in order, forever (until cancelled)."""
        while True:
            while not hook.queue:
                hook.wakeup.clear()
                await hook.wakeup.wait()
            envelope = hook.queue[0]
            if not await self._deliver(hook, envelope):
                hook.drop(f"{self._attempts} attempts failed")
            hook.queue.popleft()

    async def _deliver(self, hook: Webhook, envelope: Envelope) -> bool:
        data = envelope_to_dict(envelope)
        body = json.dumps(data, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(hook.settings.secret, body),
            "X-Alur-Event": data["kind"],
        }
        delay = self._first_delay
        for attempt in range(1, self._attempts + 1):
            try:
                response = await self._client.post(
                    hook.settings.url, content=body, headers=headers, timeout=self._timeout
                )
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 300:
                    hook.delivered += 1
                    return True
                if response.status_code < 500 and response.status_code not in RETRIED_STATUSES:
                    log.error("webhook %s refused event %d: HTTP %d", hook.settings.url, envelope.seq,
                              response.status_code)  # fmt: skip
                    return False
                problem = f"HTTP {response.status_code}"
            if attempt == self._attempts:
                break
            hook.retried += 1
            log.warning("webhook %s: event %d failed (%s), retry in %.1f s", hook.settings.url, envelope.seq,
                        problem, delay)  # fmt: skip
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_delay)
        return False
