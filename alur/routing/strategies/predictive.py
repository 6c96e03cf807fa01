"""predictive: rank agents by the outcome they are expected to get on this kind of call.

It learns, per agent x call type, from the queue's own events: `Disposition.resolved` (first-contact
resolution) and `TalkEnded.talk_time` (handle time). The score is the Laplace-smoothed resolution rate
(`objective: resolution`, default) or minus the mean handle time (`objective: handle_time`). Agents
with fewer than `min_samples` outcomes for the call type have no score yet: with probability
`exploration` (default 0.1, seeded generator) the least-known agent is tried first so that new agents
get data; when no candidate has enough data the ranking falls back to the skills strategy.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from alur.core.errors import ConfigError
from alur.core.events import Disposition, Event, TalkEnded
from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import NOTED, Strategy, StrategyContext
from alur.routing.strategies.skills import rank_by_skills


class _Stats:
    __slots__ = ("n", "resolved", "handle_n", "handle_sum")

    def __init__(self) -> None:
        self.n = 0
        self.resolved = 0
        self.handle_n = 0
        self.handle_sum = 0.0


class Predictive(Strategy):
    name = "predictive"
    options_allowed = frozenset({"objective", "min_samples", "exploration"})

    def __init__(self, options: Mapping[str, Any], ctx: StrategyContext) -> None:
        super().__init__(options, ctx)
        self.objective = self.option("objective", "resolution", str)
        if self.objective not in ("resolution", "handle_time"):
            raise ConfigError(
                f"queue {ctx.queue!r}: predictive 'objective' must be 'resolution' or 'handle_time' "
                f"(got {self.objective!r})",
                code="bad_option",
                value=self.objective,
            )
        self.min_samples = self.option("min_samples", 5, int)
        self.exploration = float(self.option("exploration", 0.1, (int, float)))
        self.stats: dict[tuple[str, str], _Stats] = {}
        self._open: OrderedDict[str, tuple[str, str]] = OrderedDict()  # call -> (agent, call type)
        self._last: dict[str, Ranked] = {}  # the top of the last ranking, for its explanation

    def _samples(self, s: _Stats | None) -> int:
        if s is None:
            return 0
        return s.n if self.objective == "resolution" else s.handle_n

    def predict(self, agent_id: str, call_type: str) -> float | None:
        """Expected outcome (higher is better), or None while data is thin."""
        s = self.stats.get((agent_id, call_type))
        if s is None or self._samples(s) < self.min_samples:
            return None
        if self.objective == "resolution":
            return (s.resolved + 1) / (s.n + 2)
        return -s.handle_sum / s.handle_n

    def best(self, call: WaitingCall, now: float) -> Iterator[Agent]:
        """Ranked in full: predictions change as outcomes arrive, even while agents are free."""
        free = self.free
        ranking = self.select(list(free.values()), call, now)
        self._last = {r.agent_id: r for r in ranking[:NOTED]}
        return (free[r.agent_id] for r in ranking)

    def ranked(self, ordered: Sequence[Agent], call: WaitingCall, noted: int | None = None) -> list[Ranked]:
        """The notes of the last full ranking (ranking again would draw from the generator again)."""
        last = self._last
        return [last.get(a.id) or Ranked(a.id, self.score(a, call), "") for a in ordered]

    def select(self, candidates: Sequence[Agent], call: WaitingCall, now: float) -> list[Ranked]:
        kind = call.call_type
        known = [(a, self.predict(a.id, kind)) for a in candidates]
        scored: list[tuple[Agent, float]] = [(a, p) for a, p in known if p is not None]
        if not scored:
            return [
                Ranked(r.agent_id, r.score, "no data yet, by skills: " + r.note)
                for r in rank_by_skills(candidates, call, self.noted)
            ]
        thin = [a for a, p in known if p is None]
        if thin and self.ctx.rng.random() < self.exploration:
            thin.sort(key=lambda a: (self._samples(self.stats.get((a.id, kind))), a.idle_since, a.order))
            explore = thin[0]
            rest = [r for r in self._rank(scored, kind) if r.agent_id != explore.id]
            return [
                Ranked(
                    explore.id,
                    0.0,
                    f"exploring: {self._samples(self.stats.get((explore.id, kind)))} "
                    f"samples for {kind or 'any'} calls",
                )
            ] + rest
        return self._rank(scored, kind) + [
            Ranked(r.agent_id, r.score, "thin data, by skills: " + r.note)
            for r in rank_by_skills(thin, call, self.noted)
        ]

    def _rank(self, scored: list[tuple[Agent, float]], kind: str) -> list[Ranked]:
        scored.sort(key=lambda t: (-t[1], t[0].idle_since, t[0].order))
        what = "resolution" if self.objective == "resolution" else "handle time"
        return [
            Ranked(
                a.id,
                p,
                f"predicted {what} {abs(p):.3g} on {kind or 'any'} calls "
                f"({self._samples(self.stats.get((a.id, kind)))} samples)"
                if i < self.noted
                else "",
            )
            for i, (a, p) in enumerate(scored)
        ]

    def score(self, agent: Agent, call: WaitingCall) -> float:
        p = self.predict(agent.id, call.call_type)
        return p if p is not None else 0.0

    def assigned(self, agent: Agent, call: WaitingCall, now: float) -> None:
        self._open[call.call_id] = (agent.id, call.call_type)
        if len(self._open) > 10_000:
            self._open.popitem(last=False)

    def observe(self, event: Event) -> None:
        if isinstance(event, TalkEnded):
            key = self._open.get(event.call_id)
            if key is not None:
                s = self.stats.setdefault(key, _Stats())
                s.handle_n += 1
                s.handle_sum += event.talk_time
                if self.objective == "handle_time":
                    self._open.pop(event.call_id, None)
        elif isinstance(event, Disposition):
            key = self._open.pop(event.call_id, None)
            if key is not None:
                s = self.stats.setdefault(key, _Stats())
                s.n += 1
                s.resolved += 1 if event.resolved else 0
