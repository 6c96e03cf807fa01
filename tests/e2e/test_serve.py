"""`alur serve` as a user runs it (a subprocess, uvloop when installed) on the support example."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx
from sipp import audio_and_dtmf_pcap, free_port, run_sipp

ROOT = Path(__file__).resolve().parents[2]


async def test_alur_serve_support_example_answers_a_call_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port, http_port = free_port(), free_port()
    db = tmp_path / "events.db"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "alur.cli",
        "serve",
        str(ROOT / "examples" / "support"),
        "--sip-port",
        str(port),
        "--db",
        str(db),
        "--http-port",
        str(http_port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    assert proc.stdout is not None
    banner = []
    try:
        while True:
            line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
            assert line, (await proc.stderr.read()).decode()  # type: ignore[union-attr]
            banner.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(banner)
        assert f"sip:127.0.0.1:{port} (UDP+TCP" in text
        assert "dial 1000" in text and "-> flow main" in text
        assert f"HTTP API on http://127.0.0.1:{http_port}" in text
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}") as client:
            assert (await client.get("/openapi.json")).status_code == 200
            assert (await client.get("/queues")).status_code == 401
        pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=2)
        caller = await run_sipp(
            "caller.xml",
            f"127.0.0.1:{port}",
            port=free_port(),
            media_port=free_port(),
            workdir=tmp_path,
            service="1000",
            keys={"pcap": str(pcap)},
            params={"wait_ms": 500, "talk_ms": 2500},
            timeout=20,
        )
        assert caller.ok, caller.errors or caller.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        rc = await asyncio.wait_for(proc.wait(), 15)
    assert rc == 0
    from alur.store.event_store import EventStore

    store = EventStore(str(db))
    kinds = [type(e).__name__ for e in store.events()]
    store.close()
    assert kinds.count("CallArrived") == 1 and kinds.count("CallEnded") == 1
