"""CRM webhook deliveries: pending, delivered and dead (the dead-letter list).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(36), nullable=False, unique=True),
        sa.Column("url", sa.String(512), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("call_id", sa.String(128), nullable=True),
        sa.Column("queue", sa.String(128), nullable=True),
        sa.Column("trigger_server", sa.String(128), nullable=False),
        sa.Column("trigger_seq", sa.BigInteger, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("next_attempt_at", sa.Float, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_webhook_deliveries_url_status_id", "webhook_deliveries", ["url", "status", "id"])
    op.create_index("ix_webhook_deliveries_status_id", "webhook_deliveries", ["status", "id"])
    op.create_index(
        "ix_webhook_deliveries_trigger",
        "webhook_deliveries",
        ["url", "kind", "trigger_server", "trigger_seq"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_trigger", "webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_status_id", "webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_url_status_id", "webhook_deliveries")
    op.drop_table("webhook_deliveries")
