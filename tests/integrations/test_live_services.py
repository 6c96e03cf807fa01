"""The live HTTP client and REST customer directory, against a real local HTTP server, and the
interpreter running on asyncio with them (as `alur serve` will)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from alur.config import load_project
from alur.core.channel import ConnectOutcome, DigitsResult, QueueOutcome, Recording
from alur.core.clock import RealClock
from alur.flow.interpreter import FlowRunner
from alur.flow.services import DirectoryUnavailable
from alur.integrations.directory import RestDirectory
from alur.integrations.http import HttpxClient
from alur.integrations.services import live_services


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass

    def _send(self, status, body):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass

    def do_GET(self):
        if self.path.startswith("/slow"):
            time.sleep(1.0)
            return self._send(200, {})
        if self.path == "/balance/42":
            return self._send(200, {"balance": 125000, "auth": self.headers.get("Authorization")})
        if self.path == "/text":
            return self._send(200, "plain text")
        if self.path == "/api/customers/by-phone/%2B62811":
            return self._send(200, {"id": "42", "name": "Budi", "pin": "1234"})
        if self.path == "/broken/customers/by-phone/x":
            return self._send(503, {"error": "maintenance"})
        return self._send(404, {"error": "not found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path == "/api/authenticate":
            if self.headers.get("Authorization") != "Bearer s3cret":
                return self._send(403, {})
            if body == {"customer_id": "42", "pin": "1234"}:
                return self._send(
                    200, {"id": "42", "name": "Budi", "vip": True, "language": "id", "pin": "1234"}
                )
            return self._send(401, {})
        if self.path == "/garbage/authenticate":
            return self._send(200, "[1, 2")
        return self._send(404, {})


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


async def test_http_client_success_text_404_timeout_refused(server):
    async with httpx.AsyncClient() as shared:
        client = HttpxClient(shared)
        ok = await client.request(
            "GET", f"{server}/balance/42", headers={"Authorization": "t"}, json=None, timeout=2
        )
        assert (ok.status, ok.body["balance"], ok.body["auth"], ok.error) == (200, 125000, "t", None)
        text = await client.request("GET", f"{server}/text", headers={}, json=None, timeout=2)
        assert text.body == "plain text"
        missing = await client.request("GET", f"{server}/nope", headers={}, json=None, timeout=2)
        assert missing.status == 404 and missing.error == "Not Found"
        slow = await client.request("GET", f"{server}/slow", headers={}, json=None, timeout=0.2)
        assert slow.status is None and "timeout" in slow.error
        refused = await client.request("GET", "http://127.0.0.1:9/", headers={}, json=None, timeout=1)
        assert refused.status is None and refused.error


async def test_rest_directory(server):
    async with httpx.AsyncClient() as shared:
        directory = RestDirectory(f"{server}/api", token="s3cret", client=shared)
        record = await directory.authenticate("42", "1234")
        assert record == {"id": "42", "name": "Budi", "vip": True, "language": "id"}  # PIN dropped
        assert await directory.authenticate("42", "0000") is None
        assert (await directory.find_by_phone("+62811"))["name"] == "Budi"
        assert await directory.find_by_phone("+1") is None
        with pytest.raises(DirectoryUnavailable, match="answered 503"):
            await RestDirectory(f"{server}/broken", client=shared).find_by_phone("x")
        with pytest.raises(DirectoryUnavailable, match="not JSON"):
            await RestDirectory(f"{server}/garbage", client=shared).authenticate("1", "2")
        with pytest.raises(DirectoryUnavailable, match="unreachable"):
            await RestDirectory("http://127.0.0.1:9", client=shared, timeout=0.5).authenticate("1", "2")


class InstantChannel:
    """A Channel on asyncio whose caller answers at once (digits from a list)."""

    def __init__(self, digits):
        self.call_id, self.caller_id, self.dialed = "live-1", "+62811", "1000"
        self.digits = list(digits)
        self.played = []
        self.queued = None

    async def play(self, prompt, *, barge_in=True):
        self.played.append(prompt.describe())

    async def collect_digits(self, max_digits, *, timeout, inter_digit_timeout, terminator="#"):
        return DigitsResult(self.digits.pop(0) if self.digits else "", "terminator")

    async def record(self, *, max_seconds, silence_timeout, beep=True):
        return Recording("x.wav", 1.0)

    async def enqueue(self, request):
        self.queued = request
        return QueueOutcome("answered", agent_id="a1", wait=1.0)

    async def bridge(self, destinations, *, timeout, strategy="ring_all"):
        return ConnectOutcome("answered", destinations[0])

    async def transfer(self, number, *, timeout):
        return ConnectOutcome("answered", number)

    async def hangup(self, reason="normal"):
        pass


async def test_interpreter_on_asyncio_with_rest_directory(server, tmp_path):
    import asyncio
    import shutil

    project_dir = tmp_path / "support"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "support", project_dir)
    settings = (
        (project_dir / "alur.yaml")
        .read_text()
        .replace("  type: builtin", f"  type: rest\n  url: {server}/api\n  token_env: ALUR_TEST_TOKEN")
    )
    (project_dir / "alur.yaml").write_text(settings)
    project = load_project(project_dir)
    import os

    os.environ["ALUR_TEST_TOKEN"] = "s3cret"
    try:
        async with httpx.AsyncClient() as shared:
            directory, http = live_services(project, shared)
            assert isinstance(directory, RestDirectory)
            clock = RealClock(asyncio.get_running_loop(), now=lambda: 1795489200.0)  # Tue 24 Nov 10:00 WIB
            runner = FlowRunner(project, clock=clock, directory=directory, http=http)
            channel = InstantChannel(["2", "1234"])  # known by caller ID: PIN only
            result = await runner.run_call(channel)
    finally:
        del os.environ["ALUR_TEST_TOKEN"]
    assert result.nodes[:5] == ["office_hours", "welcome", "choose_language", "indonesian", "login"]
    assert result.customer["name"] == "Budi" and "pin" not in result.customer
    assert channel.queued.queue == "vip" and channel.queued.language == "id" and channel.queued.vip
    assert result.how == "answered"
