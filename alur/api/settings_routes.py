"""Admin routes: queues and agents — validate one record's YAML (the same messages as `alur validate`),
save it as a new version that is live at once, list versions, roll back. Waiting calls, agents' states
and calls in progress stay; a record with problems changes nothing."""

from __future__ import annotations

from typing import Any, Literal

import yaml
from fastapi import APIRouter, Request

from alur.api.admin import RollbackBody, problems_of, rejected_error, yaml_text
from alur.api.agents import ctx_of
from alur.api.auth import ADMIN, principal_of, route
from alur.api.errors import ApiError
from alur.config.routing_text import Kind
from alur.routing.model import QueueConfig
from alur.service.settings import SettingsCatalog, SettingsRejected

Section = Literal["queues", "agents"]
YAML_BODY = {
    "requestBody": {"content": {"application/yaml": {"schema": {"type": "string"}}}, "required": True}
}


def kind_of(section: str) -> Kind:
    return "queue" if section == "queues" else "agent"


def names(request: Request, kind: Kind) -> list[str]:
    project = ctx_of(request).center.project
    return sorted(project.queues if kind == "queue" else project.agents)


def file_source(catalog: SettingsCatalog, kind: Kind, name: str) -> str | None:
    """Version 0: the project file's record, as YAML to start an edit from."""
    record = catalog.files.get((kind, name))
    if record is None:
        return None
    data = record.model_dump(mode="json", exclude_defaults=True)
    key = "name" if isinstance(record, QueueConfig) else "id"
    return yaml.safe_dump({key: data.pop(key), **data}, sort_keys=False, allow_unicode=True)


def register(router: APIRouter) -> None:
    @route(router, "GET", "/config/{section}", ADMIN, tags=["admin"])
    async def listed(request: Request, section: Section) -> dict[str, Any]:
        """Every queue (or agent) and the version in force (0: the project's own file)."""
        catalog, kind = ctx_of(request).center.settings, kind_of(section)
        rows = [{"name": n, "live_version": catalog.live.get((kind, n), 0)} for n in names(request, kind)]
        return {section: rows}

    @route(router, "POST", "/config/{section}/validate", ADMIN, tags=["admin"], openapi_extra=YAML_BODY)
    async def validate(request: Request, section: Section) -> dict[str, Any]:
        """Check one queue's (or agent's) YAML without saving it."""
        kind = kind_of(section)
        record, problems = ctx_of(request).center.settings.check(kind, await yaml_text(request, kind))
        name = None if record is None else (record.name if isinstance(record, QueueConfig) else record.id)
        return {"valid": record is not None, "name": name, "problems": problems_of(problems)}

    @route(
        router, "POST", "/config/{section}", ADMIN, tags=["admin"], status_code=201, openapi_extra=YAML_BODY
    )
    async def save(request: Request, section: Section) -> dict[str, Any]:
        """Check the record and make it live as the next version of its name; 422 with the problems if not."""
        kind = kind_of(section)
        text = await yaml_text(request, kind)
        try:
            stored = await ctx_of(request).center.settings.upload(kind, text, principal_of(request).name)
        except SettingsRejected as rejected:
            raise rejected_error(rejected) from None
        return {"kind": kind, "name": stored.name, "version": stored.version, "live": True}

    @route(router, "GET", "/config/{section}/{name}/versions", ADMIN, tags=["admin"])
    async def versions(request: Request, section: Section, name: str) -> dict[str, Any]:
        catalog, kind = ctx_of(request).center.settings, kind_of(section)
        stored = await catalog.versions(kind, name)
        if not stored and (kind, name) not in catalog.files:
            raise ApiError(
                404,
                f"unknown_{kind}",
                f"unknown {kind} {name!r} ({section}: {names(request, kind)})",
            )
        live = catalog.live.get((kind, name))
        rows = [{"kind": kind, "name": name, "version": 0, "created_at": None, "created_by": "project file",
                 "live": live == 0}] if (kind, name) in catalog.files else []  # fmt: skip
        return {
            "kind": kind,
            "name": name,
            "live_version": live,
            "versions": rows + [v.as_dict(live) for v in stored],
        }

    @route(router, "GET", "/config/{section}/{name}/versions/{version}", ADMIN, tags=["admin"])
    async def source(request: Request, section: Section, name: str, version: int) -> dict[str, Any]:
        """One version's YAML text (version 0: the project file's record)."""
        catalog, kind = ctx_of(request).center.settings, kind_of(section)
        live = catalog.live.get((kind, name))
        if version == 0:
            text = file_source(catalog, kind, name)
            if text is not None:
                return {"kind": kind, "name": name, "version": 0, "created_by": "project file",
                        "live": live == 0, "source": text}  # fmt: skip
        stored = await catalog.version(kind, name, version)
        if stored is None:
            raise ApiError(404, "unknown_version", f"{kind} {name!r} has no version {version}")
        return {**stored.as_dict(live), "source": stored.source}

    @route(router, "POST", "/config/{section}/{name}/rollback", ADMIN, tags=["admin"])
    async def rollback(request: Request, section: Section, name: str, body: RollbackBody) -> dict[str, Any]:
        """Make an earlier version live again (checked again against the project first)."""
        catalog, kind = ctx_of(request).center.settings, kind_of(section)
        try:
            await catalog.rollback(kind, name, body.version, principal_of(request).name)
        except SettingsRejected as rejected:
            raise rejected_error(rejected) from None
        return {"kind": kind, "name": name, "live_version": catalog.live[kind, name]}
