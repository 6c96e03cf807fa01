"""Synthetic traffic: every random number a simulated call will need, drawn as the run goes.

Common random numbers: each purpose (arrivals, caller mix, patience, handle time per call type, IVR
answers, callbacks) has its own seeded stream, and draws are indexed by call number, not by the order
in which the engine happens to ask. So call #1234 has the same arrival time, caller, patience, talk
time and menu choices in every `--compare` variant; the variants differ only by what they change.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from alur.sim import draws
from alur.sim.draws import Column, at, digits, plain, uniform
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
    """Arrival times and per-call draws for one scenario and seed, drawn as the run asks for them.

    Only the number of calls is worked out up front (a pass over the arrival stream that skips the
    arrival times themselves); every per-call value is read through a `Column` and is the same number
    whatever order, and however often, the run asks for it. One Traffic serves every variant.
    """

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
        n = self.n = self._count_arrivals()
        self.customers = customers or {}
        self._default_dialed = default_dialed
        self._mix = _CallerMix(self, self.customers, default_dialed)
        patience = scenario.patience
        self.patience: Column | None = (
            Column(stream(seed, "patience"), n, plain(patience.sample)) if patience is not None else None
        )
        self.ivr_choice = Column(stream(seed, "ivr"), n, uniform, IVR_DRAWS)
        self.ivr_wrong = Column(at(stream(seed, "ivr"), n * IVR_DRAWS), n, uniform, IVR_DRAWS)
        self.ivr_time = Column(
            stream(seed, "ivr-time"), n, plain(scenario.ivr.response_time.sample), IVR_DRAWS
        )
        self.callback_accept = Column(stream(seed, "callback"), n, uniform)
        self.callback_reach = Column(at(stream(seed, "callback"), n), n, uniform)
        self._handle: dict[str, Column] = {}
        self._node_times: dict[str, Column] = {}

    def _intervals(self) -> list[tuple[float, float, float]]:
        arrivals = self.scenario.arrivals
        return [
            (
                self.start + i * arrivals.interval,
                min(arrivals.interval, arrivals.duration_seconds - i * arrivals.interval),
                mean,
            )
            for i, mean in enumerate(arrivals.rates())
        ]

    def _count_arrivals(self) -> int:
        """How many calls arrive: each interval's Poisson count, skipping over its arrival times."""
        rng = stream(self.seed, "arrivals")
        n = 0
        for _, _, mean in self._intervals():
            count = int(rng.poisson(mean))
            at(rng, count)  # skip the uniform times drawn next: one 64-bit draw each
            n += count
        return n

    def arrival_times(self) -> Iterator[float]:
        """Poisson arrivals, piecewise constant per interval: a Poisson count, then uniform times.

        One interval's times are drawn (and sorted) when the run reaches it.
        """
        rng = stream(self.seed, "arrivals")
        for begin, length, mean in self._intervals():
            count = rng.poisson(mean)
            yield from np.sort(rng.uniform(begin, begin + length, count)).tolist()

    def caller(self, i: int) -> tuple[str, str | None, str | None, str]:
        """(caller id, customer id, language, number dialled) of call i."""
        return self._mix(i)

    def patience_of(self, i: int) -> float:
        return math.inf if self.patience is None else float(self.patience(i))

    def handle_time(self, call_type: str, i: int) -> float:
        """Talk time of call i if it is of `call_type` (one stream per type)."""
        key = call_type if call_type in self.scenario.handle_time else "default"
        column = self._handle.get(key)
        if column is None:
            dist: Distribution = self.scenario.handle_time[key]
            column = self._handle[key] = Column(
                stream(self.seed, f"handle:{key}"), self.n, plain(dist.sample)
            )
        return float(column(i))

    def node_response_time(self, node: str, dist: Distribution, i: int, k: int) -> float:
        column = self._node_times.get(node)
        if column is None:
            column = self._node_times[node] = Column(
                stream(self.seed, f"ivr-time:{node}"), self.n, plain(dist.sample), IVR_DRAWS
            )
        return float(column(i, k))


class _CallerMix:
    """Who calls: caller id, customer, language and number dialled of each call, a block at a time."""

    def __init__(self, traffic: Traffic, customers: dict[str, dict[str, Any]], default_dialed: str) -> None:
        n, seed = traffic.n, traffic.seed
        self.mix = mix = traffic.scenario.callers
        self.columns = [Column(at(stream(seed, "callers"), j * n), n, uniform) for j in range(5)]
        self.width = mix.numbers.count("#")
        self.digits = Column(at(stream(seed, "callers"), 5 * n), n, digits, self.width)
        phoned = [(cid, rec) for cid, rec in sorted(customers.items()) if _phone(rec)]
        self.phoned = phoned
        self.vips = [p for p in phoned if p[1].get("vip")]
        self.regular = [p for p in phoned if not p[1].get("vip")] or phoned
        self.langs = list(mix.languages.items())
        self.dialed = list(traffic.scenario.arrivals.dialed.items())
        self.default_dialed = default_dialed
        self._blocks: dict[int, list[tuple[str, str | None, str | None, str]]] = {}

    def __call__(self, i: int) -> tuple[str, str | None, str | None, str]:
        b = i >> draws.BLOCK_SHIFT
        found = self._blocks.get(b)
        if found is None:
            found = self._blocks[b] = self._block(b)
            if len(self._blocks) > draws.KEEP:
                del self._blocks[min(self._blocks)]
        return found[i & (draws.BLOCK - 1)]

    def _block(self, b: int) -> list[tuple[str, str | None, str | None, str]]:
        """Every call of block b, in one pass (a call at a time costs several times more)."""
        mix, width = self.mix, self.width
        u_known, u_vip, u_pick, u_lang, u_dial = (column.block(b) for column in self.columns)
        # digits 0-9 to their characters in one C-level pass (str() per digit cost more than the rest)
        numbers = bytes(self.digits.block(b)).translate(_DIGIT_CHARS).decode() if width else ""
        pattern = mix.numbers
        head, hashes, tail = pattern.partition("#" * width) if width else (pattern, "", "")
        # the usual pattern has one run of #: the number is the run's digits between head and tail
        template = None if not width or (hashes and "#" not in head + tail) else _template(pattern)
        phoned, vips, regular, langs, dialed = self.phoned, self.vips, self.regular, self.langs, self.dialed
        known_share, vip_share, default_dialed = mix.known_share, mix.vip_share, self.default_dialed
        out = []
        for j in range(len(u_known)):
            record: dict[str, Any] | None = None
            cid: str | None = None
            if phoned and u_known[j] < known_share:
                pool = vips if vips and u_vip[j] < vip_share else regular
                cid, record = pool[int(u_pick[j] * len(pool))]
            if record is not None:
                caller = _phone(record)
            elif template is None:
                caller = head + numbers[j * width : (j + 1) * width] + tail
            else:
                caller = template.format(*numbers[j * width : (j + 1) * width])
            language = (record.get("language") if record else None) or _pick(langs, u_lang[j])
            out.append((caller, cid, language, _pick(dialed, u_dial[j]) or default_dialed))
        return out


_DIGIT_CHARS = bytes.maketrans(bytes(range(10)), b"0123456789")


def _template(pattern: str) -> str:
    """A caller-number pattern as a format string, one field per #."""
    return pattern.replace("{", "{{").replace("}", "}}").replace("#", "{}")


def _phone(record: dict[str, Any]) -> str:
    phones = record.get("phones") or ([record["phone"]] if record.get("phone") else [])
    return str(phones[0]) if phones else ""


def _pick(shares: list[tuple[str, float]], u: float) -> Any:
    """Inverse-CDF pick from (value, share) pairs; None when u falls in the unassigned remainder."""
    acc = 0.0
    for value, share in shares:
        acc += share
        if u < acc:
            return value
    return None
