"""Tables of the store. The event log is the source of truth; everything else is derived from it.

The tables are created and changed by the Alembic migrations in `migrations/`; this description is
what queries are built from, and matches the newest migration.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Float, Index, Integer, MetaData, String, Table

metadata = MetaData()

#: 64-bit ids on PostgreSQL; SQLite's INTEGER PRIMARY KEY is already 64-bit (and only it autoincrements)
RowId = BigInteger().with_variant(Integer(), "sqlite")

events = Table(
    "events",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("call_id", String(128), nullable=True),
    Column("agent_id", String(128), nullable=True),
    Column("data", JSON, nullable=False),
    Column("seq", BigInteger, nullable=True),  # the bus's stamp; null for events stored unstamped
    Column("server", String(128), nullable=True),
    Column("stamped_at", Float, nullable=True),
    Index("ix_events_call_id", "call_id"),
    Index("ix_events_agent_id", "agent_id"),
    Index("ix_events_at", "at"),
    Index("ix_events_kind_id", "kind", "id"),
    Index("ix_events_server_seq", "server", "seq", unique=True),
)
