"""Prompts as 20 ms G.711 frames: WAV (or any sox-readable) files converted once, text spoken by
espeak-ng and cached on disk by content hash, plus generated tones (beep, music on hold).

Conversion runs in subprocesses (sox, espeak-ng) awaited on the event loop, so a first-time prompt
never blocks other calls; afterwards frames come from memory.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
from aiortp.codecs.g711 import PcmaCodec, PcmuCodec

from alur.core.channel import Prompt
from alur.core.errors import AlurError

SAMPLE_RATE = 8000
FRAME_SAMPLES = 160  # 20 ms at 8 kHz
FRAME_BYTES_PCM = FRAME_SAMPLES * 2
CODECS = {"PCMU": PcmuCodec(), "PCMA": PcmaCodec()}


class PromptError(AlurError):
    code = "prompt_error"


def pcm_to_frames(pcm: bytes, codec: str) -> list[bytes]:
    """s16le 8 kHz mono -> list of 160-byte G.711 payloads (the last one padded with silence)."""
    if len(pcm) % FRAME_BYTES_PCM:
        pcm += b"\x00" * (FRAME_BYTES_PCM - len(pcm) % FRAME_BYTES_PCM)
    encoded = CODECS[codec].encode(pcm)
    return [encoded[i : i + FRAME_SAMPLES] for i in range(0, len(encoded), FRAME_SAMPLES)]


def tone(freqs: tuple[float, ...], seconds: float, volume: float = 0.25) -> bytes:
    """Mixed sine waves as 16-bit PCM (numpy: a pure-Python loop cost 40 ms a second of audio)."""
    i = np.arange(int(seconds * SAMPLE_RATE))
    v = sum(np.sin(2 * np.pi * f * i / SAMPLE_RATE) for f in freqs) / max(1, len(freqs))
    return (np.asarray(v) * volume * 32767).astype("<i2").tobytes()


def silence(seconds: float) -> bytes:
    return b"\x00" * (int(seconds * SAMPLE_RATE) * 2)


@functools.cache
def default_music_on_hold() -> bytes:
    """A calm, generated loop (a slow arpeggio) for queues with no music file; made once per process
    (every caller put on hold used to synthesise it anew)."""
    notes = (261.63, 329.63, 392.0, 523.25, 392.0, 329.63)
    return b"".join(tone((f, f / 2), 0.45, 0.12) + silence(0.05) for f in notes)


BEEP = tone((1000.0,), 0.25, 0.3)


class PromptLibrary:
    """Finds, converts and caches prompts for one project.

    `sounds_dir` holds the project's recordings (a prompt's `file` is relative to it); `cache_dir`
    keeps converted and synthesised audio between runs.
    """

    def __init__(
        self,
        sounds_dir: Path | None,
        cache_dir: Path,
        *,
        tts_voice_map: dict[str, str] | None = None,
        resolver: Callable[[str], Path] | None = None,
    ):
        self.sounds_dir = sounds_dir
        self.resolver = resolver  # the project's own rule for where a `file:` prompt is
        self.cache_dir = cache_dir
        self.voices = tts_voice_map or {}
        self._pcm: dict[str, bytes] = {}  # insertion-ordered: the oldest are dropped past `max_items`
        self._frames: dict[tuple[str, str], list[bytes]] = {}
        self.max_items = 2000  # templated speech ("your balance is ...") must not grow memory forever
        self._locks: dict[str, asyncio.Lock] = {}

    async def frames(self, prompt: Prompt, codec: str) -> list[bytes]:
        key = self._key(prompt)
        cached = self._frames.get((key, codec))
        if cached is not None:
            return cached
        pcm = await self.pcm(prompt)
        frames = pcm_to_frames(pcm, codec)
        self._frames[(key, codec)] = frames
        for cache in (self._frames, self._pcm):
            while len(cache) > self.max_items:
                del cache[next(iter(cache))]  # type: ignore[arg-type]
        return frames

    def tone_frames(self, name: str, pcm: bytes, codec: str) -> list[bytes]:
        cached = self._frames.get((name, codec))
        if cached is None:
            cached = self._frames[(name, codec)] = pcm_to_frames(pcm, codec)
        return cached

    @staticmethod
    def _key(prompt: Prompt) -> str:
        if prompt.file:
            return f"file:{prompt.file}"
        return f"tts:{prompt.language}:{prompt.voice or ''}:{prompt.text or ''}"

    async def pcm(self, prompt: Prompt) -> bytes:
        key = self._key(prompt)
        if key in self._pcm:
            return self._pcm[key]
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in self._pcm:
                if prompt.file:
                    self._pcm[key] = await self._convert_file(prompt.file)
                else:
                    self._pcm[key] = await self._speak(prompt.text or "", prompt.language, prompt.voice)
        self._locks.pop(key, None)
        return self._pcm[key]

    def resolve(self, file: str) -> Path:
        if self.resolver is not None:
            return self.resolver(file)
        path = Path(file)
        if not path.is_absolute() and self.sounds_dir is not None:
            path = self.sounds_dir / file
        return path

    async def _convert_file(self, file: str) -> bytes:
        path = self.resolve(file)
        if not path.is_file():
            raise PromptError(f"prompt file {str(path)!r} does not exist", value=file)
        digest = hashlib.sha256(f"{path.resolve()}:{path.stat().st_mtime_ns}".encode()).hexdigest()[:24]
        out = self.cache_dir / "files" / f"{digest}.raw"
        if not out.exists():
            await _to_pcm(path, out, f"converting prompt {file!r}")
        return out.read_bytes()

    async def _speak(self, text: str, language: str, voice: str | None) -> bytes:
        if not text.strip():
            return silence(0.2)
        voice_name = voice or self.voices.get(language) or language
        digest = hashlib.sha256(f"espeak-ng:{voice_name}:{text}".encode()).hexdigest()[:24]
        out = self.cache_dir / "tts" / f"{digest}.raw"
        if not out.exists():
            if shutil.which("espeak-ng") is None:
                raise PromptError("text-to-speech needs espeak-ng (Debian package 'espeak-ng')")
            wav = out.with_suffix(".wav")
            await _run(
                ["espeak-ng", "-v", voice_name, "-s", "160", "-w", str(wav), text],
                f"speaking {text[:40]!r} in {voice_name!r}",
                out.parent,
            )
            await _to_pcm(wav, out, "resampling speech")
            wav.unlink(missing_ok=True)
        return out.read_bytes()


async def _to_pcm(source: Path, out: Path, what: str) -> None:
    """Convert any audio file sox reads to the cache's form (raw 16-bit little-endian mono at 8 kHz,
    without dither: the same file always gives the same samples),
    written beside `out` first so a half-written file is never taken for a cached one."""
    tmp = Path(str(out) + ".tmp")
    sox = ["sox", "-D", str(source), "-t", "raw", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16"]
    await _run([*sox, "-e", "signed-integer", "-L", str(tmp)], what, out.parent)
    tmp.rename(out)


async def _run(cmd: list[str], what: str, workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    if shutil.which(cmd[0]) is None:
        raise PromptError(f"{what}: {cmd[0]} is not installed")
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise PromptError(f"{what}: {cmd[0]} failed: {err.decode(errors='replace').strip()[:200]}")


def write_wav(path: Path, pcm: bytes) -> None:
    import wave

    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm)


def decode(payload: bytes, codec: str) -> bytes:
    return CODECS[codec].decode(payload)


def level(pcm: bytes) -> float:
    """Mean absolute amplitude (0..32768), for silence detection while recording."""
    if not pcm:
        return 0.0
    n = len(pcm) // 2
    samples = struct.unpack(f"<{n}h", pcm[: n * 2])
    return float(sum(abs(s) for s in samples)) / n
