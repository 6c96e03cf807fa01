"""Overload control: refuse new calls early so that calls in progress keep their quality.

Three measures, all cheap enough to read on every INVITE:
- the event loop's lag: a probe timer every 10 ms notes how late it ran (a decaying maximum, so one
  spike refuses calls for a moment), and a probe that is overdue right now counts as lag too;
- the SIP socket's backlog: bytes waiting in its kernel receive queue (SO_MEMINFO on Linux), which
  grows when datagrams arrive faster than the loop reads them, before any of them is parsed.
- the process's CPU share of one core over the last ~200 ms (the loop is one thread: near 100 % it
  has no slack left to send audio on time, even before any single tick is late).
Past any limit `overloaded()` is true and the SIP stack answers new INVITEs `503` with
`Retry-After` at once. `figures()` is what a `/metrics` endpoint exposes.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import time
from dataclasses import asdict, dataclass

SO_MEMINFO = 55  # Linux: socket memory counters, [0] = receive queue bytes
PROBE_EVERY = 0.010
DECAY = 0.85  # per probe: a 100 ms spike is forgotten within ~0.3 s


@dataclass(slots=True)
class OverloadFigures:
    cpu: float = 0.0  # share of one core over the last window
    loop_lag: float = 0.0  # seconds, decaying maximum
    loop_lag_max: float = 0.0
    sip_backlog: int = 0  # bytes in the SIP socket's receive queue at the last INVITE
    sip_backlog_max: int = 0
    sip_drops: int = 0  # datagrams the kernel dropped at the SIP socket (Linux /proc/net/udp)
    invites_refused: int = 0
    refused_loop_lag: int = 0  # why: a refusal counts under each measure past its limit
    refused_sip_backlog: int = 0
    refused_cpu: int = 0
    overloaded: bool = False


class OverloadGuard:
    def __init__(
        self, *, max_loop_lag: float = 0.1, max_sip_backlog: int = 512 * 1024, max_cpu: float = 0.9
    ) -> None:
        self.max_loop_lag = max_loop_lag
        self.max_cpu = max_cpu
        self._cpu_mark = (0.0, 0.0)
        self._probes = 0
        self.max_sip_backlog = max_sip_backlog
        self.stats = OverloadFigures()
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._due = 0.0

    def start(self, sip_socket: socket.socket | None) -> None:
        self._sock = sip_socket
        self._loop = asyncio.get_running_loop()
        self._due = self._loop.time() + PROBE_EVERY
        self._cpu_mark = (self._loop.time(), time.process_time())
        self._timer = self._loop.call_at(self._due, self._probe)

    def forget(self) -> None:
        """Start measuring afresh: what start-up cost (loading, the first garbage collection) says
        nothing about the calls to come, and must not refuse the first of them."""
        if self._loop is None:
            return
        now = self._loop.time()
        self.stats.loop_lag = self.stats.cpu = 0.0
        self._cpu_mark = (now, time.process_time())
        self._due = now + PROBE_EVERY

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _probe(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        late = max(0.0, now - self._due)
        self.stats.loop_lag = max(late, self.stats.loop_lag * DECAY)
        self.stats.loop_lag_max = max(self.stats.loop_lag_max, late)
        self._probes += 1
        if self._probes % 20 == 0:
            wall, cpu = self._cpu_mark
            self._cpu_mark = (now, time.process_time())
            self.stats.cpu = (self._cpu_mark[1] - cpu) / max(1e-6, now - wall)
        self._due = now + PROBE_EVERY
        self._timer = self._loop.call_at(self._due, self._probe)

    def backlog(self) -> int:
        if self._sock is None:
            return 0
        try:
            raw = self._sock.getsockopt(socket.SOL_SOCKET, SO_MEMINFO, 36)
        except OSError:
            return 0
        return int(struct.unpack_from("I", raw)[0])

    def overloaded(self) -> bool:
        """Should a new INVITE be refused right now?"""
        lag = self.stats.loop_lag
        if self._loop is not None:
            lag = max(lag, self._loop.time() - self._due)  # the probe itself is overdue
        backlog = self.backlog()
        stats = self.stats
        stats.sip_backlog = backlog
        stats.sip_backlog_max = max(stats.sip_backlog_max, backlog)
        past = (lag > self.max_loop_lag, backlog > self.max_sip_backlog, stats.cpu > self.max_cpu)
        stats.overloaded = any(past)
        if stats.overloaded:
            stats.invites_refused += 1
            stats.refused_loop_lag += past[0]
            stats.refused_sip_backlog += past[1]
            stats.refused_cpu += past[2]
        return stats.overloaded

    def figures(self) -> dict[str, float | int | bool]:
        self.stats.sip_drops = self._kernel_drops()
        return asdict(self.stats)

    def _kernel_drops(self) -> int:
        if self._sock is None:
            return 0
        try:
            inode = str(os.fstat(self._sock.fileno()).st_ino)
            with open("/proc/net/udp") as f:
                for line in f:
                    cols = line.split()
                    if len(cols) > 12 and cols[9] == inode:
                        return int(cols[12])
        except (OSError, ValueError):
            pass
        return 0
