"""Audio between aiortc and Alur's G.711 frames: the track the browser hears and the reader of the track
the browser sends.

Towards the browser, frames are handed to aiortc as they arrive from the caller's side; when the
browser took PCMU they go as they are (no decode, no encode). From the browser, aiortc's decoded frames
(8 kHz for G.711, 48 kHz for opus) are resampled to 8 kHz mono and encoded to PCMU 20 ms frames.
"""

from __future__ import annotations

import asyncio
import fractions
from collections import deque
from collections.abc import Callable
from typing import Any

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from alur.media.prompts import CODECS

G711_RATE = 8000
FRAME = 160  # samples in 20 ms at 8 kHz
TIME_BASE = fractions.Fraction(1, G711_RATE)
BACKLOG = 5  # frames kept for a slow reader before the oldest is dropped (bounded latency)


class CallerAudio(MediaStreamTrack):
    """What the browser hears: the caller's PCMU frames, as packets (`passthrough`) or decoded."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.passthrough = False  # set once the browser took PCMU
        self._frames: deque[bytes] = deque(maxlen=BACKLOG)
        self._arrived = asyncio.Event()
        self._pts = 0

    def push(self, ulaw: bytes) -> None:
        self._frames.append(ulaw)
        self._arrived.set()

    async def recv(self) -> Any:  # an av.AudioFrame, or an av.Packet to send as it is
        while not self._frames:
            if self.readyState != "live":
                raise MediaStreamError
            self._arrived.clear()
            await self._arrived.wait()
        ulaw = self._frames.popleft()
        pts = self._pts
        self._pts += len(ulaw)
        if self.passthrough:
            packet = av.Packet(ulaw)
            packet.pts = pts
            packet.time_base = TIME_BASE
            return packet
        pcm = np.frombuffer(CODECS["PCMU"].decode(ulaw), dtype="<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = G711_RATE
        frame.pts = pts
        frame.time_base = TIME_BASE
        return frame


async def read_browser(track: MediaStreamTrack, deliver: Callable[[bytes], None]) -> None:
    """Hand every 20 ms of the browser's audio to `deliver` as a PCMU frame, until the track ends."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=G711_RATE, frame_size=FRAME)
    encode = CODECS["PCMU"].encode
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        assert isinstance(frame, av.AudioFrame)
        for out in resampler.resample(frame):
            deliver(encode(out.to_ndarray().tobytes()))
