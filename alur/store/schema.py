"""Tables of the store. The event log is the source of truth; everything else is derived from it.

The tables are created and changed by the Alembic migrations in `migrations/`; this description is
what queries are built from, and matches the newest migration.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Float, Index, Integer, MetaData, String, Table, Text

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

#: API tokens: only a hash of each token is kept (the token itself is shown once, when created)
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),  # the first characters, to recognise a token in lists
    Column("role", String(16), nullable=False),
    Column("agent_id", String(128), nullable=True),
    Column("queues", JSON, nullable=False),
    Column("name", String(128), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
    Column("expires_at", Float, nullable=True),  # session tokens (from a log-in) end by themselves
)

#: people who log in with a name and a password: only a salted scrypt hash of the password is kept
users = Table(
    "users",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("password_hash", String(256), nullable=False),
    Column("role", String(16), nullable=False),
    Column("agent_id", String(128), nullable=True),
    Column("queues", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("disabled_at", Float, nullable=True),
)

#: every uploaded version of a flow (its YAML text); which one is live is told by `flow.published` events
flow_versions = Table(
    "flow_versions",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("flow", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("source", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("created_by", String(128), nullable=False),
    Index("ix_flow_versions_flow_version", "flow", "version", unique=True),
)

#: CRM webhook deliveries: one row per post to make, kept until delivered or dead (a dead letter a
#: supervisor can replay); `trigger_server` + `trigger_seq` name the event that caused it, so the same
#: event never makes two deliveries to one webhook
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("delivery_id", String(36), nullable=False, unique=True),  # sent as X-Alur-Delivery
    Column("url", String(512), nullable=False),
    Column("kind", String(64), nullable=False),  # "call.ended", "call.wrapped_up" or a raw event kind
    Column("call_id", String(128), nullable=True),
    Column("queue", String(128), nullable=True),  # which supervisors see it
    Column("trigger_server", String(128), nullable=False),
    Column("trigger_seq", BigInteger, nullable=False),
    Column("body", Text, nullable=False),  # the exact JSON posted (and signed)
    Column("status", String(16), nullable=False),  # pending | delivered | dead
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("next_attempt_at", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_webhook_deliveries_url_status_id", "url", "status", "id"),
    Index("ix_webhook_deliveries_status_id", "status", "id"),
    Index("ix_webhook_deliveries_trigger", "url", "kind", "trigger_server", "trigger_seq", unique=True),
)

#: the live state folded from the log through row `through_row` (JSON, `format` says which layout), so
#: that a start folds only the rows after it; the latest few are kept
state_snapshots = Table(
    "state_snapshots",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("through_row", BigInteger, nullable=False),
    Column("format", Integer, nullable=False),
    Column("taken_at", Float, nullable=False),
    Column("state", Text, nullable=False),
)
