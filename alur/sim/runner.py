"""The virtual-time simulation: the project's real flows and routing engine, synthetic callers and staff.

    sim = Simulation(project, scenario, seed=7)
    result = sim.run()                     # SimResult: KPI snapshot, run figures, flow errors
    result.kpis.total.service_level

Everything runs on one `VirtualClock`: arrivals, prompts, digit entry, patience, talk and the engine's
own timers (ring timeouts, escalation, wrap-up). Nothing waits on the wall clock, and the same seed gives
the same event log bit for bit.
"""

from __future__ import annotations

import gc
import random
import time as wallclock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from alur.core.channel import QueueOutcome, QueueRequest
from alur.core.clock import VirtualClock
from alur.core.events import CallbackAttempted, Event
from alur.core.tasks import Future, Task
from alur.flow.interpreter import FlowRunner
from alur.metrics.kpis import KpiFold, Snapshot
from alur.routing import AgentConfig, Offer, QueueMembership, Router, Schedule, ServiceLevel
from alur.sim.caller import SimCaller, prompt_seconds
from alur.sim.channels import Channels
from alur.sim.checks import check_scenario
from alur.sim.http import SimHttp
from alur.sim.scenario import NodeBehaviour, Roster, Scenario, ScenarioError
from alur.sim.traffic import Traffic, stream

if TYPE_CHECKING:
    from alur.config.project import Project

CALLBACK_RING: Final = 30.0  # seconds an agent lets an unreached callback ring
INF: Final = float("inf")
GC_GROWTH = 100_000  # container objects a run may add before it runs the cyclic collector itself


@dataclass(slots=True)
class SimResult:
    """One simulation run: KPIs, the log (when kept), and how the run itself went."""

    label: str
    seed: int
    kpis: Snapshot
    calls: int
    finished: int
    wall_seconds: float
    virtual_seconds: float
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    events: list[Event] | None = None
    agents: int = 0
    warnings: dict[str, int] = field(default_factory=dict)
    sl_target: float = 0.8  # service-level target and threshold, for the Erlang yardstick
    sl_seconds: float = 20.0
    patience_mean: float | None = None

    @property
    def calls_per_second(self) -> float:
        return self.calls / self.wall_seconds if self.wall_seconds > 0 else float("inf")


@dataclass(slots=True)
class _Staff:
    answer_delay: float = 0.0
    no_answer: float = 0.0
    back_after: float = 60.0


class Simulation:
    """Drives one run. Build, then `run()`; a Simulation is used once."""

    def __init__(
        self,
        project: Project,
        scenario: Scenario,
        seed: int = 1,
        *,
        label: str = "",
        keep_events: bool = False,
        traffic: Traffic | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        self.project = project
        self.scenario = scenario
        self.seed = seed
        self.label = label or project.name
        self.call_prefix = "c"
        default = project.settings.default_flow
        numbers = {flow: number for number, flow in project.settings.numbers.items()}
        default_dialed = numbers.get(default, "") if default else next(iter(project.settings.numbers), "")
        check_scenario(project, scenario)
        self.traffic = traffic or Traffic(scenario, seed, project.customers, default_dialed)
        self.clock = VirtualClock(start=self.traffic.start)
        thresholds = {name: q.service_level.seconds for name, q in project.queues.items()}
        sl_seconds = scenario.service_level_seconds
        if sl_seconds is not None:
            thresholds = {name: sl_seconds for name in thresholds}
        self.fold = KpiFold(scenario.report_interval, sl_seconds or 20.0, thresholds)
        self.events: list[Event] | None = [] if keep_events else None
        self._warm: set[str] = set()
        self._warm_until = self.traffic.start + scenario.warmup
        self.progress = progress
        agents, self.staff = self._agents()
        # the log sink is the hottest path: without a kept log or a warm-up, events go straight to the fold
        direct = not keep_events and scenario.warmup <= 0
        sink = self.fold.apply if direct else self._emit
        self.router = Router.from_config(
            project.queues.values(),
            agents,
            clock=self.clock,
            emit=sink,
            # and its commonest facts as plain fields: no event object is built when no log is kept
            facts=self.fold.fact_handler if direct else None,
            on_offer=self._offer,
            on_cancel=self._offer_cancelled,
            on_outcome=self._outcome,
            rng=random.Random(seed),
            explanations=0,  # nobody asks a simulated router why: decisions skip building explanations
        )
        # staff who answer at once (no delay, never ring out) are connected by the router directly:
        # no ring timer, no reserved state, no offer round trip through `_offer`
        slow = {aid for aid, st in self.staff.items() if st.answer_delay > 0 or st.no_answer > 0}
        self.router.answers_at_once = partial(_not_in, slow)
        self.prompt_seconds = prompt_seconds(scenario.ivr)  # how long each prompt plays
        self.http = SimHttp(scenario.http, self.clock, self.traffic)  # the scenario's canned web services
        self.flows = FlowRunner(
            project,
            clock=self.clock,
            log=sink,
            facts=self.fold.fact_handler if direct else None,
            http=self.http,
            keep_trail=False,
        )
        self.calls: dict[str, SimCaller] = {}
        # arrivals come one interval at a time; every other draw is read per call, as the run asks
        self._arrivals = self.traffic.arrival_times()
        self._patience = self.traffic.patience_of
        self._callback_accept = self.traffic.callback_accept
        self._callback_reach = self.traffic.callback_reach
        self._handle_time = self.traffic.handle_time
        self._answer_timers: dict[str, Any] = {}
        self._agent_rng = stream(seed, "agents")
        self._behaviours = {**scenario.ivr.nodes}
        self._errors: list[str] = []
        self._error_count = 0
        self._finished = 0
        self._closing: list[str] = []
        self._warnings: dict[str, int] = {}  # calls that took a fail path, by node and reason
        self.channels = Channels(self, scenario.channels, seed)  # chat/SMS/e-mail arrivals, if any

    # --- staffing --------------------------------------------------------------------------------

    def _agents(self) -> tuple[list[AgentConfig], dict[str, _Staff]]:
        source = self.scenario.agent_source()
        agents: list[AgentConfig] = []
        staff: dict[str, _Staff] = {}
        if source in ("project", "both"):
            agents += list(self.project.agents.values())
        if source in ("scenario", "both"):
            for roster in self.scenario.rosters:
                for i in range(roster.count):
                    config = _roster_agent(roster, i, self.scenario.timezone)
                    agents.append(config)
                    staff[config.id] = _Staff(roster.answer_delay, roster.no_answer, roster.back_after)
        if not agents:
            where = "agents/*.yaml" if source == "project" else "the scenario's rosters"
            raise ScenarioError(
                f"nobody answers the calls: no agents in {where} (agents: {source}; add rosters to the "
                "scenario, or agents to the project)",
                location=self.scenario.where("agents") if self.scenario.agents else None,
                code="no_agents",
            )
        return agents, staff

    def _schedule_shifts(self) -> None:
        """Log agents in and out at their shift boundaries (checked every 5 minutes of the run)."""
        start, end = self.traffic.start, self.traffic.end
        for agent in self.router.agents.values():
            schedule: Schedule = agent.config.schedule
            if not schedule.shifts:
                self.clock.call_at(start, partial(self._login, agent.id), priority=-1)
                self._closing.append(agent.id)
                continue
            on = False
            t = start
            while t <= end + 1e-9:
                now_on = schedule.on_shift(t) and t < end
                if now_on != on:
                    self.clock.call_at(
                        t,
                        partial(self._login if now_on else self._logout, agent.id),
                        priority=-1 if now_on else 1,
                    )
                    on = now_on
                t += 300.0
            if on:
                self.clock.call_at(end, partial(self._logout, agent.id), priority=1)

    def _close(self) -> None:
        """Arrivals have stopped: agents without shifts serve the calls still waiting, then log out."""
        if self.router.calls:
            self.clock.call_later(5.0, self._close, priority=1)
            return
        for agent_id in self._closing:
            self._logout(agent_id)

    def _login(self, agent_id: str) -> None:
        if self.router.agent_state(agent_id).value == "offline":
            self.router.login(agent_id)

    def _logout(self, agent_id: str) -> None:
        if self.router.agent_state(agent_id).value != "offline":
            self.router.logout(agent_id)

    # --- calls -----------------------------------------------------------------------------------

    def behaviour_for(self, node_key: str) -> NodeBehaviour | None:
        behaviours = self._behaviours
        found = behaviours.get(node_key)
        if found is None:
            found = behaviours.get(node_key.split(".", 1)[1])
            behaviours[node_key] = found  # type: ignore[assignment]
        return found

    def _arrive(self, index: int, at: float) -> None:
        following = next(self._arrivals, None)
        if following is not None:
            self.clock.call_at(following, partial(self._arrive, index + 1, following))
        caller = SimCaller(self, index)
        if at < self._warm_until:
            self._warm.add(caller.call_id)
        self.calls[caller.call_id] = caller
        task = Task(self.flows.run_call(caller))
        task.add_done_callback(caller.flow_done)

    def call_done(self, caller: SimCaller, done: Future[Any]) -> None:
        self._finished += 1
        if caller.queue_future is None or caller.queue_future.done():
            if caller.callback_timer is None:
                self.calls.pop(caller.call_id, None)
        error = done._exception
        if error is None:
            result = done._result
            error_text = getattr(result, "error", None)
            if error_text and result.how not in ("error", "loop_limit"):
                self._note(
                    self._warnings,
                    f"{result.flow}.{result.node or caller.node_key.split('.', 1)[-1]}",
                    error_text,
                )
                return
        else:
            error_text = f"{type(error).__name__}: {error}"
        if error_text:
            self._error_count += 1
            if len(self._errors) < 5:
                self._errors.append(f"call {caller.call_id} at node {caller.node_key}: {error_text}")

    @staticmethod
    def _note(table: dict[str, int], where: str, text: str) -> None:
        key = f"{where}: {text}"
        table[key] = table.get(key, 0) + 1

    def enqueue(self, caller: SimCaller, request: QueueRequest) -> Future[QueueOutcome]:
        future: Future[QueueOutcome] = Future()
        caller.queue_future = future
        caller.request = request
        now = self.clock.now()
        patience = self._patience(caller.index)
        if patience != INF:
            if caller.patience_deadline is None:
                caller.patience_deadline = now + patience  # one deadline over all queues of the call
            deadline = caller.patience_deadline
            self.clock.call_at(deadline, partial(self._patience_over, caller, future))
        cb = self.scenario.callback
        if request.offer_callback and cb.accept > 0 and self._callback_accept(caller.index) < cb.accept:
            self.clock.call_at(now + cb.after, partial(self._take_callback, caller, future))
        self.router.enqueue(caller.call_id, request)
        return future

    def _patience_over(self, caller: SimCaller, future: Future[QueueOutcome]) -> None:
        if not future.done() and caller.call_id in self.router.calls and caller.talk_timer is None:
            self.router.abandon(caller.call_id)

    def _take_callback(self, caller: SimCaller, future: Future[QueueOutcome]) -> None:
        if not future.done() and caller.call_id in self.router.calls and caller.talk_timer is None:
            caller.callback_timer = True
            self.router.request_callback(caller.call_id, caller.caller_id)

    # --- engine callbacks ------------------------------------------------------------------------

    def _offer(self, offer: Offer) -> None:
        staff = self.staff.get(offer.agent_id)
        if staff is not None and staff.no_answer > 0 and self._agent_rng.random() < staff.no_answer:
            return  # rings out; the engine's ring timeout returns the call to the line
        if staff is None or staff.answer_delay <= 0:
            self.router.answer(offer.reservation_id)
        else:
            self._answer_timers[offer.reservation_id] = self.clock.call_later(
                staff.answer_delay, partial(self._answer, offer.reservation_id)
            )

    def _answer(self, reservation_id: str) -> None:
        self._answer_timers.pop(reservation_id, None)
        if reservation_id in self.router.reservations:
            self.router.answer(reservation_id)

    def _offer_cancelled(self, offer: Offer, reason: str) -> None:
        timer = self._answer_timers.pop(offer.reservation_id, None)
        if timer is not None:
            timer.cancel()
        if reason == "no_answer":  # the queue's ring-no-answer policy may pause the agent just after this
            self.clock.call_later(0.0, partial(self._come_back_later, offer.agent_id))

    def _come_back_later(self, agent_id: str) -> None:
        """An agent paused for missed offers is back at the desk after `back_after` seconds."""
        staff = self.staff.get(agent_id) or _Staff()
        if self.router.agent_state(agent_id).value == "paused":
            self.clock.call_later(staff.back_after, partial(self._unpause, agent_id))

    def _unpause(self, agent_id: str) -> None:
        if self.router.agent_state(agent_id).value == "paused":
            self.router.unpause(agent_id)

    def _outcome(self, call_id: str, outcome: QueueOutcome) -> None:
        caller = self.calls.get(call_id)
        if caller is None:
            if self.channels.streams:
                self.channels.outcome(call_id, outcome)
            return
        future = caller.queue_future
        if outcome.result != "answered":
            if future is not None:
                future.set_result(outcome)
            return
        caller.answered_by = outcome.agent_id
        i = caller.index
        request = caller.request
        call_type = (request.call_type or request.queue) if request is not None else ""
        if caller.callback_timer is not None:  # an agent rings the customer back
            reached = self._callback_reach(i) < self.scenario.callback.reach
            queue = request.queue if request is not None else ""
            self._emit(CallbackAttempted(self.clock.now(), call_id, queue, outcome.agent_id or "", reached))
            talk = self._handle_time(call_type, i) if reached else CALLBACK_RING
        else:
            talk = self._handle_time(call_type, i)
        caller.outcome = outcome
        caller.talk_timer = self.clock.call_later(talk, caller.talk_over)

    def talk_over(self, caller: SimCaller) -> None:
        self.router.talk_ended(caller.call_id, ended_by="caller")
        caller.talk_timer = None
        if caller.callback_timer is not None:
            self.calls.pop(caller.call_id, None)
            return
        if caller.queue_future is not None and caller.outcome is not None:
            caller.queue_future.set_result(caller.outcome)

    def _emit(self, event: Event) -> None:
        if self.events is not None:
            self.events.append(event)
        if self._warm and getattr(event, "call_id", None) in self._warm:
            return
        self.fold.apply(event)

    # --- running ---------------------------------------------------------------------------------

    def run(self) -> SimResult:
        # what exists now (project, scenario, traffic, modules) outlives the run: frozen, the cyclic
        # collector walks only the objects the run makes (it took ~10% of a run walking the rest).
        # And it runs only when the run's live objects have grown by GC_GROWTH: a run makes next to no
        # cyclic garbage, but with a thousand calls in flight (1,200 agents) the collector's own
        # schedule walked tens of thousands of live objects over and over (a quarter of the run)
        own_gc = gc.isenabled() and gc.get_freeze_count() == 0
        if own_gc:
            gc.freeze()
            gc.disable()
        try:
            return self._run(own_gc)
        finally:
            if own_gc:
                gc.enable()
                gc.unfreeze()

    def _run(self, own_gc: bool) -> SimResult:
        started = wallclock.perf_counter()
        traffic = self.traffic
        self._schedule_shifts()
        if self._closing:
            self.clock.call_at(traffic.end, self._close, priority=1)
        first = next(self._arrivals, None)
        if first is not None:
            self.clock.call_at(first, partial(self._arrive, 0, first))
        self.channels.start()
        if self.scenario.warmup > 0:
            self.clock.call_at(self._warm_until, self._end_warmup, priority=-2)
        until = traffic.end + self.scenario.drain
        clock = self.clock
        span = max(until - traffic.start, 1.0)
        batch = 5_000  # timers between progress reports
        while clock.run_due(until, batch) == batch:
            if own_gc and gc.get_count()[0] > GC_GROWTH:
                gc.collect()  # cycles a flow left behind, if any: memory stays bounded
            if self.progress is not None:
                self.progress(min(1.0, (clock.now() - traffic.start) / span))
        if self.progress is not None:
            self.progress(1.0)
        wall = wallclock.perf_counter() - started
        target = (
            next(iter(self.project.queues.values())).service_level if self.project.queues else ServiceLevel()
        )
        return SimResult(
            label=self.label,
            seed=self.seed,
            kpis=self.fold.snapshot(),
            calls=traffic.n,
            finished=self._finished,
            wall_seconds=wall,
            virtual_seconds=clock.now() - traffic.start,
            errors=list(self._errors),
            error_count=self._error_count,
            events=self.events,
            agents=len(self.router.agents),
            warnings=dict(self._warnings),
            sl_target=target.percent / 100.0,
            sl_seconds=self.scenario.service_level_seconds or target.seconds,
            patience_mean=self.scenario.patience.expected if self.scenario.patience is not None else None,
        )

    def _end_warmup(self) -> None:
        """KPIs start here: a fresh fold that knows every agent's current state."""
        from alur.core.events import AgentStateChanged

        fold = KpiFold(self.fold.interval, self.fold.sl_threshold, self.fold.thresholds)
        now = self.clock.now()
        for agent in self.router.agents.values():
            state = agent.state.value
            fold.apply(AgentStateChanged(now, agent.id, state, state, "warmup_end"))
        self.fold = fold


def _not_in(ids: set[str], agent_id: str) -> bool:
    return agent_id not in ids


def _roster_agent(roster: Roster, i: int, timezone: str) -> AgentConfig:
    width = max(2, len(str(roster.count)))
    from alur.routing.model import Shift

    shifts = tuple(Shift(start=s.start, end=s.end) for s in roster.shifts)
    return AgentConfig(
        id=f"{roster.name}-{i + 1:0{width}d}",
        name=f"{roster.name} {i + 1}",
        skills=dict(roster.skills),
        languages=dict(roster.languages),
        queues=tuple(
            QueueMembership(queue=m.queue, level=m.level, penalty=m.penalty) for m in roster.memberships()
        ),
        group=roster.group,
        schedule=Schedule(timezone=timezone, shifts=shifts),
    )


def local_time(epoch: float, timezone: str) -> datetime:
    return datetime.fromtimestamp(epoch, ZoneInfo(timezone))


_ = timedelta
