"""Log-in with a name and a password (people), beside API tokens (programs and the token log-in).

`POST /login {"name", "password"}` checks the user (`alur user create`) and answers a session token with
the user's role and scope: the same bearer token as `alur token create` makes, which ends by itself
after `SESSION_SECONDS`. `POST /logout` revokes the session it is sent with. Wrong names and wrong
passwords get the same 401; repeated failures for one name or from one address are refused with 429
for a while, before any password is checked.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field

from alur.api.auth import ALL, principal_of, route
from alur.api.errors import ApiError, unauthorized
from alur.store.tokens import TokenStore
from alur.store.users import UserStore

SESSION_SECONDS = 12 * 3600.0  # a shift
WINDOW = 15 * 60.0  # failures count for this long
PER_NAME = 5  # failures for one name in WINDOW before it is refused
PER_ADDRESS = 20  # failures from one address in WINDOW (trying many names)
BAD_CREDENTIALS = "the name or the password is wrong"


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class Throttle:
    """Recent failed log-ins per key (a name, an address); bounded: old keys are forgotten."""

    def __init__(self, limit: int, window: float = WINDOW, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self._clock()
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def wait(self, key: str) -> float:
        """Seconds before `key` may try again (0: now)."""
        times = self._recent(key)
        if len(times) < self.limit:
            return 0.0
        return max(1.0, times[0] + self.window - self._clock())

    def failed(self, key: str) -> None:
        if len(self._failures) > 10_000:
            self._failures.clear()
        times = self._recent(key)
        times.append(self._clock())
        self._failures[key] = times

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)


@dataclass
class Sessions:
    """What the log-in needs: the users, the tokens, and the two throttles."""

    users: UserStore
    tokens: TokenStore
    by_name: Throttle
    by_address: Throttle

    @classmethod
    def on(cls, engine: Any) -> Sessions:
        return cls(UserStore(engine), TokenStore(engine), Throttle(PER_NAME), Throttle(PER_ADDRESS))


def install(app: FastAPI, sessions: Sessions) -> None:
    """`POST /login`: open to everyone (it is how a token is obtained), so outside the role table."""

    @app.post("/login", tags=["auth"])
    async def login(request: Request, body: LoginBody) -> dict[str, Any]:
        """A session token for a user's name and password (401 if wrong; 429 after repeated failures)."""
        name = body.name.strip().lower()
        address = request.client.host if request.client else "?"
        wait = max(sessions.by_name.wait(name), sessions.by_address.wait(address))
        if wait:
            seconds = math.ceil(wait)
            raise ApiError(
                429, "too_many_attempts", f"too many failed log-ins: try again in {seconds} s",
                retry_after=seconds,
            )  # fmt: skip
        user = await asyncio.to_thread(sessions.users.verify, body.name, body.password)
        if user is None:
            sessions.by_name.failed(name)
            sessions.by_address.failed(address)
            raise unauthorized(BAD_CREDENTIALS)
        sessions.by_name.forget(name)
        token, record = await asyncio.to_thread(
            sessions.tokens.create, user.role, agent_id=user.agent_id, queues=user.queues,
            name=f"{user.name} (session)", lifetime=SESSION_SECONDS,
        )  # fmt: skip
        return {"token": token, "expires_at": record.expires_at, "me": record.as_dict()}

    app.state.sessions = sessions


def register(router: APIRouter) -> None:
    @route(router, "POST", "/logout", ALL, tags=["auth"])
    async def logout(request: Request) -> dict[str, Any]:
        """End this session (a log-in's token); a long-lived API token is left alone (`alur token revoke`)."""
        who = principal_of(request)
        sessions: Sessions | None = getattr(request.app.state, "sessions", None)
        if who.expires_at is None or sessions is None:
            return {"revoked": False}
        await asyncio.to_thread(sessions.tokens.revoke, who.id)
        request.app.state.ctx.tokens.forget_id(who.id)
        return {"revoked": True}
