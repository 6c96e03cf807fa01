"""The event log on a database: SQLite by default, PostgreSQL by URL (SQLAlchemy 2 + Alembic).

Writes are blocking; the live server calls them through `EventWriter`, which batches events and writes
them off the event loop, so a slow disk never delays a call.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterable, Iterator
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, insert, select
from sqlalchemy.engine import Engine

from alur.core.codec import event_from_dict, event_kind, event_to_dict
from alur.core.events import Event
from alur.store.schema import events as events_table

MIGRATIONS = pathlib.Path(__file__).with_name("migrations")


def database_url(value: str) -> str:
    """Accept a SQLAlchemy URL or a plain file path (taken as SQLite)."""
    return value if "://" in value else f"sqlite:///{pathlib.Path(value).expanduser()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class EventStore:
    """Append-only event log with the look-ups reports and call records need."""

    def __init__(self, url: str) -> None:
        self.url = database_url(url)
        self.engine: Engine = create_engine(self.url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._migrate()

    def _migrate(self) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def append(self, event_: Event) -> None:
        self.append_many([event_])

    def append_many(self, batch: Iterable[Event]) -> int:
        rows = [_row(e) for e in batch]
        if rows:
            with self.engine.begin() as connection:
                connection.execute(insert(events_table), rows)
        return len(rows)

    def events(
        self,
        *,
        call_id: str | None = None,
        agent_id: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> Iterator[Event]:
        """Events in the order they were appended, optionally filtered."""
        query = select(events_table.c.data).order_by(events_table.c.id)
        if call_id is not None:
            query = query.where(events_table.c.call_id == call_id)
        if agent_id is not None:
            query = query.where(events_table.c.agent_id == agent_id)
        if since is not None:
            query = query.where(events_table.c.at >= since)
        if until is not None:
            query = query.where(events_table.c.at < until)
        with self.engine.connect() as connection:
            for (data,) in connection.execute(query):
                yield event_from_dict(data)

    def close(self) -> None:
        self.engine.dispose()


def _row(event_: Event) -> dict[str, Any]:
    data = event_to_dict(event_)
    return {
        "at": event_.at,
        "kind": event_kind(event_),
        "call_id": data.get("call_id"),
        "agent_id": data.get("agent_id"),
        "data": data,
    }
