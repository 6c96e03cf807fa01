"""The live side: a WebSocket streaming events (filtered by role, resumable from a sequence number) and
Prometheus metrics.

WebSocket `/ws?token=...&after_seq=N`: each message is one event, `{"seq", "server", "stamped_at",
"kind", "event"}`. With `after_seq`, the events logged after N come first (from the store), then live
ones, with no gap and no repeat. An agent gets its own events (offers, calls, state) and signals that are
not logged (`conversation.typing`: the customer of one of its conversations is typing; no seq); a
supervisor the events of its queues and their agents; admin everything. A listener too slow to keep
up is closed (code 1013) and may resume from the last seq it got.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from alur.api.auth import ALL, STAFF, Principal, route, sees_queue, websocket_principal
from alur.api.channel_view import agent_load, channel_summary
from alur.api.context import ApiContext, Listener
from alur.api.errors import ApiError
from alur.api.reports import no_nan
from alur.api.supervisor import queue_view
from alur.core.codec import event_kind, event_to_dict
from alur.core.envelope import Envelope


def register(router: APIRouter) -> None:
    @route(router, "GET", "/metrics", STAFF, tags=["live"])
    async def metrics(request: Request) -> Response:
        """Prometheus text: calls waiting and connected, agents per state, events, store writes..."""
        registry: CollectorRegistry = request.app.state.registry
        ctx: ApiContext = request.app.state.ctx
        if ctx.deliveries is not None:
            ctx.delivery_counts = await asyncio.to_thread(ctx.deliveries.counts)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    async def stream(websocket: WebSocket) -> None:
        await live_stream(websocket)

    stream.roles = ALL  # type: ignore[attr-defined]
    router.add_api_websocket_route("/ws", stream)


def install(app: FastAPI) -> None:
    """Metrics for this app (its own registry: two servers in one process never mix figures)."""
    registry = CollectorRegistry()
    registry.register(CenterCollector(app.state.ctx))
    registry.register(AdapterCollectors(app.state.ctx.center))
    latency = Histogram(
        "alur_http_request_seconds", "HTTP request latency", ["method", "route"], registry=registry,
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    )  # fmt: skip
    app.state.registry = registry

    @app.middleware("http")
    async def timed(request: Request, call_next: Callable[[Request], Any]) -> Any:
        start = time.perf_counter()
        response = await call_next(request)
        found = request.scope.get("route")
        latency.labels(request.method, getattr(found, "path", "unmatched")).observe(
            time.perf_counter() - start
        )
        return response


class AdapterCollectors:
    """The figures other adapters (the SIP server) keep, read through the contact center at scrape time."""

    def __init__(self, center: Any) -> None:
        self.center = center

    def collect(self) -> Any:
        for collector in list(self.center.collectors):
            yield from collector.collect()

    def describe(self) -> list[Any]:
        return []  # names appear with the adapters that start later: not checked at registration


class CenterCollector:
    """Reads the contact center at scrape time: nothing is counted twice or kept between scrapes."""

    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx

    def collect(self) -> Any:
        center = self.ctx.center
        router = center.router
        waiting = GaugeMetricFamily("alur_calls_waiting", "Calls waiting in a queue", labels=["queue"])
        longest = GaugeMetricFamily(
            "alur_longest_wait_seconds", "Longest wait in a queue now", labels=["queue"]
        )
        now = center.clock.now()
        for name in router.queues:
            ids = router.waiting(name)
            waiting.add_metric([name], len(ids))
            longest.add_metric([name], max((now - router.calls[i].first_at for i in ids), default=0.0))
        yield waiting
        yield longest
        yield GaugeMetricFamily(
            "alur_calls_connected", "Calls talking with an agent", value=len(router.connected)
        )
        states = GaugeMetricFamily("alur_agents", "Agents per state", labels=["state"])
        counts: dict[str, int] = {}
        for agent in router.agents.values():
            counts[agent.shown_state] = counts.get(agent.shown_state, 0) + 1
        for state in ("offline", "available", "reserved", "ringing", "busy", "wrap_up", "paused"):
            states.add_metric([state], counts.get(state, 0))
        yield states
        yield CounterMetricFamily(
            "alur_events_published", "Events published on the bus", value=center.bus.seq
        )
        dropped = CounterMetricFamily(
            "alur_bus_dropped", "Events a slow subscriber missed", labels=["subscriber"]
        )
        failures = CounterMetricFamily(
            "alur_bus_failures", "Subscriber batches that raised", labels=["subscriber"]
        )
        for sub in center.bus.subscriptions:
            dropped.add_metric([sub.name], sub.dropped)
            failures.add_metric([sub.name], sub.failures)
        yield dropped
        yield failures
        writer = center.writer
        if writer is not None:
            yield CounterMetricFamily(
                "alur_store_events_written", "Events written to the store", value=writer.written
            )
            failed = writer.failed_attempts
            yield CounterMetricFamily("alur_store_write_failures", "Store writes that failed", value=failed)
        yield GaugeMetricFamily(
            "alur_websocket_listeners", "Open WebSocket streams", value=len(self.ctx.listeners)
        )
        yield from self._webhooks()

    def _webhooks(self) -> Any:
        deliveries = GaugeMetricFamily(
            "alur_webhook_deliveries", "Webhook deliveries in the store per status", labels=["status"]
        )
        for status, count in self.ctx.delivery_counts.items():
            deliveries.add_metric([status], count)
        yield deliveries
        hooks = self.ctx.webhooks.hooks if self.ctx.webhooks is not None else []
        for name, text, attribute in (
            ("alur_webhook_posts_delivered", "Webhook posts the endpoint accepted", "delivered"),
            ("alur_webhook_posts_failed", "Webhook posts that failed (each retry counts)", "failures"),
            ("alur_webhook_dead_letters", "Webhook deliveries that failed for good", "dead"),
        ):
            yield CounterMetricFamily(name, text, value=sum(getattr(h, attribute) for h in hooks))


def accepts(principal: Principal, ctx: ApiContext) -> Callable[[Envelope], bool]:
    """Which events this token's stream carries."""
    if principal.role == "admin" or (principal.role == "supervisor" and "*" in principal.queues):
        return lambda envelope: True
    if principal.role == "agent":
        me = principal.agent_id
        return lambda envelope: getattr(envelope.event, "agent_id", None) == me

    def supervisor(envelope: Envelope) -> bool:
        event = envelope.event
        queue = getattr(event, "queue", None)
        if queue is not None:
            return sees_queue(principal, queue)
        agent = getattr(event, "agent_id", None)
        return agent is not None and any(sees_queue(principal, q) for q in ctx.agent_queues(agent))

    return supervisor


def message(envelope: Envelope) -> dict[str, Any]:
    return {"seq": envelope.seq, "server": envelope.server, "stamped_at": envelope.stamped_at,
            "kind": event_kind(envelope.event), "event": event_to_dict(envelope.event)}  # fmt: skip


async def live_stream(websocket: WebSocket) -> None:
    ctx: ApiContext = websocket.app.state.ctx
    await websocket.accept()
    try:
        principal = await websocket_principal(websocket)
        after = websocket.query_params.get("after_seq")
        after_seq = int(after) if after is not None else None
        if after_seq is not None and after_seq < 0:
            raise ValueError
    except ApiError as refused:
        await websocket.send_json({"error": refused.code, "message": refused.message})
        await websocket.close(code=4401 if refused.status == 401 else 4403, reason=refused.message[:120])
        return
    except ValueError:
        text = f"after_seq: expected a sequence number >= 0 (got {websocket.query_params.get('after_seq')!r})"
        await websocket.send_json({"error": "invalid_request", "message": text, "field": "after_seq"})
        await websocket.close(code=4422, reason=text[:120])
        return
    listener = Listener(
        accepts(principal, ctx), agent_id=principal.agent_id if principal.role == "agent" else None
    )
    ctx.listeners.add(listener)
    try:
        last = after_seq if after_seq is not None else ctx.center.bus.seq
        if after_seq is not None and ctx.center.store is not None:
            await ctx.center.settle()  # everything published before we listened is in the log now
            backlog = await asyncio.to_thread(_backlog, ctx, after_seq)
            for envelope in backlog:
                if listener.accepts(envelope):
                    await websocket.send_json(message(envelope))
                last = max(last, envelope.seq)
        await websocket.send_json(kpi_message(ctx, principal))  # where today stands, then changes
        await _pump(websocket, listener, last, lambda: kpi_message(ctx, principal))
    except WebSocketDisconnect:
        pass
    finally:
        ctx.listeners.discard(listener)


def _backlog(ctx: ApiContext, after_seq: int) -> list[Envelope]:
    store = ctx.center.store
    assert store is not None
    return [e for _row, e in store.envelopes(server=ctx.center.server_id, after_seq=after_seq)]


KPI_EVERY = 1.0  # seconds: the least time between two KPI updates on one stream


def kpi_message(ctx: ApiContext, principal: Principal) -> dict[str, Any]:
    """Today's figures the token may see: an agent its own (with its chat/SMS/e-mail load), a
    supervisor its queues (and the conversations waiting per channel), an admin all."""
    snap = ctx.kpi_snapshot()
    out: dict[str, Any] = {"kind": "kpis", "at": snap.at}
    if principal.role == "agent":
        mine = snap.agents.get(principal.agent_id or "")
        load = agent_load(ctx, principal.agent_id or "")
        out["agents"] = {principal.agent_id: {**mine.as_dict(), "load": load}} if mine is not None else {}
        return no_nan(out)
    out["queues"] = {
        name: tally.as_dict() for name, tally in snap.queues.items() if sees_queue(principal, name)
    }
    queues = ctx.center.router.queues
    digital = [n for n, q in queues.items() if q.digital and sees_queue(principal, n)]
    if digital:  # chats, SMS and e-mails now: waiting, held, past their target
        out["channels"] = channel_summary([queue_view(ctx, n) for n in digital])
    if principal.role == "admin" or "*" in principal.queues:
        out["total"] = snap.total.as_dict()
    return no_nan(out)


async def _pump(
    websocket: WebSocket, listener: Listener, last: int, kpis: Callable[[], dict[str, Any]]
) -> None:
    """Events as they come; after events, today's figures at most once every KPI_EVERY seconds."""
    loop = asyncio.get_running_loop()
    received = asyncio.ensure_future(websocket.receive())  # a client closing ends the stream
    getter: asyncio.Future[Any] | None = None
    changed, kpis_sent = False, 0.0
    try:
        while True:
            getter = asyncio.ensure_future(listener.queue.get())
            due = max(0.0, kpis_sent + KPI_EVERY - loop.time()) if changed else None
            done, _ = await asyncio.wait({getter, received}, timeout=due, return_when=asyncio.FIRST_COMPLETED)
            if received in done:
                if received.result().get("type") == "websocket.disconnect":
                    return
                received = asyncio.ensure_future(websocket.receive())  # what a client sends is ignored
            if getter in done and isinstance(getter.result(), dict):  # a signal: not logged, no seq
                await websocket.send_json(getter.result())
            elif getter in done:
                envelope = getter.result()
                if envelope.seq > last:
                    await websocket.send_json(message(envelope))
                    last, changed = envelope.seq, True
            else:
                getter.cancel()
            if changed and loop.time() >= kpis_sent + KPI_EVERY:
                await websocket.send_json(kpis())
                changed, kpis_sent = False, loop.time()
            if listener.overflowed and listener.queue.empty():
                await websocket.close(code=1013, reason=f"too slow: resume with after_seq={last}")
                return
    finally:
        received.cancel()
        if getter is not None:
            getter.cancel()
