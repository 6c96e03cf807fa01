"""A CRM for the webhook tests: a real local HTTP server that checks each post's signature and can be
made to fail (N times, or while it is down)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from alur.integrations.webhooks import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER

SECRET = "s3cret"


@dataclass
class Post:
    delivery_id: str
    kind: str
    body: dict[str, Any]
    signed: bool
    status: int


@dataclass
class Crm:
    """A CRM endpoint: answers `status` to its first `failures` posts (all of them while `down`)."""

    url: str = ""
    failures: int = 0
    down: bool = False
    status: int = 500
    posts: list[Post] = field(default_factory=list)
    got: threading.Condition = field(default_factory=threading.Condition)

    @property
    def accepted(self) -> list[Post]:
        return [p for p in self.posts if p.status == 204]

    async def wait(self, what: Callable[[Crm], bool]) -> None:
        """Wait (off the loop) until `what` holds."""

        def waiting() -> None:
            with self.got:
                assert self.got.wait_for(lambda: what(self), timeout=20), self.posts

        await asyncio.to_thread(waiting)


@contextmanager
def running_crm() -> Iterator[Crm]:
    state = Crm()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            signed = hmac.compare_digest(expected, self.headers.get(SIGNATURE_HEADER, ""))
            with state.got:
                failing = state.down or len(state.posts) < state.failures
                status = state.status if failing else 204
                delivery, kind = self.headers.get(DELIVERY_HEADER, ""), self.headers.get(EVENT_HEADER, "")
                state.posts.append(Post(delivery, kind, json.loads(body), signed, status))
                state.got.notify_all()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
