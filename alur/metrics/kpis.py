"""Contact-center KPIs as one fold over the event log: `apply(event)` as events happen, `snapshot()` any time.

The wallboard (live), reports (history) and the simulator all feed the same events through this fold, so
their figures agree by construction. Definitions (the same as `alur.sim.erlang`):

- offered: calls that entered a queue (a call moved between queues is offered once per queue, once in
  the total); outcomes count in the interval the call was first queued, as ACD reports do;
- service level: answered within the threshold / offered (abandoned calls count against it);
- P(wait): offered calls that found no agent free (waited before answer, or left the queue) / offered;
- abandonment rate: abandoned in queue / offered; ASA: mean wait of answered calls;
- AHT: (talk + wrap-up) / handled calls;
- occupancy: time occupied / that time plus time available (paused and offline time are not staffed
  time). An agent is occupied while reserved, ringing, busy or in wrap-up on a call, or while holding
  at least one answered chat, SMS or e-mail (a task of a queue in `digital_queues`), whatever the
  voice state: a chat counts once however many are held, and a paused agent finishing chats is
  occupied (staffed) until the last one closes. An offer not yet accepted does not count.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Final

from alur.core import events as ev

WORKING: Final = frozenset({"reserved", "ringing", "busy", "wrap_up"})
STAFFED: Final = WORKING | {"available"}


@dataclass(slots=True)
class Tally:
    """Additive counters for one slice (total, one interval, or one queue); ratios are derived."""

    arrived: int = 0
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    overflowed: int = 0
    within_sl: int = 0
    waited: int = 0  # queued calls that found no agent free (answered after a wait, or left the queue)
    wait_answered: float = 0.0
    longest_wait: float = 0.0
    handled: int = 0
    talk_time: float = 0.0
    wrap_time: float = 0.0
    callbacks_requested: int = 0
    callbacks_reached: int = 0
    callbacks_failed: int = 0  # given up after the queue's tries (or cancelled between tries)
    working_time: float = 0.0
    staffed_time: float = 0.0
    survey_answers: int = 0  # scored survey answers (see `survey_score`)
    survey_score_total: int = 0

    @property
    def survey_score(self) -> float | None:
        """The mean survey answer (on each question's own scale); None with no answers."""
        return self.survey_score_total / self.survey_answers if self.survey_answers else None

    @property
    def abandonment_rate(self) -> float:
        return self.abandoned / self.offered if self.offered else 0.0

    @property
    def p_wait(self) -> float:
        return self.waited / self.offered if self.offered else 0.0

    @property
    def service_level(self) -> float:
        return self.within_sl / self.offered if self.offered else math.nan

    @property
    def asa(self) -> float:
        return self.wait_answered / self.answered if self.answered else 0.0

    @property
    def aht(self) -> float:
        return (self.talk_time + self.wrap_time) / self.handled if self.handled else 0.0

    @property
    def occupancy(self) -> float:
        return self.working_time / self.staffed_time if self.staffed_time else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "arrived": self.arrived,
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "abandonment_rate": self.abandonment_rate,
            "overflowed": self.overflowed,
            "asa": self.asa,
            "p_wait": self.p_wait,
            "service_level": self.service_level,
            "aht": self.aht,
            "occupancy": self.occupancy,
            "longest_wait": self.longest_wait,
            "callbacks_requested": self.callbacks_requested,
            "callbacks_reached": self.callbacks_reached,
            "callbacks_failed": self.callbacks_failed,
            "handled": self.handled,
            "staffed_hours": self.staffed_time / 3600.0,
            "survey_answers": self.survey_answers,
            "survey_score": self.survey_score,
        }


@dataclass(slots=True)
class AgentTally:
    answered: int = 0
    talk_time: float = 0.0
    wrap_time: float = 0.0
    working_time: float = 0.0
    staffed_time: float = 0.0
    offers_missed: int = 0
    survey_answers: int = 0
    survey_score_total: int = 0
    # the state the agent is in and since when (None: none seen yet), the span still being counted;
    # kept here, not in a dict of its own, so a state change reads and writes one object per agent
    state: str | None = None
    since: float = 0.0
    # the agent's last call and the interval it arrived in: its wrap-up, which follows the talk,
    # counts there (only a voice call has wrap-up, and an agent talks on one at a time)
    wrap_call: str = ""
    wrap_slot: float = 0.0

    @property
    def occupancy(self) -> float:
        return self.working_time / self.staffed_time if self.staffed_time else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "answered": self.answered,
            "talk_time": self.talk_time,
            "wrap_time": self.wrap_time,
            "occupancy": self.occupancy,
            "staffed_hours": self.staffed_time / 3600.0,
            "offers_missed": self.offers_missed,
            "survey_answers": self.survey_answers,
            "survey_score": self.survey_score_total / self.survey_answers if self.survey_answers else None,
        }


@dataclass(slots=True)
class Snapshot:
    """KPIs at one instant: the total, per interval start (epoch seconds), per queue, per agent, IVR."""

    at: float
    interval: float
    total: Tally
    intervals: dict[float, Tally]
    queues: dict[str, Tally]
    agents: dict[str, AgentTally]
    ivr_options: dict[tuple[str, str, str], int]  # (flow, node, option) -> times chosen
    waiting_now: int = 0
    oldest_waiting: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "interval_seconds": self.interval,
            "total": self.total.as_dict(),
            "intervals": [{"start": k, **v.as_dict()} for k, v in sorted(self.intervals.items())],
            "queues": {k: v.as_dict() for k, v in sorted(self.queues.items())},
            "agents": {k: v.as_dict() for k, v in sorted(self.agents.items())},
            "ivr_options": [
                {"flow": f, "node": n, "option": o, "count": c}
                for (f, n, o), c in sorted(self.ivr_options.items())
            ],
            "waiting_now": self.waiting_now,
            "oldest_waiting": self.oldest_waiting,
        }


class _CallState:
    """What the fold keeps of a call in progress. A plain class, not a dataclass: two are made a call,
    and the compiled build (setup.py) compiles a plain `__init__` but not a dataclass's generated one."""

    __slots__ = ("slot", "queues", "queued_at", "waiting_in", "answered", "callback", "left_waited")

    def __init__(self, slot: float) -> None:
        self.slot = slot  # interval start where the call's outcomes count
        self.queues: tuple[str, ...] = ()  # the queues it entered (a tuple: most calls enter one)
        self.queued_at = 0.0
        self.waiting_in: str | None = None
        self.answered = False
        self.callback = False
        self.left_waited = -1  # the last overflow's `waited` count, until the call is queued again (-1: none)


class KpiFold:
    """Incremental KPI fold. Feed events in log order; `snapshot(now)` closes open agent spans at now."""

    def __init__(
        self,
        interval: float = 1800.0,
        sl_threshold: float = 20.0,
        thresholds: dict[str, float] | None = None,
        digital_queues: Iterable[str] = (),
    ):
        if interval <= 0:
            raise ValueError(f"interval must be positive seconds (got {interval})")
        self.interval = interval
        self.sl_threshold = sl_threshold
        self.thresholds = dict(thresholds or {})  # per-queue service-level thresholds
        self.digital_queues = frozenset(digital_queues)  # chat/sms/email queues: their tasks occupy
        self._held: dict[str, set[str]] = {}  # agent -> answered digital tasks not yet ended
        self.total = Tally()
        self.intervals: dict[float, Tally] = {}
        self.queues: dict[str, Tally] = {}
        self.agents: dict[str, AgentTally] = {}
        self.ivr_options: dict[tuple[str, str, str], int] = {}
        self._calls: dict[str, _CallState] = {}
        self._last = 0.0
        self._handlers: dict[type, Callable[[Any], None]] = {
            ev.CallArrived: self._arrived,
            ev.CallQueued: self._queued,
            ev.Answered: self._answered,
            ev.Abandoned: self._abandoned,
            ev.Overflowed: self._overflowed,
            ev.TalkEnded: self._talk_ended,
            ev.WrapUpDone: self._wrap_done,
            ev.CallbackRequested: self._callback_requested,
            ev.CallbackAttempted: self._callback_attempted,
            ev.CallbackFailed: self._callback_failed,
            ev.MenuOptionChosen: self._menu_option,
            ev.SurveyAnswered: self._survey_answered,
            ev.AgentStateChanged: self._agent_changed,
            ev.OfferDeclined: self._offer_declined,
            ev.CallEnded: self._call_ended,
        }
        self._handler_for: Callable[[type], Callable[[Any], None] | None] = self._handlers.get
        # the same facts as plain fields (`fact_handler`), for producers that build no event object
        self._fact_handlers: dict[type, Callable[..., None]] = {
            ev.CallArrived: self.arrived,
            ev.CallQueued: self.queued,
            ev.Answered: self.answered,
            ev.AgentStateChanged: self.agent_changed,
            ev.TalkEnded: self.talk_ended,
            ev.CallEnded: self.call_ended,
        }

    # --- feeding -------------------------------------------------------------------------------

    def apply(self, event: ev.Event) -> None:
        """Count one event (dispatch on its exact type; events the KPIs ignore cost one lookup)."""
        if event.at > self._last:
            self._last = event.at
        handler = self._handler_for(event.__class__)
        if handler is not None:
            handler(event)

    def fact_handler(self, cls: type[ev.Event]) -> Callable[..., None]:
        """The function that counts the fact `cls(at, *fields)` from its fields, without building the
        event. Producers resolve it once per kind (`Router(facts=fold.fact_handler)`), so a fact costs
        one call to the handler itself; kinds the KPIs ignore only move the fold's clock."""
        handler = self._fact_handlers.get(cls)
        if handler is not None:
            return handler
        if cls in self._handlers:
            return partial(self._fact_event, cls)
        return self._seen

    def _fact_event(self, cls: type[ev.Event], at: float, *fields: Any) -> None:
        self.apply(cls(at, *fields))

    def _seen(self, at: float, *_: Any) -> None:
        if at > self._last:
            self._last = at

    def apply_all(self, events: Iterable[ev.Event]) -> KpiFold:
        for event in events:
            self.apply(event)
        return self

    def _slot(self, at: float) -> float:
        return (at // self.interval) * self.interval

    def _interval(self, slot: float) -> Tally:
        tally = self.intervals.get(slot)
        if tally is None:
            tally = self.intervals[slot] = Tally()
        return tally

    def _queue(self, name: str) -> Tally:
        tally = self.queues.get(name)
        if tally is None:
            tally = self.queues[name] = Tally()
        return tally

    def _agent(self, agent_id: str) -> AgentTally:
        tally = self.agents.get(agent_id)
        if tally is None:
            tally = self.agents[agent_id] = AgentTally()
        return tally

    def _slices(self, call: _CallState, queue: str) -> tuple[Tally, Tally, Tally]:
        return self.total, self._interval(call.slot), self._queue(queue)

    def _call(self, call_id: str, at: float) -> _CallState:
        call = self._calls.get(call_id)
        if call is None:
            call = self._calls[call_id] = _CallState(self._slot(at))
        return call

    # --- call events ---------------------------------------------------------------------------

    def _arrived(self, e: ev.CallArrived) -> None:
        self.arrived(e.at, e.call_id)

    def arrived(self, at: float, call_id: str, *_: Any) -> None:
        """A call came in (the fields of `CallArrived`, in order)."""
        if at > self._last:
            self._last = at
        call = self._calls.get(call_id)
        if call is None:
            call = self._calls[call_id] = _CallState((at // self.interval) * self.interval)
        self.total.arrived += 1
        tally = self.intervals.get(call.slot)
        if tally is None:
            tally = self.intervals[call.slot] = Tally()
        tally.arrived += 1

    def _queued(self, e: ev.CallQueued) -> None:
        self.queued(e.at, e.call_id, e.queue)

    def queued(self, at: float, call_id: str, queue: str, *_: Any) -> None:
        """A call entered `queue` (the fields of `CallQueued`, in order)."""
        if at > self._last:
            self._last = at
        call = self._calls.get(call_id)
        first = call is None or not call.queues
        if call is None or not call.queues:
            call = self._calls[call_id] = _CallState((at // self.interval) * self.interval)
            call.queued_at = at
        call.waiting_in = queue
        if queue not in call.queues:
            call.queues += (queue,)
            tally = self.queues.get(queue)
            if tally is None:
                tally = self.queues[queue] = Tally()
            tally.offered += 1
        if first:
            self.total.offered += 1
            tally = self.intervals.get(call.slot)
            if tally is None:
                tally = self.intervals[call.slot] = Tally()
            tally.offered += 1
        elif call.left_waited >= 0:  # it overflowed to this queue: that overflow was not the call's outcome
            for t in (self.total, self._interval(call.slot)):
                t.overflowed -= 1
                t.waited -= call.left_waited
            call.left_waited = -1

    def _answered(self, e: ev.Answered) -> None:
        self.answered(e.at, e.call_id, e.agent_id, e.queue, e.wait)

    def answered(self, at: float, call_id: str, agent_id: str, queue_name: str, wait: float) -> None:
        """An agent answered a queued call (the fields of `Answered`, in order)."""
        if at > self._last:
            self._last = at
        call = self._calls.get(call_id)
        if call is None:
            call = self._calls[call_id] = _CallState((at // self.interval) * self.interval)
        call.waiting_in = None
        call.answered = True
        within = wait <= self.thresholds.get(queue_name, self.sl_threshold)
        waited = wait > 0
        interval = self.intervals.get(call.slot)
        if interval is None:
            interval = self.intervals[call.slot] = Tally()
        queue = self.queues.get(queue_name)
        if queue is None:
            queue = self.queues[queue_name] = Tally()
        for t in (self.total, interval, queue):
            t.answered += 1
            t.waited += waited
            t.wait_answered += wait
            if wait > t.longest_wait:
                t.longest_wait = wait
            if within:
                t.within_sl += 1
        agent = self.agents.get(agent_id)
        if agent is None:
            agent = self.agents[agent_id] = AgentTally()
        agent.answered += 1
        if queue_name in self.digital_queues:
            self._hold(at, agent_id, call_id, True)

    def _abandoned(self, e: ev.Abandoned) -> None:
        call = self._call(e.call_id, e.at)
        call.waiting_in = None
        for t in self._slices(call, e.queue):
            t.abandoned += 1
            t.waited += 1
            t.longest_wait = max(t.longest_wait, e.wait)

    def _overflowed(self, e: ev.Overflowed) -> None:
        call = self._call(e.call_id, e.at)
        call.waiting_in = None
        call.left_waited = int(e.wait > 0)
        for t in self._slices(call, e.queue):
            t.overflowed += 1
            t.waited += e.wait > 0
            t.longest_wait = max(t.longest_wait, e.wait)

    def _talk_ended(self, e: ev.TalkEnded) -> None:
        self.talk_ended(e.at, e.call_id, e.agent_id, e.queue, e.talk_time)

    def talk_ended(
        self, at: float, call_id: str, agent_id: str, queue_name: str, talk: float, *_: Any
    ) -> None:
        """Caller and agent hung up (the fields of `TalkEnded`, in order)."""
        if at > self._last:
            self._last = at
        call = self._calls.pop(call_id, None) or _CallState((at // self.interval) * self.interval)
        interval = self.intervals.get(call.slot)
        if interval is None:
            interval = self.intervals[call.slot] = Tally()
        queue = self.queues.get(queue_name)
        if queue is None:
            queue = self.queues[queue_name] = Tally()
        for t in (self.total, interval, queue):
            t.handled += 1
            t.talk_time += talk
        agent = self.agents.get(agent_id)
        if agent is None:
            agent = self.agents[agent_id] = AgentTally()
        agent.talk_time += talk
        agent.wrap_call, agent.wrap_slot = call_id, call.slot
        if queue_name in self.digital_queues:
            self._hold(at, agent_id, call_id, False)

    def _wrap_done(self, e: ev.WrapUpDone) -> None:
        agent = self._agent(e.agent_id)
        call = _CallState(agent.wrap_slot if agent.wrap_call == e.call_id else self._slot(e.at))
        agent.wrap_call = ""
        for t in self._slices(call, e.queue):
            t.wrap_time += e.duration
        agent.wrap_time += e.duration

    def _call_ended(self, e: ev.CallEnded) -> None:
        self.call_ended(e.at, e.call_id)

    def call_ended(self, at: float, call_id: str, *_: Any) -> None:
        """The call's flow ended (the fields of `CallEnded`, in order)."""
        if at > self._last:
            self._last = at
        call = self._calls.get(call_id)
        if call is not None and not call.answered and not call.callback:
            del self._calls[call_id]  # nothing more will count for it

    def _callback_requested(self, e: ev.CallbackRequested) -> None:
        call = self._call(e.call_id, e.at)
        call.waiting_in = None
        call.callback = True
        for t in self._slices(call, e.queue):
            t.callbacks_requested += 1

    def _callback_attempted(self, e: ev.CallbackAttempted) -> None:
        if e.reached:
            call = self._call(e.call_id, e.at)
            for t in self._slices(call, e.queue):
                t.callbacks_reached += 1

    def _callback_failed(self, e: ev.CallbackFailed) -> None:
        call = self._call(e.call_id, e.at)
        for t in self._slices(call, e.queue):
            t.callbacks_failed += 1

    def _survey_answered(self, e: ev.SurveyAnswered) -> None:
        if e.score is None:
            return
        tallies: list[Tally | AgentTally] = [self.total, self._interval(self._slot(e.at))]
        if e.queue:
            tallies.append(self._queue(e.queue))
        if e.agent_id:
            tallies.append(self._agent(e.agent_id))
        for t in tallies:
            t.survey_answers += 1
            t.survey_score_total += e.score

    def _menu_option(self, e: ev.MenuOptionChosen) -> None:
        key = (e.flow, e.node, e.option)
        self.ivr_options[key] = self.ivr_options.get(key, 0) + 1

    # --- agent time ----------------------------------------------------------------------------

    def _offer_declined(self, e: ev.OfferDeclined) -> None:
        if e.reason in ("no_answer", "declined"):
            self._agent(e.agent_id).offers_missed += 1

    def _agent_changed(self, e: ev.AgentStateChanged) -> None:
        self.agent_changed(e.at, e.agent_id, e.old, e.new)

    def agent_changed(self, end: float, agent_id: str, old: str, new: str, *_: Any) -> None:
        """An agent's state changed (the fields of `AgentStateChanged`, in order)."""
        if end > self._last:
            self._last = end
        agent = self.agents.get(agent_id)
        if agent is None:
            agent = self.agents[agent_id] = AgentTally()
        state, start = agent.state, agent.since
        if state is not None:
            if self._held and self._held.get(agent_id):
                state = "busy"  # holding a chat, SMS or e-mail: occupied whatever the voice state
                if new == "offline":
                    del self._held[agent_id]  # logged out: nothing it held is counted after
            if end > start and state in STAFFED:
                step = self.interval
                slot = (start // step) * step
                if end > slot + step:
                    self._span(agent_id, state, start, end)
                else:  # `_span` for the usual span inside one interval, inlined (three per call)
                    length = end - start
                    total = self.total
                    agent.staffed_time += length
                    total.staffed_time += length
                    tally = self.intervals.get(slot)
                    if tally is None:
                        tally = self.intervals[slot] = Tally()
                    tally.staffed_time += length
                    if state in WORKING:
                        agent.working_time += length
                        total.working_time += length
                        tally.working_time += length
        agent.state, agent.since = new, end

    def _hold(self, at: float, agent_id: str, task_id: str, holds: bool) -> None:
        """A digital task starts or stops occupying the agent; the agent's time span is cut where
        the agent goes from holding none to some (or back), so the time before counts as it was."""
        tasks = self._held.get(agent_id)
        before = bool(tasks)
        if holds:
            if tasks is None:
                tasks = self._held[agent_id] = set()
            tasks.add(task_id)
        elif tasks is not None:
            tasks.discard(task_id)
            if not tasks:
                del self._held[agent_id]
        if before == bool(tasks):
            return
        agent = self.agents.get(agent_id)
        if agent is not None and agent.state is not None:
            state = agent.state
            self._span(agent_id, "busy" if before and state not in WORKING else state, agent.since, at)
            agent.since = at

    def _span(self, agent_id: str, state: str, start: float, end: float) -> None:
        """Add time in `state` to the agent and to every interval the span overlaps."""
        if end <= start or state not in STAFFED:
            return
        working = state in WORKING
        length = end - start
        agent = self.agents.get(agent_id)
        if agent is None:
            agent = self.agents[agent_id] = AgentTally()
        agent.staffed_time += length
        total = self.total
        total.staffed_time += length
        if working:
            agent.working_time += length
            total.working_time += length
        step = self.interval
        slot = (start // step) * step
        intervals = self.intervals
        while slot < end:
            part = (
                length if end <= slot + step and start >= slot else min(end, slot + step) - max(start, slot)
            )
            tally = intervals.get(slot)
            if tally is None:
                tally = intervals[slot] = Tally()
            tally.staffed_time += part
            if working:
                tally.working_time += part
            slot += step

    # --- reading -------------------------------------------------------------------------------

    def snapshot(self, now: float | None = None) -> Snapshot:
        """A copy of the KPIs with open agent spans counted up to `now` (default: the last event)."""
        at = self._last if now is None else now
        copy = KpiFold(self.interval, self.sl_threshold, self.thresholds, self.digital_queues)
        copy.total = _clone(self.total)
        copy.intervals = {k: _clone(v) for k, v in self.intervals.items()}
        copy.queues = {k: _clone(v) for k, v in self.queues.items()}
        copy.agents = {k: _clone(v) for k, v in self.agents.items()}
        for agent_id, agent in self.agents.items():
            if agent.state is not None:
                copy._span(agent_id, "busy" if self._held.get(agent_id) else agent.state, agent.since, at)
        waits = [at - c.queued_at for c in self._calls.values() if c.waiting_in is not None]
        return Snapshot(
            at=at,
            interval=self.interval,
            total=copy.total,
            intervals=copy.intervals,
            queues=copy.queues,
            agents=copy.agents,
            ivr_options=dict(self.ivr_options),
            waiting_now=len(waits),
            oldest_waiting=max(waits, default=0.0),
        )


def _clone(tally: Any) -> Any:
    return replace(tally)


def kpis_of(
    events: Iterable[ev.Event],
    interval: float = 1800.0,
    sl_threshold: float = 20.0,
    digital_queues: Iterable[str] = (),
) -> Snapshot:
    """One-shot fold for reports and tests."""
    fold = KpiFold(interval, sl_threshold, digital_queues=digital_queues).apply_all(events)
    return fold.snapshot()
