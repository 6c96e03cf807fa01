"""CRM webhooks: call records (on call end, on wrap-up) and chosen raw events, POSTed to the project's
endpoints, signed, retried with backoff, kept in the store until delivered.

Each post is first a row in the store (`alur.store.deliveries`, handed in as `deliveries`): pending,
delivered or dead. A bus subscriber notes the events that make posts; one recorder task turns them
into rows (a call record is folded from the event log once the log holds the call's events), and one
poster task per webhook posts its pending rows in order. A post that fails (network error, 5xx, 408,
425, 429) is tried again after a pause that doubles up to a cap; after the last attempt, or at once
on a refusal that retrying cannot fix (another 4xx), the row is dead: a dead letter a supervisor lists
and replays through the API. Pending rows survive a restart: the posters resume them on start, and
events logged before a crash but not yet turned into rows are caught up from the log.

A receiver checks `X-Alur-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>` and
de-duplicates by `X-Alur-Delivery` (a post is repeated when the server stops before the answer is read).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from alur.config.project import WebhookSettings
from alur.core.codec import envelope_to_dict
from alur.core.envelope import Envelope
from alur.core.errors import AlurError
from alur.integrations.call_documents import CALL_DOCUMENTS, TRIGGERS, call_document

log = logging.getLogger("alur.webhooks")

SIGNATURE_HEADER = "X-Alur-Signature"
DELIVERY_HEADER = "X-Alur-Delivery"
EVENT_HEADER = "X-Alur-Event"
RETRIED_STATUSES = frozenset({408, 425, 429})  # and every 5xx: the endpoint may answer later
BATCH = 200  # events turned into rows at a time


def signature(secret: str, body: bytes) -> str:
    """The signature header's value for `body`: what a receiver recomputes and compares."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class DeliveryLog(Protocol):
    """The store's deliveries (`alur.store.deliveries.DeliveryStore`); blocking calls."""

    def add(self, items: Iterable[Any], now: float) -> int: ...
    def next_pending(self, url: str) -> Any: ...
    def last_trigger_seq(self, url: str, server: str) -> int | None: ...
    def resume(self, url: str, now: float) -> int: ...
    def delivered(self, id_: int, attempts: int, now: float) -> None: ...
    def retry(self, id_: int, attempts: int, error: str, at: float, now: float) -> None: ...
    def dead(self, id_: int, attempts: int, error: str, now: float) -> None: ...


@dataclass(eq=False)
class Webhook:
    """One endpoint: what it is sent, its poster's wake-up and its counters."""

    settings: WebhookSettings
    documents: frozenset[str]  # call documents it gets: call.ended, call.wrapped_up
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    delivered: int = 0
    failures: int = 0  # posts that failed (each retry counts)
    dead: int = 0  # deliveries that failed for good

    @property
    def url(self) -> str:
        return self.settings.url

    def delay(self, attempts: int) -> float:
        """The pause after the `attempts`-th failed post."""
        s = self.settings
        return float(min(s.retry_delay * 2 ** (attempts - 1), s.max_retry_delay))


class Webhooks:
    """The project's webhooks; `start(center)` subscribes to the running center and runs the posters."""

    def __init__(
        self,
        settings: Iterable[WebhookSettings],
        client: httpx.AsyncClient,
        deliveries: DeliveryLog,
        *,
        timeout: float = 5.0,
        max_intake: int = 10_000,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.hooks = [Webhook(s, frozenset(CALL_DOCUMENTS[c] for c in s.calls)) for s in settings]
        self.deliveries = deliveries
        self._client = client
        self._timeout = timeout
        self._wall = wall
        self._max_intake = max_intake
        self._intake: deque[tuple[Envelope, int]] = deque()  # (event, the bus seq the log must reach)
        self._intake_ready = asyncio.Event()
        self._kinds = {k for h in self.hooks for k in h.settings.events}
        self._kinds |= {t.KIND for t, doc in TRIGGERS.items() if any(doc in h.documents for h in self.hooks)}
        self._center: Any = None
        self.dropped = 0  # events that found the intake full (the store far behind)

    def start(self, center: Any) -> None:
        """Subscribe to the running center's bus, catch up from its log and resume pending posts."""
        if not self.hooks:
            return
        if center.store is None or center.writer is None:
            raise AlurError("webhooks need the event log (their deliveries are kept there)", code="no_store")
        self._center = center
        center.bus.subscribe("webhooks", self.handle)
        booted_at = center.bus.seq  # events after this come through `handle`; before it, from the log
        center.spawn(self._record(booted_at), "webhooks: recorder")
        for hook in self.hooks:
            center.spawn(self._post_in_order(hook), f"webhook: {hook.url}")

    def wake(self, urls: Iterable[str] | None = None) -> None:
        """Look for due posts now (a dead letter was replayed)."""
        wanted = None if urls is None else set(urls)
        for hook in self.hooks:
            if wanted is None or hook.url in wanted:
                hook.wakeup.set()

    # --- events -> rows --------------------------------------------------------------------------

    async def handle(self, envelopes: list[Envelope]) -> None:
        published = self._center.bus.seq  # a wrap-up's follow-up is published before we get here
        for envelope in envelopes:
            if envelope.event.KIND not in self._kinds:
                continue
            if len(self._intake) >= self._max_intake:
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 100 == 0:
                    log.error("webhooks: the store is far behind, dropped %d event(s)", self.dropped)
                continue
            self._intake.append((envelope, published))
            self._intake_ready.set()

    async def _record(self, booted_at: int) -> None:
        await self._catch_up(booted_at)
        while True:
            while not self._intake:
                self._intake_ready.clear()
                await self._intake_ready.wait()
            batch = [self._intake.popleft() for _ in range(min(BATCH, len(self._intake)))]
            await self._center.writer.stored(max(seq for _e, seq in batch))
            await self._store_rows([e for e, _seq in batch], {})

    async def _catch_up(self, booted_at: int) -> None:
        """Rows for the events a previous run logged but did not turn into rows (it stopped first)."""
        center = self._center
        await center.writer.stored(booted_at)
        floors: dict[str, int] = {}
        for hook in self.hooks:
            last = await self._retrying(self.deliveries.last_trigger_seq, hook.url, center.server_id)
            floors[hook.url] = booted_at if last is None else last  # a new webhook starts from now
        low = min(floors.values())
        if low >= booted_at:
            return

        def logged() -> list[Envelope]:
            found = center.store.envelopes(server=center.server_id, after_seq=low, kinds=self._kinds)
            return [e for _row, e in found if e.seq <= booted_at]

        triggers = await self._retrying(logged)
        for start in range(0, len(triggers), BATCH):
            await self._store_rows(triggers[start : start + BATCH], floors)

    async def _store_rows(self, triggers: list[Envelope], floors: dict[str, int]) -> None:
        rows = await self._retrying(self._rows, triggers, floors)
        if rows:
            await self._retrying(self.deliveries.add, rows, self._wall())
            self.wake({row["url"] for row in rows})

    def _rows(self, triggers: list[Envelope], floors: dict[str, int]) -> list[dict[str, Any]]:
        """The deliveries these events make (blocking: reads the log)."""
        store = self._center.store
        histories: dict[str, list[Envelope]] = {}
        rows = []
        for envelope in triggers:
            event = envelope.event
            call_id = getattr(event, "call_id", None)
            document = TRIGGERS.get(type(event))
            for hook in self.hooks:
                if envelope.seq <= floors.get(hook.url, 0):
                    continue
                if event.KIND in hook.settings.events:
                    rows.append(_row(hook, event.KIND, envelope, envelope_to_dict(envelope), call_id,
                                     getattr(event, "queue", None)))  # fmt: skip
                if document in hook.documents and call_id is not None:
                    if call_id not in histories:
                        histories[call_id] = [e for _r, e in store.envelopes(call_id=call_id)]
                    body = call_document(document, envelope, histories[call_id])
                    rows.append(_row(hook, document, envelope, body, call_id, body["call"]["queue"]))
        return rows

    async def _retrying(self, blocking: Callable[..., Any], *args: Any) -> Any:
        """Run a store call off the loop until it succeeds (the database may be down for a while)."""
        pause = 0.05
        while True:
            try:
                return await asyncio.to_thread(blocking, *args)
            except Exception as error:
                log.error("webhooks: the store failed (%s: %s); again in %.2f s", type(error).__name__,
                          str(error).splitlines()[0] if str(error) else "", pause)  # fmt: skip
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)

    # --- rows -> posts ---------------------------------------------------------------------------

    async def _post_in_order(self, hook: Webhook) -> None:
        """Post the hook's pending deliveries, oldest first, until cancelled; those left by the last
        run are tried at once."""
        resumed = await self._retrying(self.deliveries.resume, hook.url, self._wall())
        if resumed:
            log.warning("webhook %s: %d delivery(ies) pending from before the start", hook.url, resumed)
        while True:
            hook.wakeup.clear()
            delivery = await self._retrying(self.deliveries.next_pending, hook.url)
            if delivery is None:
                await hook.wakeup.wait()
                continue
            due_in = (delivery.next_attempt_at or 0.0) - self._wall()
            if due_in > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(due_in):
                        await hook.wakeup.wait()
                continue
            await self._attempt(hook, delivery)

    async def _attempt(self, hook: Webhook, delivery: Any) -> None:
        attempts = delivery.attempts + 1
        problem, final = await self._post(hook, delivery)
        now = self._wall()
        if problem is None:
            hook.delivered += 1
            await self._retrying(self.deliveries.delivered, delivery.id, attempts, now)
            return
        hook.failures += 1
        if final or attempts >= hook.settings.attempts:
            hook.dead += 1
            log.error("webhook %s: delivery %s (%s) is a dead letter after %d attempt(s): %s", hook.url,
                      delivery.delivery_id, delivery.kind, attempts, problem)  # fmt: skip
            await self._retrying(self.deliveries.dead, delivery.id, attempts, problem, now)
            return
        pause = hook.delay(attempts)
        log.warning("webhook %s: delivery %s failed (%s), retry in %.1f s", hook.url, delivery.delivery_id,
                    problem, pause)  # fmt: skip
        await self._retrying(self.deliveries.retry, delivery.id, attempts, problem, now + pause, now)

    async def _post(self, hook: Webhook, delivery: Any) -> tuple[str | None, bool]:
        """(None, _) when delivered, else (the problem, whether retrying cannot help)."""
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(hook.settings.secret, body),
            EVENT_HEADER: delivery.kind,
            DELIVERY_HEADER: delivery.delivery_id,
        }
        try:
            response = await self._client.post(hook.url, content=body, headers=headers, timeout=self._timeout)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}", False
        status = response.status_code
        if status < 300:
            return None, False
        return f"HTTP {status}", status < 500 and status not in RETRIED_STATUSES


def _row(
    hook: Webhook, kind: str, envelope: Envelope, body: dict[str, Any], call_id: Any, queue: Any
) -> dict[str, Any]:
    return {
        "url": hook.url, "kind": kind, "body": json.dumps(body, separators=(",", ":")),
        "trigger_server": envelope.server, "trigger_seq": envelope.seq,
        "call_id": None if call_id is None else str(call_id), "queue": None if queue is None else str(queue),
    }  # fmt: skip
