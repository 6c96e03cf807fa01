"""Tables of the store. The event log is the source of truth; everything else is derived from it."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, Index, Integer, MetaData, String, Table

metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("call_id", String(128), nullable=True),
    Column("agent_id", String(128), nullable=True),
    Column("data", JSON, nullable=False),
    Index("ix_events_call_id", "call_id"),
    Index("ix_events_agent_id", "agent_id"),
    Index("ix_events_at", "at"),
)
