"""Saved folds of the log: the live state through a row of the event log, as JSON text.

The store keeps them and gives back the latest; what the text means is the service's business (it
says which layout with `format`). Only the latest few are kept: each one replaces the log before it
for a start, never the log itself (reports and call records still read every event).
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, delete, desc, insert, select

from alur.store.schema import state_snapshots as _S

KEEP = 3


class SnapshotStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(self, through_row: int, format: int, state: str) -> None:
        """Keep `state` as the fold through `through_row`; older snapshots beyond the latest few go."""
        with self.engine.begin() as connection:
            connection.execute(
                insert(_S).values(through_row=through_row, format=format, taken_at=time.time(), state=state)
            )
            kept = connection.execute(select(_S.c.id).order_by(desc(_S.c.id)).limit(KEEP)).scalars().all()
            connection.execute(delete(_S).where(_S.c.id.not_in(kept)))

    def latest(self) -> tuple[int, int, str] | None:
        """(through row, format, state text) of the latest snapshot, or None."""
        query = select(_S.c.through_row, _S.c.format, _S.c.state).order_by(desc(_S.c.id)).limit(1)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else (int(row.through_row), int(row.format), str(row.state))
