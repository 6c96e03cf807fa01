"""Queue and agent settings edited while the contact center runs: checked, versioned, live, undoable.

An admin sends one queue's or one agent's YAML (the same record as a file in `queues/` or `agents/`).
It is checked as `alur validate` checks those files; a record with problems is refused whole and
changes nothing. Each accepted record is a numbered version kept in the event log (`SettingsSaved`
carries its text) and becomes live at once (`SettingsPublished`): the router takes the new settings
without dropping a call (see `Router.configure_queue` / `configure_agent`). Version 0 is the project's
own file; rolling back to any version publishes it again. On start the live versions come back from
the log.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from alur.config.routing_text import Kind, check_routing_text
from alur.config.yamlsrc import Problem
from alur.core import events as ev
from alur.core.errors import AlurError, Rejected
from alur.routing.model import AgentConfig, QueueConfig

if TYPE_CHECKING:
    from alur.service.center import ContactCenter

KINDS: tuple[Kind, ...] = ("queue", "agent")
Key = tuple[str, str]  # (kind, name)
Record = QueueConfig | AgentConfig


class SettingsRejected(Rejected):
    code = "settings_invalid"
    noun = "settings"


@dataclass(frozen=True, slots=True)
class SettingsVersion:
    kind: str
    name: str
    version: int
    created_at: float
    created_by: str
    source: str = ""

    def as_dict(self, live: int | None = None) -> dict[str, Any]:
        return {
            "kind": self.kind, "name": self.name, "version": self.version, "created_at": self.created_at,
            "created_by": self.created_by, "live": self.version == live,
        }  # fmt: skip


class SettingsCatalog:
    """Versions of queues and agents; `live[kind, name]` is the version in force (0: the file)."""

    def __init__(self, center: ContactCenter) -> None:
        self.center = center
        project = center.project
        self.files: dict[Key, Record] = {
            **{("queue", n): q for n, q in project.queues.items()},
            **{("agent", a): c for a, c in project.agents.items()},
        }
        self.live: dict[Key, int] = dict.fromkeys(self.files, 0)
        self._saved: dict[Key, int] = {}  # how many versions each record has

    def check(self, kind: Kind, text: str, display: str = "") -> tuple[Record | None, list[Problem]]:
        return check_routing_text(self.center.project, kind, text, display or f"uploaded {kind}")

    async def restore(self) -> int:
        """Put the versions the log says are live back in place (at start-up); returns how many."""
        if self.center.store is None:
            return 0
        saved, published = await asyncio.to_thread(self._read_log)
        self._saved = {key: len(versions) for key, versions in saved.items()}
        restored = 0
        for (kind, name), version in published.items():
            record = self.files.get((kind, name)) if version == 0 else None
            if version:
                found = saved.get((kind, name), {}).get(version)
                record = self.check(cast(Kind, kind), found.source)[0] if found else None
            if record is not None:  # a version that no longer fits the project stays off
                self._apply(cast(Kind, kind), record, version)
                restored += version > 0
        return restored

    def _read_log(
        self,
    ) -> tuple[dict[Key, dict[int, SettingsVersion]], dict[Key, int]]:
        saved: dict[Key, dict[int, SettingsVersion]] = {}
        published: dict[Key, int] = {}
        kinds = [ev.SettingsSaved.KIND, ev.SettingsPublished.KIND]
        for _row, envelope in self._store().envelopes(kinds=kinds):
            e = envelope.event
            if isinstance(e, ev.SettingsSaved):
                saved.setdefault((e.kind, e.name), {})[e.version] = SettingsVersion(
                    e.kind, e.name, e.version, e.at, e.by, e.source
                )
            elif isinstance(e, ev.SettingsPublished):
                published[e.kind, e.name] = e.version
        return saved, published

    async def upload(self, kind: Kind, text: str, by: str) -> SettingsVersion:
        """Check the record, keep it as the next version of its name and make it live."""
        self._store()
        record, problems = self.check(kind, text)
        if record is None:
            raise SettingsRejected(problems)
        name = record.name if isinstance(record, QueueConfig) else record.id
        number = self._saved.get((kind, name), 0) + 1
        self._saved[kind, name] = number
        now = self.center.clock.now()
        self.center.publish(ev.SettingsSaved(now, kind, name, number, text, by))
        self._publish(kind, record, number, by)
        return SettingsVersion(kind, name, number, now, by, text)

    async def rollback(self, kind: Kind, name: str, version: int, by: str) -> None:
        """Make an earlier version live again (checked again: the project may have changed since)."""
        if version == 0:
            record = self.files.get((kind, name))
            if record is None:
                raise AlurError(f"{kind} {name!r} has no file in the project (version 0)",
                                code=f"unknown_{kind}", value=name)  # fmt: skip
        else:
            stored = await self.version(kind, name, version)
            if stored is None:
                known = [v.version for v in await self.versions(kind, name)]
                raise AlurError(f"{kind} {name!r} has no version {version} (versions: {[0, *known]})",
                                code="unknown_version", value=version)  # fmt: skip
            record, problems = self.check(kind, stored.source, f"{kind} {name} version {version}")
            if record is None:
                raise SettingsRejected(problems)
        self._publish(kind, record, version, by)

    async def versions(self, kind: str, name: str) -> list[SettingsVersion]:
        """The saved versions of one record, oldest first (what the log holds, after what is pending)."""
        self._store()
        await self.center.settle()
        saved, _ = await asyncio.to_thread(self._read_log)
        return [v for _, v in sorted(saved.get((kind, name), {}).items())]

    async def version(self, kind: str, name: str, version: int) -> SettingsVersion | None:
        return next((v for v in await self.versions(kind, name) if v.version == version), None)

    def _publish(self, kind: Kind, record: Record, version: int, by: str) -> None:
        self._apply(kind, record, version)
        name = record.name if isinstance(record, QueueConfig) else record.id
        self.center.publish(ev.SettingsPublished(self.center.clock.now(), kind, name, version, by))

    def _apply(self, kind: Kind, record: Record, version: int) -> None:
        """The project's tables (read by every adapter) and the router take the record."""
        project, router = self.center.project, self.center.router
        if isinstance(record, QueueConfig):
            router.configure_queue(record)
            project.queues[record.name] = record
            self.live[kind, record.name] = version
        else:
            router.configure_agent(record)
            project.agents[record.id] = record
            self.live[kind, record.id] = version

    def _store(self) -> Any:
        if self.center.store is None:
            raise AlurError("settings versions need the event log (run with a database)", code="no_store")
        return self.center.store
