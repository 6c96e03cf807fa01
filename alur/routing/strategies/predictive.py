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
from collections.abc import Hashable, Iterator, Mapping, Sequence
from itertools import chain
from typing import Any, cast

from alur.core.errors import ConfigError
from alur.core.events import Disposition, Event, TalkEnded
from alur.routing.agents import Agent
from alur.routing.calls import Ranked, WaitingCall
from alur.routing.strategies.base import ENTRY_AGENT, VARIANTS, Key, StrategyContext
from alur.routing.strategies.entries import Entries, Entry
from alur.routing.strategies.skills import BySkills, rank_by_skills, skill_score, skills_note

_EXPLORE = object()  # marks the index of who to try first when exploring a call type
_SCORED = object()  # marks the index of the agents with a prediction for a call type
_THIN = object()  # marks the index of every free agent by skills, for a set of skill names


class _Stats:
    __slots__ = ("n", "resolved", "handle_n", "handle_sum")

    def __init__(self) -> None:
        self.n = 0
        self.resolved = 0
        self.handle_n = 0
        self.handle_sum = 0.0


class Predictive(BySkills):
    name = "predictive"
    options_allowed = frozenset({"objective", "min_samples", "exploration"})
    learns = True  # from TalkEnded (handle time) and Disposition (resolution): see `observe`

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
        self._explored: str | None = None  # the agent the last decision tried first to learn about

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

    # --- the indexes ---------------------------------------------------------------------------
    # Per call type, the free agents with a prediction for it, best predicted first (`_SCORED`); per
    # set of skill names, every free agent by skills (`_THIN`, shared by all call types: an agent's
    # place there does not depend on predictions); per call type, who to try first when exploring
    # (`_EXPLORE`). A walk takes the scored agents, then the thin index skipping those scored: the
    # order of `select`, with no index per call type x skill set (each one costing a sort of the
    # queue's free agents when first needed, and an update at every state change).

    def _index_key(self, agent: Agent, variant: Hashable) -> Key | None:
        """The agent's key in index `variant`, or None: not in it (no prediction for a `_SCORED` one).
        (Not `key_for`, which gives every agent a key: here an agent may be in no index of a variant.)"""
        kind, detail = cast(tuple[Any, Any], variant)
        if kind is _EXPLORE:  # who to try first when exploring (detail: the call type)
            return self._explore_key(agent, detail)
        if kind is _THIN:  # detail: the call's skill names
            return self.places.key(agent, detail)
        p = self.predict(agent.id, detail)
        return None if p is None else (-p, agent.idle_since, agent.order)

    def add(self, agent: Agent, now: float) -> None:
        self.free[agent.id] = agent
        key_for, index = self._index_key, self._index
        for variant, entries in self._entries.items():
            key = key_for(agent, variant)
            if key is not None:
                entry: Entry = (key, agent)
                entries[agent.id] = entry
                index[variant].add(entry)

    def remove(self, agent: Agent) -> None:
        if self.free.pop(agent.id, None) is None:
            return
        index = self._index
        for variant, entries in self._entries.items():
            entry = entries.pop(agent.id, None)
            if entry is not None:
                index[variant].remove(entry)

    def _build(self, variant: Hashable) -> Entries:
        key_for = self._index_key
        entries: dict[str, Entry] = {}
        for a in self.free.values():
            key = key_for(a, variant)
            if key is not None:
                entries[a.id] = (key, a)
        self._entries[variant] = entries
        index = self._index[variant] = Entries(entries.values())
        return index

    def best(self, call: WaitingCall, now: float) -> Iterator[Agent]:
        """The same order as `select`: agents with a prediction first (best predicted), then the
        thin-data ones by skills. The exploration draw is made only when both kinds are free, as
        `select` does, so a seeded run makes the same draws."""
        self._explored = None
        kind = call.call_type
        scored = self._index_for((_SCORED, kind))
        thin = self._index_for((_THIN, tuple(sorted(call.skills)) if call.skills else ()))
        if scored is None or thin is None:  # too many kinds of call in this queue: rank in full
            ranking = self.select(list(self.free.values()), call, now)
            return (self.free[r.agent_id] for r in ranking)
        if not scored:
            return map(ENTRY_AGENT, thin)  # no prediction for this call type among the free
        ids = self._entries[(_SCORED, kind)]
        if len(ids) == len(self.free):
            return map(ENTRY_AGENT, scored)  # every free agent has a prediction
        if self.ctx.rng.random() >= self.exploration:
            return chain(map(ENTRY_AGENT, scored), (a for _, a in thin if a.id not in ids))
        explore_index = self._index_for((_EXPLORE, kind))
        if explore_index is not None:
            explore = explore_index[0][1]
        else:
            explore = min((a for _, a in thin if a.id not in ids), key=lambda a: self._explore_key(a, kind))
        self._explored = explore.id
        return chain((explore,), map(ENTRY_AGENT, scored))  # the other thin ones are left out

    def _explore_key(self, agent: Agent, kind: str) -> Key:
        samples = self._samples(self.stats.get((agent.id, kind)))
        return (samples >= self.min_samples, samples, agent.idle_since, agent.order)

    def _index_for(self, variant: Hashable) -> Entries | None:
        index = self._index.get(variant)
        if index is None and len(self._index) < VARIANTS:
            index = self._build(variant)
        return index

    def _rekey(self, agent_id: str, kind: str) -> None:
        """A prediction changed: a free agent moves in (or into) the indexes of that call type."""
        agent = self.free.get(agent_id)
        if agent is None:
            return
        for variant in ((_SCORED, kind), (_EXPLORE, kind)):
            entries = self._entries.get(variant)
            if entries is None:
                continue
            index = self._index[variant]
            old = entries.pop(agent_id, None)
            if old is not None:
                index.remove(old)
            key = self._index_key(agent, variant)
            if key is not None:
                entry: Entry = (key, agent)
                entries[agent_id] = entry
                index.add(entry)

    def ranked(self, ordered: Sequence[Agent], call: WaitingCall, noted: int | None = None) -> list[Ranked]:
        """Scores and notes of the agents found, worded as `select` words them."""
        limit = self.noted if noted is None else noted
        kind, stats, out = call.call_type, self.stats, []
        scored = self._index.get((_SCORED, kind))
        thin = "thin data, by skills: " if scored else "no data yet, by skills: "
        for i, a in enumerate(ordered):
            p = self.predict(a.id, kind)
            if a.id == self._explored:
                samples = self._samples(stats.get((a.id, kind)))
                out.append(Ranked(a.id, 0.0, f"exploring: {samples} samples for {kind or 'any'} calls"))
            elif p is not None:
                samples = self._samples(stats.get((a.id, kind)))
                out.append(Ranked(a.id, p, self._predicted(p, kind, samples) if i < limit else ""))
            else:
                note = thin + skills_note(a, call) if i < limit else ""
                out.append(Ranked(a.id, float(skill_score(a, call)), note))
        return out

    def _predicted(self, p: float, kind: str, samples: int) -> str:
        what = "resolution" if self.objective == "resolution" else "handle time"
        return f"predicted {what} {abs(p):.3g} on {kind or 'any'} calls ({samples} samples)"

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
            explore = min(thin, key=lambda a: self._explore_key(a, kind))
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
        return [
            Ranked(
                a.id,
                p,
                self._predicted(p, kind, self._samples(self.stats.get((a.id, kind))))
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
                    self._rekey(*key)
        elif isinstance(event, Disposition):
            key = self._open.pop(event.call_id, None)
            if key is not None:
                s = self.stats.setdefault(key, _Stats())
                s.n += 1
                s.resolved += 1 if event.resolved else 0
                if self.objective == "resolution":
                    self._rekey(*key)
