"""CPU per bridged browser call (a SIP caller's RTP to an agent's WebRTC browser phone), and how many such
calls one core carries with the packets towards the caller still evenly spaced (p99 <= 5 ms).

    python benchmarks/webrtc.py [--calls 5,10,20,40] [--seconds 8] [--codec PCMU|opus] [--loop auto|asyncio]

This process is Alur: per call, the caller's `RtpStream` bridged to the agent's leg (`RtpStream` plus
`alur.webrtc.gateway.BrowserMedia`, aiortc), all on one shared media clock, as in `alur serve`. A second
process is the outside world: the callers' RTP endpoints (a 20 ms PCMU tone each) and the agents'
browsers (aiortc peers sending a tone), so its work is not counted. Figures per number of calls: Alur's
CPU (this process, all threads: aiortc encodes and decodes in threads) per call, and the packet timing
towards the callers, stamped by the kernel on arrival (SO_TIMESTAMPNS): the p50/p99 of how far each gap
between two packets is from 20 ms. "Fits on one core" is the largest tried number of calls whose total
CPU stays under one core and whose p99 stays <= 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import multiprocessing as mp
import socket
import struct
import time
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

SO_TIMESTAMPNS = 35
RATE = 8000


# --- the outside world (second process) -----------------------------------------------------------------


def world(conn: Connection, codec: str) -> None:
    asyncio.run(_world(conn, codec))


async def _world(conn: Connection, codec: str) -> None:
    import av
    from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
    from aiortc.mediastreams import AudioStreamTrack, MediaStreamError

    class Tone(AudioStreamTrack):
        async def recv(self) -> Any:
            silence = await super().recv()
            n = np.arange(silence.samples) + silence.pts
            pcm = (8000 * np.sin(2 * np.pi * 1000 * n / RATE)).astype("<i2").reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = RATE, silence.pts, fractions.Fraction(1, RATE)
            return frame

    loop = asyncio.get_running_loop()
    ask = lambda: loop.run_in_executor(None, conn.recv)  # noqa: E731
    _, n, alur_ports = await ask()
    callers, arrivals = [], [list[float]() for _ in range(n)]
    recording = False

    def readable(i: int, sock: socket.socket) -> None:
        while True:
            try:
                data, anc, _, _ = sock.recvmsg(2048, 64)
            except BlockingIOError:
                return
            if recording and data[1] & 0x7F == 0:
                for level, kind, value in anc:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                        sec, nsec = struct.unpack("qq", value[:16])
                        arrivals[i].append(sec + nsec / 1e9)

    for i in range(n):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        loop.add_reader(sock.fileno(), readable, i, sock)
        callers.append(sock)
    pcs, heard = [], [0] * n
    caps = [c for c in RTCRtpSender.getCapabilities("audio").codecs if c.mimeType == f"audio/{codec}"]
    for i in range(n):
        pc = RTCPeerConnection()
        pc.addTransceiver(Tone(), direction="sendrecv").setCodecPreferences(caps)

        def on_track(track: Any, i: int = i) -> None:
            async def listen() -> None:
                try:
                    while True:
                        await track.recv()
                        heard[i] += 1
                except MediaStreamError:
                    return

            asyncio.ensure_future(listen())

        pc.on("track", on_track)
        await pc.setLocalDescription(await pc.createOffer())
        pcs.append(pc)
    conn.send(([s.getsockname()[1] for s in callers], [pc.localDescription.sdp for pc in pcs]))
    _, answers = await ask()
    for pc, answer in zip(pcs, answers, strict=True):
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))

    async def speak() -> None:  # every caller: a 20 ms PCMU frame on an absolute schedule
        start, k = loop.time(), 0
        payload = bytes([0x10, 0x90] * 80)
        while True:
            for i, sock in enumerate(callers):
                header = struct.pack("!BBHII", 0x80, 0, k & 0xFFFF, (k * 160) & 0xFFFFFFFF, 1000 + i)
                sock.sendto(header + payload, ("127.0.0.1", alur_ports[i]))
            k += 1
            await asyncio.sleep(max(0.0, start + k * 0.02 - loop.time()))

    speaker = asyncio.ensure_future(speak())
    conn.send("speaking")
    _, seconds = await ask()
    recording = True
    heard0, cpu0 = sum(heard), time.process_time()
    await asyncio.sleep(seconds)
    recording = False
    world_cpu = (time.process_time() - cpu0) / seconds
    gaps = np.concatenate([np.abs(np.diff(a) - 0.02) for a in arrivals if len(a) > 1] or [np.zeros(1)])
    received = sum(len(a) for a in arrivals)
    p50, p99 = float(np.percentile(gaps, 50)), float(np.percentile(gaps, 99))
    conn.send((p50, p99, received, sum(heard) - heard0, world_cpu))
    await ask()  # stop
    speaker.cancel()
    for pc in pcs:
        await pc.close()
    conn.send("stopped")


# --- Alur (this process) --------------------------------------------------------------------------------


async def measure(calls: int, seconds: float, codec: str) -> dict[str, float]:
    from alur.media.clock import MediaClock
    from alur.media.rtp import RtpStream, bridge
    from alur.media.settle import settle_for_media
    from alur.webrtc.gateway import BrowserMedia

    here, there = mp.Pipe()
    child = mp.get_context("spawn").Process(target=world, args=(there, codec), daemon=True)
    child.start()
    loop = asyncio.get_running_loop()
    ask = lambda: loop.run_in_executor(None, here.recv)  # noqa: E731
    clock = MediaClock()
    streams: list[Any] = []
    gateways: list[BrowserMedia] = []
    caller_legs = []
    for _ in range(calls):
        caller = RtpStream("127.0.0.1", clock=clock)
        await caller.open()
        leg = RtpStream("127.0.0.1", clock=clock)
        leg_port = await leg.open()
        media = BrowserMedia(clock, [], (codec,))
        media.plug(leg_port)
        leg.configure(("127.0.0.1", await media.open()), "PCMU", 0, 101)
        bridge(caller, leg)
        caller_legs.append(caller)
        streams += [caller, leg]
        gateways.append(media)
    settle_for_media()  # as `alur serve` does once started
    here.send(("setup", calls, [c.local_port for c in caller_legs]))
    ports, offers = await ask()
    for caller, port in zip(caller_legs, ports, strict=True):
        caller.configure(("127.0.0.1", port), "PCMU", 0, 101)
    answers = [await g.accept(offer) for g, offer in zip(gateways, offers, strict=True)]
    here.send(("answers", answers))
    await asyncio.wait_for(asyncio.gather(*(g.connected.wait() for g in gateways)), 30)
    await ask()  # the callers speak
    await asyncio.sleep(2.0)  # warm up: jitter buffers fill, encoders start
    cpu0, wall0 = time.process_time(), time.perf_counter()
    here.send(("measure", seconds))
    p50, p99, received, heard, world_cpu = await ask()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    late = clock.stats.late_ticks / max(1, clock.stats.ticks)
    here.send(("stop",))
    await ask()
    for g in gateways:
        await g.close()
    for s in streams:
        s.close()
    clock.close()
    child.join(5)
    return {
        "calls": calls,
        "cpu_per_call": cpu / wall / calls,
        "cpu_total": cpu / wall,
        "p50_ms": p50 * 1000,
        "p99_ms": p99 * 1000,
        "to_callers": received / seconds / calls,  # packets per second per caller (50 expected)
        "to_browsers": heard / seconds / calls,  # frames per second per browser (50 expected)
        "late_ticks": late,  # share of media clock ticks more than 5 ms late (the whole run)
        "world_cpu": world_cpu,  # the callers' and browsers' process, sharing the machine
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", default="5,10,20,40")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--codec", default="PCMU", choices=["PCMU", "opus"])
    parser.add_argument("--loop", default="auto", choices=["auto", "uvloop", "asyncio"])
    args = parser.parse_args()
    run = asyncio.run
    if args.loop != "asyncio":
        try:
            import uvloop

            run = uvloop.run
        except ImportError:
            if args.loop == "uvloop":
                parser.error("--loop uvloop: uvloop is not installed (pip install 'alur[fast]')")
    fits = last = 0
    loop_name = "uvloop" if run is not asyncio.run else "asyncio"
    print(f"browser calls, agent codec {args.codec}, {loop_name} loop, {args.seconds:g} s measured per step")
    for n in [int(x) for x in args.calls.split(",")]:
        r = run(measure(n, args.seconds, args.codec))
        ok = r["cpu_total"] < 1.0 and r["p99_ms"] <= 5.0
        fits = n if ok and fits == last else fits
        last = n
        print(
            f"{n:4d} calls  cpu/call {r['cpu_per_call'] * 100:5.1f}% of a core"
            f" (total {r['cpu_total'] * 100:5.1f}%)"
            f"  to caller gap-20ms p50 {r['p50_ms']:5.2f} ms p99 {r['p99_ms']:6.2f} ms"
            f"  pkts/s/caller {r['to_callers']:5.1f}  frames/s/browser {r['to_browsers']:5.1f}"
            f"  clock ticks >5 ms late {r['late_ticks'] * 100:4.1f}%"
            f"  (callers+browsers process {r['world_cpu'] * 100:3.0f}%)"
            f"  {'ok' if ok else 'over'}",
            flush=True,
        )
        if r["cpu_total"] >= 1.0:
            break
    print(f"fits on one core with p99 <= 5 ms: {fits} calls (the most of those tried, all fewer passing)")


if __name__ == "__main__":
    main()
