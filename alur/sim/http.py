"""The web services a simulated call reaches: canned answers from the scenario's `http:` list.

A flow's `http` node awaits `request` like any other client; here the answer comes after a drawn
latency in virtual time. Draws are indexed by call number and by the call's request count (common random
numbers), so call #1234's balance lookup is as slow, or fails, in every `--compare` variant.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from alur.core.clock import VirtualClock
from alur.core.tasks import Future
from alur.flow.services import HttpResponse
from alur.sim.draws import Column, at, plain, uniform
from alur.sim.scenario import HttpStub
from alur.sim.traffic import Traffic, stream

if TYPE_CHECKING:
    from alur.sim.caller import SimCaller

#: requests pre-drawn per call and stub; a call asking more often reuses them cyclically
HTTP_DRAWS = 4


class SimHttp:
    """An `HttpClient` answering from the scenario's stubs; `current` is the call whose node asks."""

    def __init__(self, stubs: tuple[HttpStub, ...], clock: VirtualClock, traffic: Traffic) -> None:
        self.stubs = stubs
        self.clock = clock
        self.traffic = traffic
        self.current: SimCaller | None = None
        self._draws: dict[int, tuple[Column, Column]] = {}
        self._examples: dict[str, str] = {}  # node -> first request there that no stub answers

    def _draw(self, k: int, stub: HttpStub) -> tuple[Column, Column]:
        """(latency, failure u) of every call, drawn as asked, one stream per stub URL."""
        draws = self._draws.get(k)
        if draws is None:
            n, seed = self.traffic.n, self.traffic.seed
            failure = Column(stream(seed, f"http:{stub.url}"), n, uniform, HTTP_DRAWS)
            after = at(stream(seed, f"http:{stub.url}"), n * HTTP_DRAWS)  # the failures come first
            latency = Column(after, n, plain(stub.latency.sample), HTTP_DRAWS)
            draws = self._draws[k] = (latency, failure)
        return draws

    async def request(
        self, method: str, url: str, *, headers: dict[str, str], json: Any, timeout: float
    ) -> HttpResponse:
        caller = self.current
        k = next((k for k, stub in enumerate(self.stubs) if stub.matches(method, url)), None)
        if k is None:
            # one message per node (naming the first URL seen there), so the run's fail-path table
            # counts the node's calls together instead of one line per customer
            where = caller.node_key if caller is not None else ""
            example = self._examples.setdefault(where, f"{method} {url}")
            return HttpResponse(None, None, f"the scenario has no http: answer for {example}")
        stub = self.stubs[k]
        i, j = (caller.index, caller.http_asks) if caller is not None else (0, 0)
        if caller is not None:
            caller.http_asks += 1
        latency_draws, failure_draws = self._draw(k, stub)
        latency = float(latency_draws(i, j % HTTP_DRAWS))
        if float(failure_draws(i, j % HTTP_DRAWS)) < stub.failure:
            response, delay = (
                HttpResponse(None, None, f"timed out after {timeout:g}s (simulated failure)"),
                timeout,
            )
        elif latency > timeout:
            response, delay = (
                HttpResponse(None, None, f"timed out after {timeout:g}s (simulated latency)"),
                timeout,
            )
        else:
            response, delay = HttpResponse(stub.status, stub.json_), latency
        future: Future[HttpResponse] = Future()
        self.clock.call_later(delay, partial(future.set_result, response))
        return await future
