"""Prompts (espeak-ng and sox for real, cached) and RTP streams on real localhost sockets."""

from __future__ import annotations

import asyncio
import shutil
import struct
import wave
from pathlib import Path

import pytest

from alur.core.channel import Prompt
from alur.media.prompts import PromptError, PromptLibrary, tone
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


async def test_rfc4733_digit_counted_once_and_bridge_relays_restamped() -> None:
    a, b = RtpStream("127.0.0.1"), RtpStream("127.0.0.1")
    await a.open()
    await b.open()
    loop = asyncio.get_running_loop()
    got: asyncio.Queue[bytes] = asyncio.Queue()

    class Sink(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            got.put_nowait(data)

    sink, _ = await loop.create_datagram_endpoint(Sink, local_addr=("127.0.0.1", 0))
    phone, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
    a.configure(phone.get_extra_info("sockname"), "PCMU", 0, 96)
    b.configure(sink.get_extra_info("sockname"), "PCMU", 0, 101)
    digits: list[str] = []
    a.on_dtmf = digits.append
    bridge(a, b)
    dest = ("127.0.0.1", a.local_port)
    for k in range(6):  # digit 5: three updates, then the end flag sent three times (RFC 4733 2.5.1.4)
        flags = 0x80 if k >= 3 else 0
        phone.sendto(rtp(96, k, 8000, struct.pack("!BBH", 5, flags | 10, 160 * (k + 1))), dest)
    phone.sendto(rtp(0, 10, 9000, b"\xaa" * 160), dest)
    relayed = await asyncio.wait_for(got.get(), 2)
    assert digits == ["5"]
    assert relayed[12:] == b"\xaa" * 160 and relayed[8:12] == struct.pack("!I", b.ssrc)  # b's own SSRC
    assert got.empty()  # DTMF was consumed, not relayed as audio
    for t in (sink, phone):
        t.close()
    a.close()
    b.close()
