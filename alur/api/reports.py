"""Reports of real calls from the event log: the same KPI fold as the wallboard and the simulator
(`alur.metrics.kpis.KpiFold`) over `store.events(since, until)`, per interval, queue or agent; JSON or CSV.
"""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from alur.api.agents import ctx_of
from alur.api.auth import STAFF, check_queue, principal_of, route
from alur.api.errors import ApiError, bad_field
from alur.core import events as ev
from alur.metrics.channels import ChannelFold
from alur.metrics.fcr import DAY, FirstContactFold, fcr
from alur.metrics.kpis import KpiFold

INTERVALS = {"15m": 900.0, "30m": 1800.0, "60m": 3600.0, "day": 86400.0}
CUSTOMER_FACTS = (ev.CallArrived, ev.CallerAuthenticated)  # who called, for first-contact resolution
COLUMNS = ["offered", "answered", "abandoned", "service_level", "asa", "aht", "abandonment_rate", "occupancy"]


@dataclass
class Folded:
    """The log folded for a report: the KPIs, disposition counts, and first-contact resolution."""

    kpis: KpiFold
    first_contact: FirstContactFold
    dispositions: dict[str, int] = field(default_factory=dict)


def fold_report(store: Any, since: float, until: float, interval: float, thresholds: dict[str, float],
                queue: str | None, repeat_days: float, digital: tuple[str, ...] = ()) -> Folded:  # fmt: skip
    """Fold the log's events in [since, until); with `queue`, only the calls that joined it (blocking).
    First-contact resolution also reads the arrivals of the `repeat_days` after `until`."""
    keep: set[str] | None = None
    if queue is not None:
        keep = {e.call_id for e in store.events(since=since, until=until)
                if isinstance(e, ev.CallQueued) and e.queue == queue}  # fmt: skip
    out = Folded(KpiFold(interval, 20.0, thresholds, digital), FirstContactFold(repeat_days))
    for event in store.events(since=since, until=until):
        if isinstance(event, CUSTOMER_FACTS):
            out.first_contact.apply(event)  # any call of the customer's, in whichever queue
        call_id = getattr(event, "call_id", None)
        if keep is not None and call_id is not None and call_id not in keep:
            continue
        if keep is not None and call_id is None:
            continue  # agent-only events (state changes) belong to no queue
        out.kpis.apply(event)
        if not isinstance(event, CUSTOMER_FACTS):
            out.first_contact.apply(event)
        if isinstance(event, ev.Disposition):
            out.dispositions[event.code] = out.dispositions.get(event.code, 0) + 1
    for event in store.events(since=until, until=until + repeat_days * DAY):
        if isinstance(event, CUSTOMER_FACTS):
            out.first_contact.apply(event)  # the customer called again after the report's end
    return out


def ivr_popularity(options: dict[tuple[str, str, str], int]) -> list[dict[str, Any]]:
    """Each menu option's count and its share of the choices made at that menu, most chosen first."""
    per_menu: dict[tuple[str, str], int] = {}
    for (flow, node, _), count in options.items():
        per_menu[flow, node] = per_menu.get((flow, node), 0) + count
    ranked = sorted(options.items(), key=lambda item: (item[0][0], item[0][1], -item[1], item[0][2]))
    return [
        {"flow": f, "node": n, "option": o, "count": c, "share": c / per_menu[f, n]}
        for (f, n, o), c in ranked
    ]


def build_report(
    store: Any,
    start: datetime,
    end: datetime,
    interval: str,
    thresholds: dict[str, float],
    queue: str | None,
    by: str,
    now: float,
    repeat_days: float = 7.0,
    queue_channels: dict[str, str] | None = None,
    queue_targets: dict[str, float] | None = None,
) -> dict[str, Any]:
    """The report of the log's calls in [start, end) per interval, queue, agent or channel (blocking:
    off the loop)."""
    if by == "channel":
        return channel_report(store, start, end, queue_channels, min(end.timestamp(), now), queue_targets)
    digital = tuple(n for n, c in (queue_channels or {}).items() if c != "voice")
    span = (start.timestamp(), end.timestamp())
    folded = fold_report(store, *span, INTERVALS[interval], thresholds, queue, repeat_days, digital)
    snap = folded.kpis.snapshot(min(end.timestamp(), now))
    first_contact = folded.first_contact
    resolved = [first_contact.handled[c] for c in first_contact.resolved()]
    rows: list[dict[str, Any]]
    if by == "interval":
        rows = [
            {"start": datetime.fromtimestamp(k, UTC).isoformat(), **v.as_dict()}
            for k, v in sorted(snap.intervals.items())
        ]
    elif by == "queue":
        rows = []
        for k, v in sorted(snap.queues.items()):
            if queue is None or k == queue:
                first = fcr(sum(h.queue == k for h in resolved), v.handled)
                rows.append({"queue": k, **v.as_dict(), "resolved": first["resolved"], "fcr": first["rate"]})
    else:
        rows = []
        for k, a in sorted(snap.agents.items()):
            first = fcr(sum(h.agent_id == k for h in resolved), a.answered)
            rows.append({"agent_id": k, **a.as_dict(), "resolved": first["resolved"], "fcr": first["rate"]})
    return no_nan({
        "since": start.isoformat(), "until": end.isoformat(), "interval": interval, "queue": queue,
        "by": by, "total": snap.total.as_dict(), "rows": rows, "dispositions": folded.dispositions,
        "first_contact_resolution": fcr(len(resolved), snap.total.handled),
        "ivr_options": ivr_popularity(snap.ivr_options),
    })  # fmt: skip


def channel_report(
    store: Any,
    start: datetime,
    end: datetime,
    queue_channels: dict[str, str] | None,
    now: float,
    queue_targets: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Per channel (offered, handled, first response, share within the response target, handle time,
    FCR across channels) and each agent's concurrency, from the log's events in [start, end)."""
    fold = ChannelFold(queue_channels or {}, queue_target=queue_targets or {})
    for event in store.events(since=start.timestamp(), until=end.timestamp()):
        fold.apply(event)
    return no_nan({
        "since": start.isoformat(), "until": end.isoformat(), "by": "channel", "rows": fold.rows(),
        "agents": fold.agents(now),
    })  # fmt: skip


def parse_time(value: str | None, field: str, default: datetime) -> datetime:
    if value is None:
        return default
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise bad_field(
            field,
            f"expected an ISO 8601 date or time such as 2026-01-31 or 2026-01-31T08:00Z (got {value!r})",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=default.tzinfo)


def register(router: APIRouter) -> None:
    @route(router, "GET", "/reports/{by}", STAFF, tags=["reports"])
    async def report(
        request: Request,
        by: Literal["interval", "queue", "agent", "channel"],
        since: str | None = Query(
            None, description="Start (ISO 8601; default: today 00:00 in the project's time zone)."
        ),
        until: str | None = Query(None, description="End, excluded (ISO 8601; default: now)."),
        interval: Literal["15m", "30m", "60m", "day"] = Query("30m"),
        queue: str | None = Query(None, description="Only calls that joined this queue."),
        format: Literal["json", "csv"] = Query("json"),
        table: Literal["rows", "ivr_options"] = Query(
            "rows", description="With format=csv: the report's rows, or its IVR option popularity."
        ),
    ) -> Any:
        """Offered, answered, abandoned, service level, ASA, AHT (and more) per interval, queue or agent,
        from the calls in the event log; `format=csv` for a spreadsheet. `channel`: per channel (voice,
        chat, SMS, e-mail) with first response time and FCR across channels, and agents' concurrency."""
        ctx, who = ctx_of(request), principal_of(request)
        center = ctx.center
        if center.store is None:
            raise ApiError(409, "no_store", "reports are read from the event log")
        if queue is not None:
            if queue not in center.router.queues:
                raise bad_field(
                    "queue", f"unknown queue {queue!r} (queues: {', '.join(sorted(center.router.queues))})"
                )
            check_queue(who, queue)
        elif who.role == "supervisor" and "*" not in who.queues:
            raise ApiError(
                403,
                "forbidden",
                f"a supervisor of {', '.join(who.queues)} asks for one of its queues (?queue=...)",
            )
        now = datetime.now(center.zone)
        start = parse_time(since, "since", now.replace(hour=0, minute=0, second=0, microsecond=0))
        end = parse_time(until, "until", now + timedelta(seconds=1))
        if end <= start:
            raise bad_field("until", f"must be after since ({start.isoformat()})")
        await center.settle()  # what happened until now is in the log
        thresholds = {n: q.service_level.seconds for n, q in center.project.queues.items()}
        channels: dict[str, str] = {n: q.channel for n, q in center.project.queues.items()}
        targets = {n: q.target for n, q in center.project.queues.items() if q.target is not None}
        report = await asyncio.to_thread(
            build_report, center.store, start, end, interval, thresholds, queue, by, center.clock.now(),
            center.project.settings.repeat_contact_days, channels, targets,
        )  # fmt: skip
        if format == "csv":
            name = by if table == "rows" else "ivr-options"
            disposition = {"Content-Disposition": f'attachment; filename="alur-{name}.csv"'}
            return Response(to_csv(report[table]), media_type="text/csv", headers=disposition)
        return report


def no_nan(value: Any) -> Any:
    """JSON has no NaN: a ratio of nothing (service level with no calls offered) is null."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: no_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [no_nan(v) for v in value]
    return value


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if isinstance(v, float) and v != v else v) for k, v in row.items()})
    return out.getvalue()
