"""Capture UDP on the loopback interface with kernel timestamps (like tcpdump), for RTP checks.

A packet socket bound to `lo` for IPv4 sees each datagram as it is delivered, stamped by the kernel
(SO_TIMESTAMPNS), so the figures measure when Alur's packets really left, not when a busy test loop got
round to reading them. Reading runs in a thread. Needs CAP_NET_RAW (as sipp's pcap play does).
"""

from __future__ import annotations

import ctypes
import socket
import struct
import threading
from dataclasses import dataclass

import numpy as np

ETH_P_IP = 0x0800
SO_TIMESTAMPNS = 35
SO_RCVBUFFORCE = 33
SO_ATTACH_FILTER = 26


def udp_port_filter(
    ports: set[int], sources: frozenset[int] = frozenset()
) -> list[tuple[int, int, int, int]]:
    """A classic BPF program for a packet socket that keeps only unfragmented IPv4 UDP datagrams to
    `ports` (or from `sources`), so the kernel drops the rest before Python sees it (at hundreds of
    calls, the callers' own RTP would otherwise cost the capture thread as much as Alur's)."""
    ldb, ldh, ldh_x, ldx_ihl = 0x30, 0x28, 0x48, 0xB1
    jeq, jset, ret = 0x15, 0x45, 0x06
    n, m = len(ports), len(sources)
    drop = 6 + n + (1 + m if m else 0)  # index of the final "drop", "accept" follows it

    def to(target: int, at: int) -> int:  # BPF jumps are relative to the next instruction
        return target - at - 1

    prog = [
        (ldb, 0, 0, 9),  # IP protocol
        (jeq, 0, to(drop, 1), 17),  # UDP, else drop
        (ldh, 0, 0, 6),  # flags and fragment offset
        (jset, to(drop, 3), 0, 0x1FFF),  # a later fragment: drop
        (ldx_ihl, 0, 0, 0),  # X = IP header length
        (ldh_x, 0, 0, 2),  # UDP destination port
    ]
    for port in sorted(ports):
        prog.append((jeq, to(drop + 1, len(prog)), 0, port))
    if sources:
        prog.append((ldh_x, 0, 0, 0))  # UDP source port
        for port in sorted(sources):
            prog.append((jeq, to(drop + 1, len(prog)), 0, port))
    prog += [(ret, 0, 0, 0), (ret, 0, 0, 0x40000)]  # drop, accept
    return prog


def attach_filter(sock: socket.socket, prog: list[tuple[int, int, int, int]]) -> None:
    code = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *ins) for ins in prog))
    sock.setsockopt(
        socket.SOL_SOCKET, SO_ATTACH_FILTER, struct.pack("@HP", len(prog), ctypes.addressof(code))
    )


@dataclass(frozen=True, slots=True)
class Captured:
    at: float  # kernel receive time, seconds
    src: int
    dst: int
    data: bytes

    @property
    def ssrc(self) -> int:
        return int(struct.unpack_from("!I", self.data, 8)[0])

    @property
    def seq(self) -> int:
        return int(struct.unpack_from("!H", self.data, 2)[0])

    @property
    def ts(self) -> int:
        return int(struct.unpack_from("!I", self.data, 4)[0])

    @property
    def pt(self) -> int:
        return self.data[1] & 0x7F

    @property
    def payload(self) -> bytes:
        return self.data[12:]


class Capture:
    """Captures UDP datagrams sent to `ports` (or from `sources`) on 127.0.0.1 until `stop()`."""

    def __init__(self, ports: set[int] | None = None, sources: frozenset[int] = frozenset()) -> None:
        self.ports = ports if ports is not None else set()
        self.sources = sources
        self.packets: list[Captured] = []
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
        self._sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self._sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 * 1024 * 1024)
        if self.ports:
            attach_filter(self._sock, udp_port_filter(self.ports, sources))
        self._sock.bind(("lo", ETH_P_IP))
        self._sock.settimeout(0.1)
        self._running = True
        self._thread = threading.Thread(target=self._run, name="rtp-capture", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while self._running:
            try:
                data, anc, _, _ = self._sock.recvmsg(4096, 64)
            except TimeoutError:
                continue
            except OSError:
                return
            if len(data) < 28 or data[9] != 17:
                continue
            ihl = (data[0] & 0x0F) * 4
            src, dst = struct.unpack_from("!HH", data, ihl)
            if self.ports and dst not in self.ports and src not in self.sources:
                continue
            at = 0.0
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", value[:16])
                    at = sec + nsec / 1e9
            self.packets.append(Captured(at, src, dst, bytes(data[ihl + 8 :])))

    def stop(self) -> None:
        self._running = False
        self._thread.join(2)
        self._sock.close()

    def to(self, port: int, pt: int | None = None) -> list[Captured]:
        return [p for p in self.packets if p.dst == port and (pt is None or p.pt == pt)]


def can_capture() -> bool:
    try:
        socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP)).close()
        return True
    except (PermissionError, AttributeError, OSError):
        return False


def gaps_ms(packets: list[Captured]) -> np.ndarray:
    times = np.array([p.at for p in packets])
    return np.diff(times) * 1000.0


def longest_run(received: list[bytes], sent: list[bytes]) -> tuple[int, int]:
    """The longest stretch of `received` payloads that is a contiguous, in-order piece of `sent`
    (whose frames are all different): (its length, index in `received` where it starts)."""
    where = {frame: i for i, frame in enumerate(sent)}
    best = (0, 0)
    run, start, prev = 0, 0, -2
    for k, frame in enumerate(received):
        i = where.get(frame)
        if i is not None and i == prev + 1:
            run += 1
        else:
            run, start = (1, k) if i is not None else (0, k + 1)
        prev = i if i is not None else -2
        best = max(best, (run, start))
    return best


def tone_power(pcm: np.ndarray, freq: float, rate: int = 8000) -> float:
    """Share of the signal's energy at `freq` (Goertzel), 0..1: tells whose voice is in a mix."""
    if len(pcm) == 0:
        return 0.0
    x = pcm.astype(float)
    n = np.arange(len(x))
    ref = np.exp(-2j * np.pi * freq * n / rate)
    at = abs(np.dot(x, ref)) ** 2 * 2 / len(x)
    total = float(np.dot(x, x)) or 1.0
    return float(at / total)
