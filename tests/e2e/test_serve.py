"""`alur serve` as a user runs it (a subprocess, uvloop when installed) on the support example."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
from serve_process import start_serve
from sipp import audio_and_dtmf_pcap, free_port, run_sipp

ROOT = Path(__file__).resolve().parents[2]


async def test_alur_serve_support_example_answers_a_call_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port, http_port = free_port(), free_port()
    db = tmp_path / "events.db"
    proc, text = await start_serve(ROOT / "examples" / "support", port, db, tmp_path, http_port=http_port)
    try:
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
    console = (await proc.stdout.read()).decode()  # type: ignore[union-attr]
    (line,) = [x for x in console.splitlines() if "-> 1000" in x]  # one line per call
    assert "6281234 -> 1000" in line and "main: office_hours" in line, console
    from alur.store.event_store import EventStore

    store = EventStore(str(db))
    kinds = [type(e).__name__ for e in store.events()]
    store.close()
    assert kinds.count("CallArrived") == 1 and kinds.count("CallEnded") == 1


async def test_a_caller_whose_contact_is_a_host_name_gets_our_bye(tmp_path: Path) -> None:
    """uvloop cannot send a datagram to a name: the BYE goes where the caller's requests come from
    while the name is looked up, and no exception escapes (the call ends, its leg is forgotten)."""
    from e2e_env import make_project

    scenario = (Path(__file__).parent / "scenarios" / "caller_wait_bye.xml").read_text()
    named = tmp_path / "caller_named_contact.xml"
    named.write_text(
        scenario.replace(
            "Contact: <sip:6281234@[local_ip]:[local_port]>", "Contact: <sip:6281234@localhost:[local_port]>"
        )
    )
    root = make_project(tmp_path / "project", alice=free_port(), bob=free_port(), trunk=free_port())
    port = free_port()
    proc, _ = await start_serve(root, port, tmp_path / "events.db", tmp_path)
    try:
        pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=1)
        caller = await run_sipp(
            named,
            f"127.0.0.1:{port}",
            port=free_port(),
            media_port=free_port(),
            workdir=tmp_path,
            keys={"pcap": str(pcap)},
            params={"wait_ms": 200, "talk_ms": 0},
            timeout=30,
        )
        assert caller.ok, caller.errors or caller.stderr  # the flow's hang-up reached it as a BYE
    finally:
        proc.send_signal(signal.SIGINT)
        rc = await asyncio.wait_for(proc.wait(), 15)
    errors = (await proc.stderr.read()).decode()  # type: ignore[union-attr]
    assert rc == 0 and "Traceback" not in errors, errors
