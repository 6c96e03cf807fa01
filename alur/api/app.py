"""The HTTP API: an ASGI app (FastAPI) over a running `ContactCenter`.

Requests become commands to the contact center; responses read its state. Build it with
`create_app(center, tokens)` where `tokens` looks a token up in the store (`TokenStore.lookup`), and
serve it in the contact center's own event loop (`alur.api.server.ApiServer`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request

from alur import __version__
from alur.api import errors
from alur.api.auth import ALL, TokenCache, principal_of, route
from alur.api.context import ApiContext
from alur.service.center import ContactCenter
from alur.store.tokens import TokenRecord

DESCRIPTION = """Agents, supervisors and admins run the contact center over HTTP.

Send `Authorization: Bearer <token>` with every request (tokens come from `alur token create`).
Roles: **admin** (everything), **supervisor** (its queues and their agents), **agent** (itself only).
Refusals are JSON `{"error": code, "message": text}`: 401 without a valid token, 403 when the role or
scope does not allow the request, 404 for an unknown agent, queue, call or flow, 409 when the contact
center's state does not allow it now, 422 for a bad field (the message names it).
"""


def create_app(center: ContactCenter, tokens: Callable[[str], TokenRecord | None]) -> FastAPI:
    from alur.api import live

    app = FastAPI(title="Alur", version=__version__, description=DESCRIPTION)
    app.state.ctx = ApiContext(center, TokenCache(tokens))
    errors.install(app)
    app.include_router(build_router())
    live.install(app)
    return app


def build_router() -> APIRouter:
    """Every route of the API, each with its allowed roles (`endpoint.roles`)."""
    from alur.api import admin, agents, live, reports, supervisor

    router = APIRouter()
    _whoami(router)
    for area in (agents, supervisor, admin, reports, live):
        area.register(router)
    return router


def _whoami(router: APIRouter) -> None:
    @route(router, "GET", "/me", ALL, tags=["auth"])
    async def me(request: Request) -> dict[str, Any]:
        """The token's role and scope."""
        return principal_of(request).as_dict()
