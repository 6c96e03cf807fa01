"""A contact center run through the HTTP API, as `alur serve` serves it: a sipp caller reaches the
queue, the offer rings the agent's sipp phone, the agent accepts on the desktop (the phone picks up by
itself), the call ends, the agent wraps up with a disposition through the API; the report shows the
call and its disposition, the CRM webhook arrived signed, and a second call from the same customer
makes the first a repeat contact (first-contact resolution)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_env import make_project
from serve_process import start_serve
from sipp import audio_and_dtmf_pcap, free_port, listening, run_sipp

SECRET = "crm-shared-secret"


class Crm(BaseHTTPRequestHandler):
    """The customer's CRM: keeps each post with its signature header."""

    posts: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Crm.posts.append((dict(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def crm() -> Iterator[int]:
    Crm.posts = []
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Crm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port
    server.shutdown()
    server.server_close()


def token(db: Path, root: Path, *args: str) -> str:
    """`alur token create ...` as an admin runs it; the token is its output."""
    out = subprocess.run(
        [sys.executable, "-m", "alur.cli", "token", "create", *args, "--project", str(root), "--db", str(db)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip()


async def until(check: Any, what: str, timeout: float = 20.0) -> Any:
    """Poll `check()` (an async function) until it returns something truthy."""
    async with asyncio.timeout(timeout):
        while not (found := await check()):
            await asyncio.sleep(0.1)
    return found


async def test_a_sipp_call_accepted_and_wrapped_up_through_the_api(tmp_path: Path, crm: int) -> None:
    alice, bob, sip, http = free_port(), free_port(), free_port(), free_port()
    root = make_project(
        tmp_path / "project", alice=alice, bob=bob, trunk=free_port(), ring_timeout=30, wrap_up=300,
        queue_extra="dispositions: [paid, refund]\ndisposition_required: true\n",
    )  # fmt: skip
    with (root / "alur.yaml").open("a") as config:
        config.write(
            f"webhooks:\n  - url: http://127.0.0.1:{crm}/hook\n"
            f"    calls: [ended, wrapped_up]\n    secret: {SECRET}\n"
        )
    db = tmp_path / "events.db"
    agent = token(db, root, "--role", "agent", "--agent", "alice")
    boss = token(db, root, "--role", "supervisor", "--queues", "support")
    proc, _banner = await start_serve(root, sip, db, tmp_path, http_port=http)
    base = f"http://127.0.0.1:{http}"
    as_agent = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {agent}"}, timeout=10)
    as_boss = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {boss}"}, timeout=10)
    try:
        paused = await as_boss.put("/agents/bob/state", json={"state": "paused", "reason": "break"})
        assert paused.status_code == 200, paused.text
        agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=1, ssrc=0x7777)
        phone = asyncio.create_task(
            run_sipp("agent_pick_up.xml", "", port=alice, media_port=free_port(), workdir=tmp_path,
                     keys={"pcap": str(agent_pcap)}, calls=2, timeout=60)
        )  # fmt: skip
        await listening(alice)
        caller_pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=4, digits="1", digit_at=0.1)

        def a_caller(n: int) -> Any:
            (tmp_path / f"caller{n}").mkdir()
            return run_sipp(
                "caller.xml", f"127.0.0.1:{sip}", port=free_port(), media_port=free_port(),
                workdir=tmp_path / f"caller{n}", keys={"pcap": str(caller_pcap)},
                params={"wait_ms": 1500, "talk_ms": 4000}, timeout=60,
            )  # fmt: skip

        caller = asyncio.create_task(a_caller(1))

        async def ringing() -> Any:
            offer = (await as_agent.get("/agents/alice/offer")).json()
            return offer if offer.get("offer") and offer["offer"].get("ringing_on") else None

        offer = await until(ringing, "the offer ringing on alice's phone")
        assert offer["offer"]["queue"] == "support"
        accepted = await as_agent.post("/agents/alice/offer/accept")
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["picking_up_on"] == "alice's SIP phone"

        async def busy() -> bool:
            return (await as_agent.get("/agents/alice")).json()["state"] == "busy"

        await until(busy, "alice busy once her phone picked up")
        first, answered = await caller, await phone
        assert first.ok, first.errors or first.stderr
        assert answered.ok, answered.errors or answered.stderr  # the second INVITE asked for auto-answer

        async def in_wrap_up() -> Any:
            status = (await as_agent.get("/agents/alice")).json()
            return status if status["state"] == "wrap_up" else None

        await until(in_wrap_up, "alice in wrap-up after the call")
        refused = await as_agent.post("/agents/alice/ready")
        assert refused.status_code == 409 and refused.json()["error"] == "disposition_required"
        wrapped = await as_agent.post(
            "/agents/alice/wrap-up", json={"disposition": "paid", "notes": "card updated", "ready": True}
        )
        assert wrapped.status_code == 200, wrapped.text
        assert wrapped.json()["agent"]["state"] == "available"

        report = (await as_boss.get("/reports/queue", params={"queue": "support"})).json()
        [row] = report["rows"]
        assert (row["offered"], row["answered"], row["abandoned"]) == (1, 1, 0)
        assert report["dispositions"] == {"paid": 1}
        assert report["first_contact_resolution"] == {"resolved": 1, "handled": 1, "rate": 1.0}

        paused = await as_boss.put("/agents/alice/state", json={"state": "paused", "reason": "break"})
        assert paused.status_code == 200, paused.text
        second = await a_caller(2)  # the same customer calls again; nobody is free, they hang up
        assert second.ok, second.errors or second.stderr

        async def repeated() -> Any:
            again = (await as_boss.get("/reports/queue", params={"queue": "support"})).json()
            return again if again["total"]["offered"] == 2 else None

        again = await until(repeated, "the second call in the report")
        assert again["first_contact_resolution"] == {"resolved": 0, "handled": 1, "rate": 0.0}

        async def hooked() -> Any:
            kinds = [json.loads(body)["type"] for _headers, body in Crm.posts]
            return kinds if kinds.count("call.ended") == 2 and "call.wrapped_up" in kinds else None

        await until(hooked, "the CRM's webhook posts")
        for headers, body in Crm.posts:
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            assert headers["X-Alur-Signature"] == expected
        [record] = [json.loads(b) for _h, b in Crm.posts if json.loads(b)["type"] == "call.wrapped_up"]
        call = record["call"]
        assert (call["agent_id"], call["queue"], call["outcome"], call["flow_version"]) == (
            "alice",
            "support",
            "answered",
            0,
        )
        assert (record["wrap_up"]["disposition"], record["wrap_up"]["notes"]) == ("paid", "card updated")
        assert [c["option"] for c in record["path"]["choices"]] == ["1"]
    finally:
        await as_agent.aclose()
        await as_boss.aclose()
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 30)
    assert db.exists()
