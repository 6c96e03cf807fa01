"""Who is asking, and may they: bearer tokens, roles and scopes.

- admin: everything, including configuration (flows) and tokens;
- supervisor: sees and acts on its queues (`*`: all queues) and on the agents who serve them;
- agent: acts only as itself and sees only its own calls.

Every route is declared with `route(router, method, path, roles)`: the allowed roles are kept on the
endpoint (`endpoint.roles`), checked before the handler runs, and read by the test that tries every
route with every role, so a route without a rule cannot be added silently.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request, WebSocket

from alur.api.errors import forbidden, unauthorized
from alur.store.tokens import ROLES, TokenRecord

ALL = frozenset(ROLES)
STAFF = frozenset({"admin", "supervisor"})
ADMIN = frozenset({"admin"})
CACHE_SECONDS = 5.0  # a revoked token stops working within this time

Principal = TokenRecord


class TokenCache:
    """Token look-ups off the event loop, remembered for a few seconds (one query per token, not per
    request)."""

    def __init__(
        self, lookup: Callable[[str], TokenRecord | None], clock: Callable[[], float] = time.monotonic
    ):
        self._lookup = lookup
        self._clock = clock
        self._known: dict[str, tuple[float, TokenRecord | None]] = {}

    async def find(self, token: str) -> TokenRecord | None:
        now = self._clock()
        hit = self._known.get(token)
        if hit is not None and hit[0] > now:
            return hit[1]
        record = await asyncio.to_thread(self._lookup, token)
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[token] = (now + CACHE_SECONDS, record)
        return record

    def forget_id(self, token_id: int) -> None:
        """A token was revoked here: stop accepting it now, not in a few seconds."""
        for token, (_until, record) in list(self._known.items()):
            if record is not None and record.id == token_id:
                del self._known[token]


def bearer(header: str | None, query_token: str | None = None) -> str:
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise unauthorized("the Authorization header must be 'Bearer <token>'")
        return value.strip()
    if query_token:
        return query_token
    raise unauthorized("no API token: send 'Authorization: Bearer <token>' (see `alur token create`)")


async def authenticate(cache: TokenCache, token: str) -> Principal:
    record = await cache.find(token)
    if record is None:
        raise unauthorized("the API token is not known or was revoked")
    return record


def allow(principal: Principal, roles: frozenset[str], what: str) -> None:
    if principal.role not in roles:
        raise forbidden(
            f"{what} is for {' or '.join(sorted(roles))} tokens (this token's role: {principal.role})"
        )


def require(roles: frozenset[str], what: str) -> Callable[..., Any]:
    async def dependency(request: Request) -> Principal:
        token = bearer(request.headers.get("authorization"))
        principal = await authenticate(request.app.state.ctx.tokens, token)
        allow(principal, roles, what)
        request.state.principal = principal
        return principal

    return dependency


async def websocket_principal(websocket: WebSocket) -> Principal:
    """A WebSocket's token: the Authorization header, or `?token=` (browsers cannot set headers)."""
    token = bearer(websocket.headers.get("authorization"), websocket.query_params.get("token"))
    return await authenticate(websocket.app.state.ctx.tokens, token)


def route(
    router: APIRouter, method: str, path: str, roles: frozenset[str], **options: Any
) -> Callable[..., Any]:
    """Declare a route and the roles allowed on it (kept on the endpoint for the route-table test)."""

    def decorate(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        endpoint.roles = roles  # type: ignore[attr-defined]
        what = f"{method} {path}"
        router.add_api_route(
            path, endpoint, methods=[method], dependencies=[Depends(require(roles, what))], **options
        )
        return endpoint

    return decorate


def principal_of(request: Request) -> Principal:
    return request.state.principal  # type: ignore[no-any-return]


# --- scopes --------------------------------------------------------------------------------------


def sees_queue(principal: Principal, queue: str) -> bool:
    if principal.role == "admin":
        return True
    if principal.role == "supervisor":
        return "*" in principal.queues or queue in principal.queues
    return False


def check_queue(principal: Principal, queue: str) -> None:
    if not sees_queue(principal, queue):
        raise forbidden(f"queue {queue!r} is not one of this token's queues ({', '.join(principal.queues)})")


def acts_for_agent(principal: Principal, agent_id: str, agent_queues: tuple[str, ...]) -> bool:
    if principal.role == "admin":
        return True
    if principal.role == "agent":
        return principal.agent_id == agent_id
    return "*" in principal.queues or any(q in principal.queues for q in agent_queues)


def check_agent(principal: Principal, agent_id: str, agent_queues: tuple[str, ...]) -> None:
    if acts_for_agent(principal, agent_id, agent_queues):
        return
    if principal.role == "agent":
        raise forbidden(
            f"an agent token acts only as its own agent ({principal.agent_id!r}), not {agent_id!r}"
        )
    raise forbidden(f"agent {agent_id!r} serves none of this token's queues ({', '.join(principal.queues)})")
