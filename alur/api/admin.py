"""Admin routes: flows — validate an upload (the same messages as `alur validate`), publish it as a new
version, list versions, roll back. Publishing takes effect for new calls at once; calls in progress
finish on the version they started with. A flow with problems changes nothing."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from alur.api.agents import ctx_of
from alur.api.auth import ADMIN, principal_of, route
from alur.api.errors import ApiError
from alur.core.errors import AlurError, Rejected
from alur.service.flows import FlowRejected
from alur.testing.flowtests import run_project_tests
from alur.web.diagram import flow_svg
from alur.web.flow_templates import templates


class RollbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=0, description="The version to make live again (0: the project's own file).")


async def yaml_text(request: Request, what: str = "flow") -> str:
    raw = await request.body()
    if not raw.strip():
        raise ApiError(422, "invalid_request", f"body: send the {what}'s YAML text", field="body")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(422, "invalid_request", f"body: the {what} must be UTF-8 text", field="body") from None


def problems_of(problems: list[Any]) -> list[dict[str, Any]]:
    return [
        {"file": p.file, "line": p.line, "node": p.node, "message": p.message, "code": p.code, "text": str(p)}
        for p in problems
    ]


def register(router: APIRouter) -> None:
    @route(router, "GET", "/flows", ADMIN, tags=["admin"])
    async def flows(request: Request) -> dict[str, Any]:
        """Every flow and the version new calls run (0: the project's own file)."""
        catalog = ctx_of(request).center.flows
        names = sorted(set(catalog.live) | set(ctx_of(request).center.project.flows))
        return {"flows": [{"flow": n, "live_version": catalog.live.get(n, 0)} for n in names]}

    @route(router, "GET", "/flows/templates", ADMIN, tags=["admin"])
    async def flow_templates(request: Request) -> dict[str, Any]:
        """Starting points for a new flow, fitted to the project (its first queue and calendar), each
        with whether it checks clean here and its problems if not."""
        center = ctx_of(request).center
        project = center.project
        found = await asyncio.to_thread(templates, list(project.queues), list(project.calendars))
        for template in found:
            flow, problems = center.flows.check(template["source"], f"template {template['id']}")
            template["valid"], template["problems"] = flow is not None, problems_of(problems)
        return {"templates": found}

    @route(router, "POST", "/flows/tests", ADMIN, tags=["admin"], openapi_extra={"requestBody": {
        "content": {"application/yaml": {"schema": {"type": "string"}}}, "required": False}})  # fmt: skip
    async def flow_tests(request: Request) -> dict[str, Any]:
        """Run the project's flow tests (PROJECT/tests/*.yaml, as `alur test-flow`) against the live
        flows; with a flow's YAML in the body, against that flow in place of its live version."""
        center = ctx_of(request).center
        flows = dict(center.project.flows)
        if (await request.body()).strip():
            flow, problems = center.flows.check(await yaml_text(request))
            if flow is None:
                raise rejected_error(FlowRejected(problems))
            flows[flow.name] = flow
        project = dataclasses.replace(center.project, flows=flows)
        results, problems = await asyncio.to_thread(run_project_tests, project)
        rows = [{
            "file": r.file, "name": r.name, "passed": r.passed, "failures": r.failures,
            "path": r.result.nodes if r.result else [], "ended": r.result.how if r.result else None,
        } for r in results]  # fmt: skip
        passed = sum(r.passed for r in results)
        return {"passed": passed, "failed": len(results) - passed, "results": rows,
                "problems": problems_of(problems)}  # fmt: skip

    @route(router, "POST", "/flows/validate", ADMIN, tags=["admin"], openapi_extra={"requestBody": {
        "content": {"application/yaml": {"schema": {"type": "string"}}}, "required": True}})  # fmt: skip
    async def validate(request: Request) -> dict[str, Any]:
        """Check a flow without publishing it: `valid` and the problems, as `alur validate` words them."""
        text = await yaml_text(request)
        flow, problems = ctx_of(request).center.flows.check(text)
        return {
            "valid": flow is not None,
            "flow": flow.name if flow else None,
            "problems": problems_of(problems),
        }

    @route(router, "POST", "/flows/diagram", ADMIN, tags=["admin"], openapi_extra={"requestBody": {
        "content": {"application/yaml": {"schema": {"type": "string"}}}, "required": True}})  # fmt: skip
    async def diagram(
        request: Request,
        version: int | None = Query(
            None, ge=0, description="The stored version being edited, for the diagram's title (0: the file)."
        ),
    ) -> dict[str, Any]:
        """Check a flow and draw it (SVG by Graphviz) when it is valid: what the flow designer shows."""
        text = await yaml_text(request)
        flow, problems = ctx_of(request).center.flows.check(text)
        svg = None
        if flow is not None:
            try:
                svg = await asyncio.to_thread(flow_svg, flow, version)
            except AlurError as error:
                raise ApiError(503, error.code, error.message) from None
        return {"valid": flow is not None, "flow": flow.name if flow else None,
                "problems": problems_of(problems), "svg": svg}  # fmt: skip

    @route(router, "POST", "/flows", ADMIN, tags=["admin"], status_code=201, openapi_extra={"requestBody": {
        "content": {"application/yaml": {"schema": {"type": "string"}}}, "required": True}})  # fmt: skip
    async def publish(request: Request) -> dict[str, Any]:
        """Check the flow and publish it as the next version of its name; 422 with the problems if not."""
        text = await yaml_text(request)
        try:
            stored = await ctx_of(request).center.flows.upload(text, principal_of(request).name)
        except FlowRejected as rejected:
            raise rejected_error(rejected) from None
        return {"flow": stored.flow, "version": stored.version, "live": True}

    @route(router, "GET", "/flows/{flow}/versions", ADMIN, tags=["admin"])
    async def versions(request: Request, flow: str) -> dict[str, Any]:
        catalog = ctx_of(request).center.flows
        stored = await asyncio.to_thread(catalog.versions, flow)
        if not stored and flow not in catalog.files:
            raise ApiError(404, "unknown_flow", f"unknown flow {flow!r} (flows: {sorted(catalog.live)})")
        live = catalog.live.get(flow)
        rows = [{"flow": flow, "version": 0, "created_at": None, "created_by": "project file",
                 "live": live == 0}] if flow in catalog.files else []  # fmt: skip
        return {"flow": flow, "live_version": live, "versions": rows + [v.as_dict(live) for v in stored]}

    @route(router, "GET", "/flows/{flow}/versions/{version}", ADMIN, tags=["admin"])
    async def source(request: Request, flow: str, version: int) -> dict[str, Any]:
        """One stored version's YAML text."""
        center = ctx_of(request).center
        if version == 0 and flow in center.flows.files:
            text = await asyncio.to_thread(project_file_text, center.project.root, flow)
            if text is not None:
                live = center.flows.live.get(flow) == 0
                return {"flow": flow, "version": 0, "created_at": None, "created_by": "project file",
                        "live": live, "source": text}  # fmt: skip
        stored = await asyncio.to_thread(center.flows.version, flow, version)
        if stored is None:
            raise ApiError(404, "unknown_version", f"flow {flow!r} has no stored version {version}")
        return {**stored.as_dict(ctx_of(request).center.flows.live.get(flow)), "source": stored.source}

    @route(router, "POST", "/flows/{flow}/rollback", ADMIN, tags=["admin"])
    async def rollback(request: Request, flow: str, body: RollbackBody) -> dict[str, Any]:
        """Make an earlier version live again (checked again against the project first)."""
        catalog = ctx_of(request).center.flows
        try:
            await catalog.rollback(flow, body.version, principal_of(request).name)
        except FlowRejected as rejected:
            raise rejected_error(rejected) from None
        return {"flow": flow, "live_version": catalog.live[flow]}


def rejected_error(rejected: Rejected) -> ApiError:
    error = ApiError(422, rejected.code, rejected.message, field="body")
    error.problems = rejected.problems  # type: ignore[attr-defined]
    return error


def project_file_text(root: Path, flow: str) -> str | None:
    """Version 0 of a flow: the text of the project's file that declares it (blocking)."""
    for path in sorted((root / "flows").glob("*.y*ml")):
        text = path.read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        if isinstance(data, dict) and data.get("flow") == flow:
            return text
    return None
