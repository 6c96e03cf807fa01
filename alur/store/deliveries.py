"""CRM webhook deliveries in the store: what is still to post survives a restart, and what failed every
retry stays as a dead letter until someone replays it.

A delivery's life: `pending` (posted, retried with backoff) -> `delivered`, or -> `dead` after the
last attempt (or a refusal that retrying cannot fix); a replay puts a dead letter back to `pending`.
The body is stored as the exact text that is posted and signed, so a retry after a restart sends the
same bytes. All calls block: run them off the event loop.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from alur.store.schema import webhook_deliveries

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
STATUSES = (PENDING, DELIVERED, DEAD)
_T = webhook_deliveries.c


class NewDelivery(TypedDict):
    """A post to make: to `url`, caused by the event `trigger_seq` of `trigger_server`."""

    url: str
    kind: str
    body: str
    trigger_server: str
    trigger_seq: int
    call_id: str | None
    queue: str | None


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    delivery_id: str
    url: str
    kind: str
    call_id: str | None
    queue: str | None
    body: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: float | None
    created_at: float
    updated_at: float

    def as_dict(self) -> dict[str, Any]:
        """What the API shows of it (not the body: it may be large; the CRM gets it on replay)."""
        return {
            "delivery_id": self.delivery_id, "url": self.url, "kind": self.kind, "call_id": self.call_id,
            "queue": self.queue, "status": self.status, "attempts": self.attempts,
            "last_error": self.last_error, "next_attempt_at": self.next_attempt_at,
            "created_at": self.created_at, "updated_at": self.updated_at,
        }  # fmt: skip


class DeliveryStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect.name
        table = webhook_deliveries
        if dialect == "sqlite":
            self._insert: Any = sqlite.insert(table).on_conflict_do_nothing()
        elif dialect == "postgresql":
            self._insert = postgresql.insert(table).on_conflict_do_nothing()
        else:
            self._insert = insert(table)

    def add(self, items: Iterable[NewDelivery], now: float) -> int:
        """Store new pending deliveries, due now; one already made for the same trigger is skipped."""
        fresh = {"status": PENDING, "attempts": 0, "last_error": None, "next_attempt_at": now,
                 "created_at": now, "updated_at": now}  # fmt: skip
        rows = [
            {**d, **fresh, "delivery_id": str(uuid.uuid4()), "call_id": _key(d["call_id"]),
             "queue": _key(d["queue"])}
            for d in items
        ]  # fmt: skip
        if rows:
            with self.engine.begin() as connection:
                connection.execute(self._insert, rows)
        return len(rows)

    def next_pending(self, url: str) -> Delivery | None:
        """The oldest pending delivery to `url`: each webhook gets its posts in order."""
        query = select(webhook_deliveries).where(_T.url == url, _T.status == PENDING).order_by(_T.id).limit(1)
        return self._one(query)

    def resume(self, url: str, now: float) -> int:
        """On start: the pending deliveries to `url` are due now (the endpoint may have been fixed
        while the server was down); returns how many there are."""
        with self.engine.begin() as connection:
            result = connection.execute(
                update(webhook_deliveries)
                .where(_T.url == url, _T.status == PENDING)
                .values(next_attempt_at=now, updated_at=now)
            )
        return int(result.rowcount or 0)

    def get(self, delivery_id: str) -> Delivery | None:
        return self._one(select(webhook_deliveries).where(_T.delivery_id == delivery_id))

    def last_trigger_seq(self, url: str, server: str) -> int | None:
        """The newest event of `server` that made a delivery to `url` (None: the webhook is new)."""
        query = select(func.max(_T.trigger_seq)).where(_T.url == url, _T.trigger_server == server)
        with self.engine.connect() as connection:
            value = connection.execute(query).scalar()
        return None if value is None else int(value)

    def delivered(self, id_: int, attempts: int, now: float) -> None:
        self._set(id_, status=DELIVERED, attempts=attempts, next_attempt_at=None, updated_at=now)

    def retry(self, id_: int, attempts: int, error: str, at: float, now: float) -> None:
        self._set(id_, attempts=attempts, last_error=error, next_attempt_at=at, updated_at=now)

    def dead(self, id_: int, attempts: int, error: str, now: float) -> None:
        self._set(id_, status=DEAD, attempts=attempts, last_error=error, next_attempt_at=None, updated_at=now)

    def in_status(
        self, status: str = DEAD, *, queues: Iterable[str] | None = None, limit: int = 100
    ) -> list[Delivery]:
        """Deliveries in `status`, oldest first; `queues`: only those of these queues."""
        query = select(webhook_deliveries).where(_T.status == status).order_by(_T.id).limit(limit)
        if queues is not None:
            query = query.where(_T.queue.in_(list(queues)))
        with self.engine.connect() as connection:
            return [_delivery(row) for row in connection.execute(query).mappings()]

    def replay(self, delivery_ids: Iterable[str], now: float) -> list[Delivery]:
        """Put these dead letters back in line (due now, attempts from zero); returns those replayed."""
        ids = list(delivery_ids)
        if not ids:
            return []
        where = (_T.delivery_id.in_(ids), _T.status == DEAD)
        with self.engine.begin() as connection:
            found = connection.execute(select(webhook_deliveries).where(*where)).mappings()
            rows = [_delivery(r) for r in found]
            connection.execute(
                update(webhook_deliveries)
                .where(*where)
                .values(status=PENDING, attempts=0, next_attempt_at=now, updated_at=now)
            )
        return rows

    def counts(self) -> dict[str, int]:
        """How many deliveries are in each status."""
        query = select(_T.status, func.count()).group_by(_T.status)
        with self.engine.connect() as connection:
            found = {status: int(n) for status, n in connection.execute(query)}
        return {status: found.get(status, 0) for status in STATUSES}

    def _set(self, id_: int, **values: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(webhook_deliveries).where(_T.id == id_).values(**values))

    def _one(self, query: Any) -> Delivery | None:
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else _delivery(row)


def _key(value: str | None) -> str | None:
    """An id as its column holds it (128 characters, no NUL); the body keeps it exactly."""
    return None if value is None else value[:128].replace("\x00", "\ufffd")


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=int(row["id"]), delivery_id=row["delivery_id"], url=row["url"], kind=row["kind"],
        call_id=row["call_id"], queue=row["queue"], body=row["body"], status=row["status"],
        attempts=int(row["attempts"]), last_error=row["last_error"], next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"], updated_at=row["updated_at"],
    )  # fmt: skip
