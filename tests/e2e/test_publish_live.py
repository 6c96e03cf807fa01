"""Publishing a flow through the HTTP API while a sipp call is inside the old version: that call
finishes on the version it started with, the next call takes the new one, and a roll back brings the
old one back for the call after. Each call records the version it ran (`call.arrived`)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from e2e_env import SUPPORT, Env
from sipp import audio_and_dtmf_pcap, free_port, run_sipp

from alur.api.server import ApiServer
from alur.core.events import CallArrived, CallEnded, PromptPlayed
from alur.store.event_store import EventStore
from alur.store.tokens import TokenStore

OLD_WORDS = "Your balance is 1250 rupiah."
NEW_WORDS = "Version two: 1250 rupiah."


def version_two(env: Env) -> str:
    """The e2e project's support flow (its ports filled in) with new words for the balance."""
    text = SUPPORT.replace("{alice}", str(env.alice)).replace("{bob}", str(env.bob))
    text = text.replace("{web}", str(env.web))
    return text.replace("Your balance is ${vars.balance} rupiah.", "Version two: ${vars.balance} rupiah.")


class Balance(BaseHTTPRequestHandler):
    """The customer's balance service; it holds its answer until `release` is set, which keeps the
    first call inside the flow while the test publishes."""

    received = threading.Event()
    release = threading.Event()

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        Balance.received.set()
        Balance.release.wait(10)
        body = json.dumps({"balance": 1250}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def balance_service(env: Env) -> Iterator[threading.Event]:
    Balance.received, Balance.release = threading.Event(), threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", env.web), Balance)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Balance.release
    Balance.release.set()
    server.shutdown()
    server.server_close()


async def test_publish_during_a_call_then_roll_back(
    env: Env, balance_service: threading.Event, tmp_path: Path
) -> None:
    store = EventStore(f"sqlite:///{tmp_path / 'alur.db'}")
    admin = TokenStore(store.engine).create("admin")[0]
    running = await env.start(store=store)
    api = ApiServer(running.center, port=0)
    await api.start()
    client = httpx.AsyncClient(base_url=api.url, headers={"Authorization": f"Bearer {admin}"})
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=1, digits="5", digit_at=0.1)

    async def call(number: int) -> None:
        (tmp_path / f"call{number}").mkdir()
        result = await run_sipp(
            "caller_wait_bye.xml", f"127.0.0.1:{env.sip_port}", port=free_port(), media_port=free_port(),
            workdir=tmp_path / f"call{number}", keys={"pcap": str(pcap)},
            params={"wait_ms": 1500, "talk_ms": 0}, timeout=30,
        )  # fmt: skip
        assert result.ok, result.errors or result.stderr

    def ended() -> int:
        return sum(isinstance(e, CallEnded) for e in running.events)

    try:
        first = asyncio.create_task(call(1))
        await running.until(lambda: Balance.received.is_set() or first.done())
        # the balance service has the request and holds it: the first call is inside version 0
        published = await client.post(
            "/flows", content=version_two(env), headers={"Content-Type": "application/yaml"}
        )
        assert published.status_code == 201, published.text
        assert published.json() == {"flow": "support", "version": 1, "live": True}
        balance_service.set()
        await first
        await running.until(lambda: ended() == 1)
        await call(2)
        await running.until(lambda: ended() == 2)
        back = await client.post("/flows/support/rollback", json={"version": 0})
        assert back.json() == {"flow": "support", "live_version": 0}
        await call(3)
        await running.until(lambda: ended() == 3)
        metrics = (await client.get("/metrics")).text  # the SIP adapter's figures beside the API's
        figures = {
            line.split()[0]: float(line.split()[1])
            for line in metrics.splitlines()
            if line.startswith("alur_")
        }
        assert figures['alur_sip_transactions_total{side="server"}'] == 3  # the three INVITEs
        assert figures['alur_sip_transactions_total{side="client"}'] >= 3  # our BYEs to the callers
        assert "alur_calls_in_progress 0.0" in metrics
        assert figures["alur_media_frames_sent_total"] > 50  # the greetings went out on the clock
        assert figures["alur_media_streams"] == 0
        assert figures["alur_overloaded"] == 0 and "alur_loop_lag_seconds" in figures
    finally:
        await client.aclose()
        await api.stop()
        await running.stop()

    arrived = [e for e in running.events if isinstance(e, CallArrived)]
    assert [e.flow_version for e in arrived] == [0, 1, 0]
    prompts = [p for p in running.events if isinstance(p, PromptPlayed)]
    spoken = {a.call_id: [p.prompt for p in prompts if p.call_id == a.call_id] for a in arrived}
    said = [(OLD_WORDS in spoken[a.call_id], NEW_WORDS in spoken[a.call_id]) for a in arrived]
    assert said == [(True, False), (False, True), (True, False)], spoken
    logged = [e.flow_version for e in store.events() if isinstance(e, CallArrived)]
    store.close()
    assert logged == [0, 1, 0]  # the version each call ran is in the event log too
