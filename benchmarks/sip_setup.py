"""Call setups per second on real SIP/RTP, with prompts playing, and the server's CPU.

    python benchmarks/sip_setup.py [--rates 20,50,100] [--seconds 5] [--hold 2] [--loop asyncio]

Starts `alur serve` (a subprocess: uvloop when installed) on a generated one-flow project: each call
is answered, hears a spoken greeting (TTS, cached after the first call) paced at 20 ms, and the caller
(sipp) sends RTP too and hangs up after `--hold` seconds. For each rate, sipp places rate x seconds
calls; printed: calls attempted, successful, failed, retransmissions seen by sipp, the server's CPU
time per call and its CPU load (share of one core) over the run's wall time (placing the calls,
holding them, tearing them down). sipp runs on the same machine and competes for the same cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from sipp import audio_and_dtmf_pcap, free_port, run_sipp  # noqa: E402

PROJECT = {
    "alur.yaml": 'name: bench\nnumbers:\n  "100": greet\nserver:\n  silence_timeout: 30\n',
    "flows/greet.yaml": (
        "flow: greet\nstart: hello\nnodes:\n  hello:\n    type: play\n"
        '    say: "Thank you for calling. All our lines are recorded."\n    next: wait\n'
        '  wait:\n    type: menu\n    prompt: "Please hold."\n    timeout: 20\n    retries: 0\n'
        '    options:\n      "1": done\n    fail: done\n  done:\n    type: hangup\n'
    ),
}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def counters(stdout: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for name in ("Successful call", "Failed call", "Retransmissions"):
        m = re.findall(rf"{name}\s+\|\s+\d+\s+\|\s+(\d+)", stdout)
        if m:
            out[name] = int(m[-1])
    return out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="20,50,100")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--hold", type=float, default=2.0)
    parser.add_argument("--loop", default="auto", help="event loop of the server: auto, uvloop or asyncio")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="alur-bench-"))
    for name, text in PROJECT.items():
        (work / "project" / name).parent.mkdir(parents=True, exist_ok=True)
        (work / "project" / name).write_text(text)
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "alur.cli",
        "serve",
        str(work / "project"),
        "--sip-port",
        str(port),
        "--db",
        str(work / "events.db"),
        "--loop",
        args.loop,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "XDG_CACHE_HOME": str(work / "cache")},
    )
    assert proc.stdout is not None
    while True:
        line = (await proc.stdout.readline()).decode()
        if not line:
            raise SystemExit("alur serve did not start")
        if line.startswith("Alur is answering"):
            print(line.strip())
        if line.startswith("Press Ctrl-C"):
            break
    pcap = audio_and_dtmf_pcap(work / "caller.pcap", audio_seconds=args.hold)
    # warm the speech cache with one call, as a running server would have it
    await run_sipp(
        "caller.xml",
        f"127.0.0.1:{port}",
        port=free_port(),
        media_port=free_port(),
        workdir=work,
        keys={"pcap": str(pcap)},
        params={"wait_ms": 0, "talk_ms": int(args.hold * 1000)},
        timeout=30,
    )
    print(
        f"{'rate/s':>7} {'calls':>6} {'ok':>6} {'failed':>6} {'retrans':>8} "
        f"{'cpu ms/call':>12} {'cpu load':>9} {'wall s':>7}"
    )
    for rate in [float(r) for r in args.rates.split(",")]:
        calls = int(rate * args.seconds)
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        res = await run_sipp(
            "caller.xml",
            f"127.0.0.1:{port}",
            port=free_port(),
            media_port=free_port(),
            workdir=work,
            keys={"pcap": str(pcap)},
            params={"wait_ms": 0, "talk_ms": int(args.hold * 1000)},
            calls=calls,
            rate=rate,
            timeout=args.seconds + args.hold + 30,
            extra=["-l", str(int(rate * (args.hold + 3) + 10)), "-max_socket", "5000"],
        )
        cpu, wall = cpu_seconds(proc.pid) - cpu0, time.monotonic() - t0
        c = counters(res.stdout)
        ok, failed = c.get("Successful call", 0), c.get("Failed call", 0)
        print(
            f"{rate:>7.0f} {calls:>6} {ok:>6} {failed:>6} {c.get('Retransmissions', 0):>8} "
            f"{1000 * cpu / max(1, ok + failed):>12.2f} {cpu / wall:>8.0%} {wall:>7.1f}"
        )
        await asyncio.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    await proc.wait()


if __name__ == "__main__":
    asyncio.run(main())
