"""Delay and CPU that Alur's caller <-> agent bridge adds to each RTP packet.

    python benchmarks/rtp_relay.py [--packets 5000]

Two RTP streams are bridged as for a connected call (packet relay, no decode/re-encode when both legs
use the same codec, and with PCMU -> PCMA transcoding otherwise). A "caller" socket sends a packet,
an "agent" socket receives the relayed copy; one packet in flight at a time, so the figure is the
bridge's own latency, not queueing. Prints median and p99 one-way delay and CPU per packet (the
whole process, both test sockets included, so an upper bound), on the running event loop (uvloop
when installed).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import struct
import time

from alur.media.rtp import RtpStream, bridge


async def run(packets: int, transcode: bool) -> tuple[float, float, float]:
    loop = asyncio.get_running_loop()
    caller = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    agent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for s in (caller, agent):
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
    a, b = RtpStream("127.0.0.1"), RtpStream("127.0.0.1")
    a_port = await a.open()
    await b.open()
    a.configure(caller.getsockname(), "PCMU", 0, 101)
    b.configure(agent.getsockname(), "PCMA" if transcode else "PCMU", 8 if transcode else 0, 101)
    bridge(a, b)
    payload = bytes(range(160))
    delays: list[float] = []
    cpu0 = time.process_time()
    for seq in range(packets):
        pkt = struct.pack("!BBHII", 0x80, 0, seq, seq * 160, 0x1234) + payload
        t0 = time.perf_counter()
        caller.sendto(pkt, ("127.0.0.1", a_port))
        await loop.sock_recv(agent, 2048)
        delays.append(time.perf_counter() - t0)
    cpu = time.process_time() - cpu0
    a.close()
    b.close()
    caller.close()
    agent.close()
    delays.sort()
    return statistics.median(delays), delays[int(len(delays) * 0.99)], cpu / packets


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packets", type=int, default=5000)
    args = parser.parse_args()
    try:
        import uvloop

        runner, name = uvloop.run, "uvloop"
    except ImportError:
        runner, name = asyncio.run, "asyncio"
    for transcode in (False, True):
        med, p99, cpu = runner(run(args.packets, transcode))
        label = "PCMU -> PCMA (transcoded)" if transcode else "PCMU -> PCMU (relayed)"
        print(
            f"{name} {label:<26} one-way median {med * 1e6:7.1f} us  p99 {p99 * 1e6:7.1f} us  "
            f"cpu {cpu * 1e6:6.1f} us/packet"
        )


if __name__ == "__main__":
    main()
