"""The bus's stamp on each event (server, sequence number, time stamped), and 64-bit row ids.

(server, seq) is unique, so a batch written again after an unclear failure (the commit reached the
database but its answer was lost) is not stored twice.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("server", sa.String(128), nullable=True))
        batch.add_column(sa.Column("stamped_at", sa.Float, nullable=True))
    op.create_index("ix_events_server_seq", "events", ["server", "seq"], unique=True)
    op.create_index("ix_events_kind_id", "events", ["kind", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("events", "id", type_=sa.BigInteger, existing_nullable=False)
        op.execute("ALTER SEQUENCE IF EXISTS events_id_seq AS bigint")


def downgrade() -> None:
    op.drop_index("ix_events_kind_id", "events")
    op.drop_index("ix_events_server_seq", "events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("stamped_at")
        batch.drop_column("server")
        batch.drop_column("seq")
