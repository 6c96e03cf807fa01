"""Helpers for the end-to-end tests: free ports, RTP pcap files for sipp to play, running sipp."""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import socket
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from aiortp.codecs.g711 import PcmuCodec

SCENARIOS = Path(__file__).with_name("scenarios")
DTMF_EVENTS = {**{str(i): i for i in range(10)}, "*": 10, "#": 11}


def bound_udp_ports() -> set[int]:
    """The local ports of every UDP socket on this machine, from the kernel's table (read, not
    probed: a probe that binds the port could take it from the phone starting up that moment)."""
    ports: set[int] = set()
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        ports.update(int(row.split()[1].rsplit(":", 1)[1], 16) for row in rows)
    return ports


async def listening(*ports: int, timeout: float = 10.0) -> None:
    """Wait until something (a sipp phone) has bound each of these UDP ports."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while missing := set(ports) - bound_udp_ports():
        if loop.time() > deadline:
            raise AssertionError(f"nothing is listening on UDP port(s) {sorted(missing)} after {timeout:g} s")
        await asyncio.sleep(0.02)


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A port free for both UDP and TCP (SIP listens on both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                    t.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def _udp_frame(payload: bytes, sport: int = 6000, dport: int = 6002) -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    total = 20 + len(udp)
    ip = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        total,
        0,
        0,
        64,
        17,
        0,
        socket.inet_aton("127.0.0.1"),
        socket.inet_aton("127.0.0.1"),
    )
    eth = b"\x00" * 12 + b"\x08\x00"
    return eth + ip + udp


def write_pcap(path: Path, packets: list[tuple[float, bytes]]) -> Path:
    """A pcap (Ethernet/IPv4/UDP) of RTP payloads at the given times, for sipp's play_pcap_audio."""
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for t, rtp in packets:
        frame = _udp_frame(rtp)
        sec = int(t)
        usec = int(round((t - sec) * 1e6))
        out += struct.pack("<IIII", 1_000_000 + sec, usec, len(frame), len(frame)) + frame
    path.write_bytes(bytes(out))
    return path


def _rtp(pt: int, seq: int, ts: int, payload: bytes, marker: int = 0, ssrc: int = 0x1234) -> bytes:
    return struct.pack("!BBHII", 0x80, (marker << 7) | pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload


def tone_pcm(freq: float, samples: int, amplitude: int = 6000, rate: int = 8000) -> bytes:
    """A sine tone as 16-bit little-endian PCM: the known signal the media tests look for."""
    return b"".join(
        struct.pack("<h", int(amplitude * math.sin(2 * math.pi * freq * i / rate))) for i in range(samples)
    )


def audio_and_dtmf_pcap(
    path: Path,
    *,
    audio_seconds: float,
    digits: str = "",
    digit_at: float = 0.2,
    dtmf_pt: int = 101,
    gap: float = 0.3,
    ssrc: int = 0x1234,
    at: list[float] | None = None,
) -> Path:
    """G.711 u-law tone for `audio_seconds`, with RFC 4733 `digits` starting at `digit_at`, `gap`
    apart (or each at its own time in `at`)."""
    codec = PcmuCodec()
    packets: list[tuple[float, bytes]] = []
    n = int(audio_seconds / 0.02)
    frame = codec.encode(tone_pcm(440, 160))
    seq = 1
    for i in range(n):
        packets.append((i * 0.02, _rtp(0, seq, i * 160, frame, marker=int(i == 0), ssrc=ssrc)))
        seq += 1
    times = at if at is not None else [digit_at + i * gap for i in range(len(digits))]
    for digit, t in zip(digits, times, strict=True):
        ev = DTMF_EVENTS[digit]
        ts = int(t * 8000)
        for k in range(5):
            end = k >= 3
            dur = 160 * (k + 1) if not end else 800
            payload = struct.pack("!BBH", ev, (0x80 if end else 0) | 10, dur)
            packets.append((t + k * 0.02, _rtp(dtmf_pt, seq, ts, payload, marker=int(k == 0), ssrc=ssrc)))
            seq += 1
    packets.sort(key=lambda p: p[0])
    return write_pcap(path, packets)


def tone_ulaw(path: Path, freq: float, seconds: float = 1.0) -> Path:
    """A raw G.711 u-law tone (no header), as sipp's rtp_stream plays it: the load runs' voice."""
    path.write_bytes(PcmuCodec().encode(tone_pcm(freq, int(seconds * 8000))))
    return path


def spoken(workdir: Path, text: str, voice: str = "en") -> bytes:
    """`text` said by espeak-ng, as a phone sends it: G.711 u-law at 8 kHz (converted by sox)."""
    wav = workdir / f"say-{voice}-{hashlib.sha1(text.encode()).hexdigest()[:12]}.wav"
    mulaw = wav.with_suffix(".ul")
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), text], check=True)
    subprocess.run(["sox", "-D", str(wav), "-t", "ul", "-r", "8000", "-c", "1", str(mulaw)], check=True)
    return mulaw.read_bytes()


def speech_pcap(path: Path, *, seconds: float, speech: list[tuple[float, bytes]], ssrc: int = 0x1234) -> Path:
    """`seconds` of RTP (PCMU, 20 ms) from a caller who is quiet but for each u-law clip of `speech`,
    starting at its time."""
    n = int(seconds / 0.02)
    audio = bytearray(b"\xff" * (n * 160))  # u-law silence
    for at, clip in speech:
        start = int(at * 8000)
        audio[start : start + len(clip)] = clip[: len(audio) - start]
    del audio[n * 160 :]
    packets = [
        (i * 0.02, _rtp(0, i + 1, i * 160, bytes(audio[i * 160 : (i + 1) * 160]), int(i == 0), ssrc))
        for i in range(n)
    ]
    return write_pcap(path, packets)


@dataclass
class SippResult:
    returncode: int
    stdout: str
    stderr: str
    errors: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


async def run_sipp(
    scenario: str | Path,
    target: str,
    *,
    port: int,
    media_port: int,
    workdir: Path,
    service: str = "100",
    keys: dict[str, str] | None = None,
    timeout: float = 40.0,
    transport: str = "u1",
    calls: int = 1,
    rate: float | None = None,
    extra: list[str] | None = None,
    params: dict[str, str | int | float] | None = None,
) -> SippResult:
    """Run sipp to completion (bounded by `timeout`) and collect its exit code and error log."""
    scen = Path(scenario)
    if not scen.is_absolute():
        scen = SCENARIOS / scen
    name = scen.stem
    if params:  # scenario templates: {{name}} placeholders (sipp cannot take pauses from -key)
        text = scen.read_text()
        for k, v in params.items():
            text = text.replace("{{" + k + "}}", str(v))
        scen = workdir / f"{name}-{port}.xml"
        scen.write_text(text)
    args = [
        "sipp",
        "-sf",
        str(scen),
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "-mi",
        "127.0.0.1",
        "-mp",
        str(media_port),
        "-m",
        str(calls),
        "-s",
        service,
        "-t",
        transport,
        "-nostdin",
        "-timeout",
        f"{int(timeout)}s",
        "-timeout_error",
        "-trace_err",
        "-error_file",
        str(workdir / f"{name}-{port}-errors.log"),
        "-trace_msg",
        "-message_file",
        str(workdir / f"{name}-{port}-messages.log"),
    ]
    if rate is not None:
        args += ["-r", str(rate)]
    for k, v in (keys or {}).items():
        args += ["-key", k, v]
    args += extra or []
    if target:
        args.append(target)
    proc = await asyncio.create_subprocess_exec(
        *args,
        cwd=str(workdir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "TERM": "dumb"},
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout + 15)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
    except asyncio.CancelledError:  # the test is done with this phone: end it, and reap it
        if proc.returncode is None:
            proc.kill()
        await asyncio.shield(proc.wait())
        raise
    errfile = workdir / f"{name}-{port}-errors.log"
    errors = errfile.read_text(errors="replace") if errfile.exists() else ""
    return SippResult(
        proc.returncode if proc.returncode is not None else -1,
        out.decode(errors="replace"),
        err.decode(errors="replace"),
        errors,
    )


def messages(workdir: Path, scenario: str, port: int) -> str:
    f = workdir / f"{Path(scenario).stem}-{port}-messages.log"
    return f.read_text(errors="replace") if f.exists() else ""
