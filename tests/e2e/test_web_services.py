"""A live call's `http` node reaches the customer's real web service (a local HTTP server here)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from e2e_env import Env
from sipp import audio_and_dtmf_pcap, free_port, listening, run_sipp

from alur.core.events import CallEnded, HttpRequested, PromptPlayed, TalkEnded, VariableSet


class Billing(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        Billing.seen.append(self.path)
        body = json.dumps({"balance": 1250}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def billing(env: Env) -> Iterator[list[str]]:
    Billing.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", env.web), Billing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Billing.seen
    server.shutdown()
    server.server_close()


async def test_http_node_fetches_balance_and_reads_it_to_the_caller(
    env: Env, billing: list[str], tmp_path: Path
) -> None:
    server = await env.start()
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=1, digits="5", digit_at=0.1)
    caller = await run_sipp(
        "caller_wait_bye.xml",
        f"127.0.0.1:{env.sip_port}",
        port=free_port(),
        media_port=free_port(),
        workdir=tmp_path,
        keys={"pcap": str(pcap)},
        params={"wait_ms": 1500, "talk_ms": 0},
        timeout=30,
    )
    assert caller.ok, caller.errors or caller.stderr
    assert billing == ["/balance/6281234"]  # the caller's number went into the URL
    await server.settle()  # the bus has delivered every event to the recorder
    requests = [e for e in server.events if isinstance(e, HttpRequested)]
    assert [(r.status, r.ok) for r in requests] == [(200, True)]
    assert any(isinstance(e, VariableSet) and e.name == "balance" and e.value == 1250 for e in server.events)
    spoken = [e.prompt for e in server.events if isinstance(e, PromptPlayed)]
    assert "Your balance is 1250 rupiah." in spoken


async def test_post_call_step_runs_when_the_caller_hangs_up_first(
    env: Env, billing: list[str], tmp_path: Path
) -> None:
    """The queue's `answered` path (a CRM update here) runs after the talk even when the caller ends
    it: only the steps that need the caller (a prompt) find them gone."""
    server = await env.start()
    agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=12, ssrc=7)
    agent = asyncio.create_task(
        run_sipp(
            "agent_answer.xml",
            "",
            port=env.alice,
            media_port=free_port(),
            workdir=tmp_path,
            keys={"pcap": str(agent_pcap)},
            timeout=30,
        )
    )
    await listening(env.alice)
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=1)
    caller = await run_sipp(
        "caller.xml",
        f"127.0.0.1:{env.sip_port}",
        service="300",
        port=free_port(),
        media_port=free_port(),
        workdir=tmp_path,
        keys={"pcap": str(pcap)},
        params={"wait_ms": 500, "talk_ms": 6000},  # ample time to be answered first
        timeout=30,
    )
    assert caller.ok, caller.errors or caller.stderr  # the caller hung up (BYE) while talking
    assert (await agent).ok
    await server.until(lambda: any(isinstance(e, CallEnded) for e in server.events))
    story = [(type(e).__name__, getattr(e, "how", getattr(e, "node", ""))) for e in server.events]
    assert billing == ["/crm/6281234"], story
    (talk,) = [e for e in server.events if isinstance(e, TalkEnded)]
    assert talk.ended_by == "caller"
    (ended,) = [e for e in server.events if isinstance(e, CallEnded)]
    assert ended.how == "caller_hangup" and ended.node == "bye"  # it got as far as the goodbye
