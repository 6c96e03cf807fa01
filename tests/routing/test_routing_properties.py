"""Invariants over random event sequences (Hypothesis stateful testing).

No double booking, no lost call, FIFO within equal priority, wrap-up respected, whatever the order of
arrivals, answers, declines, abandons, pauses, logins and timer expiries.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from alur.core.channel import QueueRequest
from alur.core.clock import VirtualClock
from alur.core.errors import IllegalTransition
from alur.core.events import (
    Abandoned,
    Answered,
    CallQueued,
    Event,
    GroupOffered,
    Offered,
    Overflowed,
    TalkEnded,
)
from alur.routing import AgentConfig, AgentState, QueueConfig, Router

AGENTS = ["a1", "a2", "a3", "a4"]
STRATEGY_NAMES = [
    "fixed_order",
    "round_robin",
    "longest_idle",
    "ring_all",
    "skills",
    "fewest_calls",
    "random",
]


class RouterMachine(RuleBasedStateMachine):
    @initialize(
        strategy=st.sampled_from(STRATEGY_NAMES),
        escalate=st.booleans(),
        present=st.sets(st.sampled_from(AGENTS)),
    )
    def build(self, strategy: str, escalate: bool, present: set[str]) -> None:
        ladder = (
            [
                {"after": 20, "action": "widen_skill_level", "by": 2},
                {"after": 30, "action": "add_groups", "groups": ["tier2"]},
                {"after": 40, "action": "raise_priority", "by": 1},
                {"after": 90, "action": "move_queue", "target": "support"},
            ]
            if escalate
            else []
        )
        queues = [
            QueueConfig(
                name="sales", strategy=strategy, wrap_up=10, ring_timeout=15, max_wait=300, escalation=ladder
            ),
            QueueConfig(name="support", strategy=strategy, wrap_up=0, ring_timeout=15, max_length=4),
        ]
        agents = [
            AgentConfig(id="a1", queues=["sales"], skills={"fr": 5}),
            AgentConfig(id="a2", queues=["sales", "support"], skills={"fr": 2}),
            AgentConfig(id="a3", queues=["support"], group="tier2"),
            AgentConfig(id="a4", queues=[{"queue": "sales", "penalty": 1}, "support"], skills={"fr": 9}),
        ]
        self.ring_all = strategy == "ring_all"
        self.clock = VirtualClock(1_767_225_600.0)
        self.events: list[Event] = []
        self.router = Router.from_config(
            queues, agents, clock=self.clock, emit=self.on_event, rng=random.Random(1)
        )
        self.n = 0
        self.wrap_until: dict[str, float] = {}
        self.violations: list[str] = []
        for agent in sorted(present):
            self.router.login(agent)

    # --- the driver's moves --------------------------------------------------------------------

    @rule(queue=st.sampled_from(["sales", "support"]), priority=st.integers(0, 1), french=st.booleans())
    def call_arrives(self, queue: str, priority: int, french: bool) -> None:
        self.n += 1
        skills = (("fr", 4),) if french and queue == "sales" else ()
        self.router.enqueue(f"c{self.n}", QueueRequest(queue=queue, priority=priority, skills=skills))

    @rule(data=st.data())
    def answer(self, data: st.DataObject) -> None:
        if self.router.reservations:
            rid = data.draw(st.sampled_from(sorted(self.router.reservations)))
            self.router.answer(rid)

    @rule(data=st.data(), reason=st.sampled_from(["no_answer", "busy", "declined"]))
    def decline(self, data: st.DataObject, reason: str) -> None:
        if self.router.reservations:
            self.router.decline(data.draw(st.sampled_from(sorted(self.router.reservations))), reason)

    @rule(data=st.data())
    def caller_hangs_up(self, data: st.DataObject) -> None:
        if self.router.calls:
            self.router.abandon(data.draw(st.sampled_from(sorted(self.router.calls))))

    @rule(data=st.data())
    def callback(self, data: st.DataObject) -> None:
        if self.router.calls:
            self.router.request_callback(data.draw(st.sampled_from(sorted(self.router.calls))), "555")

    @rule(data=st.data())
    def talk_ends(self, data: st.DataObject) -> None:
        if self.router.connected:
            call_id = data.draw(st.sampled_from(sorted(self.router.connected)))
            agent_id, queue, _ = self.router.connected[call_id]
            self.router.talk_ended(call_id)
            self.wrap_until[agent_id] = self.clock.now() + self.router.queues[queue].config.wrap_up

    @rule(
        agent=st.sampled_from(AGENTS),
        action=st.sampled_from(["login", "logout", "pause", "unpause", "ready"]),
    )
    def agent_acts(self, agent: str, action: str) -> None:
        before = self.router.agent_state(agent)
        if before is AgentState.WRAP_UP and action in ("ready", "pause", "logout"):
            self.wrap_until.pop(agent, None)  # the agent ends wrap-up early, on purpose
        try:
            getattr(self.router, action)(agent)
        except IllegalTransition:
            assert self.router.agent_state(agent) is before  # a rejected move changes nothing

    @rule(seconds=st.sampled_from([1.0, 5.0, 14.0, 15.0, 30.0, 120.0]))
    def time_passes(self, seconds: float) -> None:
        self.clock.run(self.clock.now() + seconds)

    # --- checks --------------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        self.events.append(event)
        if isinstance(event, Offered):
            self.check_offer(event)
        elif isinstance(event, GroupOffered):
            for offer in event.offers():
                self.check_offer(offer)

    def check_offer(self, e: Offered) -> None:
        r = self.router
        if e.at < self.wrap_until.get(e.agent_id, float("-inf")):
            self.violations.append(f"{e.agent_id} offered {e.call_id} during wrap-up")
        agent = r.agents[e.agent_id]
        offered = r.calls[e.call_id]
        for earlier in r.queues[e.queue].line.calls:
            if earlier is offered:
                break
            eligible = (
                any(pool in agent.pools for pool in [("queue", earlier.queue), *earlier.extra_pools])
                and not earlier.reservations
                and earlier.excluded.get(agent.id, 0.0) <= e.at
                and all(agent.skills.get(s, 0) >= lvl for s, lvl in earlier.skills.items())
            )
            if eligible and earlier.priority == offered.priority:
                self.violations.append(f"{e.call_id} offered to {agent.id} before earlier {earlier.call_id}")

    @invariant()
    def no_violation_seen(self) -> None:
        assert self.violations == []

    @invariant()
    def no_double_booking(self) -> None:
        r = self.router
        offered_to: dict[str, list[str]] = {}
        for rid, res in r.reservations.items():  # a ring_all group: one reservation, an id per phone
            agent_id = r.offer(rid).agent_id
            offered_to.setdefault(res.call.call_id, []).append(agent_id)
            if res.phones is None:
                assert r.agents[agent_id].state in (AgentState.RESERVED, AgentState.RINGING)
            else:  # the group holds its agents: available, and skipped by every walk
                assert r.agents[agent_id].state is AgentState.AVAILABLE and r.agents[agent_id].held is res
        for call_id, who in offered_to.items():
            assert len(who) == len(set(who))
            assert self.ring_all or len(who) == 1, f"{call_id} offered to {who}"
            assert call_id in r.calls and call_id not in r.connected
        for agent in r.agents.values():
            assert len(agent.reservations) <= 1, f"{agent.id} holds {agent.reservations}"
            if agent.state in (AgentState.RESERVED, AgentState.RINGING) or agent.held is not None:
                assert len(agent.reservations) == 1
            else:
                assert not agent.reservations
        busy = [a for a, *_ in r.connected.values()]
        assert len(busy) == len(set(busy))
        for agent_id in busy:
            assert r.agents[agent_id].state is AgentState.BUSY
        for agent in r.agents.values():
            if agent.state is AgentState.AVAILABLE:
                for pool in agent.pools:
                    assert agent.id in r._pools[pool]
            else:
                assert all(agent.id not in r._pools.get(pool, ()) for pool in agent.pools)

    @invariant()
    def no_lost_call(self) -> None:
        r = self.router
        queued = {e.call_id for e in self.events if isinstance(e, CallQueued)}
        answered = [e.call_id for e in self.events if isinstance(e, Answered)]
        gone = [e.call_id for e in self.events if isinstance(e, (Abandoned, Overflowed))]
        waiting = list(r.calls)
        ends = answered + gone + waiting
        assert len(ends) == len(set(ends)), "a call ended twice"
        assert set(ends) == queued
        for call_id in waiting:
            assert call_id in r.waiting(r.calls[call_id].queue)
        talking = set(answered) - {e.call_id for e in self.events if isinstance(e, TalkEnded)}
        assert talking == set(r.connected)

    @invariant()
    def line_is_in_priority_then_arrival_order(self) -> None:
        for q in self.router.queues.values():
            keys = [(-c.priority, c.seq) for c in q.line.calls]
            assert keys == sorted(keys)

    @invariant()
    def wrap_up_respected(self) -> None:
        for agent_id, until in self.wrap_until.items():
            if self.clock.now() < until:
                assert self.router.agent_state(agent_id) in (
                    AgentState.WRAP_UP,
                    AgentState.OFFLINE,
                    AgentState.PAUSED,
                )


RouterMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestRouterInvariants = RouterMachine.TestCase
