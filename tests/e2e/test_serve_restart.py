"""`kill -9` of `alur serve` during an offer, a call and a wrap-up; after a restart on the same log,
every call is closed with an honest outcome and every agent is in the state it should be in."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from e2e_env import make_project
from serve_process import start_serve
from sipp import audio_and_dtmf_pcap, free_port, listening, run_sipp

from alur.core import events as ev
from alur.store.event_store import EventStore

MOMENTS = {  # the fact in the log after which the process is killed
    "offer": ev.Offered,
    "call": ev.Answered,
    "wrap_up": ev.AgentStateChanged,
}


def logged(db: Path) -> list[ev.Event]:
    store = EventStore(str(db))
    try:
        return list(store.events())
    finally:
        store.close()


async def until_logged(db: Path, kind: type, test: object = None, timeout: float = 30.0) -> ev.Event:
    """Poll the log (as another process would) until an event of `kind` (matching `test`) is in it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if db.exists():
            found = [e for e in await asyncio.to_thread(logged, db) if isinstance(e, kind)]
            found = [e for e in found if test is None or test(e)]  # type: ignore[operator]
            if found:
                return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {kind.__name__} in the log after {timeout:g} s")


@pytest.mark.parametrize("moment", list(MOMENTS))
async def test_kill_9_then_restart_closes_calls_and_restores_agents(moment: str, tmp_path: Path) -> None:
    alice, bob, sip = free_port(), free_port(), free_port()
    root = make_project(
        tmp_path / "project",
        alice=alice,
        bob=bob,
        trunk=free_port(),
        ring_timeout=30,
        max_wait=120,
        wrap_up=120 if moment == "wrap_up" else 0,
    )
    db = tmp_path / "events.db"
    proc, _ = await start_serve(root, sip, db, tmp_path)
    caller_pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=3, digits="1", digit_at=0.1)
    agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=1, ssrc=0x7777)
    scenario = "agent_noanswer.xml" if moment == "offer" else "agent_answer.xml"
    phones = [
        asyncio.create_task(
            run_sipp(
                scenario,
                "",
                port=p,
                media_port=free_port(),
                workdir=tmp_path,
                keys={"pcap": str(agent_pcap)},
                timeout=40,
            )
        )
        for p in (alice, bob)
    ]
    caller = asyncio.create_task(
        run_sipp(
            "caller.xml",
            f"127.0.0.1:{sip}",
            port=free_port(),
            media_port=free_port(),
            workdir=tmp_path,
            keys={"pcap": str(caller_pcap)},
            params={"wait_ms": 1500, "talk_ms": 2000 if moment == "wrap_up" else 30_000},
            timeout=40,
        )
    )
    restarted = None
    try:
        if moment == "wrap_up":
            fact = await until_logged(db, ev.AgentStateChanged, lambda e: e.new == "wrap_up")
        else:
            fact = await until_logged(db, MOMENTS[moment])
        agent = fact.agent_id  # type: ignore[attr-defined]
        proc.kill()  # SIGKILL: nothing more is written
        await proc.wait()
        before = len(await asyncio.to_thread(logged, db))
        restarted, banner = await start_serve(root, sip, db, tmp_path)
        pid = restarted.pid
        boot = await until_logged(db, ev.ServerStarted, lambda e: e.pid == pid)
        after = (await asyncio.to_thread(logged, db))[before:]  # what the restarted process wrote
    finally:
        for p in (proc, restarted):
            if p is not None and p.returncode is None:
                p.send_signal(signal.SIGINT)
                await asyncio.wait_for(p.wait(), 15)
        for task in (*phones, caller):
            task.cancel()
        await asyncio.gather(*phones, caller, return_exceptions=True)
    assert isinstance(boot, ev.ServerStarted)
    ended = {e.call_id: e.how for e in after if isinstance(e, ev.CallEnded)}
    states = {e.agent_id: e.new for e in after if isinstance(e, ev.AgentStateChanged)}  # the last of each
    if moment == "offer":
        assert list(ended.values()) == ["server_lost"] and boot.calls_closed == 1
        lost = [e for e in after if isinstance(e, ev.OfferDeclined)]
        assert [(e.agent_id, e.reason) for e in lost] == [(agent, "server_lost")]
        assert states[agent] == "available"  # the offer died with the process; the agent is free
    elif moment == "call":
        assert list(ended.values()) == ["server_lost"] and boot.calls_closed == 1
        talk = [e for e in after if isinstance(e, ev.TalkEnded)]
        assert [(e.agent_id, e.ended_by) for e in talk] == [(agent, "server_lost")]
        assert states[agent] == "available"  # back to work after the lost call (no wrap-up here)
    else:
        assert ended == {} and boot.calls_closed == 0  # the call had ended before the kill
        assert states[agent] == "wrap_up"  # the after-call work goes on
        assert f"agent {agent:<10}" in banner and "[wrap_up]" in banner
    assert boot.agents_restored == 2  # alice and bob (carol's phone never registered)


async def test_a_registered_phone_is_rung_after_a_restart_without_registering_again(tmp_path: Path) -> None:
    """Registrations are in the log: after `kill -9` and a restart, the agent's phone is rung at the
    Contact it registered before, without waiting for its next REGISTER."""
    sip, phone_port = free_port(), free_port()
    root = make_project(
        tmp_path / "project", alice=free_port(), bob=free_port(), trunk=free_port(), ring_timeout=10
    )
    (root / "agents" / "agents.yaml").write_text(
        'agents:\n  - {id: carol, extension: "2001", queues: [support]}\n'
    )
    db = tmp_path / "events.db"
    proc, _ = await start_serve(root, sip, db, tmp_path)
    restarted = None
    try:
        reg = await run_sipp(
            "register.xml",
            f"127.0.0.1:{sip}",
            port=free_port(),
            media_port=free_port(),
            workdir=tmp_path,
            service="2001",
            params={"contact_port": phone_port, "user": "2001", "password": "secret2001"},
            timeout=10,
        )
        assert reg.ok, reg.errors or reg.stderr
        await until_logged(db, ev.PhoneRegistered)
        proc.kill()
        await proc.wait()
        restarted, banner = await start_serve(root, sip, db, tmp_path)
        assert "agent carol" in banner and "[available]" in banner  # logged in again from the log
        agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=1, ssrc=7)
        carol = asyncio.create_task(
            run_sipp("agent_answer.xml", "", port=phone_port, media_port=free_port(), workdir=tmp_path,
                     keys={"pcap": str(agent_pcap)}, timeout=30)
        )  # fmt: skip
        await listening(phone_port)
        pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=4, digits="1", digit_at=0.1)
        caller = await run_sipp(
            "caller.xml",
            f"127.0.0.1:{sip}",
            port=free_port(),
            media_port=free_port(),
            workdir=tmp_path,
            keys={"pcap": str(pcap)},
            params={"wait_ms": 1500, "talk_ms": 4000},
            timeout=30,
        )
        phone = await carol
        assert caller.ok, caller.errors or caller.stderr
        assert phone.ok, phone.errors or phone.stderr  # rung, answered, and hung up at the end
        answered = await until_logged(db, ev.Answered)
        assert answered.agent_id == "carol"  # type: ignore[attr-defined]
    finally:
        for p in (proc, restarted):
            if p is not None and p.returncode is None:
                p.send_signal(signal.SIGINT)
                await asyncio.wait_for(p.wait(), 15)
