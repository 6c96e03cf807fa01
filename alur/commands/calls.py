"""CLI commands: calls (recent calls from the event log, and one call's whole story)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Annotated, Any

import typer

MAX_LIMIT = 10_000


def register(app: typer.Typer) -> None:
    @app.command()
    def calls(
        log: Annotated[
            str,
            typer.Argument(
                help="The event log: a project directory (its alur.db), a database file or a SQLAlchemy URL."
            ),
        ],
        call_id: Annotated[str | None, typer.Argument(help="Show this call's every event, in order.")] = None,
        limit: Annotated[int, typer.Option("--limit", "-n", help="How many recent calls to list.")] = 20,
    ) -> None:
        """List recent calls (caller, path, queue, agent, outcome), or one call's full event history."""
        from alur.store.call_records import call_record
        from alur.store.event_store import EventStore

        if not 1 <= limit <= MAX_LIMIT:
            typer.echo(f"error: --limit must be 1..{MAX_LIMIT} (got {limit})", err=True)
            raise typer.Exit(2)
        url = _log_url(log)
        store = EventStore(url)
        try:
            if call_id is None:
                _list(store, limit, call_record)
            else:
                _show(store, call_id, call_record)
        finally:
            store.close()


def _log_url(log: str) -> str:
    """A URL as given; a project directory means its alur.db; a file must exist (an empty new
    database would only hide a typo)."""
    if "://" in log:
        return log
    path = Path(log).expanduser()
    if path.is_dir():
        path = path / "alur.db"
    if not path.is_file():
        typer.echo(f"error: no event log at {path} (give a project directory, a .db file or a URL)", err=True)
        raise typer.Exit(2)
    return str(path)


def _when(at: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at)) if at else "-"


def _list(store: Any, limit: int, call_record: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    recent = store.recent_calls(limit)
    if not recent:
        typer.echo("no calls in this event log yet")
        return
    table = Table("started", "caller", "dialed", "path", "queue", "agent", "outcome", "call id")
    for call in recent:
        record = call_record(call["call_id"], store.events(call_id=call["call_id"]))
        path = " > ".join(record.path[:4]) + (" > ..." if len(record.path) > 4 else "")
        outcome = call["how"] or "in progress"
        if record.wait is not None:
            outcome += f" (waited {record.wait:.0f}s)"
        table.add_row(
            _when(call["arrived_at"]),
            call["caller_id"] or "anonymous",
            call["dialed"],
            path,
            record.queue or "",
            record.agent_id or "",
            outcome,
            call["call_id"],
        )
    Console(width=max(Console().width, 160)).print(table)  # rows stay whole, even in a narrow terminal


def _show(store: Any, call_id: str, call_record: Any) -> None:
    envelopes = [envelope for _row, envelope in store.envelopes(call_id=call_id)]
    if not envelopes:
        typer.echo(f"error: no call {call_id!r} in this event log", err=True)
        raise typer.Exit(1)
    record = call_record(call_id, (e.event for e in envelopes))
    typer.echo(
        f"call {call_id}: {record.caller_id or 'anonymous'} -> {record.dialed}, "
        f"flow {record.flow} v{record.flow_version}, "
        f"{record.ended_how or 'in progress'}"
        + (f", queue {record.queue}" if record.queue else "")
        + (f", agent {record.agent_id}" if record.agent_id else "")
    )
    for envelope in envelopes:
        event = envelope.event
        fields = {
            f.name: getattr(event, f.name)
            for f in dataclasses.fields(event)
            if f.name not in ("at", "call_id") and getattr(event, f.name) not in ("", None, ())
        }
        detail = "  ".join(f"{k}={v}" for k, v in fields.items())
        stamp = time.strftime("%H:%M:%S", time.localtime(event.at)) + f".{int(event.at % 1 * 1000):03d}"
        typer.echo(f"  {stamp}  {event.KIND:<26} {detail}")
