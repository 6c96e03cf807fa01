"""Real calls with sipp as the caller and as the agents' phones."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from e2e_env import Env
from sipp import audio_and_dtmf_pcap, free_port, listening, run_sipp

from alur.core.events import (
    Abandoned,
    AgentStateChanged,
    Answered,
    CallArrived,
    CallEnded,
    CallQueued,
    DirectCallEnded,
    DirectCallStarted,
    MenuOptionChosen,
    OfferDeclined,
    TalkEnded,
    VoicemailRecorded,
)  # fmt: skip


def kinds(events: list[object], cls: type) -> list:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, cls)]


async def test_happy_path_menu_queue_agent_answers_caller_hangs_up(env: Env, tmp_path: Path) -> None:
    server = await env.start()
    caller_pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=6, digits="1", digit_at=0.1)
    agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=2, ssrc=0x9999)
    agent = asyncio.create_task(
        agent_phone(
            "agent_answer.xml",
            env.alice,
            tmp_path,
            keys={"pcap": str(agent_pcap)},
            timeout=30,
        )
    )
    await listening(env.alice)  # the phones are up before the call
    caller = await run_sipp(
        "caller.xml",
        f"127.0.0.1:{env.sip_port}",
        port=free_port(),
        media_port=free_port(),
        workdir=tmp_path,
        keys={"pcap": str(caller_pcap)},
        params={"wait_ms": 1500, "talk_ms": 5000},
        timeout=30,
    )
    agent_result = await agent
    assert caller.ok, caller.errors or caller.stderr
    assert agent_result.ok, agent_result.errors or agent_result.stderr  # includes: agent got BYE
    await server.until(lambda: not server.channels)  # every call has finished
    await server.settle()  # the bus has delivered every event to the recorder
    ev = server.events
    assert kinds(ev, CallArrived)[0].flow == "support"
    assert [e.option for e in kinds(ev, MenuOptionChosen)] == ["1"]
    assert kinds(ev, CallQueued)[0].queue == "support"
    answered = kinds(ev, Answered)
    assert [a.agent_id for a in answered] == ["alice"]
    talk = kinds(ev, TalkEnded)
    assert len(talk) == 1 and talk[0].ended_by == "caller" and talk[0].agent_id == "alice"
    assert kinds(ev, CallEnded)[0].how == "caller_hangup"
    channel = server.finished[0]
    stats = channel.stats
    assert stats["caller_rtp_in"] > 100  # caller -> Alur
    assert stats["caller_rtp_out"] > 100  # greeting, menu, hold music, then the agent's voice
    assert stats["agent_rtp_in"] > 50  # agent -> Alur (relayed to the caller)
    assert stats["agent_rtp_out"] > 50  # caller's voice relayed to the agent
    assert server.agent_states()["alice"] == "available"
    from alur.store.call_records import call_record

    record = call_record(channel.call_id, [e for e in ev if getattr(e, "call_id", None) == channel.call_id])
    assert (record.dialed, record.flow, record.caller_id) == ("100", "support", "6281234")
    assert (record.menu_choices, record.queue, record.agent_id) == (["1"], "support", "alice")
    assert record.ended_how == "caller_hangup" and not record.abandoned
    assert record.talk_time is not None and 3.0 < record.talk_time < 7.0  # the caller talked ~5 s


def agent_phone(scenario: str, port: int, workdir: Path, **kw: Any) -> Any:
    """An agent's phone: sipp waiting on its fixed SIP URI port for Alur to ring it."""
    return run_sipp(scenario, "", port=port, media_port=free_port(), workdir=workdir, **kw)


def caller_args(env: Env, tmp_path: Path, pcap: Path, wait_ms: int, talk_ms: int = 0) -> dict:  # type: ignore[type-arg]
    return dict(
        port=free_port(),
        media_port=free_port(),
        workdir=tmp_path,
        keys={"pcap": str(pcap)},
        params={"wait_ms": wait_ms, "talk_ms": talk_ms},
        timeout=30,
    )


async def test_agent_no_answer_then_next_agent_answers(env: Env, tmp_path: Path) -> None:
    server = await env.start(ring_timeout=2)
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=8, digits="1", digit_at=0.1)
    agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=1, ssrc=7)
    alice = asyncio.create_task(agent_phone("agent_noanswer.xml", env.alice, tmp_path, timeout=30))
    bob = asyncio.create_task(
        agent_phone(
            "agent_answer.xml",
            env.bob,
            tmp_path,
            keys={"pcap": str(agent_pcap)},
            timeout=30,
        )
    )
    await listening(env.alice, env.bob)  # the phones are up before the call
    caller = await run_sipp(
        "caller.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500, 7000)
    )
    a, b = await alice, await bob
    assert caller.ok, caller.errors or caller.stderr
    assert a.ok, a.errors or a.stderr  # CANCEL got to alice, and our ACK for her 487
    assert b.ok, b.errors or b.stderr
    await server.settle()  # the bus has delivered every event to the recorder
    ev = server.events
    declined = kinds(ev, OfferDeclined)
    assert [(d.agent_id, d.reason) for d in declined] == [("alice", "no_answer")]
    assert [x.agent_id for x in kinds(ev, Answered)] == ["bob"]
    assert kinds(ev, TalkEnded)[0].agent_id == "bob"


async def test_agent_busy_486_and_decline_603_are_acked_and_next_agent_rung(env: Env, tmp_path: Path) -> None:
    server = await env.start(ring_timeout=3)
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=5, digits="1", digit_at=0.1)
    alice = asyncio.create_task(
        agent_phone(
            "agent_reject.xml",
            env.alice,
            tmp_path,
            params={"status": 486, "reason": "Busy Here"},
            timeout=20,
        )
    )
    bob = asyncio.create_task(
        agent_phone(
            "agent_reject.xml",
            env.bob,
            tmp_path,
            params={"status": 603, "reason": "Decline"},
            timeout=20,
        )
    )
    await listening(env.alice, env.bob)  # the phones are up before the call
    caller = await run_sipp(
        "caller.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500, 3000)
    )
    a, b = await alice, await bob
    assert caller.ok, caller.errors or caller.stderr
    assert a.ok, a.errors or a.stderr  # each final error response was ACKed (else sipp times out)
    assert b.ok, b.errors or b.stderr
    await server.settle()  # the bus has delivered every event to the recorder
    ev = server.events
    reasons = {(d.agent_id, d.reason) for d in kinds(ev, OfferDeclined)}
    assert {("alice", "busy"), ("bob", "declined")} <= reasons
    assert not kinds(ev, Answered)
    assert kinds(ev, Abandoned)[0].queue == "support"
    assert len(kinds(ev, CallArrived)) == 1


async def test_caller_abandons_in_queue(env: Env, tmp_path: Path) -> None:
    server = await env.start(ring_timeout=10)
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=4, digits="1", digit_at=0.1)
    alice = asyncio.create_task(agent_phone("agent_noanswer.xml", env.alice, tmp_path, timeout=20))
    await listening(env.alice)  # the phones are up before the call
    caller = await run_sipp(
        "caller.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500, 3500)
    )
    a = await alice
    assert caller.ok, caller.errors or caller.stderr
    assert a.ok, a.errors or a.stderr  # the ringing agent was CANCELled when the caller left
    await server.settle()  # the bus has delivered every event to the recorder
    ev = server.events
    assert len(kinds(ev, Abandoned)) == 1
    assert kinds(ev, CallEnded)[0].how == "caller_hangup"
    await server.until(lambda: server.agent_states()["alice"] == "available")


async def test_caller_hangs_up_during_menu(env: Env, tmp_path: Path) -> None:
    server = await env.start()
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=1)
    caller = await run_sipp(
        "caller.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500, 200)
    )
    assert caller.ok, caller.errors or caller.stderr
    await server.settle()  # the bus has delivered every event to the recorder
    ev = server.events
    ended = kinds(ev, CallEnded)
    assert len(ended) == 1 and ended[0].how == "caller_hangup"
    assert not kinds(ev, CallQueued)


async def test_invalid_digit_then_timeout_ends_with_goodbye(env: Env, tmp_path: Path) -> None:
    from alur.core.events import MenuInputRejected

    server = await env.start()
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=1, digits="9", digit_at=0.1)
    caller = await run_sipp(
        "caller_wait_bye.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500)
    )
    assert caller.ok, caller.errors or caller.stderr  # Alur hung up with BYE
    await server.settle()  # the bus has delivered every event to the recorder
    ev = server.events
    assert [r.reason for r in kinds(ev, MenuInputRejected)] == ["invalid", "timeout"]
    assert not kinds(ev, CallQueued)
    assert kinds(ev, CallEnded)[0].how != "caller_hangup"


async def test_after_hours_voicemail_is_recorded(env: Env, tmp_path: Path) -> None:
    import wave

    server = await env.start()
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=6)
    args = caller_args(env, tmp_path, pcap, 100)
    caller = await run_sipp("caller_wait_bye.xml", f"127.0.0.1:{env.sip_port}", service="200", **args)
    assert caller.ok, caller.errors or caller.stderr
    await server.settle()  # the bus has delivered every event to the recorder
    ev = server.events
    assert kinds(ev, CallArrived)[0].flow == "after_hours"
    vm = kinds(ev, VoicemailRecorded)
    assert len(vm) == 1 and vm[0].mailbox == "support"
    with wave.open(vm[0].path) as w:
        seconds = w.getnframes() / w.getframerate()
    assert 1.0 < seconds <= 3.5  # the caller spoke; max_seconds is 3


async def test_retransmitted_invite_and_bye(env: Env, tmp_path: Path) -> None:
    server = await env.start()
    caller = await run_sipp(
        "caller_retrans.xml",
        f"127.0.0.1:{env.sip_port}",
        port=free_port(),
        media_port=free_port(),
        workdir=tmp_path,
        timeout=20,
    )
    assert caller.ok, caller.errors or caller.stderr  # 200 to every INVITE copy, one call
    await server.until(lambda: not server.channels)  # every call has finished
    await server.settle()  # the bus has delivered every event to the recorder
    assert len(kinds(server.events, CallArrived)) == 1


async def test_registered_phone_with_digest_gets_the_call(env: Env, tmp_path: Path) -> None:
    server = await env.start()
    server.router.pause("alice")
    server.router.pause("bob")
    phone_port = free_port()
    agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=1, ssrc=7)
    carol = asyncio.create_task(
        agent_phone(
            "agent_answer.xml",
            phone_port,
            tmp_path,
            keys={"pcap": str(agent_pcap)},
            timeout=30,
        )
    )
    reg = await run_sipp(
        "register.xml",
        f"127.0.0.1:{env.sip_port}",
        port=free_port(),
        media_port=free_port(),
        workdir=tmp_path,
        service="2001",
        params={"contact_port": phone_port, "user": "2001", "password": "secret2001"},
        timeout=10,
    )
    assert reg.ok, reg.errors or reg.stderr
    await server.until(lambda: server.agent_states()["carol"] == "available")
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=5, digits="1", digit_at=0.1)
    caller = await run_sipp(
        "caller.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500, 4000)
    )
    c = await carol
    assert caller.ok, caller.errors or caller.stderr
    assert c.ok, c.errors or c.stderr
    await server.settle()  # the bus has delivered every event to the recorder
    assert [a.agent_id for a in kinds(server.events, Answered)] == ["carol"]


async def test_retransmitted_bye_gets_the_same_200(env: Env, tmp_path: Path) -> None:
    """The same BYE twice (as when our 200 is lost): 200 to both, never 481. sipp runs with -nr, else
    it takes the identical second 200 for a copy of the first and resends the BYE without end."""
    server = await env.start()
    caller = await run_sipp(
        "caller_bye_retrans.xml",
        f"127.0.0.1:{env.sip_port}",
        port=(port := free_port()),
        media_port=free_port(),
        workdir=tmp_path,
        timeout=15,
        extra=["-nr"],
    )
    assert caller.ok, caller.errors or caller.stderr  # the second recv of 200 matched the copy's answer
    log = (tmp_path / f"caller_bye_retrans-{port}-messages.log").read_text()
    byes = re.findall(r"^BYE sip:.*?^Via: [^\r\n]*branch=([^;\r\n]+)", log, re.M | re.S)
    assert len(byes) == 2 and byes[0] == byes[1]  # one transaction, sent twice
    answers = re.findall(r"^(SIP/2.0 \d+)[^\n]*\n(?:[^\n]+\n)*?CSeq: 2 BYE", log, re.M)
    assert answers == ["SIP/2.0 200", "SIP/2.0 200"]
    await server.settle()  # the bus has delivered every event to the recorder
    assert len(kinds(server.events, CallArrived)) == 1
    assert len(kinds(server.events, CallEnded)) == 1


async def test_info_dtmf_chooses_menu_option(env: Env, tmp_path: Path) -> None:
    server = await env.start()
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=4)
    agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=1, ssrc=7)
    alice = asyncio.create_task(
        agent_phone(
            "agent_answer.xml",
            env.alice,
            tmp_path,
            keys={"pcap": str(agent_pcap)},
            timeout=30,
        )
    )
    await listening(env.alice)  # the phones are up before the call
    args = caller_args(env, tmp_path, pcap, 1200, 3000)
    args["params"]["digit"] = "1"
    caller = await run_sipp("caller_info.xml", f"127.0.0.1:{env.sip_port}", **args)
    a = await alice
    assert caller.ok, caller.errors or caller.stderr
    assert a.ok, a.errors or a.stderr
    await server.settle()  # the bus has delivered every event to the recorder
    assert [e.option for e in kinds(server.events, MenuOptionChosen)] == ["1"]
    assert [x.agent_id for x in kinds(server.events, Answered)] == ["alice"]


async def test_call_over_tcp(env: Env, tmp_path: Path) -> None:
    server = await env.start()
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=1, digits="2", digit_at=0.1)
    args = caller_args(env, tmp_path, pcap, 1500)
    caller = await run_sipp("caller_wait_bye.xml", f"127.0.0.1:{env.sip_port}", transport="t1", **args)
    assert caller.ok, caller.errors or caller.stderr  # Alur's goodbye BYE came over the same connection
    await server.settle()  # the bus has delivered every event to the recorder
    assert [e.option for e in kinds(server.events, MenuOptionChosen)] == ["2"]


async def test_agent_blind_transfer_with_refer(env: Env, tmp_path: Path) -> None:
    from alur.core.events import CallTransferred

    server = await env.start()
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=8, digits="1", digit_at=0.1)
    agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=1, ssrc=7)
    alice = asyncio.create_task(
        agent_phone(
            "agent_refer.xml",
            env.alice,
            tmp_path,
            keys={"pcap": str(agent_pcap)},
            params={"refer_to": f"sip:bob@127.0.0.1:{env.bob}"},
            timeout=30,
        )
    )
    bob = asyncio.create_task(
        agent_phone(
            "agent_answer.xml",
            env.bob,
            tmp_path,
            keys={"pcap": str(agent_pcap)},
            timeout=30,
        )
    )
    await listening(env.alice, env.bob)  # the phones are up before the call
    caller = await run_sipp(
        "caller.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500, 7000)
    )
    a, b = await alice, await bob
    assert caller.ok, caller.errors or caller.stderr
    assert a.ok, a.errors or a.stderr  # 202, NOTIFY, and BYE for the transferring agent
    assert b.ok, b.errors or b.stderr  # the transfer target was rung, answered, and got the final BYE
    await server.settle()  # the bus has delivered every event to the recorder
    ev = server.events
    moved = kinds(ev, CallTransferred)
    assert [(t.destination, t.kind) for t in moved] == [(f"sip:bob@127.0.0.1:{env.bob}", "agent_blind")]
    assert [(t.agent_id, t.ended_by) for t in kinds(ev, TalkEnded)] == [("alice", "transfer")]
    assert server.agent_states()["alice"] == "available"  # freed at the transfer, not at the hang-up
    # bob, rung by the transfer, was taken out of routing while his phone rang and he talked
    assert [(d.agent_id, d.kind) for d in kinds(ev, DirectCallStarted)] == [("bob", "agent_blind")]
    assert [(d.agent_id, d.answered) for d in kinds(ev, DirectCallEnded)] == [("bob", True)]
    bob_states = [(c.old, c.new) for c in kinds(ev, AgentStateChanged) if c.agent_id == "bob"]
    assert bob_states == [
        ("offline", "available"),
        ("available", "reserved"),
        ("reserved", "busy"),
        ("busy", "available"),
    ]


async def test_transfer_to_external_number_through_trunk(env: Env, tmp_path: Path) -> None:
    from alur.core.events import CallTransferred

    server = await env.start()
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=5, digits="3", digit_at=0.1)
    far_pcap = audio_and_dtmf_pcap(tmp_path / "far.pcap", audio_seconds=2, ssrc=7)
    trunk = asyncio.create_task(
        agent_phone(
            "agent_answer.xml",
            env.trunk,
            tmp_path,
            keys={"pcap": str(far_pcap)},
            timeout=30,
        )
    )
    await listening(env.trunk)  # the phones are up before the call
    caller = await run_sipp(
        "caller.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500, 4000)
    )
    t = await trunk
    assert caller.ok, caller.errors or caller.stderr
    assert t.ok, t.errors or t.stderr
    log = (tmp_path / f"agent_answer-{env.trunk}-messages.log").read_text()
    assert f"INVITE sip:5551234@127.0.0.1:{env.trunk} SIP/2.0" in log
    await server.settle()  # the bus has delivered every event to the recorder
    assert [(x.destination, x.kind) for x in kinds(server.events, CallTransferred)] == [
        ("5551234", "external")
    ]
    assert server.finished[0].stats["agent_rtp_in"] > 50


async def test_silent_caller_is_hung_up_and_agent_freed(env: Env, tmp_path: Path) -> None:
    server = await env.start(silence=3)
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=1.5, digits="1", digit_at=0.1)
    agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=12, ssrc=7)
    alice = asyncio.create_task(
        agent_phone(
            "agent_answer.xml",
            env.alice,
            tmp_path,
            keys={"pcap": str(agent_pcap)},
            timeout=30,
        )
    )
    await listening(env.alice)  # the phones are up before the call
    caller = await run_sipp(
        "caller_wait_bye.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1000)
    )
    a = await alice
    assert caller.ok, caller.errors or caller.stderr  # Alur sent BYE to the silent caller
    assert a.ok, a.errors or a.stderr  # and to the agent
    await server.settle()  # the bus has delivered every event to the recorder
    ev = server.events
    assert [x.agent_id for x in kinds(ev, Answered)] == ["alice"]
    assert len(kinds(ev, TalkEnded)) == 1
    assert server.agent_states()["alice"] == "available"


async def test_delayed_offer_answer_in_ack(env: Env, tmp_path: Path) -> None:
    server = await env.start()
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=1, digits="2", digit_at=0.1)
    caller = await run_sipp(
        "caller_late_offer.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500)
    )
    assert caller.ok, caller.errors or caller.stderr
    await server.settle()  # the bus has delivered every event to the recorder
    assert [e.option for e in kinds(server.events, MenuOptionChosen)] == ["2"]  # DTMF reached us
    assert server.finished[0].stats["caller_rtp_out"] > 50  # prompts went to the address in the ACK


async def test_malformed_sip_gets_400_or_is_dropped_and_calls_go_on(env: Env, tmp_path: Path) -> None:
    import socket

    server = await env.start()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    me = sock.getsockname()[1]
    dest = ("127.0.0.1", env.sip_port)
    sock.sendto(b"\x16\x03\x01garbage that is not SIP\r\n\r\n", dest)
    sock.sendto(b"INVITE sip:100@127.0.0.1 SIP/2.0\r\nCSeq: nonsense\r\n\r\n", dest)  # no Via: dropped
    no_cseq = (
        f"INVITE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bKbad\r\n"
        "From: <sip:x@127.0.0.1>;tag=1\r\nTo: <sip:100@127.0.0.1>\r\nCall-ID: bad@test\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    sock.sendto(no_cseq.encode(), dest)
    answer = (await asyncio.wait_for(asyncio.get_running_loop().sock_recv(sock, 4096), 5)).decode()
    sock.close()
    assert answer.startswith("SIP/2.0 400 Bad Request") and "cseq" in answer.split("\r\n")[0].lower()
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=1, digits="2", digit_at=0.1)
    caller = await run_sipp(
        "caller_wait_bye.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500)
    )
    assert caller.ok, caller.errors or caller.stderr
    assert server.stack.stats.malformed == 3


async def test_agent_holds_and_resumes_with_reinvite_without_the_call_ending(
    env: Env, tmp_path: Path
) -> None:
    server = await env.start(silence=3)
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=10, digits="1", digit_at=0.1)
    agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=1, ssrc=7)
    alice = asyncio.create_task(
        agent_phone(
            "agent_hold.xml",
            env.alice,
            tmp_path,
            keys={"pcap": str(agent_pcap)},
            params={"hold_ms": 4500},
            timeout=30,
        )
    )
    await listening(env.alice)  # the phones are up before the call
    caller = await run_sipp(
        "caller.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500, 8000)
    )
    a = await alice
    assert caller.ok, caller.errors or caller.stderr  # still connected at the end: its BYE got 200
    assert a.ok, a.errors or a.stderr  # a=recvonly answered to hold, a=sendrecv to resume, then BYE
    await server.settle()  # the bus has delivered every event to the recorder
    talk = kinds(server.events, TalkEnded)
    assert [(t.agent_id, t.ended_by) for t in talk] == [
        ("alice", "caller")
    ]  # hold longer than silence_timeout


async def test_caller_asks_for_callback_agent_calls_back_through_trunk(env: Env, tmp_path: Path) -> None:
    from alur.core.events import CallbackAttempted, CallbackRequested, PromptPlayed

    server = await env.start()
    server.router.pause("alice")
    server.router.pause("bob")
    # "1" in the menu, "1" again while waiting, once the first announcements offered the callback, and
    # "1" to confirm the caller ID read back as the number to call
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=1, digits="111", digit_at=0.1, gap=8.0)
    caller = await run_sipp(
        "caller_wait_bye.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500)
    )
    assert caller.ok, caller.errors or caller.stderr  # told goodbye, hung up by Alur
    await server.settle()  # the bus has delivered every event to the recorder
    ev = server.events
    assert [(c.queue, c.number) for c in kinds(ev, CallbackRequested)] == [("support", "6281234")]
    offers = [p for p in kinds(ev, PromptPlayed) if p.announcement == "queue.callback_offer"]
    assert offers and offers[0].prompt == "To be called back instead, press one."
    (confirm,) = [p for p in kinds(ev, PromptPlayed) if p.announcement == "callback.confirm_number"]
    assert "six two eight one two three four" in confirm.prompt
    agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=3, ssrc=7)
    alice = asyncio.create_task(
        agent_phone(
            "agent_answer.xml",
            env.alice,
            tmp_path,
            keys={"pcap": str(agent_pcap)},
            timeout=30,
        )
    )
    customer = asyncio.create_task(
        run_sipp(
            "answer_hangup.xml",
            "",
            port=env.trunk,
            media_port=free_port(),
            workdir=tmp_path,
            keys={"pcap": str(agent_pcap)},
            params={"talk_ms": 2000},
            timeout=30,
        )
    )
    await listening(env.alice, env.trunk)  # the phones are up before the call
    server.router.unpause("alice")
    a, c = await alice, await customer
    assert a.ok, a.errors or a.stderr  # the agent was rung first, then got BYE when the customer hung up
    assert c.ok, c.errors or c.stderr
    log = (tmp_path / f"answer_hangup-{env.trunk}-messages.log").read_text()
    assert f"INVITE sip:6281234@127.0.0.1:{env.trunk} SIP/2.0" in log
    attempted = kinds(server.events, CallbackAttempted)
    assert [(x.agent_id, x.reached) for x in attempted] == [("alice", True)]
    assert [(t.agent_id, t.ended_by) for t in kinds(server.events, TalkEnded)] == [("alice", "caller")]


async def test_callback_to_a_keyed_number_rings_the_customer_first_and_retries_a_busy_line(
    env: Env, tmp_path: Path
) -> None:
    from alur.core.events import CallbackAttempted, CallbackRequested

    server = await env.start(queue_extra="callback: {ring_first: customer, attempts: 2, retry_after: 3}\n")
    server.router.pause("alice")
    server.router.pause("bob")
    # menu "1"; "1" for a callback; "2" for another number than the caller ID; the number and "#"
    times = [0.1, 8.1, 10.1] + [12.1 + 0.4 * i for i in range(7)]
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=1, digits="112628555#", at=times)
    caller = await run_sipp(
        "caller_wait_bye.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500)
    )
    assert caller.ok, caller.errors or caller.stderr
    await server.settle()
    assert [(c.queue, c.number) for c in kinds(server.events, CallbackRequested)] == [("support", "628555")]
    busy = asyncio.create_task(  # the first try finds the customer's line busy
        run_sipp(
            "agent_reject.xml",
            "",
            port=env.trunk,
            media_port=free_port(),
            workdir=tmp_path,
            params={"status": 486, "reason": "Busy Here"},
            timeout=20,
        )
    )
    await listening(env.trunk)
    server.router.unpause("alice")  # alice is taken for the callback; her phone stays quiet
    assert (await busy).ok
    agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=3, ssrc=7)
    alice = asyncio.create_task(
        agent_phone("agent_answer.xml", env.alice, tmp_path, keys={"pcap": str(agent_pcap)}, timeout=30)
    )
    customer = asyncio.create_task(
        run_sipp(
            "answer_hangup.xml",
            "",
            port=env.trunk,
            media_port=free_port(),
            workdir=tmp_path,
            keys={"pcap": str(agent_pcap)},
            params={"talk_ms": 2000},
            timeout=30,
        )
    )
    await listening(env.alice, env.trunk)  # before the second try, 3 s after the first
    a, c = await alice, await customer
    assert c.ok, c.errors or c.stderr  # the customer answered the second try, talked, hung up
    assert a.ok, a.errors or a.stderr  # alice's phone rang once the customer was on the line
    log = (tmp_path / f"answer_hangup-{env.trunk}-messages.log").read_text()
    assert f"INVITE sip:628555@127.0.0.1:{env.trunk} SIP/2.0" in log
    await server.settle()
    tries = [(t.attempt, t.reached, t.outcome) for t in kinds(server.events, CallbackAttempted)]
    assert tries == [(1, False, "busy"), (2, True, "answered")]
    assert [(t.agent_id, t.ended_by) for t in kinds(server.events, TalkEnded)] == [
        ("alice", "callback_unreached"),
        ("alice", "caller"),
    ]
    assert server.center.kpis.snapshot().total.callbacks_reached == 1


async def test_callback_asked_outside_callback_hours_is_booked_for_the_opening(
    env: Env, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from alur.core.events import CallbackRequested, PromptPlayed

    opening = datetime.now(UTC) + timedelta(hours=2)  # open an hour a day, starting two hours from now
    if opening.hour == 23:  # or three, so the hour does not cross midnight (calendars refuse that)
        opening += timedelta(hours=1)
    span = f"{opening:%H:%M}-{opening + timedelta(hours=1):%H:%M}"
    server = await env.start(
        queue_extra="callback: {calendar: later}\n",
        calendars={"later": f"name: later\ntimezone: UTC\nhours:\n  mon-sun: ['{span}']\n"},
    )
    server.router.pause("alice")
    server.router.pause("bob")
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=1, digits="111", digit_at=0.1, gap=8.0)
    caller = await run_sipp(
        "caller_wait_bye.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500)
    )
    assert caller.ok, caller.errors or caller.stderr
    await server.settle()
    (told,) = [p for p in kinds(server.events, PromptPlayed) if p.announcement == "callback.closed_window"]
    assert told.prompt == f"We are closed now. We will call you back after we open, at {opening:%H:%M}."
    (asked,) = kinds(server.events, CallbackRequested)
    assert asked.not_before is not None and abs(asked.not_before - opening.timestamp()) < 60
    server.router.unpause("alice")  # free, yet not offered the callback before the opening
    assert server.router.waiting("support") == [] and list(server.router.retrying) == [asked.call_id]


async def test_ring_group_rings_all_and_bridges_the_one_that_answers(env: Env, tmp_path: Path) -> None:
    from alur.core.events import CallTransferred

    server = await env.start()
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=5, digits="4", digit_at=0.1)
    agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=1, ssrc=7)
    alice = asyncio.create_task(
        agent_phone(
            "agent_reject.xml",
            env.alice,
            tmp_path,
            params={"status": 486, "reason": "Busy Here"},
            timeout=20,
        )
    )
    bob = asyncio.create_task(
        agent_phone(
            "agent_answer.xml",
            env.bob,
            tmp_path,
            keys={"pcap": str(agent_pcap)},
            timeout=30,
        )
    )
    await listening(env.alice, env.bob)  # the phones are up before the call
    caller = await run_sipp(
        "caller.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500, 4000)
    )
    a, b = await alice, await bob
    assert caller.ok, caller.errors or caller.stderr
    assert a.ok, a.errors or a.stderr
    assert b.ok, b.errors or b.stderr
    await server.settle()  # the bus has delivered every event to the recorder
    moved = kinds(server.events, CallTransferred)
    assert [(m.destination, m.kind) for m in moved] == [(f"sip:bob@127.0.0.1:{env.bob}", "ring_group")]
    # both phones rang outside the queues: the router knew, and both are free again
    assert sorted((d.agent_id, d.kind) for d in kinds(server.events, DirectCallStarted)) == [
        ("alice", "ring_group"),
        ("bob", "ring_group"),
    ]
    ended = sorted((d.agent_id, d.answered) for d in kinds(server.events, DirectCallEnded))
    assert ended == [("alice", False), ("bob", True)]
    assert server.agent_states() == {"alice": "available", "bob": "available", "carol": "offline"}
    assert server.finished[0].stats["agent_rtp_in"] > 20


async def test_server_stop_hangs_up_caller_and_agent(env: Env, tmp_path: Path) -> None:
    server = await env.start()
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=2, digits="1", digit_at=0.1)
    agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=1, ssrc=7)
    alice = asyncio.create_task(
        agent_phone(
            "agent_answer.xml",
            env.alice,
            tmp_path,
            keys={"pcap": str(agent_pcap)},
            timeout=30,
        )
    )
    await listening(env.alice)  # the phones are up before the call
    caller = asyncio.create_task(
        run_sipp("caller_wait_bye.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500))
    )
    await server.until(lambda: kinds(server.events, Answered))
    await server.stop()  # as on Ctrl-C
    env.server = None
    c, a = await caller, await alice
    assert c.ok, c.errors or c.stderr  # the caller got BYE
    assert a.ok, a.errors or a.stderr  # and so did the agent


async def test_queue_ring_all_bridges_the_first_to_answer_and_cancels_the_other(
    env: Env, tmp_path: Path
) -> None:
    from alur.core.events import GroupOffered, OffersWithdrawn

    server = await env.start(strategy="ring_all", ring_timeout=8)
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=6, digits="1", digit_at=0.1)
    agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=2, ssrc=7)
    alice = asyncio.create_task(
        agent_phone(
            "agent_answer.xml",
            env.alice,
            tmp_path,
            keys={"pcap": str(agent_pcap)},
            timeout=30,
        )
    )
    bob = asyncio.create_task(agent_phone("agent_noanswer.xml", env.bob, tmp_path, timeout=30))
    await listening(env.alice, env.bob)  # the phones are up before the call
    caller = await run_sipp(
        "caller.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500, 5000)
    )
    a, b = await alice, await bob
    assert caller.ok, caller.errors or caller.stderr
    assert a.ok, a.errors or a.stderr  # answered, talked, got the caller's BYE
    assert b.ok, b.errors or b.stderr  # rang, got CANCEL; our ACK for its 487 arrived
    await server.settle()  # the bus has delivered every event to the recorder
    ev = server.events
    (group,) = kinds(ev, GroupOffered)  # one decision rings both phones together
    assert sorted(group.agent_ids) == ["alice", "bob"]
    assert ev.index(group) < ev.index(kinds(ev, Answered)[0])
    assert [x.agent_id for x in kinds(ev, Answered)] == ["alice"]
    withdrawn = [(d.agent_id, d.reason) for w in kinds(ev, OffersWithdrawn) for d in w.declines()]
    assert withdrawn == [("bob", "lost_race")] and not kinds(ev, OfferDeclined)
    assert [(t.agent_id, t.ended_by) for t in kinds(ev, TalkEnded)] == [("alice", "caller")]
    stats = server.finished[0].stats
    assert stats["agent_rtp_in"] > 50 and stats["agent_rtp_out"] > 50  # both ways on the winning leg
    log = (tmp_path / f"agent_noanswer-{env.bob}-messages.log").read_text()
    assert log.count("CANCEL sip:") == 1 and "ACK sip:" in log
    branches = re.findall(r"^(INVITE|CANCEL|ACK) sip:.*?^Via: [^\r\n]*branch=([^;\r\n]+)", log, re.M | re.S)
    # CANCEL and the ACK of the 487 belong to the INVITE's transaction
    assert [m for m, _ in branches] == ["INVITE", "CANCEL", "ACK"] and len({b for _, b in branches}) == 1
    await server.until(lambda: server.agent_states()["bob"] == "available")


async def test_queue_ring_all_second_answer_crossing_our_cancel_is_acked_and_hung_up(
    env: Env, tmp_path: Path
) -> None:
    server = await env.start(strategy="ring_all", ring_timeout=8)
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=5, digits="1", digit_at=0.1)
    agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=2, ssrc=7)
    alice = asyncio.create_task(
        agent_phone(
            "agent_answer.xml",
            env.alice,
            tmp_path,
            keys={"pcap": str(agent_pcap)},
            timeout=30,
        )
    )
    bob = asyncio.create_task(
        agent_phone(
            "agent_answer_crossing.xml",
            env.bob,
            tmp_path,
            timeout=30,
        )
    )
    await listening(env.alice, env.bob)  # the phones are up before the call
    caller = await run_sipp(
        "caller.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500, 4000)
    )
    a, b = await alice, await bob
    assert caller.ok, caller.errors or caller.stderr
    assert a.ok, a.errors or a.stderr
    assert b.ok, b.errors or b.stderr  # its late 200 got ACK, then BYE: the phone is not left off-hook
    await server.settle()  # the bus has delivered every event to the recorder
    ev = server.events
    from alur.core.events import OffersWithdrawn

    assert [x.agent_id for x in kinds(ev, Answered)] == ["alice"]
    withdrawn = [(d.agent_id, d.reason) for w in kinds(ev, OffersWithdrawn) for d in w.declines()]
    assert withdrawn == [("bob", "lost_race")] and not kinds(ev, OfferDeclined)
    assert [t.agent_id for t in kinds(ev, TalkEnded)] == ["alice"]
    assert server.finished[0].stats["agent_rtp_in"] > 50
    await server.until(lambda: server.agent_states()["bob"] == "available")


async def test_caller_who_chose_indonesian_hears_queue_news_in_indonesian(env: Env, tmp_path: Path) -> None:
    from alur.core.events import PromptPlayed

    server = await env.start()
    server.router.pause("alice")
    server.router.pause("bob")
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=1, digits="6", digit_at=0.1)
    caller = await run_sipp(
        "caller.xml", f"127.0.0.1:{env.sip_port}", **caller_args(env, tmp_path, pcap, 1500, talk_ms=12000)
    )
    assert caller.ok, caller.errors or caller.stderr
    await server.settle()  # the bus has delivered every event to the recorder
    news = [
        (p.announcement, p.language, p.prompt) for p in kinds(server.events, PromptPlayed) if p.announcement
    ]
    by_id = {announcement: (language, text) for announcement, language, text in news}
    assert by_id["queue.position"] == ("id", "Anda berada di urutan pertama.")
    assert by_id["queue.callback_offer"] == ("id", "Untuk ditelepon kembali, tekan satu.")
    if "queue.wait" in by_id:  # only once the queue has an estimate
        assert by_id["queue.wait"][0] == "id" and by_id["queue.wait"][1].endswith(" menit.")
