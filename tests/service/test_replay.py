"""The log holds the live state: a busy simulated day driven through the service, read back from the
store and folded, gives the same agents (state, pause reason, pending request, call) and the same
queues (calls in line, in order) as the running router, at every checkpoint of the day."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path

from projectkit import busy_project

from alur.core.channel import QueueRequest
from alur.core.clock import VirtualClock
from alur.core.errors import AlurError
from alur.routing.agents import AgentState
from alur.service import commands as cmd
from alur.service.center import ContactCenter
from alur.service.state import LiveState
from alur.store.event_store import EventStore

T0 = 1_767_250_800.0  # 2026-01-01 07:00 UTC
STEP = 5.0
STEPS = 2_000  # a little under three hours of virtual time
CHECK_EVERY = 200


def live_view(center: ContactCenter) -> dict[str, object]:
    router = center.router
    agents = {}
    for agent_id, agent in router.agents.items():
        pending = "logout" if agent.pending_logout else "pause" if agent.pending_pause is not None else ""
        call = agent.call_id if agent.state in (AgentState.BUSY, AgentState.WRAP_UP) else None
        agents[agent_id] = (agent.state.value, agent.pause_reason, pending, call)
    queues = {name: router.waiting(name) for name in router.queues}
    return {"agents": agents, "queues": queues}


def projected_view(state: LiveState, center: ContactCenter) -> dict[str, object]:
    agents = {}
    for agent_id in center.router.agents:
        view = state.agent(agent_id)
        call = view.call_id if view.state in ("busy", "wrap_up") else None
        agents[agent_id] = (view.state, view.reason, view.pending, call)
    queues = {name: state.waiting(name) for name in center.router.queues}
    return {"agents": agents, "queues": queues}


def act(center: ContactCenter, rng: random.Random, n: int) -> None:
    """One step of a busy contact center: callers arrive, phones are answered or not, people talk,
    hang up, give up, leave numbers; agents pause, come back, log out and in."""
    router = center.router
    tries: list[cmd.Command] = []
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        queue = rng.choice(("sales", "care"))
        tries.append(cmd.Enqueue(f"c{n}-{len(tries)}", QueueRequest(queue, priority=rng.choice((0, 0, 5)))))
    for rid in list(router.reservations):
        roll = rng.random()
        if roll < 0.5:
            tries.append(cmd.Answer(rid))
        elif roll < 0.6:
            tries.append(cmd.Decline(rid, rng.choice(("busy", "no_answer", "declined"))))
    for call_id in list(router.connected):
        if rng.random() < 0.04:
            tries.append(cmd.Hangup(call_id, rng.choice(("caller", "agent"))))
    for call_id, call in list(router.calls.items()):
        if call.callback_number is None and rng.random() < 0.01:
            tries.append(cmd.Hangup(call_id, "caller"))
        elif call.callback_number is None and rng.random() < 0.005:
            tries.append(cmd.RequestCallback(call_id, "+62811" + call_id))
    for agent_id in router.agents:
        roll = rng.random()
        if roll < 0.004:
            tries.append(cmd.Pause(agent_id, rng.choice(("lunch", "training", "break"))))
        elif roll < 0.012:
            tries.append(cmd.Ready(agent_id))
        elif roll < 0.013:
            tries.append(cmd.Logout(agent_id))
        elif roll < 0.016:
            tries.append(cmd.Login(agent_id))
    for command in tries:
        try:
            center.execute(command)
        except AlurError:
            pass  # an agent already ready, an offer already gone: the world moved on


async def test_a_busy_day_read_back_from_the_log_is_the_live_state(
    tmp_path: Path, open_store: Callable[[], EventStore]
) -> None:
    project = busy_project(tmp_path, agents=8)
    clock = VirtualClock(T0)
    rng = random.Random(20261130)
    checked = 0
    async with ContactCenter(project, clock=clock, store=open_store()) as center:
        for agent_id in center.router.agents:
            center.execute(cmd.Login(agent_id))
        for n in range(1, STEPS + 1):
            act(center, rng, n)
            clock.run(clock.now() + STEP)
            if n % CHECK_EVERY == 0:
                await center.settle()
                state = await asyncio.to_thread(center.read_state)
                assert projected_view(state, center) == live_view(center), f"at step {n}"
                checked += 1
        waited = sum(1 for _ in center.store.envelopes(kinds=["queue.joined"]))  # type: ignore[union-attr]
    assert checked == STEPS // CHECK_EVERY
    assert waited > 1_000  # it was a busy day
