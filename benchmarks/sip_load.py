"""Media at contact-center load: `alur serve` driven by sipp, RTP captured with kernel timestamps.

    sudo python benchmarks/sip_load.py [--prompt 100,300] [--bridged 100,300] [--rates 100,200]
                                       [--hold 8] [--loop auto|uvloop|asyncio] [--shared]
                                       [--source paced|sipp]

Scenarios (each prints the server's share of one core while all its calls are up, its CPU time per
call over the whole scenario, inter-packet gap p50/p99/max of every stream Alur sends, the gap p99 of
the streams callers and agents send Alur ("in": a relayed stream cannot be steadier than its source),
and failed calls; when calls fail, why overload control refused them, read from /metrics):
  prompt   N concurrent callers hearing prompts (a long menu prompt paced by the media clock)
  bridged  N concurrent callers bridged to N agents (one sipp UAS answering for all of them, at most
           100 a second); the gaps are those of the relayed packets as they reach each side, and a
           second line tells how long each relayed packet spent in Alur (kernel timestamps in and
           out: the jitter Alur adds)
  rate     call set-ups per second for 5 s, each call a short prompt; failed calls include 503s
sipp places and answers the calls. Callers and agents talk (a looped tone) through `rtp_pacer.py`, one
steady 20 ms clock for every leg (`--source paced`, the default), or through sipp's rtp_stream
(`--source sipp`), which at hundreds of calls sends ~1.5 % of its packets a period late, and a relay
passes that on. Never sipp's pcap play: it opens a raw socket per call, the kernel offers every UDP
datagram delivered on the host to each of them, and on the loopback the sender pays, so at 800 calls
each packet Alur sent cost ~15 us of its core in sipp's raw sockets. The capture and the paced source
need CAP_NET_RAW (root). Alur runs alone on the first core; sipp, the paced source and the capture on
the others (`--shared`: everything on every core), so the figures are those of Alur on one core.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from rtpcapture import Capture  # noqa: E402
from sip_setup import counters, cpu_seconds  # noqa: E402
from sipp import free_port, run_sipp, tone_ulaw  # noqa: E402

SCENARIOS = ROOT / "benchmarks" / "scenarios"
# Agents answer at most this many calls a second in the bridged scenario (a bridged set-up is two
# legs, a routing decision and its events): it measures relaying N calls, and set-up rates have a
# scenario of their own. Calls are held long enough for all of them to be up together.
BRIDGED_RATE = 100
LONG_TEXT = " ".join(["Thank you for calling. Your call is important to us. Please stay on the line."] * 4)


def project(root: Path, agents: int, agent_port: int) -> None:
    files = {
        "alur.yaml": (
            'name: load\nnumbers:\n  "100": greet\n  "200": bridged\n'
            "server:\n  silence_timeout: 60\n  max_calls: 5000\n"
        ),
        "flows/greet.yaml": (
            "flow: greet\nstart: hello\nnodes:\n  hello:\n    type: menu\n"
            f'    prompt: "{LONG_TEXT}"\n    timeout: 30\n    retries: 0\n'
            '    options:\n      "1": done\n    fail: done\n  done:\n    type: hangup\n'
        ),
        "flows/bridged.yaml": (
            "flow: bridged\nstart: q\nnodes:\n  q:\n    type: queue\n    queue: load\n"
            "    announce_position: false\n    announce_wait: false\n"
            "    answered: done\n    timeout: done\n    fail: done\n  done:\n    type: hangup\n"
        ),
        "queues/load.yaml": "name: load\nring_timeout: 10\nmax_wait: 60\n",
        "agents/agents.yaml": "agents:\n"
        + "".join(
            f'  - id: a{i}\n    sip_uri: "sip:a{i}@127.0.0.1:{agent_port}"\n    queues: [load]\n'
            for i in range(agents)
        ),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def gap_figures(packets: list) -> tuple[float, float, float, int]:
    """p50/p99/max inter-packet gap (ms) over every stream in `packets` (one per address pair and SSRC:
    sipp's rtp_stream may give every call the same SSRC)."""
    streams: dict[tuple[int, int, int], list[float]] = defaultdict(list)
    for p in packets:
        if len(p.data) >= 12 and p.data[0] >> 6 == 2 and p.pt in (0, 8):
            streams[p.src, p.dst, p.ssrc].append(p.at)
    gaps = [np.diff(np.array(t)) * 1000 for t in streams.values() if len(t) > 10]
    if not gaps:
        return 0.0, 0.0, 0.0, 0
    every = np.concatenate(gaps)
    return (
        float(np.percentile(every, 50)),
        float(np.percentile(every, 99)),
        float(every.max()),
        len(streams),
    )


def relay_delays(packets: list, phone_ports: set[int]) -> np.ndarray:
    """How long each relayed packet spent in Alur (ms), from the capture's kernel timestamps.

    The relay keeps payloads and shifts sequence numbers by a constant, so for every stream Alur sends,
    its source is the received stream and shift under which its packets' payloads match, each a
    little after the packet it copies. Every caller and agent streams the same tone, so several
    received packets carry the payload of Alur's first relayed packet: each is tried, and the one
    whose shift matches the most of the stream's next packets (then the shortest delays) is taken."""
    heard: dict[tuple[int, int], dict[int, Any]] = defaultdict(dict)  # (phone port, Alur port) -> seq
    by_payload: dict[bytes, list[Any]] = defaultdict(list)
    sent: dict[tuple[int, int, int], list[Any]] = defaultdict(list)
    for p in packets:
        if len(p.data) < 12 or p.pt not in (0, 8):
            continue
        if p.src in phone_ports:
            heard[p.src, p.dst][p.seq] = p
            by_payload[p.payload].append(p)
        elif p.dst in phone_ports:
            sent[p.src, p.dst, p.ssrc].append(p)

    def matched(stream: list[Any], seqs: dict[int, Any], shift: int) -> list[float]:
        out = []
        for p in stream:
            h = seqs.get((p.seq - shift) & 0xFFFF)
            if h is not None and h.payload == p.payload and 0 <= p.at - h.at < 1.0:
                out.append((p.at - h.at) * 1000)
        return out

    def copied_by(p: Any) -> list[Any]:  # received packets `p` may be the relayed copy of
        return [h for h in by_payload.get(p.payload, []) if 0 <= p.at - h.at < 0.02]

    delays: list[float] = []
    for stream in sent.values():
        # the caller hears music on hold before the agent answers: start at the first copy
        i, candidates = next(((i, c) for i, p in enumerate(stream[:500]) if (c := copied_by(p))), (0, []))
        if not candidates:
            continue
        first, window = stream[i], stream[i : i + 50]

        def fit(h: Any, window: list[Any] = window, first: Any = first) -> tuple[int, float]:
            found = matched(window, heard[h.src, h.dst], (first.seq - h.seq) & 0xFFFF)
            return len(found), -sum(found)

        source = max(candidates, key=fit)
        delays += matched(stream[i:], heard[source.src, source.dst], (first.seq - source.seq) & 0xFFFF)
    return np.array(delays)


class Metrics:
    """The server's /metrics, read between scenarios: why INVITEs were refused."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.before: dict[str, float] = {}

    def refused(self) -> str:
        text = httpx.get(f"{self.url}/metrics", headers={"Authorization": f"Bearer {self.token}"}).text
        now = {
            line.split("{")[1].split("}")[0].split('"')[1]: float(line.split()[-1])
            for line in text.splitlines()
            if line.startswith("alur_invites_refused_total{")
        }
        delta = {k: v - self.before.get(k, 0.0) for k, v in now.items()}
        self.before = now
        return ", ".join(f"{k} {v:.0f}" for k, v in delta.items() if v) or "none"


def pin(cores: set[int]) -> Any:
    """What to run in a child before it starts: keep it on `cores` (threads it starts inherit them)."""
    return lambda: os.sched_setaffinity(0, cores)


async def start_server(
    work: Path, loop: str, agents: int, agent_port: int, cores: set[int] | None
) -> tuple[asyncio.subprocess.Process, int, Metrics]:
    project(work / "project", agents, agent_port)
    port, http_port = free_port(), free_port()
    db = str(work / "events.db")
    token = subprocess.run(
        [sys.executable, "-m", "alur.cli", "token", "create", "--role", "admin", "-p", str(work / "project"),
         "--db", db],
        check=True, capture_output=True, text=True,
    ).stdout.split()[-1]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "alur.cli", "serve", str(work / "project"), "--sip-port", str(port),
        "--db", db, "--loop", loop, "--http-port", str(http_port),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "XDG_CACHE_HOME": str(work / "cache")},
        preexec_fn=pin(cores) if cores else None,
    )  # fmt: skip
    assert proc.stdout is not None
    while True:
        line = (await proc.stdout.readline()).decode()
        if not line:
            raise SystemExit("alur serve did not start")
        if line.startswith("Alur is answering"):
            print(line.strip())
        if line.startswith("Press Ctrl-C"):
            break
    asyncio.get_running_loop().create_task(_drain(proc, work / "server.log"))
    return proc, port, Metrics(f"http://127.0.0.1:{http_port}", token)


async def _drain(proc: asyncio.subprocess.Process, log: Path) -> None:
    """Keep the server's output (its call console and any warnings) for a look after the run."""
    assert proc.stdout is not None
    with log.open("wb") as out:
        while line := await proc.stdout.readline():
            out.write(line)


class Talkers:
    """Who talks for callers and agents: sipp itself, or the paced source (its own process, on the
    benchmark's cores) for every call Alur answers on `sip_port`."""

    def __init__(self, source: str, sip_port: int, caller_audio: Path, agent_audio: Path) -> None:
        self.audio = {"caller": caller_audio, "agent": agent_audio}
        self.pacer: subprocess.Popen[str] | None = None
        self.ports: set[int] = set()
        if source == "paced":
            self.pacer = subprocess.Popen(
                [sys.executable, str(ROOT / "benchmarks" / "rtp_pacer.py"), "--sip-port", str(sip_port),
                 "--caller-audio", str(caller_audio), "--agent-audio", str(agent_audio)],
                stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert self.pacer.stdout is not None
            self.ports = {int(p) for p in self.pacer.stdout.readline().split()}
            if not self.ports:
                raise SystemExit("the paced RTP source did not start (it needs CAP_NET_RAW)")

    def stream(self, who: str) -> str:
        """The scenario's `{{stream}}`: sipp's rtp_stream action, or nothing when the pacer talks."""
        if self.pacer is not None:
            return "<!-- the paced source talks -->"
        return f'<nop><action><exec rtp_stream="{self.audio[who]},-1,0"/></action></nop>'

    def stop(self) -> None:
        if self.pacer is not None:
            self.pacer.terminate()
            out, _ = self.pacer.communicate(timeout=10)
            print(f"paced source: {out.strip()}")


async def scenario(
    name: str, n: int, port: int, pid: int, metrics: Metrics, work: Path, talkers: Talkers, hold: float, *,
    service: str, rate: float, bridged: bool = False, agent_port: int = 0,
) -> None:  # fmt: skip
    media = free_port()
    agent_media = free_port()
    phone_ports = {media, agent_media} | talkers.ports
    cap = Capture(phone_ports, frozenset(phone_ports))  # what Alur sends to the callers and agents, and gets
    agent_task = None
    if bridged:
        agent_task = asyncio.create_task(
            run_sipp(
                SCENARIOS / "agent_stream.xml", "", port=agent_port, media_port=agent_media, workdir=work,
                params={"stream": talkers.stream("agent")}, calls=n, timeout=hold + n / rate + 60,
                extra=["-l", str(n + 10), "-max_socket", "5000"],
            )
        )  # fmt: skip
        await asyncio.sleep(0.5)
    cpu0 = cpu_seconds(pid)
    steady = asyncio.create_task(steady_cpu(pid, ramp=n / rate, hold=hold))
    try:
        res = await run_sipp(
            SCENARIOS / "caller_stream.xml", f"127.0.0.1:{port}", port=free_port(), media_port=media,
            workdir=work, service=service,
            params={"wait_ms": 0, "talk_ms": int(hold * 1000), "stream": talkers.stream("caller")},
            calls=n, rate=rate, timeout=hold + n / rate + 60,
            extra=["-l", str(n + 10), "-max_socket", "5000"],
        )  # fmt: skip
        if agent_task is not None:
            await agent_task
    finally:
        cap.stop()
    cpu = cpu_seconds(pid) - cpu0
    up = await steady
    c = counters(res.stdout)
    p50, p99, worst, streams = gap_figures([p for p in cap.packets if p.dst in phone_ports])
    heard_p99 = gap_figures([p for p in cap.packets if p.src in phone_ports])[1]
    delays = relay_delays(cap.packets, phone_ports) if bridged else np.array([])
    print(
        f"{name:>8} {n:>6} {'-' if up is None else f'{up:.0%}':>8} {cpu / n * 1000:>8.2f} "
        f"{p50:>8.1f} {p99:>8.1f} {worst:>8.1f} {heard_p99:>8.1f} "
        f"{streams:>8} {c.get('Successful call', 0):>6} {c.get('Failed call', 0):>6}"
    )
    if len(delays):
        print(
            f"{'':>8} relayed packets {len(delays):,}: time in Alur p50 {np.percentile(delays, 50):.2f} ms, "
            f"p99 {np.percentile(delays, 99):.2f} ms, max {delays.max():.1f} ms"
        )
    if c.get("Failed call", 0):
        print(f"{'':>8} refused by overload control: {metrics.refused()}")


async def steady_cpu(pid: int, *, ramp: float, hold: float) -> float | None:
    """The server's share of one core while every call of the scenario is up (after the last is
    placed, before the first ends), or None when calls end before the last is placed."""
    window = hold - ramp - 1.0
    if window < 1.0:
        return None
    await asyncio.sleep(ramp + 0.5)
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(window)
    return (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompt", default="100,300")
    parser.add_argument("--bridged", default="100,300")
    parser.add_argument("--rates", default="100,200")
    parser.add_argument("--hold", type=float, default=8.0)
    parser.add_argument("--loop", default="auto")
    parser.add_argument(
        "--source", choices=["paced", "sipp"], default="paced",
        help="who talks for callers and agents: one steady clock (default) or sipp's rtp_stream",
    )  # fmt: skip
    parser.add_argument(
        "--shared", action="store_true",
        help="let Alur share every core with sipp and the capture (default: Alur alone on core 0)",
    )  # fmt: skip
    args = parser.parse_args()
    everything = os.sched_getaffinity(0)
    server_cores = None
    if not args.shared and len(everything) >= 2:
        server_cores = {min(everything)}
        os.sched_setaffinity(0, everything - server_cores)  # sipp (our children) and the capture
        print(f"Alur on core {min(everything)}; sipp and the capture on the other {len(everything) - 1}")
    work = Path(tempfile.mkdtemp(prefix="alur-load-"))
    most = max([0, *[int(x) for x in args.bridged.split(",") if x]])
    agent_port = free_port()
    proc, port, metrics = await start_server(work, args.loop, most, agent_port, server_cores)
    talkers = Talkers(
        args.source, port, tone_ulaw(work / "caller.ul", 440), tone_ulaw(work / "agent.ul", 660)
    )
    try:
        await run_sipp(  # warm the speech cache, as a running server would have it
            SCENARIOS / "caller_stream.xml", f"127.0.0.1:{port}", port=free_port(), media_port=free_port(),
            workdir=work, params={"wait_ms": 0, "talk_ms": 1000, "stream": talkers.stream("caller")},
            timeout=60,
        )  # fmt: skip
        print(
            f"{'scenario':>8} {'calls':>6} {'cpu up':>8} {'ms/call':>8} {'gap p50':>8} {'gap p99':>8} "
            f"{'gap max':>8} {'in p99':>8} {'streams':>8} {'ok':>6} {'failed':>6}"
        )
        for n in [int(x) for x in args.prompt.split(",") if x]:
            await scenario(
                "prompt", n, port, proc.pid, metrics, work, talkers, args.hold, service="100",
                rate=max(20, n / 3),
            )  # fmt: skip
            await asyncio.sleep(2)
        for n in [int(x) for x in args.bridged.split(",") if x]:
            rate = min(BRIDGED_RATE, max(20, n / 3))
            await scenario(
                "bridged", n, port, proc.pid, metrics, work, talkers, max(args.hold, n / rate + 4),
                service="200", rate=rate, bridged=True, agent_port=agent_port,
            )  # fmt: skip
            await asyncio.sleep(2)
        for rate in [float(x) for x in args.rates.split(",") if x]:
            await scenario(
                "rate", int(rate * 5), port, proc.pid, metrics, work, talkers, 2.0, service="100", rate=rate
            )
            await asyncio.sleep(2)
    finally:  # a failed run must not leave the paced source sending
        talkers.stop()
        proc.send_signal(signal.SIGINT)
        await proc.wait()


if __name__ == "__main__":
    asyncio.run(main())
