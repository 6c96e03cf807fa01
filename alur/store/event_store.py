"""The event log on a database: SQLite by default, PostgreSQL by URL (SQLAlchemy 2 + Alembic).

Writes are blocking; the live server calls them through a writer (`alur.store.writer`) that writes
batches off the event loop, so a slow disk never delays a call. Reads stream in row order, a chunk at a
time (a server-side cursor on PostgreSQL), so replaying a year of events needs no more memory than a
day's.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterable, Iterator
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Select, create_engine, event, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, Row

from alur.core.codec import event_from_dict, event_kind, event_to_dict, stored_names
from alur.core.envelope import Envelope
from alur.core.events import Event
from alur.store.schema import events as events_table

MIGRATIONS = pathlib.Path(__file__).with_name("migrations")
CHUNK = 1000  # rows fetched at a time when streaming
KEY_LENGTH = 128  # of the call_id, agent_id and server columns
_T = events_table.c


def database_url(value: str) -> str:
    """Accept a SQLAlchemy URL or a plain file path (taken as SQLite)."""
    return value if "://" in value else f"sqlite:///{pathlib.Path(value).expanduser()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class EventStore:
    """Append-only event log with the look-ups replay, reports and call records need."""

    def __init__(self, url: str) -> None:
        self.url = database_url(url)
        self.engine: Engine = create_engine(self.url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._insert = _insert_skipping_stored(self.engine.dialect.name)
        self._migrate()

    def _migrate(self) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    # --- writing ----------------------------------------------------------------------------------

    def append(self, item: Envelope | Event) -> None:
        self.append_many([item])

    def append_many(self, items: Iterable[Envelope | Event]) -> int:
        """Store events in order, in one transaction; bare events get a null seq and server.

        An envelope whose (server, seq) is already stored is skipped, so writing a batch again after
        an unclear failure never stores it twice. Returns how many items were given.
        """
        rows = [stored_row(item) for item in items]
        if rows:
            with self.engine.begin() as connection:
                connection.execute(self._insert, rows)
        return len(rows)

    # --- reading ----------------------------------------------------------------------------------

    def envelopes(
        self,
        *,
        after_id: int | None = None,
        kinds: Iterable[str] | None = None,
        call_id: str | None = None,
        agent_id: str | None = None,
        server: str | None = None,
        after_seq: int | None = None,
    ) -> Iterator[tuple[int, Envelope]]:
        """(row id, envelope) in the order they were stored, streamed; an unstamped event comes back
        with seq 0, server "" and stamped_at = its own `at`. `server` + `after_seq`: one server's
        events after a sequence number (a live stream resuming)."""
        query = select(_T.id, _T.kind, _T.data, _T.seq, _T.server, _T.stamped_at).order_by(_T.id)
        if after_id is not None:
            query = query.where(_T.id > after_id)
        if server is not None:
            query = query.where(_T.server == _key(server))
        if after_seq is not None:
            query = query.where(_T.seq > after_seq)
        if kinds is not None:
            query = query.where(_T.kind.in_(stored_names(kinds)))
        if call_id is not None:
            query = query.where(_T.call_id == _key(call_id))
        if agent_id is not None:
            query = query.where(_T.agent_id == _key(agent_id))
        for row in self._stream(query):
            yield row.id, _envelope(row)

    def events(
        self,
        *,
        call_id: str | None = None,
        agent_id: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> Iterator[Event]:
        """Events in the order they were appended, optionally filtered; streamed."""
        query = select(_T.kind, _T.data).order_by(_T.id)
        if call_id is not None:
            query = query.where(_T.call_id == _key(call_id))
        if agent_id is not None:
            query = query.where(_T.agent_id == _key(agent_id))
        if since is not None:
            query = query.where(_T.at >= since)
        if until is not None:
            query = query.where(_T.at < until)
        for row in self._stream(query):
            yield event_from_dict(row.data, kind=row.kind)

    def last_seq(self, server: str) -> int:
        """The highest sequence number stored for `server` (0 when none): where its bus carries on."""
        with self.engine.connect() as connection:
            value = connection.execute(select(func.max(_T.seq)).where(_T.server == _key(server))).scalar()
        return int(value or 0)

    def latest(self, kind: str) -> tuple[int, Envelope] | None:
        """The last stored event of `kind` (a state snapshot, a boot marker), or None."""
        query = (
            select(_T.id, _T.kind, _T.data, _T.seq, _T.server, _T.stamped_at)
            .where(_T.kind.in_(stored_names([kind])))
            .order_by(_T.id.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else (row.id, _envelope(row))

    def recent_calls(self, limit: int = 20) -> list[dict[str, Any]]:
        """The last `limit` calls to arrive, newest first: who called, what, when, and how it ended."""
        arrived_q = (
            select(_T.kind, _T.data)
            .where(_T.kind.in_(stored_names(["call.arrived"])))
            .order_by(_T.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as connection:
            arrived = [event_from_dict(r.data, kind=r.kind) for r in connection.execute(arrived_q)]
            ids = [getattr(e, "call_id", "") for e in arrived]
            ended_q = (
                select(_T.kind, _T.data)
                .where(_T.kind.in_(stored_names(["call.ended"])), _T.call_id.in_([_key(i) for i in ids]))
                .order_by(_T.id)
            )
            ended = [event_from_dict(r.data, kind=r.kind) for r in connection.execute(ended_q)]
        endings = {getattr(e, "call_id", ""): e for e in reversed(ended)}  # the first end wins
        calls = []
        for call in arrived:
            end = endings.get(getattr(call, "call_id", ""))
            calls.append(
                {
                    "call_id": getattr(call, "call_id", ""),
                    "caller_id": getattr(call, "caller_id", ""),
                    "dialed": getattr(call, "dialed", ""),
                    "flow": getattr(call, "flow", ""),
                    "arrived_at": call.at,
                    "ended_at": end.at if end is not None else None,
                    "how": getattr(end, "how", None),
                }
            )
        return calls

    def _stream(self, query: Select[Any]) -> Iterator[Row[Any]]:
        with self.engine.connect() as connection:
            result = connection.execution_options(yield_per=CHUNK).execute(query)
            yield from result

    def close(self) -> None:
        self.engine.dispose()


def _insert_skipping_stored(dialect: str) -> Any:
    if dialect == "sqlite":
        return sqlite.insert(events_table).on_conflict_do_nothing()
    if dialect == "postgresql":
        return postgresql.insert(events_table).on_conflict_do_nothing()
    return insert(events_table)


def stored_row(item: Envelope | Event) -> dict[str, Any]:
    """The row `append_many` stores for an event or envelope (column name -> value)."""
    if isinstance(item, Envelope):
        event_, seq, server, stamped_at = item.event, item.seq, item.server, item.stamped_at
    else:
        event_, seq, server, stamped_at = item, None, None, None
    return {
        "at": event_.at,
        "kind": event_kind(event_),
        "call_id": _key(getattr(event_, "call_id", None)),
        "agent_id": _key(getattr(event_, "agent_id", None)),
        "data": event_to_dict(event_),
        "seq": seq,
        "server": _key(server),
        "stamped_at": stamped_at,
    }


def _key(value: Any) -> str | None:
    """An id as its indexed column holds it: at most KEY_LENGTH characters (PostgreSQL refuses longer),
    without NUL or unpaired surrogates (neither database takes them; a SIP Call-ID may hold anything).
    The event's data keeps the id exactly as it was."""
    if value is None:
        return None
    text = str(value)[:KEY_LENGTH]
    if text.isascii():
        return text.replace("\x00", "\ufffd") if "\x00" in text else text
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def _envelope(row: Any) -> Envelope:  # a Row with id, kind, data, seq, server, stamped_at
    event_ = event_from_dict(row.data, kind=row.kind)
    stamped_at = row.stamped_at if row.stamped_at is not None else event_.at
    return Envelope(row.seq or 0, row.server or "", stamped_at, event_)
