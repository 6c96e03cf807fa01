"""Prompts (espeak-ng and sox for real, cached) and RTP streams on real localhost sockets."""

from __future__ import annotations

import asyncio
import shutil
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from alur.core.channel import Prompt
from alur.media.prompts import PromptError, PromptLibrary, default_music_on_hold, tone
from alur.media.rtp import RtpStream, bridge

needs_tools = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None, reason="needs espeak-ng and sox"
)


@needs_tools
async def test_speech_is_synthesised_once_and_cut_in_20ms_frames(tmp_path: Path) -> None:
    lib = PromptLibrary(tmp_path / "prompts", tmp_path / "cache")
    frames = await lib.frames(Prompt(text="Welcome to Acme."), "PCMU")
    assert len(frames) > 25 and all(len(f) == 160 for f in frames)  # > 0.5 s of speech
    cached = list((tmp_path / "cache" / "tts").glob("*.raw"))
    assert len(cached) == 1
    again = PromptLibrary(tmp_path / "prompts", tmp_path / "cache")  # a restarted server
    assert await again.frames(Prompt(text="Welcome to Acme."), "PCMU") == frames
    assert len(await lib.frames(Prompt(text="Welcome to Acme."), "PCMA")) == len(frames)


@needs_tools
async def test_wav_file_is_converted_to_8khz_and_missing_file_is_named(tmp_path: Path) -> None:
    sounds = tmp_path / "prompts"
    sounds.mkdir()
    with wave.open(str(sounds / "hello.wav"), "wb") as w:  # 16 kHz stereo, as recorded in a studio
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(16000)
        mono = tone((440.0,), 1.0)
        w.writeframes(b"".join(mono[i : i + 2] * 2 for i in range(0, len(mono), 2)) * 2)
    lib = PromptLibrary(sounds, tmp_path / "cache")
    frames = await lib.frames(Prompt(file="hello.wav"), "PCMA")
    assert 45 <= len(frames) <= 55  # ~1 s at 8 kHz mono, whatever the source format
    with pytest.raises(PromptError, match="missing.wav"):
        await lib.frames(Prompt(file="missing.wav"), "PCMA")


def rtp(pt: int, seq: int, ts: int, payload: bytes) -> bytes:
    return struct.pack("!BBHII", 0x80, pt, seq, ts, 0x42) + payload


async def listening() -> tuple[asyncio.DatagramTransport, asyncio.Queue[bytes]]:
    """A UDP socket on localhost, as a phone's: its transport and the datagrams it receives."""
    got: asyncio.Queue[bytes] = asyncio.Queue()

    class Sink(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            got.put_nowait(data)

    sink, _ = await asyncio.get_running_loop().create_datagram_endpoint(Sink, local_addr=("127.0.0.1", 0))
    return sink, got


async def bridged(
    phone_side: tuple[str, int, int | None], sink_side: tuple[str, int, int | None]
) -> tuple[RtpStream, RtpStream, asyncio.DatagramTransport, asyncio.DatagramTransport, asyncio.Queue[bytes]]:
    """Two bridged streams: `a` talks with a phone socket (codec, payload type, DTMF type), `b` with a
    listening one; what reaches the listener is queued."""
    a, b = RtpStream("127.0.0.1"), RtpStream("127.0.0.1")
    await a.open()
    await b.open()
    sink, got = await listening()
    phone, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    a.configure(phone.get_extra_info("sockname"), *phone_side)
    b.configure(sink.get_extra_info("sockname"), *sink_side)
    bridge(a, b)
    return a, b, phone, sink, got


async def test_rfc4733_digit_counted_once_and_passed_through_with_audio_restamped() -> None:
    a, b, phone, sink, got = await bridged(("PCMU", 0, 96), ("PCMU", 0, 101))
    digits: list[str] = []
    a.on_dtmf = digits.append
    dest = ("127.0.0.1", a.local_port)
    for k in range(6):  # digit 5: three updates, then the end flag sent three times (RFC 4733 2.5.1.4)
        flags = 0x80 if k >= 3 else 0
        phone.sendto(rtp(96, k, 8000, struct.pack("!BBH", 5, flags | 10, 160 * (k + 1))), dest)
    phone.sendto(rtp(0, 10, 9000, b"\xaa" * 160), dest)
    relayed = [await asyncio.wait_for(got.get(), 2) for _ in range(7)]
    assert digits == ["5"]
    events, audio = relayed[:6], relayed[6]
    assert all(p[1] & 0x7F == 101 for p in events)  # the event, in the far leg's payload type
    assert len({p[4:8] for p in events}) == 1  # one event keeps one timestamp
    assert [p[12:] for p in events] == [
        struct.pack("!BBH", 5, (0x80 if k >= 3 else 0) | 10, 160 * (k + 1)) for k in range(6)
    ]
    assert audio[12:] == b"\xaa" * 160 and audio[8:12] == struct.pack("!I", b.ssrc)  # b's own SSRC
    event_ts = struct.unpack("!I", events[0][4:8])[0]
    assert struct.unpack("!I", audio[4:8])[0] == (event_ts + 1000) & 0xFFFFFFFF  # 9000 - 8000 apart
    for t in (sink, phone):
        t.close()
    a.close()
    b.close()


async def test_a_stream_drops_what_it_sends_while_its_transport_holds_a_backlog() -> None:
    """A full kernel buffer makes the transport queue sends and call pause_writing: audio queued then
    would play late, so the stream drops it until resume_writing, and sends on its own timeline."""
    stream = RtpStream("127.0.0.1")
    await stream.open()
    sink, got = await listening()
    stream.configure(sink.get_extra_info("sockname"), "PCMU", 0, 101)
    receiver = stream.transport.get_protocol()  # type: ignore[union-attr]
    receiver.pause_writing()  # what the transport calls past its high-water mark
    for k in range(3):
        stream.send_frame(bytes([k]) * 160)
    receiver.resume_writing()
    stream.send_frame(b"\x7f" * 160)
    first = await asyncio.wait_for(got.get(), 2)  # loopback keeps order: anything queued would be first
    assert first[12:] == b"\x7f" * 160 and got.empty()
    assert stream.packets_out == 1
    seq = struct.unpack("!H", first[2:4])[0]
    stream.send_frame(b"\x7e" * 160)
    assert struct.unpack("!H", (await asyncio.wait_for(got.get(), 2))[2:4])[0] == (seq + 1) & 0xFFFF
    sink.close()
    stream.close()


async def test_relay_keeps_30ms_timestamps_and_transcodes() -> None:
    """sipp's g711a.pcap sends 30 ms frames: the relayed stream must advance 240 samples a packet."""
    from alur.media.prompts import CODECS

    a, b, phone, sink, got = await bridged(("PCMA", 8, None), ("PCMU", 0, None))
    pcm = tone((440.0,), 0.03)
    frame = CODECS["PCMA"].encode(pcm)
    for k in range(5):
        phone.sendto(
            struct.pack("!BBHII", 0x80, 8, 100 + k, 5000 + 240 * k, 0x42) + frame, ("127.0.0.1", a.local_port)
        )
    out = [await asyncio.wait_for(got.get(), 2) for _ in range(5)]
    stamps = [struct.unpack("!I", p[4:8])[0] for p in out]
    seqs = [struct.unpack("!H", p[2:4])[0] for p in out]
    assert [(s - stamps[0]) & 0xFFFFFFFF for s in stamps] == [0, 240, 480, 720, 960]
    assert [(s - seqs[0]) & 0xFFFF for s in seqs] == [0, 1, 2, 3, 4]
    assert all(p[1] & 0x7F == 0 and len(p) == 12 + 240 for p in out)
    sent = np.frombuffer(CODECS["PCMA"].decode(frame), "<i2").astype(float)
    heard = np.frombuffer(CODECS["PCMU"].decode(out[0][12:]), "<i2").astype(float)
    assert np.corrcoef(sent, heard)[0, 1] > 0.999  # the same signal, up to G.711 quantisation
    for t in (sink, phone):
        t.close()
    a.close()
    b.close()


async def test_one_clock_paces_many_streams_and_playout_resumes_where_it_paused() -> None:
    from alur.media.clock import MediaClock
    from alur.media.rtp import Playout

    clock = MediaClock()
    loop = asyncio.get_running_loop()
    got: dict[int, list[tuple[float, bytes]]] = {}

    class Sink(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            got.setdefault(addr[1], []).append((loop.time(), data))

    sink, _ = await loop.create_datagram_endpoint(Sink, local_addr=("127.0.0.1", 0))
    streams = [RtpStream("127.0.0.1", clock=clock) for _ in range(20)]
    for s in streams:
        await s.open()
        s.configure(sink.get_extra_info("sockname"), "PCMU", 0, None)
    frames = [bytes([i]) * 160 for i in range(10)]
    await asyncio.gather(*(s.play(frames) for s in streams))
    assert clock.stats.streams == 0 and clock._timer is None  # idle: no timer left running
    assert sorted(got) == sorted(s.local_port for s in streams)
    for packets in got.values():
        assert [p[12] for _, p in packets] == list(range(10))
        stamps = [struct.unpack("!I", p[4:8])[0] for _, p in packets]
        assert all((b - a) & 0xFFFFFFFF == 160 for a, b in zip(stamps, stamps[1:], strict=False))
    # ticks: every stream went out in the same pass, ~10 passes in all (not 20 x 10 timers)
    assert clock.stats.ticks <= 14
    music = Playout(frames, loop=True)
    one = streams[0]
    got.clear()
    task = asyncio.ensure_future(one.play(music))
    while music.pos < 4:
        await asyncio.sleep(0.005)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    stopped_at = music.pos
    task = asyncio.ensure_future(one.play(music))
    while len(got.get(one.local_port, [])) < stopped_at + 3:
        await asyncio.sleep(0.005)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    sent = [p[12] for _, p in got[one.local_port]]
    assert sent[: stopped_at + 3] == list(range(stopped_at + 3))  # resumed, not restarted
    for s in streams:
        s.close()
    sink.close()


def test_generated_tone_is_the_sine_it_names_and_hold_music_is_made_once() -> None:
    pcm = np.frombuffer(tone((440.0, 220.0), 0.5, 0.25), "<i2").astype(float)
    i = np.arange(4000)
    expected = (np.sin(2 * np.pi * 440 * i / 8000) + np.sin(2 * np.pi * 220 * i / 8000)) / 2 * 0.25 * 32767
    assert len(pcm) == 4000 and np.abs(pcm - expected).max() <= 1.0
    music = default_music_on_hold()
    assert len(music) == 6 * (3600 + 400) * 2  # six 0.45 s notes, each followed by 0.05 s of silence
    assert default_music_on_hold() is music  # every held caller shares one copy
