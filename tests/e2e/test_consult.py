"""Warm (consult) transfer on real calls: the agent keys a feature code, the caller hears music on
hold while the agent talks with a colleague, and completing hands the caller to the colleague; the
router knows both agents' states throughout."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from e2e_env import Env
from sipp import audio_and_dtmf_pcap, free_port, listening, run_sipp

from alur.core.events import (
    CallTransferred,
    ConsultEnded,
    ConsultStarted,
    DirectCallEnded,
    DirectCallStarted,
    TalkEnded,
)


def kinds(events: list[Any], cls: type) -> list[Any]:
    return [e for e in events if isinstance(e, cls)]


def phone(scenario: str, port: int, workdir: Path, pcap: Path) -> Any:
    return run_sipp(
        scenario, "", port=port, media_port=free_port(), workdir=workdir, keys={"pcap": str(pcap)}, timeout=40
    )


async def a_call_to_bob(
    env: Env, tmp_path: Path, bob_pcap: Path, alice_pcap: Path, *, talk: int
) -> tuple[asyncio.Task[Any], asyncio.Task[Any], asyncio.Task[Any]]:
    """Bob's and Alice's phones up, then a caller who presses 1 and talks for `talk` seconds."""
    bob = asyncio.create_task(phone("agent_answer.xml", env.bob, tmp_path, bob_pcap))
    alice = asyncio.create_task(phone("agent_answer.xml", env.alice, tmp_path, alice_pcap))
    await listening(env.alice, env.bob)
    caller_pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=talk, digits="1", digit_at=0.1)
    caller = asyncio.create_task(
        run_sipp(
            "caller.xml",
            f"127.0.0.1:{env.sip_port}",
            port=free_port(),
            media_port=free_port(),
            workdir=tmp_path,
            keys={"pcap": str(caller_pcap)},
            params={"wait_ms": 1500, "talk_ms": talk * 1000},
            timeout=40,
        )
    )
    return bob, alice, caller


async def bob_talking(env: Env, tmp_path: Path, talk: int) -> tuple[Any, str, tuple[Any, Any, Any]]:
    """Bob on a call (alice paused meanwhile, then ready): the server, the call, and the three sipp
    tasks (bob, alice, caller) to await at the end."""
    server = await env.start()
    server.router.pause("alice")
    bob_pcap = audio_and_dtmf_pcap(tmp_path / "bob.pcap", audio_seconds=6, ssrc=7)
    alice_pcap = audio_and_dtmf_pcap(tmp_path / "alice.pcap", audio_seconds=3, ssrc=9)
    phones = await a_call_to_bob(env, tmp_path, bob_pcap, alice_pcap, talk=talk)
    await server.until(lambda: "bob" in server.connector.talks)  # bridged: the talk takes commands
    (call_id,) = list(server.router.connected)
    return server, call_id, phones


async def test_warm_transfer_by_feature_code_ends_with_the_caller_bridged_to_the_colleague(
    env: Env, tmp_path: Path
) -> None:
    server = await env.start()
    server.router.pause("alice")  # bob takes the call; alice is free again before he consults her
    # bob: "*7 1001 #" consults alice (extension 1001) two seconds in, "*8" completes once she answered
    times = [2.0 + 0.3 * i for i in range(7)] + [7.0, 7.3]
    bob_pcap = audio_and_dtmf_pcap(
        tmp_path / "bob.pcap", audio_seconds=9, digits="*71001#*8", at=times, ssrc=7
    )
    alice_pcap = audio_and_dtmf_pcap(tmp_path / "alice.pcap", audio_seconds=3, ssrc=9)
    bob, alice, caller = await a_call_to_bob(env, tmp_path, bob_pcap, alice_pcap, talk=16)
    router = server.router
    await server.until(lambda: router.agent_state("bob").value == "busy")
    router.ready("alice")
    await server.until(lambda: kinds(server.events, ConsultStarted) != [])
    await server.until(lambda: router.agent_state("alice").value == "busy")  # talking with bob
    assert router.agent_state("bob").value == "busy"
    await server.until(lambda: kinds(server.events, ConsultEnded) != [])
    await server.until(lambda: router.agent_state("bob").value == "available")  # his part is over
    assert router.agent_state("alice").value == "busy"  # now with the caller
    channel, leg = server.connector.talks["alice"]  # the caller's channel is bridged to alice's leg
    assert channel.media.peer is leg.media and leg.media.peer is channel.media
    c, a, b = await caller, await alice, await bob
    assert c.ok, c.errors or c.stderr  # the caller talked on and hung up
    assert a.ok, a.errors or a.stderr  # alice got the BYE when the caller hung up
    assert b.ok, b.errors or b.stderr  # bob got the BYE when he completed
    await server.settle()
    ev = server.events
    assert [(e.agent_id, e.destination) for e in kinds(ev, ConsultStarted)] == [("bob", "1001")]
    assert [e.outcome for e in kinds(ev, ConsultEnded)] == ["completed"]
    assert [(e.destination, e.kind) for e in kinds(ev, CallTransferred)] == [("1001", "agent_warm")]
    assert [(t.agent_id, t.ended_by) for t in kinds(ev, TalkEnded)] == [("bob", "transfer")]
    assert [(d.agent_id, d.kind) for d in kinds(ev, DirectCallStarted)] == [("alice", "consult")]
    assert [(d.agent_id, d.answered) for d in kinds(ev, DirectCallEnded)] == [("alice", True)]
    await server.until(lambda: router.agent_state("alice").value == "available")


async def test_consultation_by_service_commands_becomes_a_three_way_conference(
    env: Env, tmp_path: Path
) -> None:
    from alur.service import commands as cmd

    server, call_id, (bob, alice, caller) = await bob_talking(env, tmp_path, talk=12)
    router = server.router
    router.ready("alice")
    server.center.execute(cmd.Consult(call_id, "alice"))
    await server.until(lambda: router.agent_state("alice").value == "busy")
    server.center.execute(cmd.ConsultStep(call_id, "conference"))
    await server.until(lambda: [e.outcome for e in kinds(server.events, ConsultEnded)] == ["conference"])
    channel = server.connector.talks["bob"][0]
    assert channel.media.mix is not None  # the caller hears both agents
    assert (router.agent_state("alice").value, router.agent_state("bob").value) == ("busy", "busy")
    c, a, b = await caller, await alice, await bob
    assert c.ok and a.ok and b.ok, (c.errors, a.errors, b.errors)  # the caller's hang-up ended all three
    await server.settle()
    assert [(t.agent_id, t.ended_by) for t in kinds(server.events, TalkEnded)] == [("bob", "caller")]
    await server.until(lambda: router.agent_state("alice").value == "available")


async def test_blind_transfer_by_service_command_rings_the_colleague(env: Env, tmp_path: Path) -> None:
    """What the desktop's transfer button sends: the caller is handed to alice, bob's part ends."""
    from alur.service import commands as cmd

    server, call_id, (bob, alice, caller) = await bob_talking(env, tmp_path, talk=10)
    router = server.router
    router.ready("alice")
    server.center.execute(cmd.Transfer(call_id, "alice", "agent"))
    await server.until(lambda: "alice" in server.connector.talks)
    channel, leg = server.connector.talks["alice"]
    assert channel.media.peer is leg.media  # the caller now talks with alice
    assert router.agent_state("alice").value == "busy"
    await server.until(lambda: router.agent_state("bob").value == "available")
    c, a, b = await caller, await alice, await bob
    assert c.ok and a.ok and b.ok, (c.errors, a.errors, b.errors)
    await server.settle()
    ev = server.events
    assert [(e.destination, e.kind) for e in kinds(ev, CallTransferred)] == [("agent:alice", "agent_blind")]
    assert [(t.agent_id, t.ended_by) for t in kinds(ev, TalkEnded)] == [("bob", "transfer")]


async def test_transfer_to_a_queue_puts_the_caller_back_in_line_for_another_agent(
    env: Env, tmp_path: Path
) -> None:
    from alur.core.events import Answered, CallQueued
    from alur.service import commands as cmd

    server, call_id, (bob, alice, caller) = await bob_talking(env, tmp_path, talk=12)
    router = server.router
    server.center.execute(cmd.Pause("bob", "after this call"))  # bob stops after this call
    router.ready("alice")
    server.center.execute(cmd.Transfer(call_id, "support", "queue"))
    await server.until(lambda: "alice" in server.connector.talks)
    assert router.agent_state("bob").value == "paused"
    c, a, b = await caller, await alice, await bob
    assert c.ok and a.ok and b.ok, (c.errors, a.errors, b.errors)
    await server.settle()
    ev = server.events
    assert [(e.destination, e.kind) for e in kinds(ev, CallTransferred)] == [("support", "queue")]
    assert [q.queue for q in kinds(ev, CallQueued)] == ["support", "support"]
    assert [a.agent_id for a in kinds(ev, Answered)] == ["bob", "alice"]


async def test_hold_plays_music_to_the_caller_and_resume_bridges_them_again(env: Env, tmp_path: Path) -> None:
    """What the desktop's hold button sends: the caller hears music (not bob), then bob again."""
    from alur.core.events import CallHeld, CallResumed
    from alur.service import commands as cmd

    server, call_id, (bob, alice, caller) = await bob_talking(env, tmp_path, talk=10)
    channel, leg = server.connector.talks["bob"]
    server.center.execute(cmd.Hold(call_id))
    await server.until(lambda: kinds(server.events, CallHeld) != [])
    assert channel.media.peer is None and leg.media.peer is None  # not bridged: bob hears nothing
    await server.until(lambda: channel.media.packets_out > 0)  # the music goes out to the caller
    sent = channel.media.packets_out
    await server.until(lambda: channel.media.packets_out > sent + 25)  # and keeps going (half a second)
    assert server.router.agent_state("bob").value == "busy"  # still bob's call
    server.center.execute(cmd.Hold(call_id, resume=True))
    await server.until(lambda: "bob" in server.connector.talks)
    channel, leg = server.connector.talks["bob"]
    assert channel.media.peer is leg.media  # talking again
    alice.cancel()  # her phone is not needed here (run_sipp stops sipp)
    c, b = await caller, await bob
    assert c.ok and b.ok, (c.errors, b.errors)
    await server.settle()
    assert [(e.agent_id, e.how) for e in kinds(server.events, CallResumed)] == [("bob", "resume")]
    assert [t.agent_id for t in kinds(server.events, TalkEnded)] == ["bob"]
