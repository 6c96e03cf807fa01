"""Flow versions: upload, check, publish and roll back flows while the contact center runs.

Each uploaded flow is kept in the store as a numbered version (its YAML text); which version is live
is a `FlowPublished` event in the log (version 0 is the project's own file). Publishing swaps the
flow in the flow runner's table: calls that start afterwards run the new version, calls in progress
keep the flow object they started with. A flow with problems is refused whole and changes nothing.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select

from alur.config.flows import check_flow_text
from alur.config.yamlsrc import Problem
from alur.core import events as ev
from alur.core.errors import AlurError, Rejected
from alur.flow.model import Flow

if TYPE_CHECKING:
    from alur.service.center import ContactCenter


class FlowRejected(Rejected):
    code = "flow_invalid"
    noun = "flow"


@dataclass(frozen=True, slots=True)
class FlowVersion:
    flow: str
    version: int
    created_at: float
    created_by: str
    source: str = ""

    def as_dict(self, live: int | None = None) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "version": self.version,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "live": self.version == live,
        }


class FlowCatalog:
    """Versions of flows in the store; `live[flow]` is the version new calls run (0: the file)."""

    def __init__(self, center: ContactCenter) -> None:
        self.center = center
        self.files: dict[str, Flow] = dict(center.project.flows)  # version 0 of each flow
        self.live: dict[str, int] = dict.fromkeys(self.files, 0)

    @property
    def _table(self) -> Any:
        from alur.store.schema import flow_versions

        return flow_versions

    def check(self, text: str, display: str = "uploaded flow") -> tuple[Flow | None, list[Problem]]:
        return check_flow_text(self.center.project, text, display)

    async def restore(self) -> int:
        """Put the versions the log says are live back in place (at start-up); returns how many."""
        if self.center.store is None:
            return 0
        published = await asyncio.to_thread(self._published)
        restored = 0
        for name, version in published.items():
            if version == 0:
                self._swap(name, self.files.get(name), 0)
                continue
            stored = await asyncio.to_thread(self.version, name, version)
            flow, _problems = self.check(stored.source, f"{name} version {version}") if stored else (None, [])
            if flow is not None:  # a version that no longer fits the project stays off: the file runs
                self._swap(name, flow, version)
                restored += 1
        return restored

    def _published(self) -> dict[str, int]:
        published: dict[str, int] = {}
        for _row, envelope in self._store().envelopes(kinds=[ev.FlowPublished.KIND]):
            event = envelope.event
            if isinstance(event, ev.FlowPublished):
                published[event.flow] = event.version
        return published

    async def upload(self, text: str, by: str) -> FlowVersion:
        """Check the flow, store it as the next version of its name and publish it."""
        flow, problems = self.check(text)
        if flow is None:
            raise FlowRejected(problems)
        stored = await asyncio.to_thread(self._store_version, flow.name, text, by)
        self._publish(flow, stored.version, by)
        return stored

    def _store_version(self, name: str, text: str, by: str) -> FlowVersion:
        table = self._table
        with self._store().engine.begin() as connection:
            last = connection.execute(select(func.max(table.c.version)).where(table.c.flow == name))
            number = int(last.scalar() or 0) + 1
            now = time.time()
            connection.execute(
                insert(table).values(flow=name, version=number, source=text, created_at=now, created_by=by)
            )
        return FlowVersion(name, number, now, by, text)

    async def rollback(self, name: str, version: int, by: str) -> None:
        """Make an earlier version live again (checked again: the project may have changed since)."""
        if version == 0:
            flow = self.files.get(name)
            if flow is None:
                raise AlurError(
                    f"flow {name!r} has no file in the project (version 0)", code="unknown_flow", value=name
                )
        else:
            stored = await asyncio.to_thread(self.version, name, version)
            if stored is None:
                known = [v.version for v in await asyncio.to_thread(self.versions, name)]
                raise AlurError(
                    f"flow {name!r} has no version {version} (versions: {[0, *known]})",
                    code="unknown_version",
                    value=version,
                )
            flow, problems = self.check(stored.source, f"{name} version {version}")
            if flow is None:
                raise FlowRejected(problems)
        self._publish(flow, version, by)

    def versions(self, name: str) -> list[FlowVersion]:
        store = self._store()
        table = self._table
        query = select(table).where(table.c.flow == name).order_by(table.c.version)
        with store.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [
            FlowVersion(r["flow"], r["version"], r["created_at"], r["created_by"], r["source"]) for r in rows
        ]

    def version(self, name: str, version: int) -> FlowVersion | None:
        return next((v for v in self.versions(name) if v.version == version), None)

    def _publish(self, flow: Flow, version: int, by: str) -> None:
        self._swap(flow.name, flow, version)
        self.center.publish(ev.FlowPublished(self.center.clock.now(), flow.name, version, by))

    def _swap(self, name: str, flow: Flow | None, version: int) -> None:
        if flow is None:
            return
        # the runner reads this same table for each new call
        self.center.project.flows[name] = flow.as_published(version)
        self.live[name] = version

    def _store(self) -> Any:
        if self.center.store is None:
            raise AlurError("flow versions need the event log (run with a database)", code="no_store")
        return self.center.store
