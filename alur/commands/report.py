"""CLI command: report (the API's call report, read from an event log: per interval, queue or agent)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from alur.commands.calls import _log_url

#: the columns printed (the CSV has them all) and their short headings
SHOWN = {"offered": "offered", "answered": "answ.", "abandoned": "aband.", "service_level": "SL",
         "asa": "ASA s", "aht": "AHT s", "occupancy": "occ.", "fcr": "FCR"}  # fmt: skip


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        log: Annotated[
            str,
            typer.Argument(
                help="The event log: a project directory (its alur.db), a database file or a SQLAlchemy URL."
            ),
        ],
        since: Annotated[
            str | None,
            typer.Option("--since", help="Start, ISO 8601 (default: today 00:00, project's time zone)."),
        ] = None,
        until: Annotated[
            str | None, typer.Option("--until", help="End, excluded, ISO 8601 (default: now).")
        ] = None,
        by: Annotated[str, typer.Option("--by", help="Rows per interval, queue or agent.")] = "interval",
        interval: Annotated[str, typer.Option("--interval", help="15m, 30m, 60m or day.")] = "30m",
        queue: Annotated[
            str | None, typer.Option("--queue", help="Only calls that joined this queue.")
        ] = None,
        csv_file: Annotated[
            Path | None, typer.Option("--csv", help="Also write the rows to this CSV file.")
        ] = None,
    ) -> None:
        """Offered, answered, abandoned, service level, ASA, AHT, FCR (and more) from the calls in the log,
        the same figures as the HTTP API's /reports, plus dispositions and IVR option popularity."""
        from zoneinfo import ZoneInfo

        from alur.api.errors import ApiError
        from alur.api.reports import INTERVALS, build_report, parse_time, to_csv

        if by not in ("interval", "queue", "agent"):
            _fail(f"--by must be interval, queue or agent (got {by!r})")
        if interval not in INTERVALS:
            _fail(f"--interval must be one of {', '.join(INTERVALS)} (got {interval!r})")
        url = _log_url(log)
        project = _project(Path(log)) if "://" not in log else None
        zone = ZoneInfo(project.settings.timezone) if project is not None else ZoneInfo("UTC")
        thresholds = {n: q.service_level.seconds for n, q in project.queues.items()} if project else {}
        now = datetime.now(zone)
        try:
            start = parse_time(since, "since", now.replace(hour=0, minute=0, second=0, microsecond=0))
            end = parse_time(until, "until", now + timedelta(seconds=1))
        except ApiError as exc:
            _fail(f"--{exc.field}: {exc.message.removeprefix(f'{exc.field}: ')}")
        if end <= start:
            _fail(f"--until must be after --since ({start.isoformat()})")
        store = _open(url)
        try:
            repeat_days = project.settings.repeat_contact_days if project is not None else 7.0
            data = build_report(store, start, end, interval, thresholds, queue, by, time.time(), repeat_days)
        finally:
            store.close()
        _print(data)
        if csv_file is not None:
            try:
                csv_file.write_text(to_csv(data["rows"]))
            except OSError as exc:
                _fail(f"cannot write {csv_file}: {exc.strerror or exc}")
            typer.echo(f"rows written to {csv_file}")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _project(log: Path) -> Any:
    """The project whose log this is (time zone, service-level thresholds), when LOG is a project."""
    from alur.config.project import ProjectInvalid, load_project

    if not (log / "alur.yaml").is_file():
        return None
    try:
        return load_project(log)
    except ProjectInvalid as exc:
        _fail(f"project {log} is not valid:\n{exc}")


def _open(url: str) -> Any:
    import logging

    from alur.store.event_store import EventStore

    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return EventStore(url)
    except Exception as exc:  # the database cannot be opened: say which and why, no traceback
        _fail(f"cannot open event log {url}: {exc}")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _print(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    where = f", queue {data['queue']}" if data["queue"] else ""
    console.print(f"calls from {data['since']} until {data['until']}{where}", markup=False)
    key = {"interval": "start", "queue": "queue", "agent": "agent_id"}[data["by"]]
    rows = data["rows"]
    columns = [key] + [c for c in SHOWN if rows and c in rows[0]]
    table = Table(title="per interval (start in UTC)" if key == "start" else None)
    table.add_column(key, no_wrap=True)
    for column in columns[1:]:
        table.add_column(SHOWN[column], justify="right")
    for row in rows:
        if key == "start":  # an ISO 8601 UTC time: the table shows it shorter
            row = {**row, "start": row["start"][:16].replace("T", " ")}
        table.add_row(*(_cell(row[c]) for c in columns))
    total = data["total"]
    first = data["first_contact_resolution"]
    table.add_row("total", *(_cell(first["rate"] if c == "fcr" else total.get(c)) for c in columns[1:]))
    console.print(table)
    console.print(
        f"first-contact resolution: {first['resolved']} of {first['handled']} handled calls"
        + (f" ({first['rate']:.0%})" if first["rate"] is not None else ""),
        markup=False,
    )
    if data["dispositions"]:
        codes = ", ".join(f"{code} {n}" for code, n in sorted(data["dispositions"].items()))
        console.print(f"dispositions: {codes}", markup=False)
    for option in data["ivr_options"]:
        console.print(
            f"IVR {option['flow']}/{option['node']} option {option['option']}: "
            f"{option['count']} ({option['share']:.0%})",
            markup=False,
        )
