"""Memory of a running contact center over 100,000 calls: it must stay flat.

A `ContactCenter` with its event bus, today's KPI fold and a SQLite store writer takes calls as the
SIP adapter would (arrival, queue, offer, answer, talk, hang-up, wrap-up, end), in virtual time so the
run is quick, and the store writes every event. Python's traced memory and the process's resident
size are printed every 10,000 calls: a list or map that grew with calls would show as a steady climb.

    python benchmarks/service_memory.py                 # 100,000 calls
    python benchmarks/service_memory.py --calls 20000
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from alur.config.project import load_project
from alur.core import events as ev
from alur.core.channel import QueueRequest
from alur.core.clock import VirtualClock
from alur.service import commands as cmd
from alur.service.center import ContactCenter
from alur.store.event_store import EventStore

AGENTS = 20
T0 = 1_767_250_800.0

PROJECT = {
    "alur.yaml": "name: bench\ntimezone: UTC\nnumbers:\n  '100': main\n",
    "flows/main.yaml": "flow: main\nstart: q\nnodes:\n  q:\n    type: queue\n    queue: sales\n",
    "queues/sales.yaml": "name: sales\nstrategy: longest_idle\nring_timeout: 20\nwrap_up: 5\n",
}


def make_project(root: Path) -> object:
    for name, text in PROJECT.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    agents = "\n".join(f"  - {{id: a{i}, queues: [sales]}}" for i in range(AGENTS))
    (root / "agents").mkdir(exist_ok=True)
    (root / "agents/agents.yaml").write_text(f"agents:\n{agents}\n")
    return load_project(root)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


async def run(calls: int, every: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    project = make_project(tmp)
    clock = VirtualClock(T0)
    store = EventStore(str(tmp / "alur.db"))
    print(f"{'calls':>8} {'traced MB':>10} {'peak RSS MB':>12} {'events':>10} {'wall s':>7}")
    started = time.perf_counter()
    async with ContactCenter(project, clock=clock, store=store) as center:  # type: ignore[arg-type]
        publish, execute = center.publish, center.execute
        for agent in center.router.agents:
            execute(cmd.Login(agent))
        tracemalloc.start()
        for n in range(1, calls + 1):
            call_id = f"c{n}"
            publish(ev.CallArrived(clock.now(), call_id, "0812", "100", "main"))
            execute(cmd.Enqueue(call_id, QueueRequest("sales")))
            (rid,) = [r.id for r in center.router.reservations.values() if r.call.call_id == call_id]
            execute(cmd.Answer(rid))
            clock.run(clock.now() + 2.0)
            execute(cmd.Hangup(call_id, "caller"))
            publish(ev.CallEnded(clock.now(), call_id, "caller_hangup", "q"))
            clock.run(clock.now() + 0.5)
            if n % 500 == 0:
                await center.settle()  # let the writer keep up, as a live server's quiet moments do
            if n % every == 0:
                await center.settle()
                traced = tracemalloc.get_traced_memory()[0] / 2**20
                wall = time.perf_counter() - started
                print(
                    f"{n:>8,} {traced:>10.1f} {rss_mb():>12.1f} {center.bus.seq:>10,} {wall:>7.1f}",
                    flush=True,
                )
        tracemalloc.stop()
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=10_000)
    args = parser.parse_args()
    if not 1 <= args.every <= args.calls <= 10_000_000:
        sys.exit(f"--calls must be 1..10,000,000 and --every 1..calls (got {args.calls}, {args.every})")
    asyncio.run(run(args.calls, args.every))


if __name__ == "__main__":
    main()
