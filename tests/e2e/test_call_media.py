"""Media with real peers: sipp plays known signals (pcap), a kernel-timestamped capture on the loopback
sees what Alur sends; bridged and transcoded relay, whisper/barge, recording, and an INVITE flood."""

from __future__ import annotations

import asyncio
import struct
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiortp.codecs.g711 import PcmaCodec, PcmuCodec
from e2e_env import Env, Running
from rtpcapture import Capture, can_capture, gaps_ms, longest_run, tone_power
from sipp import DTMF_EVENTS, _rtp, free_port, listening, run_sipp, tone_pcm, write_pcap

from alur.core.events import (
    CallQueued,
    RecordingPaused,
    RecordingSaved,
    SupervisionEnded,
    SupervisionStarted,
)
from alur.service import commands as cmd

pytestmark = pytest.mark.skipif(not can_capture(), reason="capturing RTP needs CAP_NET_RAW")

CODEC = {"PCMU": PcmuCodec(), "PCMA": PcmaCodec()}
PT = {"PCMU": 0, "PCMA": 8}


def noise_frames(seed: int, n: int, codec: str = "PCMU", samples: int = 160) -> list[bytes]:
    """Frames of random audio: every frame differs, so where each one went can be traced."""
    rng = np.random.default_rng(seed)
    pcm = (rng.standard_normal(n * samples) * 3000).clip(-32000, 32000).astype("<i2").tobytes()
    encoded = CODEC[codec].encode(pcm)
    return [encoded[i : i + samples] for i in range(0, len(encoded), samples)]


def tone_frames(freq: float, seconds: float, codec: str = "PCMU") -> list[bytes]:
    encoded = CODEC[codec].encode(tone_pcm(freq, int(seconds * 8000), amplitude=5000))
    return [encoded[i : i + 160] for i in range(0, len(encoded), 160)]


def pcap(
    path: Path, frames: list[bytes], *, codec: str = "PCMU", digit: str = "", ssrc: int = 0x1234
) -> Path:
    """RTP of `frames` (their length sets the packet time: 160 bytes = 20 ms, 240 = 30 ms), with an
    RFC 4733 `digit` at 0.1 s."""
    packets: list[tuple[float, bytes]] = []
    seq = 1
    ts = 0
    for i, frame in enumerate(frames):
        packets.append((ts / 8000, _rtp(PT[codec], seq, ts, frame, marker=int(i == 0), ssrc=ssrc)))
        seq += 1
        ts += len(frame)
    if digit:
        for k in range(5):
            end = k >= 3
            payload = struct.pack("!BBH", DTMF_EVENTS[digit], (0x80 if end else 0) | 10, 160 * (k + 1))
            packets.append((0.1 + k * 0.02, _rtp(101, seq, 800, payload, marker=int(k == 0), ssrc=ssrc)))
            seq += 1
    packets.sort(key=lambda p: p[0])
    return write_pcap(path, packets)


async def until(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Wait for a condition (polling), failing with a clear message on timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := check()):
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
    return value


def caller(env: Env, tmp_path: Path, pcap_file: Path, media_port: int, talk_ms: int, **kw: Any) -> Any:
    return run_sipp(
        "caller.xml",
        f"127.0.0.1:{env.sip_port}",
        port=free_port(),
        media_port=media_port,
        workdir=tmp_path,
        keys={"pcap": str(pcap_file)},
        params={"wait_ms": 300, "talk_ms": talk_ms},
        timeout=40,
        **kw,
    )


def agent(env: Env, tmp_path: Path, pcap_file: Path, media_port: int, codec: str = "PCMU") -> Any:
    return run_sipp(
        "agent_answer_codec.xml",
        "",
        port=env.alice,
        media_port=media_port,
        workdir=tmp_path,
        keys={"pcap": str(pcap_file)},
        params={"pt": PT[codec], "codec": codec},
        timeout=40,
    )


def check_run(packets: list[Any], sent: list[bytes], at_least: int) -> list[Any]:
    """The sent frames arrive in order, unaltered, up to the last one; returns the packets of that run."""
    run, start = longest_run([p.payload for p in packets], sent)
    assert run >= at_least, f"only {run} consecutive frames of {len(sent)} arrived unaltered"
    got = packets[start : start + run]
    assert got[-1].payload == sent[-1]  # the stream ran to its end
    return got


def check_restamped(got: list[Any], samples: int) -> None:
    """One SSRC (ours, not the sender's), sequence +1 and timestamp + frame length on every packet."""
    assert len({p.ssrc for p in got}) == 1 and got[0].ssrc != 0x1234
    assert all((b.seq - a.seq) & 0xFFFF == 1 for a, b in zip(got, got[1:], strict=False))
    assert all((b.ts - a.ts) & 0xFFFFFFFF == samples for a, b in zip(got, got[1:], strict=False))


async def test_bridged_audio_arrives_unaltered_at_each_end(env: Env, tmp_path: Path) -> None:
    await env.start()
    caller_frames, agent_frames = noise_frames(1, 450), noise_frames(2, 200)
    caller_media, agent_media = free_port(), free_port()
    cap = Capture({caller_media, agent_media})
    try:
        phone = asyncio.create_task(
            agent(env, tmp_path, pcap(tmp_path / "a.pcap", agent_frames), agent_media)
        )
        await listening(env.alice)  # the phones are up before the call
        c = await caller(
            env, tmp_path, pcap(tmp_path / "c.pcap", caller_frames, digit="1"), caller_media, 9500
        )
        a = await phone
    finally:
        cap.stop()
    assert c.ok, c.errors or c.stderr
    assert a.ok, a.errors or a.stderr
    to_agent = check_run(cap.to(agent_media, 0), caller_frames, at_least=200)  # >= 4 s of the caller
    to_caller = check_run(cap.to(caller_media, 0), agent_frames, at_least=150)  # the agent, bar set-up
    check_restamped(to_agent, 160)
    check_restamped(to_caller, 160)


async def test_transcoded_call_decodes_to_the_same_signal_with_30ms_frames(env: Env, tmp_path: Path) -> None:
    """Caller PCMU 20 ms, agent PCMA 30 ms (as sipp's g711a.pcap): each hears the other's signal."""
    await env.start()
    caller_frames = noise_frames(3, 450)
    agent_frames = noise_frames(4, 130, "PCMA", samples=240)
    caller_media, agent_media = free_port(), free_port()
    cap = Capture({caller_media, agent_media})
    try:
        agent_pcap = pcap(tmp_path / "a.pcap", agent_frames, codec="PCMA")
        phone = asyncio.create_task(agent(env, tmp_path, agent_pcap, agent_media, codec="PCMA"))
        await listening(env.alice)  # the phones are up before the call
        c = await caller(
            env, tmp_path, pcap(tmp_path / "c.pcap", caller_frames, digit="1"), caller_media, 9500
        )
        a = await phone
    finally:
        cap.stop()
    assert c.ok, c.errors or c.stderr
    assert a.ok, a.errors or a.stderr
    u, al = CODEC["PCMU"], CODEC["PCMA"]
    as_pcma = [al.encode(u.decode(f)) for f in caller_frames]
    as_pcmu = [u.encode(al.decode(f)) for f in agent_frames]
    to_agent = check_run(cap.to(agent_media, 8), as_pcma, at_least=200)
    to_caller = check_run(cap.to(caller_media, 0), as_pcmu, at_least=100)
    check_restamped(to_agent, 160)
    check_restamped(to_caller, 240)  # 30 ms frames keep 30 ms timestamps
    for got, expected, sent, codec, sent_codec in (
        (to_caller, as_pcmu, agent_frames, u, al),
        (to_agent, as_pcma, caller_frames, al, u),
    ):
        first = expected.index(got[0].payload)
        heard = np.frombuffer(b"".join(codec.decode(p.payload) for p in got), "<i2").astype(float)
        said = b"".join(sent_codec.decode(f) for f in sent[first : first + len(got)])
        assert np.corrcoef(heard, np.frombuffer(said, "<i2").astype(float))[0, 1] > 0.99


def decoded(packets: list[Any], since: float, until_t: float) -> np.ndarray:
    pcm = b"".join(CODEC["PCMU"].decode(p.payload) for p in packets if since <= p.at <= until_t)
    return np.frombuffer(pcm, "<i2")


@pytest.mark.parametrize("mode", ["whisper", "barge"])
async def test_whisper_reaches_only_the_agent_and_barge_reaches_both(
    env: Env, tmp_path: Path, mode: str
) -> None:
    server = await env.start()
    reg = await run_sipp(
        "register.xml",
        f"127.0.0.1:{env.sip_port}",
        port=free_port(),
        media_port=free_port(),
        workdir=tmp_path,
        service="3001",
        params={"contact_port": free_port(), "user": "3001", "password": "secret3001"},
        timeout=10,
    )
    assert reg.ok, reg.errors or reg.stderr
    caller_media, agent_media, sup_media = free_port(), free_port(), free_port()
    cap = Capture({caller_media, agent_media, sup_media})
    try:
        phone = asyncio.create_task(
            agent(env, tmp_path, pcap(tmp_path / "a.pcap", tone_frames(1100, 14)), agent_media)
        )
        await listening(env.alice)  # the phones are up before the call
        c_pcap = pcap(tmp_path / "c.pcap", tone_frames(500, 14), digit="1")
        call = asyncio.create_task(caller(env, tmp_path, c_pcap, caller_media, 14000))
        await until(lambda: "alice" in server.connector.talks)
        code = {"whisper": "*52", "barge": "*53"}[mode]
        sup = await run_sipp(
            "supervisor.xml",
            f"127.0.0.1:{env.sip_port}",
            port=free_port(),
            media_port=sup_media,
            workdir=tmp_path,
            service=f"{code}1001",
            keys={"pcap": str(pcap(tmp_path / "s.pcap", tone_frames(1700, 4)))},
            params={"wait_ms": 0, "talk_ms": 4500, "user": "3001"},
            timeout=20,
        )
        c, a = await call, await phone
    finally:
        cap.stop()
    assert sup.ok, sup.errors or sup.stderr
    assert c.ok, c.errors or c.stderr
    assert a.ok, a.errors or a.stderr
    started = [e for e in server.events if isinstance(e, SupervisionStarted)]
    ended = [e for e in server.events if isinstance(e, SupervisionEnded)]
    assert [(e.supervisor, e.agent_id, e.mode) for e in started] == [("3001", "alice", mode)]
    assert [(e.supervisor, e.agent_id, e.mode) for e in ended] == [("3001", "alice", mode)]
    since, upto = started[0].at + 0.5, started[0].at + 3.5  # while the supervisor speaks
    at_agent = decoded(cap.to(agent_media, 0), since, upto)
    at_caller = decoded(cap.to(caller_media, 0), since, upto)
    at_sup = decoded(cap.to(sup_media, 0), since, upto)
    assert len(at_agent) > 16000 and len(at_caller) > 16000 and len(at_sup) > 16000
    assert tone_power(at_sup, 500) > 0.2 and tone_power(at_sup, 1100) > 0.2  # the supervisor hears both
    assert tone_power(at_agent, 1700) > 0.2 and tone_power(at_agent, 500) > 0.2
    if mode == "whisper":
        assert tone_power(at_caller, 1700) < 0.01  # the caller never hears a whisper
    else:
        assert tone_power(at_caller, 1700) > 0.2
    assert tone_power(at_caller, 1100) > 0.2
    after = decoded(cap.to(caller_media, 0), ended[0].at + 0.3, ended[0].at + 1.5)
    assert tone_power(after, 1700) < 0.01 and tone_power(after, 1100) > 0.5  # back to the agent alone


async def test_a_supervisor_rung_by_command_listens_then_barges_then_leaves(env: Env, tmp_path: Path) -> None:
    """The API's way in: Alur rings the supervisor's phone; monitor, then barge on the same leg."""
    server = await env.start()
    caller_media, agent_media, sup_media, sup_port = free_port(), free_port(), free_port(), free_port()
    cap = Capture({caller_media, agent_media, sup_media})
    now = server.center.clock.now  # the events' time, which the capture's times are on too
    try:
        phone = asyncio.create_task(
            agent(env, tmp_path, pcap(tmp_path / "a.pcap", tone_frames(1100, 16)), agent_media)
        )
        supervisor_phone = asyncio.create_task(
            run_sipp(
                "agent_answer_codec.xml", "", port=sup_port, media_port=sup_media, workdir=tmp_path,
                keys={"pcap": str(pcap(tmp_path / "s.pcap", tone_frames(1700, 12)))},
                params={"pt": 0, "codec": "PCMU"}, timeout=40,
            )
        )  # fmt: skip
        await listening(env.alice, sup_port)  # the phones are up before the call
        c_pcap = pcap(tmp_path / "c.pcap", tone_frames(500, 16), digit="1")
        call = asyncio.create_task(caller(env, tmp_path, c_pcap, caller_media, 16000))
        await until(lambda: "alice" in server.connector.talks)
        sup_uri = f"sip:lead@127.0.0.1:{sup_port}"
        server.center.execute(cmd.Supervise("alice", "monitor", sup_uri, "lead"))
        first = await until(lambda: [e for e in server.events if isinstance(e, SupervisionStarted)])
        await until(lambda: now() > first[0].at + 3.0)  # listen for a while
        server.center.execute(cmd.Supervise("alice", "barge", sup_uri, "lead"))
        second = await until(lambda: [e for e in server.events if isinstance(e, SupervisionStarted)][1:])
        await until(lambda: now() > second[0].at + 3.0)
        server.center.execute(cmd.EndSupervision("alice"))
        sup = await supervisor_phone  # hung up by Alur: its scenario ends at the BYE
        c, a = await call, await phone
    finally:
        cap.stop()
    assert sup.ok and c.ok and a.ok, (sup.errors, c.errors, a.errors)
    started = [(e.mode, e.supervisor) for e in server.events if isinstance(e, SupervisionStarted)]
    ended = [e for e in server.events if isinstance(e, SupervisionEnded)]
    assert started == [("monitor", "lead"), ("barge", "lead")]
    assert [e.mode for e in ended] == ["monitor", "barge"]
    monitor = (first[0].at + 0.5, ended[0].at - 0.2)
    barge = (second[0].at + 0.5, ended[1].at - 0.2)
    at_sup = decoded(cap.to(sup_media, 0), *monitor)
    assert tone_power(at_sup, 500) > 0.2 and tone_power(at_sup, 1100) > 0.2  # hears both sides
    for media in (caller_media, agent_media):  # nobody hears a listening supervisor
        assert tone_power(decoded(cap.to(media, 0), *monitor), 1700) < 0.01
    for media in (caller_media, agent_media):  # barging: both do
        assert tone_power(decoded(cap.to(media, 0), *barge), 1700) > 0.2
    after = decoded(cap.to(caller_media, 0), ended[1].at + 0.3, ended[1].at + 1.5)
    assert tone_power(after, 1700) < 0.01 and tone_power(after, 1100) > 0.5  # back to the agent alone


async def test_a_paused_recording_leaves_out_what_was_said_meanwhile(env: Env, tmp_path: Path) -> None:
    server = await env.start(queue_extra="recording:\n  mode: stereo\n")
    caller_media, agent_media = free_port(), free_port()
    phone = asyncio.create_task(
        agent(env, tmp_path, pcap(tmp_path / "a.pcap", tone_frames(1100, 8)), agent_media)
    )
    await listening(env.alice)  # the phones are up before the call
    c_pcap = pcap(tmp_path / "c.pcap", tone_frames(500, 8), digit="1")
    call = asyncio.create_task(caller(env, tmp_path, c_pcap, caller_media, 8000))
    await until(lambda: "alice" in server.connector.talks)
    call_id = server.router.agents["alice"].call_id
    now = server.center.clock.now
    mark = now()
    await until(lambda: now() > mark + 1.0)
    server.center.execute(cmd.PauseRecording(call_id, True, by="alice"))
    await until(lambda: now() > mark + 3.0)
    server.center.execute(cmd.PauseRecording(call_id, False, by="alice"))
    c, a = await call, await phone
    assert c.ok and a.ok, (c.errors, a.errors)
    rec = (await until(lambda: [e for e in server.events if isinstance(e, RecordingSaved)]))[0]
    paused = [(e.paused, e.by) for e in server.events if isinstance(e, RecordingPaused)]
    assert paused == [(True, "alice"), (False, "alice")]
    assert 1.7 < rec.paused_seconds < 2.3  # the two seconds between pause and resume
    with wave.open(rec.path) as w:
        assert abs(w.getnframes() / 8000 - rec.seconds) < 0.1 and rec.seconds > 3


async def recorded_call(env: Env, tmp_path: Path, **settings: str) -> tuple[Running, RecordingSaved]:
    """One call answered by alice, the caller at 500 Hz and the agent at 1100 Hz, and its recording."""
    server = await env.start(**settings)
    caller_media, agent_media = free_port(), free_port()
    phone = asyncio.create_task(
        agent(env, tmp_path, pcap(tmp_path / "a.pcap", tone_frames(1100, 6)), agent_media)
    )
    await listening(env.alice)  # the phones are up before the call
    c = await caller(
        env, tmp_path, pcap(tmp_path / "c.pcap", tone_frames(500, 8), digit="1"), caller_media, 8000
    )
    a = await phone
    assert c.ok, c.errors or c.stderr
    assert a.ok, a.errors or a.stderr
    saved = await until(lambda: [e for e in server.events if isinstance(e, RecordingSaved)])
    return server, saved[0]


async def test_recording_holds_caller_left_and_agent_right(env: Env, tmp_path: Path) -> None:
    server, rec = await recorded_call(
        env, tmp_path, queue_extra="recording:\n  mode: stereo\n  retention_days: 30\n"
    )
    assert (rec.mode, rec.queue, rec.agent_id) == ("stereo", "support", "alice")
    assert rec.call_id == server.finished[0].call_id and rec.seconds > 3
    with wave.open(rec.path) as w:
        assert (w.getnchannels(), w.getframerate()) == (2, 8000)
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, 2)
    middle = pcm[len(pcm) // 4 : len(pcm) // 2]  # both are talking here
    left, right = middle[:, 0], middle[:, 1]
    assert tone_power(left, 500) > 0.25 and tone_power(left, 1100) < 0.02
    assert tone_power(right, 1100) > 0.25 and tone_power(right, 500) < 0.02


async def test_a_flows_queue_node_records_calls_its_queue_does_not(env: Env, tmp_path: Path) -> None:
    """The queue records nothing; the flow's queue node asks for a mixed recording of its calls."""
    _, rec = await recorded_call(env, tmp_path, queue_node_extra="    recording: mixed\n")
    assert (rec.mode, rec.queue, rec.agent_id) == ("mixed", "support", "alice")
    with wave.open(rec.path) as w:
        assert w.getnchannels() == 1
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    middle = pcm[len(pcm) // 4 : len(pcm) // 2]  # both are talking here: both in the one channel
    assert tone_power(middle, 500) > 0.15 and tone_power(middle, 1100) > 0.15


async def test_invite_flood_gets_503_while_a_call_keeps_its_packet_timing(env: Env, tmp_path: Path) -> None:
    """A caller waits in the queue hearing music; meanwhile an INVITE flood arrives. New calls past the
    limit are refused at once (503 + Retry-After) and the waiting caller's packets keep their pace."""
    server = await env.start(backlog_kb=32, lag_ms=20, cpu=90, max_wait=60, ring_timeout=30)
    caller_media = free_port()
    c_pcap = pcap(tmp_path / "c.pcap", tone_frames(500, 12), digit="1")
    call = asyncio.create_task(caller(env, tmp_path, c_pcap, caller_media, 12000))
    await until(lambda: any(isinstance(e, CallQueued) for e in server.events))
    cap = Capture({caller_media})
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    try:
        flood = await run_sipp(
            "flood.xml",
            f"127.0.0.1:{env.sip_port}",
            port=free_port(),
            media_port=free_port(),
            workdir=tmp_path,
            service="100",
            calls=3000,
            rate=1000,
            timeout=30,
        )
        flood_seconds = loop.time() - t0
    finally:
        cap.stop()
    c = await call
    assert c.ok, c.errors or c.stderr  # the call in progress was not lost
    assert server.stack.stats.rejected_overload > 0, flood.stdout[-2000:]
    refused = server.overload.figures()["invites_refused"]
    assert refused > 0
    packets = cap.to(caller_media, 0)
    # the music kept flowing through the flood: it spans it (the pace and the stalls are checked below;
    # counting packets too would charge the one stall allowed below a second time)
    assert packets and packets[-1].at - packets[0].at >= 0.8 * flood_seconds, (len(packets), flood_seconds)
    gaps = gaps_ms(packets)
    assert 15 <= float(np.median(gaps)) <= 25, np.percentile(gaps, [50, 99, 100])
    late = gaps[gaps > 40]
    assert len(late) <= max(2, 0.03 * len(gaps)), late  # a rare stall, not a degraded call
    # one stall of the whole machine (another process, a collection) may cost one long gap; a
    # second one, or a frozen call, would mean the flood got through to the call in progress
    assert float(np.sort(gaps)[-2]) < 300 and float(gaps.max()) < 1000, late


async def test_echo_extension_sends_the_callers_audio_and_keys_back(env: Env, tmp_path: Path) -> None:
    """`*43`: what the phone sends comes back unaltered on Alur's own timeline, the RFC 4733 key too."""
    await env.start()
    frames = noise_frames(5, 150)
    media = free_port()
    cap = Capture({media})
    try:
        c = await run_sipp(
            "caller.xml",
            f"127.0.0.1:{env.sip_port}",
            port=free_port(),
            media_port=media,
            workdir=tmp_path,
            service="*43",
            keys={"pcap": str(pcap(tmp_path / "c.pcap", frames, digit="5"))},
            params={"wait_ms": 300, "talk_ms": 3500},
            timeout=20,
        )
    finally:
        cap.stop()
    assert c.ok, c.errors or c.stderr
    back = check_run(cap.to(media, 0), frames, at_least=120)
    check_restamped(back, 160)
    keys = [p for p in cap.to(media, 101) if p.payload[0] == DTMF_EVENTS["5"]]
    assert keys and {p.ssrc for p in keys} == {back[0].ssrc}


async def test_echo_extension_can_be_turned_off(env: Env, tmp_path: Path) -> None:
    await env.start(features="echo: ''")
    c = await run_sipp(
        "caller_refused.xml",
        f"127.0.0.1:{env.sip_port}",
        port=free_port(),
        media_port=free_port(),
        workdir=tmp_path,
        service="*43",
        params={"status": 404},  # no flow has that number, and nothing else answers it now
        timeout=20,
    )
    assert c.ok, c.errors or c.stderr
