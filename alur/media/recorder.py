"""A conversation's recording: two parties to one WAV file, written off the media path.

The media path only appends decoded PCM to a per-party buffer (no I/O). Once a second a writer task
takes what is due from both buffers, aligned on the wall clock (a party who sends nothing, or whose
packets were lost, gets silence so the channels stay in step), and writes it with
`asyncio.to_thread`. Stereo puts the caller on the left and the agent on the right; mixed sums them.
While paused, nothing either party says is kept (silence is written instead), so the timeline stays
whole.
"""

from __future__ import annotations

import asyncio
import time
import wave
from pathlib import Path

import numpy as np

RATE = 8000
CALLER, AGENT = 0, 1
LAG = 0.2  # seconds kept back from each write, for packets still in flight


class CallRecorder:
    def __init__(self, path: Path, *, stereo: bool = True, flush_every: float = 1.0) -> None:
        self.path = path
        self.stereo = stereo
        self.flush_every = flush_every
        self.paused = False
        self.paused_seconds = 0.0
        self._paused_at = 0.0
        self._tracks = (bytearray(), bytearray())
        self._start = time.monotonic()
        self._written = 0  # samples per channel already written
        self._wav: wave.Wave_write | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._start = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self._writer())

    def feed(self, party: int, pcm: bytes) -> None:
        """Audio heard from `party` (CALLER or AGENT): appended at its place on the timeline."""
        track = self._tracks[party]
        due = (int((time.monotonic() - self._start) * RATE) - self._written) * 2
        if len(track) + 640 < due - len(pcm):  # more than 40 ms missing: the party was silent
            track += bytes(due - len(pcm) - len(track))
        if self.paused:
            track += bytes(len(pcm))
        else:
            track += pcm

    def pause(self) -> None:
        if not self.paused:
            self.paused = True
            self._paused_at = time.monotonic()

    def resume(self) -> None:
        if self.paused:
            self.paused = False
            self.paused_seconds += time.monotonic() - self._paused_at

    def toggle(self) -> None:
        self.resume() if self.paused else self.pause()

    async def _writer(self) -> None:
        while True:
            await asyncio.sleep(self.flush_every)
            await self._flush(time.monotonic() - LAG)

    async def _flush(self, until: float) -> None:
        samples = int((until - self._start) * RATE) - self._written
        if samples <= 0:
            return
        chunk = []
        for track in self._tracks:
            n = samples * 2
            if len(track) < n:
                track += bytes(n - len(track))
            chunk.append(np.frombuffer(bytes(track[:n]), dtype="<i2"))
            del track[:n]
        self._written += samples
        if self.stereo:
            data = np.column_stack(chunk).astype("<i2").tobytes()
        else:
            mixed = chunk[0].astype(np.int32) + chunk[1].astype(np.int32)
            data = np.clip(mixed, -32768, 32767).astype("<i2").tobytes()
        await asyncio.to_thread(self._write, data)

    def _write(self, data: bytes) -> None:
        if self._wav is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._wav = wave.open(str(self.path), "wb")
            self._wav.setnchannels(2 if self.stereo else 1)
            self._wav.setsampwidth(2)
            self._wav.setframerate(RATE)
        self._wav.writeframes(data)

    async def finish(self) -> float:
        """Write the rest, close the file; returns the recording's length in seconds."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.resume()
        await self._flush(time.monotonic())
        if self._wav is None:
            await asyncio.to_thread(self._write, b"")
        wav = self._wav
        assert wav is not None
        await asyncio.to_thread(wav.close)
        return self._written / RATE
