"""Real calls with sipp as the caller and as the agents' phones."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import Env
from sipp import audio_and_dtmf_pcap, free_port, run_sipp

from alur.core.events import (
    Abandoned, AgentStateChanged, Answered, CallArrived, CallEnded, CallQueued, MenuOptionChosen,
    OfferDeclined, TalkEnded, VoicemailRecorded,
)  # fmt: skip


def kinds(events: list[object], cls: type) -> list:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, cls)]


async def test_happy_path_menu_queue_agent_answers_caller_hangs_up(env: Env, tmp_path: Path) -> None:
    server = await env.start()
    caller_pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=6, digits="1", digit_at=0.1)
    agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=2, ssrc=0x9999)
    agent = asyncio.create_task(run_sipp("agent_answer.xml", "", port=env.alice, media_port=free_port(),
                                         workdir=tmp_path, keys={"pcap": str(agent_pcap)}, timeout=30))
    await asyncio.sleep(0.3)
    caller = await run_sipp("caller.xml", f"127.0.0.1:{env.sip_port}", port=free_port(), media_port=free_port(),
                            workdir=tmp_path, keys={"pcap": str(caller_pcap)},
                            params={"wait_ms": 1500, "talk_ms": 5000}, timeout=30)
    agent_result = await agent
    assert caller.ok, caller.errors or caller.stderr
    assert agent_result.ok, agent_result.errors or agent_result.stderr  # includes: agent got BYE
    await asyncio.sleep(0.3)
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
