"""HTTP API under load: request latency of the agents' common actions and of a supervisor's queue view,
and the delay from an event to its WebSocket delivery, with 500 agents and 200 concurrent calls.

The server is a separate process (its own event loop, as `alur serve` runs it): a contact center with
the real store (SQLite) and the real API under uvicorn on a free port. Calls are driven inside it through
commands, as an adapter would (no SIP): `--calls` callers are always in the system, each arriving,
queueing, talking for `--talk` seconds (mean, exponential) after an agent answers, then hanging up.
This process is the people: every agent keeps a WebSocket open (its own events, as the agent desktop
does) and, on each offer, GETs the offer (screen pop), accepts it, waits for the caller to hang up,
POSTs the wrap-up, and is ready again (after one call in five, after a pause). A supervisor GETs /queues twice
a second; an admin WebSocket receives every event. Latency is measured by the client, from sending a
request to reading its answer; the WebSocket delay from the event's stamp (`stamped_at`, the server's
wall clock when it was published) to its arrival here.

    python benchmarks/api.py                       # 500 agents, 200 calls, 40 s warm-up, 60 s measured
    python benchmarks/api.py --agents 100 --calls 40 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

QUEUE = "support"


# --- the server process ------------------------------------------------------------------------------


def make_project(root: Path, agents: int) -> None:
    for folder in ("flows", "queues", "agents"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "alur.yaml").write_text(
        "name: bench\ntimezone: UTC\ndefault_flow: main\npause_reasons: [break]\n"
    )
    (root / "flows/main.yaml").write_text(
        f"flow: main\nstart: q\nnodes:\n  q:\n    type: queue\n    queue: {QUEUE}\n    fail: bye\n"
        "  bye:\n    type: hangup\n"
    )
    (root / f"queues/{QUEUE}.yaml").write_text(
        f"name: {QUEUE}\nring_timeout: 60\nwrap_up: 300\ndispositions: [done, later]\n"
    )
    lines = [f"  - {{id: a{i:03d}, queues: [{QUEUE}]}}" for i in range(agents)]
    (root / "agents/agents.yaml").write_text("agents:\n" + "\n".join(lines) + "\n")


async def serve(root: Path, agents: int, calls: int, talk: float) -> None:
    """Run the contact center and its API; print `PORT n` and the tokens file, drive calls until SIGTERM."""
    from alur.api.server import ApiServer
    from alur.config.project import load_project
    from alur.core.clock import RealClock
    from alur.service.center import ContactCenter
    from alur.store.event_store import EventStore
    from alur.store.tokens import TokenStore

    make_project(root, agents)
    project = load_project(root)
    store = await asyncio.to_thread(EventStore, str(root / "alur.db"))
    made = TokenStore(store.engine)
    tokens = {f"a{i:03d}": made.create("agent", agent_id=f"a{i:03d}")[0] for i in range(agents)}
    tokens["supervisor"] = made.create("supervisor", queues=(QUEUE,))[0]
    tokens["admin"] = made.create("admin")[0]
    (root / "tokens.json").write_text(json.dumps(tokens))
    center = ContactCenter(project, clock=RealClock(asyncio.get_running_loop()), store=store)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with center:
        api = ApiServer(center, "127.0.0.1", 0)
        await api.start()
        answered: dict[str, asyncio.Event] = {}

        async def on_events(batch: list[Any]) -> None:
            for envelope in batch:
                if envelope.event.KIND == "offer.answered" and envelope.event.call_id in answered:
                    answered[envelope.event.call_id].set()

        center.bus.subscribe("bench-callers", on_events)
        for n in range(calls):
            center.spawn(caller(center, n, answered, talk), f"caller {n}")
        print(f"PORT {api.port}", flush=True)
        await stop.wait()
        await api.stop()
    store.close()


async def caller(center: Any, n: int, answered: dict[str, asyncio.Event], talk: float) -> None:
    """One line of traffic: a call arrives as soon as the previous one on this line ended."""
    from alur.core import events as ev
    from alur.core.channel import QueueRequest
    from alur.service import commands as cmd

    rng = random.Random(n)
    for k in range(1_000_000):
        call_id = f"L{n:03d}-{k}"
        answered[call_id] = asyncio.Event()
        center.publish(ev.CallArrived(center.clock.now(), call_id, f"+62811{n:03d}{k:04d}", "1500", "main"))
        center.execute(cmd.Enqueue(call_id, QueueRequest(queue=QUEUE)))
        await answered[call_id].wait()
        del answered[call_id]
        await asyncio.sleep(rng.expovariate(1 / talk))
        center.execute(cmd.Hangup(call_id, "caller"))
        center.publish(ev.CallEnded(center.clock.now(), call_id, "caller_hangup", "q"))


# --- the people ------------------------------------------------------------------------------------


class Figures:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.ws_agent: list[float] = []
        self.ws_admin: list[float] = []
        self.errors: dict[str, int] = defaultdict(int)
        self.calls = 0
        self.measuring = False

    async def request(self, http: httpx.AsyncClient, what: str, method: str, url: str, token: str,
                      **kw: Any) -> httpx.Response:  # fmt: skip
        started = time.perf_counter()
        response = await http.request(method, url, headers={"Authorization": f"Bearer {token}"}, **kw)
        if self.measuring:
            self.latency[what].append(time.perf_counter() - started)
            if response.status_code >= 400:
                self.errors[f"{what} {response.status_code} {response.json().get('error')}"] += 1
        return response


async def agent(agent_id: str, token: str, base: str, http: httpx.AsyncClient, figures: Figures) -> None:
    ws_base = base.replace("http://", "ws://")
    me = f"/agents/{agent_id}"
    async with connect(f"{ws_base}/ws?token={token}", max_queue=None) as ws:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def receive() -> None:
            async for raw in ws:
                message = json.loads(raw)
                if figures.measuring:
                    figures.ws_agent.append(time.time() - message["stamped_at"])
                await inbox.put(message)

        async def next_of(kind: str) -> dict[str, Any]:
            while True:
                message = await inbox.get()
                if message["kind"] == kind:
                    return message

        reader = asyncio.create_task(receive())
        rng = random.Random(agent_id)
        try:
            await figures.request(http, "login", "POST", f"{me}/login", token)
            while True:
                await next_of("offer.made")
                offer = (await figures.request(http, "GET offer", "GET", f"{me}/offer", token)).json()[
                    "offer"
                ]
                if offer is None:
                    continue
                body = {"reservation_id": offer["reservation_id"]}
                if (
                    await figures.request(http, "accept", "POST", f"{me}/offer/accept", token, json=body)
                ).is_error:
                    continue
                while (await next_of("call.talk_ended"))["event"]["fields"]["call_id"] != offer["call_id"]:
                    pass
                body = {"call_id": offer["call_id"], "disposition": "done", "notes": "helped"}
                await figures.request(http, "wrap-up", "POST", f"{me}/wrap-up", token, json=body)
                if rng.random() < 0.2:  # one call in five: a break before the next
                    await figures.request(
                        http, "pause", "POST", f"{me}/pause", token, json={"reason": "break"}
                    )
                await figures.request(http, "ready", "POST", f"{me}/ready", token)
                if figures.measuring:
                    figures.calls += 1
        finally:
            reader.cancel()


async def supervisor(token: str, http: httpx.AsyncClient, figures: Figures) -> None:
    while True:
        await figures.request(http, "GET /queues (supervisor)", "GET", "/queues", token)
        await asyncio.sleep(0.5)


async def admin_stream(base: str, token: str, figures: Figures) -> None:
    async with connect(f"{base.replace('http://', 'ws://')}/ws?token={token}", max_queue=None) as ws:
        async for raw in ws:
            if figures.measuring:
                figures.ws_admin.append(time.time() - json.loads(raw)["stamped_at"])


async def drive(base: str, tokens: dict[str, str], agents: int, warmup: float, seconds: float) -> Figures:
    figures = Figures()
    limits = httpx.Limits(max_connections=agents + 10, max_keepalive_connections=agents + 10)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        people = [asyncio.create_task(agent(f"a{i:03d}", tokens[f"a{i:03d}"], base, http, figures))
                  for i in range(agents)]  # fmt: skip
        people.append(asyncio.create_task(supervisor(tokens["supervisor"], http, figures)))
        people.append(asyncio.create_task(admin_stream(base, tokens["admin"], figures)))
        await asyncio.sleep(warmup)  # everyone logged in, the first calls answered
        figures.measuring = True
        await asyncio.sleep(seconds)
        figures.measuring = False
        for task in people:
            task.cancel()
        await asyncio.gather(*people, return_exceptions=True)
    return figures


# --- report ----------------------------------------------------------------------------------------


def quantiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return p(0.50), p(0.99), ordered[-1]


def report(figures: Figures, args: argparse.Namespace, seconds: float) -> None:
    rate = figures.calls / seconds
    print(f"\n{args.agents} agents, {args.calls} concurrent calls (talk {args.talk:.0f} s mean), "
          f"{seconds:.0f} s measured: {figures.calls} calls handled ({rate:.1f}/s)")  # fmt: skip
    print(f"machine: {machine()}\n")
    print(f"| {'what':<34} | {'count':>7} | {'per s':>6} | {'p50 ms':>7} | {'p99 ms':>7} | {'max ms':>7} |")
    print(f"| {'-' * 34} | {'-' * 7}:| {'-' * 6}:| {'-' * 7}:| {'-' * 7}:| {'-' * 7}:|")
    rows = [(k, figures.latency[k]) for k in ("GET offer", "accept", "wrap-up", "ready", "pause",
                                              "GET /queues (supervisor)")]  # fmt: skip
    rows += [
        ("WebSocket delay, agent streams", figures.ws_agent),
        ("WebSocket delay, admin stream", figures.ws_admin),
    ]
    for name, values in rows:
        if not values:
            print(f"| {name:<34} | {0:>7} |")
            continue
        p50, p99, top = quantiles(values)
        print(f"| {name:<34} | {len(values):>7} | {len(values) / seconds:>6.1f} | {p50 * 1000:>7.1f} | "
              f"{p99 * 1000:>7.1f} | {top * 1000:>7.1f} |")  # fmt: skip
    if figures.errors:
        print("\nrefused:", dict(figures.errors))


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--talk", type=float, default=20.0, help="mean talk time, seconds")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to measure")
    parser.add_argument("--warmup", type=float, default=40.0, help="seconds before measuring (log-in burst)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # the server process
    args = parser.parse_args()
    if args.agents < args.calls:
        parser.error(
            f"--agents ({args.agents}) must be at least --calls ({args.calls}): every call is answered"
        )
    if args.serve:
        try:
            import uvloop

            uvloop.run(serve(args.serve, args.agents, args.calls, args.talk))
        except ImportError:
            asyncio.run(serve(args.serve, args.agents, args.calls, args.talk))
        return
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", tmp, "--agents", str(args.agents),
             "--calls", str(args.calls), "--talk", str(args.talk)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert server.stdout is not None
            line = server.stdout.readline()
            if not line.startswith("PORT "):
                sys.exit(f"error: the server did not start (said {line!r})")
            base = f"http://127.0.0.1:{int(line.split()[1])}"
            tokens = json.loads((Path(tmp) / "tokens.json").read_text())
            figures = asyncio.run(drive(base, tokens, args.agents, args.warmup, args.seconds))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        report(figures, args, args.seconds)


if __name__ == "__main__":
    main()
