"""Synthetic traffic: every random number a simulated call will need, drawn before the run starts.

Common random numbers: each purpose (arrivals, caller mix, patience, handle time per call type, IVR
answers, callbacks) has its own seeded stream, and draws are indexed by call number, not by the order
in which the engine happens to ask. So call #1234 has the same arrival time, caller, patience, talk
time and menu choices in every `--compare` variant; the variants differ only by what they change.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np

from alur.sim.limits import check_size
from alur.sim.scenario import Distribution, Scenario

#: digit entries pre-drawn per call; a call asked more often than this reuses its draws cyclically
IVR_DRAWS = 12


def stream(seed: int, purpose: str) -> np.random.Generator:
    """An independent generator for one purpose, stable across runs and Python versions."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(purpose.encode()),)))
    )


class Traffic:
    """Arrival times and per-call draws for one scenario and seed."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        customers: dict[str, dict[str, Any]] | None = None,
        default_dialed: str = "",
    ) -> None:
        check_size(scenario)  # before any draw: a scenario built in code skips load_scenario
        self.scenario = scenario
        self.seed = seed
        start = scenario.start_epoch
        self.start = start
        self.end = start + scenario.arrivals.duration_seconds
        self.times = self._arrival_times(start)
        n = self.n = len(self.times)
        self._callers(customers or {}, default_dialed)
        patience = scenario.patience
        self.patience = (
            patience.sample(stream(seed, "patience"), n) if patience is not None else np.full(n, math.inf)
        )
        ivr = stream(seed, "ivr")
        self.ivr_choice = ivr.random((n, IVR_DRAWS))
        self.ivr_wrong = ivr.random((n, IVR_DRAWS))
        self.ivr_time = scenario.ivr.response_time.sample(stream(seed, "ivr-time"), n * IVR_DRAWS).reshape(
            n, IVR_DRAWS
        )
        cb = stream(seed, "callback")
        self.callback_accept = cb.random(n)
        self.callback_reach = cb.random(n)
        self._handle: dict[str, np.ndarray] = {}
        self._node_times: dict[str, np.ndarray] = {}

    def _arrival_times(self, start: float) -> np.ndarray:
        """Poisson arrivals, piecewise constant per interval: a Poisson count, then uniform times."""
        rng = stream(self.seed, "arrivals")
        arrivals = self.scenario.arrivals
        out = []
        for i, mean in enumerate(arrivals.rates()):
            begin = start + i * arrivals.interval
            length = min(arrivals.interval, arrivals.duration_seconds - i * arrivals.interval)
            count = rng.poisson(mean)
            out.append(np.sort(rng.uniform(begin, begin + length, count)))
        return np.concatenate(out) if out else np.empty(0)

    def _callers(self, customers: dict[str, dict[str, Any]], default_dialed: str) -> None:
        n, mix = self.n, self.scenario.callers
        rng = stream(self.seed, "callers")
        u_known, u_vip, u_pick, u_lang, u_dial = (rng.random(n) for _ in range(5))
        digits = rng.integers(0, 10, size=(n, mix.numbers.count("#")))
        phoned = [(cid, rec) for cid, rec in sorted(customers.items()) if _phone(rec)]
        vips = [p for p in phoned if p[1].get("vip")]
        regular = [p for p in phoned if not p[1].get("vip")] or phoned
        langs = list(mix.languages.items())
        dialed = list(self.scenario.arrivals.dialed.items())
        self.caller_ids: list[str] = []
        self.customer_ids: list[str | None] = []
        self.languages: list[str | None] = []
        self.dialed: list[str] = []
        for i in range(n):
            record: dict[str, Any] | None = None
            cid: str | None = None
            if phoned and u_known[i] < mix.known_share:
                pool = vips if vips and u_vip[i] < mix.vip_share else regular
                cid, record = pool[int(u_pick[i] * len(pool))]
            if record is not None:
                caller = _phone(record)
            else:
                caller = _fill(mix.numbers, digits[i])
            self.caller_ids.append(caller)
            self.customer_ids.append(cid)
            language = record.get("language") if record else None
            self.languages.append(language or _pick(langs, u_lang[i]))
            self.dialed.append(_pick(dialed, u_dial[i]) or default_dialed)
        self.customers = customers

    def handle_times(self, call_type: str) -> np.ndarray:
        """Talk time of every call if it were of `call_type` (lazily drawn, one stream per type)."""
        key = call_type if call_type in self.scenario.handle_time else "default"
        out = self._handle.get(key)
        if out is None:
            dist: Distribution = self.scenario.handle_time[key]
            out = self._handle[key] = dist.sample(stream(self.seed, f"handle:{key}"), self.n)
        return out

    def node_response_times(self, node: str, dist: Distribution) -> np.ndarray:
        out = self._node_times.get(node)
        if out is None:
            rng = stream(self.seed, f"ivr-time:{node}")
            out = self._node_times[node] = dist.sample(rng, self.n * IVR_DRAWS).reshape(self.n, IVR_DRAWS)
        return out


def _phone(record: dict[str, Any]) -> str:
    phones = record.get("phones") or ([record["phone"]] if record.get("phone") else [])
    return str(phones[0]) if phones else ""


def _fill(pattern: str, digits: np.ndarray) -> str:
    out, k = [], 0
    for ch in pattern:
        if ch == "#":
            out.append(str(int(digits[k])))
            k += 1
        else:
            out.append(ch)
    return "".join(out)


def _pick(shares: list[tuple[str, float]], u: float) -> Any:
    """Inverse-CDF pick from (value, share) pairs; None when u falls in the unassigned remainder."""
    acc = 0.0
    for value, share in shares:
        acc += share
        if u < acc:
            return value
    return None
