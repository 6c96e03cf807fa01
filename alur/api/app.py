"""The HTTP API: an ASGI app (FastAPI) over a running `ContactCenter`.

Requests become commands to the contact center; responses read its state. Build it with
`create_app(center, tokens)` where `tokens` looks a token up in the store (`TokenStore.lookup`), and
serve it in the contact center's own event loop (`alur.api.server.ApiServer`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from alur import __version__
from alur.api import errors, login
from alur.api.auth import ALL, TokenCache, principal_of, route
from alur.api.context import ApiContext
from alur.api.login import Sessions
from alur.service.center import ContactCenter
from alur.store.tokens import TokenRecord
from alur.web import STATIC

DESCRIPTION = """Agents, supervisors and admins run the contact center over HTTP.

Send `Authorization: Bearer <token>` with every request (tokens come from `alur token create`, or
from `POST /login` with a user's name and password: a session token, see `alur user create`).
Roles: **admin** (everything), **supervisor** (its queues and their agents), **agent** (itself only).
Refusals are JSON `{"error": code, "message": text}`: 401 without a valid token, 403 when the role or
scope does not allow the request, 404 for an unknown agent, queue, call or flow, 409 when the contact
center's state does not allow it now, 422 for a bad field (the message names it).
"""


def create_app(
    center: ContactCenter,
    tokens: Callable[[str], TokenRecord | None],
    webhooks: Any = None,
    sessions: Sessions | None = None,
) -> FastAPI:
    """`webhooks`: the server's `Webhooks`, woken when a dead letter is replayed; `sessions`: the
    name-and-password log-in (`POST /login`); without it only tokens are accepted."""
    from alur.api import live
    from alur.api.public import build_public_router
    from alur.api.sms import build_sms_router, install_sender

    app = FastAPI(title="Alur", version=__version__, description=DESCRIPTION)
    app.state.ctx = ApiContext(center, TokenCache(tokens), webhooks)
    errors.install(app)
    app.include_router(build_router())
    app.include_router(build_public_router())
    app.include_router(build_sms_router())
    install_sender(center)
    live.install(app)
    if sessions is not None:
        login.install(app, sessions)
    _pages(app)
    return app


def _pages(app: FastAPI) -> None:
    """The web pages under /ui/ (static files; the data comes from the API with the person's token)."""
    app.mount("/ui", StaticFiles(directory=STATIC, html=True), name="ui")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/ui/")


def build_router() -> APIRouter:
    """Every route of the API, each with its allowed roles (`endpoint.roles`)."""
    from alur.api import (
        activity,
        admin,
        agents,
        conversations,
        live,
        media_routes,
        phone,
        reports,
        settings_routes,
        supervisor,
        transfers,
        webhooks,
    )

    router = APIRouter()
    _whoami(router)
    _settings(router)
    areas = (
        agents,
        transfers,
        conversations,
        supervisor,
        media_routes,
        admin,
        settings_routes,
        activity,
        reports,
        live,
        webhooks,
        login,
        phone,
    )
    for area in areas:
        area.register(router)
    return router


def _whoami(router: APIRouter) -> None:
    @route(router, "GET", "/me", ALL, tags=["auth"])
    async def me(request: Request) -> dict[str, Any]:
        """The token's role and scope."""
        return principal_of(request).as_dict()


def _settings(router: APIRouter) -> None:
    @route(router, "GET", "/settings", ALL, tags=["auth"])
    async def settings(request: Request) -> dict[str, Any]:
        """What the pages offer to choose from: pause reasons and each queue's wrap-up codes."""
        center = request.app.state.ctx.center
        queues = {
            name: {
                "dispositions": list(q.config.dispositions),
                "disposition_required": q.config.disposition_required,
                "wrap_up": q.config.wrap_up,
            }
            for name, q in center.router.queues.items()
        }
        s = center.project.settings
        reasons = list(s.pause_reasons)
        return {"name": s.name, "timezone": s.timezone, "pause_reasons": reasons, "queues": queues}
