"""Chat, SMS and e-mail arrivals in a simulation: tasks that go straight into a queue of their channel.

Each `channels:` entry of the scenario is a Poisson stream into one queue; a task holds one slot of the
agent who takes it (the router's capacity per channel) for its handle time, and leaves the line after
its patience if nobody took it. Draws come from streams of their own, per queue, taken in arrival
order, so every `--compare` variant (e.g. `queues.web.capacity=3`) sees the same tasks.

Where every agent of the queue serves only that queue and nothing else, the queue is an M/M/c system
with c = agents x capacity (a chat does not slow down when the agent holds others): `erlang_c_kpis`
gives the figures to check the simulation against (see tests/sim/test_sim_channels.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from alur.core.channel import QueueOutcome, QueueRequest
from alur.sim.scenario import ChannelArrivals
from alur.sim.traffic import stream

if TYPE_CHECKING:
    from alur.sim.runner import Simulation


class ChannelTraffic:
    """The tasks of one `channels:` entry."""

    def __init__(self, sim: Simulation, spec: ChannelArrivals, seed: int) -> None:
        self.sim = sim
        self.spec = spec
        self.prefix = f"{spec.queue}-"
        self._times = stream(seed, f"channel:{spec.queue}:arrivals")
        self._handle = stream(seed, f"channel:{spec.queue}:handle")
        self._patience = stream(seed, f"channel:{spec.queue}:patience")
        self.n = 0
        self.handle_of: dict[str, float] = {}  # waiting or connected task -> its handle time

    def start(self) -> None:
        self._iter = self._arrivals()
        when = next(self._iter, None)
        if when is not None:
            self.sim.clock.call_at(when, self._arrive)

    def _arrivals(self) -> Iterator[float]:
        """Piecewise Poisson: a count per interval, then uniform times within it (as for calls)."""
        start, arrivals, rng = self.sim.traffic.start, self.spec.arrivals, self._times
        for k, mean in enumerate(arrivals.rates()):
            begin = start + k * arrivals.interval
            length = min(arrivals.interval, arrivals.duration_seconds - k * arrivals.interval)
            count = rng.poisson(mean)
            yield from np.sort(rng.uniform(begin, begin + length, count)).tolist()

    def _arrive(self) -> None:
        following = next(self._iter, None)
        if following is not None:
            self.sim.clock.call_at(following, self._arrive)
        self.n += 1
        task = f"{self.prefix}{self.n}"
        self.handle_of[task] = float(self.spec.handle_time.sample(self._handle, 1)[0])
        patience = self.spec.patience
        wait = float(patience.sample(self._patience, 1)[0]) if patience is not None else math.inf
        self.sim.router.enqueue(task, QueueRequest(queue=self.spec.queue))
        if wait != math.inf and task in self.sim.router.calls:
            self.sim.clock.call_later(wait, partial(self._give_up, task))

    def _give_up(self, task: str) -> None:
        if task in self.sim.router.calls:
            self.sim.router.abandon(task)

    def outcome(self, task: str, outcome: QueueOutcome) -> None:
        handle = self.handle_of.pop(task, 0.0)
        if outcome.result == "answered":
            self.sim.clock.call_later(handle, partial(self.sim.router.talk_ended, task, "agent"))


class Channels:
    """Every channel stream of a run; `outcome` takes the router's outcomes of their tasks."""

    def __init__(self, sim: Simulation, specs: tuple[ChannelArrivals, ...], seed: int) -> None:
        self.streams = {s.queue: ChannelTraffic(sim, s, seed) for s in specs}

    def start(self) -> None:
        for s in self.streams.values():
            s.start()

    def outcome(self, task: str, outcome: QueueOutcome) -> bool:
        """True if `task` is one of ours (and was handled)."""
        queue = task.rpartition("-")[0]
        s = self.streams.get(queue)
        if s is None or not task.startswith(s.prefix):
            return False
        s.outcome(task, outcome)
        return True
