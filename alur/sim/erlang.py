"""Erlang C (M/M/N) and Erlang A (M/M/N+M): the queueing formulas planners check staffing against.

Erlang C assumes nobody hangs up while waiting; Erlang A adds exponential patience, which is what a real
queue with abandonment looks like. Both are computed with recurrences and log-space sums so that they
stay exact to double precision for thousands of agents (no factorials, no overflow).

Definitions used everywhere in Alur (simulation and formulas agree on them):
- offered load A = arrival rate x mean handle time, in Erlangs;
- P(wait) = share of callers who find every agent busy;
- ASA = mean wait of answered callers;
- service level = share of *offered* callers answered within the threshold (abandoned calls count
  against it);
- P(abandon) = share of offered callers who hang up before an agent answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import diags
from scipy.sparse.linalg import expm_multiply
from scipy.special import logsumexp

from alur.core.errors import AlurError

#: the most agents one formula evaluation or staffing search considers: the work grows with the number of
#: agents (and, for Erlang A, with the queue an overloaded staffing level builds), so a typo such as
#: `--calls 1e12` must end in a message, not a search that never returns
MAX_AGENTS = 10_000


class ErlangError(AlurError):
    """Inputs that no queue can have (negative rates, no agents, an unstable Erlang C queue)."""

    code = "erlang_input"


@dataclass(frozen=True, slots=True)
class QueueKpis:
    """What a formula predicts for one staffing level."""

    agents: int
    load: float  # offered load in Erlangs
    p_wait: float
    asa: float  # seconds, answered callers
    service_level: float  # answered within threshold / offered
    p_abandon: float
    occupancy: float  # share of agent time busy
    mean_queue_length: float
    threshold: float  # the service-level threshold, seconds


def _check(arrival_rate: float, handle_time: float, agents: int) -> None:
    if not arrival_rate > 0 or not math.isfinite(arrival_rate):
        raise ErlangError(
            f"arrival rate must be a positive number (got {arrival_rate!r})", value=arrival_rate
        )
    if not handle_time > 0 or not math.isfinite(handle_time):
        raise ErlangError(
            f"handle time must be a positive number of seconds (got {handle_time!r})", value=handle_time
        )
    if agents < 1:
        raise ErlangError(f"need at least one agent (got {agents})", value=agents)
    if agents > MAX_AGENTS:
        raise ErlangError(f"at most {MAX_AGENTS:,} agents are computed (got {agents:,})", value=agents)


def _probability(value: float) -> float:
    """A share summed in floating point can land a few ulps outside [0, 1] (1.0000000000000002):
    clamp it, so that callers comparing against targets or printing percents never see > 100%."""
    return min(1.0, max(0.0, float(value)))


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of N servers, no queue: the stable recurrence B(n) = A B / (n + A B)."""
    b = 1.0
    for n in range(1, agents + 1):
        b = load * b / (n + load * b)
    return b


def erlang_c(agents: int, load: float) -> float:
    """P(wait) in M/M/N; 1.0 when the load is at or above the number of agents (the queue grows forever)."""
    if load >= agents:
        return 1.0
    b = erlang_b(agents, load)
    return _probability(agents * b / (agents - load * (1.0 - b)))


def erlang_c_kpis(arrival_rate: float, handle_time: float, agents: int, threshold: float = 20.0) -> QueueKpis:
    """Erlang C KPIs; `arrival_rate` in calls per second, `handle_time` mean seconds."""
    _check(arrival_rate, handle_time, agents)
    load = arrival_rate * handle_time
    if load >= agents:
        return QueueKpis(agents, load, 1.0, math.inf, 0.0, 0.0, 1.0, math.inf, threshold)
    pw = erlang_c(agents, load)
    spare = agents - load
    asa = pw * handle_time / spare
    sl = _probability(1.0 - pw * math.exp(-spare * threshold / handle_time))
    lq = pw * load / spare
    return QueueKpis(agents, load, pw, asa, sl, 0.0, load / agents, lq, threshold)


def _erlang_a_states(lam: float, mu: float, theta: float, agents: int) -> np.ndarray:
    """Stationary distribution of the M/M/N+M birth-death chain, truncated where the tail is < 1e-17."""
    logs = [0.0]
    n = 0
    peak = 0.0
    while True:
        n += 1
        death = min(n, agents) * mu + max(n - agents, 0) * theta
        logs.append(logs[-1] + math.log(lam) - math.log(death))
        peak = max(peak, logs[-1])
        if n > agents and logs[-1] < peak - 40.0 and death > lam:
            break
        if n > agents + 5_000_000:  # pragma: no cover - guarded by theta > 0
            raise ErlangError("patience too long for Erlang A; use Erlang C", value=theta)
    arr = np.asarray(logs)
    return np.exp(arr - logsumexp(arr))


def erlang_a_kpis(
    arrival_rate: float, handle_time: float, agents: int, patience: float, threshold: float = 20.0
) -> QueueKpis:
    """Erlang A (Palm) KPIs with exponential patience of mean `patience` seconds."""
    _check(arrival_rate, handle_time, agents)
    if not patience > 0:
        raise ErlangError(
            f"mean patience must be a positive number of seconds (got {patience!r})", value=patience
        )
    if math.isinf(patience):
        return erlang_c_kpis(arrival_rate, handle_time, agents, threshold)
    lam, mu, theta = arrival_rate, 1.0 / handle_time, 1.0 / patience
    pi = _erlang_a_states(lam, mu, theta, agents)
    waiting = pi[agents:]  # arrival sees k = 0, 1, ... callers ahead of it (PASTA)
    k = np.arange(len(waiting))
    rates = agents * mu + k * theta  # how fast the line ahead shrinks with k callers ahead
    # P(served | k ahead) = prod_{j<=k} r_j / (r_j + theta); E[wait | served, k] = sum_j 1 / (r_j + theta)
    p_served_k = np.exp(np.cumsum(np.log(rates) - np.log(rates + theta)))
    wait_served_k = np.cumsum(1.0 / (rates + theta))
    p_wait = _probability(waiting.sum())
    p_served = _probability(pi[:agents].sum() + (waiting * p_served_k).sum())
    p_abandon = 1.0 - p_served
    asa = float((waiting * p_served_k * wait_served_k).sum() / p_served) if p_served > 0 else math.inf
    sl = _probability(pi[:agents].sum() + (waiting * _served_by(rates, theta, threshold)).sum())
    busy = float((pi * np.minimum(np.arange(len(pi)), agents)).sum())
    lq = float((waiting * k).sum())
    occupancy = _probability(busy / agents)
    return QueueKpis(agents, lam * handle_time, p_wait, asa, sl, p_abandon, occupancy, lq, threshold)


def _served_by(rates: np.ndarray, theta: float, t: float) -> np.ndarray:
    """P(reach an agent within t | k ahead), for every k: a pure-death chain solved by expm_multiply.

    f_k' = r_k f_{k-1} - (r_k + theta) f_k with f_{-1} = 1; the constant is carried as an extra state.
    """
    size = len(rates)
    if t <= 0:
        return np.zeros(size)
    main = np.append(-(rates + theta), 0.0)
    lower = np.append(rates[1:], 0.0)
    matrix = diags([main, lower], [0, -1], shape=(size + 1, size + 1), format="lil")
    matrix[0, size] = rates[0]
    start = np.zeros(size + 1)
    start[size] = 1.0
    out = expm_multiply(matrix.tocsr() * t, start)
    return np.clip(out[:size], 0.0, 1.0)


def kpis(
    arrival_rate: float,
    handle_time: float,
    agents: int,
    threshold: float = 20.0,
    patience: float | None = None,
) -> QueueKpis:
    """Erlang A when a mean patience is given, Erlang C otherwise."""
    if patience is None:
        return erlang_c_kpis(arrival_rate, handle_time, agents, threshold)
    return erlang_a_kpis(arrival_rate, handle_time, agents, patience, threshold)


def agents_needed(
    arrival_rate: float,
    handle_time: float,
    *,
    service_level: float = 0.8,
    threshold: float = 20.0,
    patience: float | None = None,
    max_asa: float | None = None,
    max_abandon: float | None = None,
    max_occupancy: float | None = None,
) -> QueueKpis:
    """The fewest agents that meet every target given (service level, and optionally ASA, abandonment,
    occupancy); each KPI improves with more agents, so a binary search finds the boundary."""
    if not 0 < service_level < 1:
        raise ErlangError(
            f"service-level target must be between 0 and 1 (got {service_level!r})", value=service_level
        )
    _check(arrival_rate, handle_time, 1)
    load = arrival_rate * handle_time
    if load >= MAX_AGENTS:
        raise ErlangError(
            f"an offered load of {load:,.4g} Erlangs needs more than {MAX_AGENTS:,} agents, the most this "
            "computes (check the calls, interval and handle time)",
            value=load,
        )

    def ok(n: int) -> QueueKpis | None:
        k = kpis(arrival_rate, handle_time, n, threshold, patience)
        if k.service_level < service_level:
            return None
        if max_asa is not None and k.asa > max_asa:
            return None
        if max_abandon is not None and k.p_abandon > max_abandon:
            return None
        if max_occupancy is not None and k.occupancy > max_occupancy:
            return None
        return k

    low = 1 if patience is not None else max(1, math.floor(load) + 1)
    high = max(low, math.ceil(load) + 1)
    while ok(high) is None:
        if high >= MAX_AGENTS:
            raise ErlangError(
                f"no staffing level up to {MAX_AGENTS:,} agents meets these targets", value=load
            )
        low, high = high + 1, min(high * 2, MAX_AGENTS)
    while low < high:
        mid = (low + high) // 2
        if ok(mid) is None:
            low = mid + 1
        else:
            high = mid
    found = ok(high)
    assert found is not None
    return found
