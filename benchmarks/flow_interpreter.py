"""Cost of the flow interpreter per simulated call, on the support example, in virtual time.

    python benchmarks/flow_interpreter.py [--calls 20000]

One call arrives every second (so a few hundred are in progress at once, as in a simulation); each
goes through business hours, the language menu, caller-ID authentication, the main menu and a queue
(answered by the scripted queue handler). Prints calls per second, microseconds per call and per node.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from alur.config import load_project
from alur.core.clock import VirtualClock
from alur.core.events import Event
from alur.core.tasks import Task
from alur.flow import FlowRunner
from alur.testing.channel import ScriptedCaller, ScriptedQueue, SimChannel

SUPPORT = Path(__file__).resolve().parents[1] / "examples" / "support"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args()
    project = load_project(SUPPORT)
    start = datetime(2026, 11, 24, 8, tzinfo=timezone(timedelta(hours=7))).timestamp()
    clock = VirtualClock(start)
    events: list[Event] = []
    runner = FlowRunner(project, clock=clock, log=events.append)
    queue = ScriptedQueue("answered", after=10, talk=60)
    results = []

    def arrive(i: int) -> None:
        channel = SimChannel(
            clock,
            call_id=f"c{i}",
            caller_id="+6281100000002" if i % 2 else "+6285500000000",
            dialed="1000",
            caller=ScriptedCaller(["1", "4321", "2"] if i % 2 else ["1", "100002#", "4321", "1"]),
            queue=queue,
        )
        results.append(Task(runner.run_call(channel)).future)

    for i in range(args.calls):
        clock.call_at(start + i, lambda i=i: arrive(i))
    began = time.perf_counter()
    clock.run()
    elapsed = time.perf_counter() - began
    nodes = sum(len(f.result().path) for f in results)
    answered = sum(f.result().how == "answered" for f in results)
    print(f"calls:            {args.calls} ({answered} answered)")
    print(f"nodes entered:    {nodes} ({nodes / args.calls:.1f} per call)")
    print(f"events logged:    {len(events)} ({len(events) / args.calls:.1f} per call)")
    print(f"wall time:        {elapsed:.2f} s")
    print(f"calls per second: {args.calls / elapsed:,.0f}")
    print(f"per call:         {elapsed / args.calls * 1e6:,.0f} us")
    print(f"per node:         {elapsed / nodes * 1e6:,.1f} us")


if __name__ == "__main__":
    main()
