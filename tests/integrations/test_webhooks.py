"""CRM webhooks: a running contact center posts the chosen events, signed, to a real local HTTP server."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from projectkit import tiny_project

from alur.config.project import WebhookSettings
from alur.core import events as ev
from alur.core.clock import RealClock
from alur.core.envelope import Envelope
from alur.integrations.webhooks import SIGNATURE_HEADER, Webhooks
from alur.service.center import ContactCenter

SECRET = "s3cret"


@dataclass
class Crm:
    """What the CRM endpoint received; it answers 500 to its first `failures` posts."""

    url: str = ""
    failures: int = 0
    attempts: int = 0
    bodies: list[dict[str, object]] = field(default_factory=list)
    bad_signatures: int = 0
    got: threading.Condition = field(default_factory=threading.Condition)


@pytest.fixture
def crm() -> Iterator[Crm]:
    state = Crm()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with state.got:
                state.attempts += 1
                if state.attempts <= state.failures:
                    self.send_response(500)
                    self.end_headers()
                    return
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(expected, self.headers.get(SIGNATURE_HEADER, "")):
                    state.bad_signatures += 1
                state.bodies.append(json.loads(body))
                state.got.notify_all()
            self.send_response(204)
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


async def received(crm: Crm, count: int) -> list[dict[str, object]]:
    """Wait (off the loop) until the CRM holds `count` posts."""

    def wait() -> list[dict[str, object]]:
        with crm.got:
            assert crm.got.wait_for(lambda: len(crm.bodies) >= count, timeout=20), crm.bodies
            return list(crm.bodies)

    return await asyncio.to_thread(wait)


async def run_center(
    tmp_path: Path, crm: Crm, hooks_kwargs: dict[str, float]
) -> tuple[list[dict[str, object]], Webhooks]:
    """Run a contact center with one webhook, publish three events, wait for the two chosen ones."""
    project = tiny_project(tmp_path)
    settings = WebhookSettings(url=crm.url, events=("call.ended", "survey.answered"), secret=SECRET)
    async with httpx.AsyncClient() as client:
        hooks = Webhooks([settings], client, **hooks_kwargs)  # type: ignore[arg-type]
        center = ContactCenter(project, clock=RealClock(asyncio.get_running_loop()))
        async with center:
            hooks.start(center)
            center.publish(ev.CallArrived(1.0, "c1", "0811", "100", "main"))
            center.publish(ev.CallEnded(2.0, "c1", "caller_hangup", "q"))
            center.publish(ev.CallEnded(3.0, "c2", "agent_hangup", "q"))
            bodies = await received(crm, 2)
            async with asyncio.timeout(20):  # the poster counts a post once the CRM's answer is read
                while hooks.hooks[0].delivered < 2:
                    await asyncio.sleep(0.01)
        return bodies, hooks


async def test_chosen_events_are_posted_in_order_with_a_valid_signature(tmp_path: Path, crm: Crm) -> None:
    bodies, hooks = await run_center(tmp_path, crm, {})
    assert [b["kind"] for b in bodies] == ["call.ended", "call.ended"]  # call.arrived was not chosen
    first = bodies[0]
    assert first["version"] == 1 and first["server"] and isinstance(first["seq"], int)
    assert first["fields"] == {"at": 2.0, "call_id": "c1", "how": "caller_hangup", "node": "q", "error": ""}
    assert bodies[1]["seq"] > first["seq"]  # type: ignore[operator]
    assert crm.bad_signatures == 0
    assert hooks.hooks[0].delivered == 2 and hooks.hooks[0].dropped == 0


async def test_a_failing_endpoint_is_retried_then_delivered(tmp_path: Path, crm: Crm) -> None:
    crm.failures = 3  # three 500s, then the CRM is back
    bodies, hooks = await run_center(tmp_path, crm, {"first_delay": 0.01, "max_delay": 0.05})
    assert [b["fields"]["call_id"] for b in bodies] == ["c1", "c2"]  # type: ignore[index]
    assert crm.attempts == 5 and crm.bad_signatures == 0
    assert hooks.hooks[0].retried == 3 and hooks.hooks[0].dropped == 0


async def test_the_queue_is_bounded_and_drops_are_counted(tmp_path: Path) -> None:
    """A dead endpoint: the poster is stuck retrying, so extra events are dropped, not kept."""
    settings = WebhookSettings(url="http://127.0.0.1:9/dead", events=("call.ended",), secret=SECRET)
    async with httpx.AsyncClient() as client:
        hooks = Webhooks([settings], client, max_queue=3, first_delay=60)
        hook = hooks.hooks[0]
        for n in range(10):
            hook.offer(Envelope(n, "node", 0.0, ev.CallEnded(float(n), f"c{n}", "caller_hangup")))
        assert len(hook.queue) == 3 and hook.dropped == 7
