"""Serve the API with uvicorn inside the contact center's own event loop (beside SIP).

`await ApiServer(center, host, port).start()` runs uvicorn as a task owned by the contact center and
returns once it listens; `await server.stop()` lets requests in progress finish and closes the socket.
Signals stay with `alur serve` (uvicorn's own handlers are not installed).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import uvicorn

from alur.api.app import create_app
from alur.api.login import Sessions
from alur.core.errors import AlurError
from alur.service.center import ContactCenter
from alur.store.tokens import TokenStore


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        self.listening.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the owner handles SIGINT/SIGTERM and calls stop()


class ApiServer:
    def __init__(
        self, center: ContactCenter, host: str = "127.0.0.1", port: int = 8080, *, webhooks: Any = None
    ) -> None:
        if center.store is None:
            raise AlurError("the HTTP API needs the event log (its tokens live there)", code="no_store")
        self.center = center
        self.host = host
        self.port = port
        engine = center.store.engine
        self.app = create_app(center, TokenStore(engine).lookup, webhooks, Sessions.on(engine))
        config = uvicorn.Config(
            self.app, host=host, port=port, lifespan="off", log_config=None, access_log=False,
            ws="websockets-sansio", timeout_graceful_shutdown=5,
        )  # fmt: skip
        self._server = _Server(config)
        self._task: asyncio.Task[Any] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Listen; raises OSError (e.g. port in use) if uvicorn could not start."""
        self._task = self.center.spawn(self._serve(), "http api")
        listening = asyncio.ensure_future(self._server.listening.wait())
        await asyncio.wait({listening, self._task}, return_when=asyncio.FIRST_COMPLETED)
        listening.cancel()
        if not self._server.started:
            self._task = None
            raise self._failure or OSError(f"the HTTP API could not listen on {self.host}:{self.port}")
        if self.port == 0:  # an ephemeral port (tests): tell which one
            self.port = self._server.servers[0].sockets[0].getsockname()[1]

    _failure: BaseException | None = None

    async def _serve(self) -> None:
        try:
            await self._server.serve()
        except (OSError, SystemExit) as exc:
            self._failure = OSError(f"the HTTP API could not listen on {self.host}:{self.port}: {exc}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._server.should_exit = True
        await task
