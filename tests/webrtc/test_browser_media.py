"""The browser's media gateway with a real aiortc peer standing in for the browser: audio both ways,
keypad digits out as RFC 4733, a second peer connection (a reloaded page) on the same RTP side, and the
codec the project prefers."""

from __future__ import annotations

import asyncio
import fractions
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
import pytest

aiortc = pytest.importorskip("aiortc")

from aiortc import RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError  # noqa: E402

from alur.media.clock import MediaClock  # noqa: E402
from alur.media.prompts import CODECS  # noqa: E402
from alur.media.rtp import RtpStream  # noqa: E402
from alur.webrtc.gateway import BrowserMedia, dtmf_payloads  # noqa: E402

RATE = 8000


class Tone(AudioStreamTrack):
    """A microphone saying `freq` Hz, paced in real time by aiortc's audio track."""

    def __init__(self, freq: float) -> None:
        super().__init__()
        self.freq = freq

    async def recv(self) -> av.AudioFrame:
        silence = await super().recv()
        assert isinstance(silence, av.AudioFrame)
        n = np.arange(silence.samples) + silence.pts
        pcm = (8000 * np.sin(2 * np.pi * self.freq * n / RATE)).astype("<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = RATE, silence.pts, fractions.Fraction(1, RATE)
        return frame


@dataclass
class Browser:
    """An aiortc peer as the page: sends a tone, counts what it hears."""

    pc: RTCPeerConnection
    heard: list[Any] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)


def browser(freq: float = 1000.0, codecs: tuple[str, ...] = ()) -> Browser:
    pc = RTCPeerConnection()
    page = Browser(pc)
    transceiver = pc.addTransceiver(Tone(freq), direction="sendrecv")
    if codecs:
        caps = aiortc.RTCRtpSender.getCapabilities("audio").codecs
        transceiver.setCodecPreferences([c for n in codecs for c in caps if c.mimeType == f"audio/{n}"])

    @pc.on("track")
    def on_track(track: Any) -> None:
        async def listen() -> None:
            try:
                while True:
                    page.heard.append(await track.recv())
            except MediaStreamError:
                return

        page.tasks.append(asyncio.ensure_future(listen()))

    return page


@dataclass
class Rig:
    media: BrowserMedia
    leg: RtpStream
    caller_heard: list[bytes]
    digits: list[str]


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    clock = MediaClock()
    leg = RtpStream("127.0.0.1", clock=clock)
    leg_port = await leg.open()
    media = BrowserMedia(clock, [], ("PCMU", "opus"))
    media_port = await media.open()
    leg.configure(("127.0.0.1", media_port), "PCMU", 0, 101)
    media.plug(leg_port)
    heard: list[bytes] = []
    digits: list[str] = []
    leg.listeners.append(lambda stream, pcm: heard.append(pcm))
    leg.on_dtmf = digits.append
    yield Rig(media, leg, heard, digits)
    await media.close()
    leg.close()
    clock.close()


async def connect(rig: Rig, page: Browser) -> None:
    answer = await rig.media.accept(await page.offer())
    await page.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
    await asyncio.wait_for(rig.media.connected.wait(), 10)


async def until(condition: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"still not true after {timeout:g} s"
        await asyncio.sleep(0.02)


def tone(pcm: bytes) -> float:
    """The loudest frequency (Hz) of 8 kHz 16-bit audio."""
    x = np.frombuffer(pcm, "<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * RATE / len(x))


async def caller_says(rig: Rig, freq: float, frames: int) -> None:
    n = np.arange(160)
    for k in range(frames):
        pcm = (6000 * np.sin(2 * np.pi * freq * (n + 160 * k) / RATE)).astype("<i2").tobytes()
        rig.leg.send_frame(CODECS["PCMU"].encode(pcm))
        await asyncio.sleep(0.02)


async def test_audio_goes_both_ways_and_digits_go_out_as_rfc4733(rig: Rig) -> None:
    page = browser(1000.0)
    try:
        await connect(rig, page)
        assert rig.media.codec == "PCMU"  # the project's first choice, which the peer also offers
        await caller_says(rig, 440.0, 60)
        await until(lambda: len(page.heard) >= 40)
        heard = b"".join(f.to_ndarray().tobytes() for f in page.heard[-25:])
        assert abs(tone(heard) - 440) < 10
        await until(lambda: len(rig.caller_heard) >= 50)
        assert abs(tone(b"".join(rig.caller_heard[-25:])) - 1000) < 10
        rig.media.send_digit("7")
        await until(lambda: rig.digits == ["7"])
    finally:
        await page.pc.close()


async def test_a_new_peer_connection_takes_over_the_same_rtp_side(rig: Rig) -> None:
    first = browser(1000.0)
    await connect(rig, first)
    await until(lambda: len(rig.caller_heard) >= 10)
    await rig.media.detach()  # the page reloads
    await first.pc.close()
    second = browser(1500.0)
    try:
        await connect(rig, second)
        before = len(rig.caller_heard)
        await until(lambda: len(rig.caller_heard) >= before + 40)
        assert abs(tone(b"".join(rig.caller_heard[-25:])) - 1500) < 10
        await caller_says(rig, 440.0, 30)
        await until(lambda: len(second.heard) >= 20)
    finally:
        await second.pc.close()


async def test_opus_when_the_browser_prefers_it_and_the_project_allows_it(rig: Rig) -> None:
    rig.media.codecs = ("opus", "PCMU")
    page = browser(1000.0, codecs=("opus",))
    try:
        await connect(rig, page)
        assert rig.media.codec == "opus"
        await caller_says(rig, 440.0, 60)
        await until(lambda: len(page.heard) >= 30)
        await until(lambda: len(rig.caller_heard) >= 50)
        assert abs(tone(b"".join(rig.caller_heard[-25:])) - 1000) < 10
    finally:
        await page.pc.close()


def test_a_digit_is_one_event_growing_then_ended_three_times() -> None:
    payloads = dtmf_payloads("#")
    assert [p[0] for p in payloads] == [11] * 8
    assert [p[1] >> 7 for p in payloads] == [0] * 5 + [1] * 3
    assert [int.from_bytes(p[2:4], "big") for p in payloads] == [160, 320, 480, 640, 800, 800, 800, 800]
