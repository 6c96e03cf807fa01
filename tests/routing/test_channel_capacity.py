"""Chat, SMS and e-mail tasks beside calls: capacity per channel and in total, exclusive voice.

The stateful test keeps its own count of what each agent holds from the events alone (offers not yet
ended plus answered tasks not yet closed) and checks it against the configured capacities after every
step, whatever the order of arrivals, answers, declines, closes, pauses and timer expiries.
"""

from __future__ import annotations

import random

import pytest
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
    OfferDeclined,
    Offered,
    Overflowed,
    TalkEnded,
)  # fmt: skip
from alur.routing import AgentConfig, AgentState, QueueConfig, Router

CHANNEL = {"calls": "voice", "web": "chat", "sms": "sms", "mail": "email"}
ON_VOICE = (AgentState.RESERVED, AgentState.RINGING, AgentState.BUSY, AgentState.WRAP_UP)


def queues(strategy: str = "longest_idle") -> list[QueueConfig]:
    return [
        QueueConfig(name="calls", strategy=strategy, ring_timeout=15, wrap_up=5),
        QueueConfig(name="web", channel="chat", capacity=3, strategy=strategy, ring_timeout=15),
        QueueConfig(name="sms", channel="sms", strategy=strategy, ring_timeout=15, max_wait=200),
        QueueConfig(name="mail", channel="email", capacity=2, strategy=strategy, ring_timeout=15),
    ]


AGENTS = [
    AgentConfig(id="a1", queues=["calls", "web"], capacity={"chat": 2}),
    AgentConfig(id="a2", queues=["web", "sms"]),
    AgentConfig(id="a3", queues=["calls", "mail"], max_tasks=3),
    AgentConfig(id="a4", queues=["calls", "web", "sms", "mail"], max_tasks=4),
]
CAPACITY = {
    "a1": {"chat": 2},
    "a2": {"chat": 3, "sms": 1},
    "a3": {"email": 2},
    "a4": {"chat": 3, "sms": 1, "email": 2},
}
MAX_TASKS = {"a3": 3, "a4": 4}


def router(
    exclusive: bool = True, strategy: str = "longest_idle"
) -> tuple[Router, VirtualClock, list[Event]]:
    clock = VirtualClock(1_767_225_600.0)
    events: list[Event] = []
    r = Router.from_config(
        queues(strategy), AGENTS, clock=clock, emit=events.append, voice_exclusive=exclusive
    )
    return r, clock, events


def test_an_agent_with_capacity_two_never_gets_a_third_chat() -> None:
    r, _, events = router()
    r.login("a1")
    for i in range(4):
        r.enqueue(f"chat{i}", QueueRequest(queue="web"))
    offers = [e for e in events if isinstance(e, Offered)]
    assert [e.call_id for e in offers] == ["chat0", "chat1"]
    for rid in list(r.reservations):
        r.answer(rid)
    assert r.waiting("web") == ["chat2", "chat3"]
    assert r.agent_state("a1") is AgentState.AVAILABLE  # chats do not move the voice state
    r.talk_ended("chat0", ended_by="agent")
    assert [e.call_id for e in events if isinstance(e, Offered)][-1] == "chat2"


def test_exclusive_voice_keeps_chats_and_calls_apart() -> None:
    r, _, events = router(exclusive=True)
    r.login("a1")
    r.enqueue("call1", QueueRequest(queue="calls"))
    r.answer(next(iter(r.reservations)))
    r.enqueue("chat1", QueueRequest(queue="web"))
    assert r.waiting("web") == ["chat1"]  # on a call: no chat
    r.talk_ended("call1")
    r.ready("a1")  # ends wrap-up
    chat_offer = [e for e in events if isinstance(e, Offered) and e.call_id == "chat1"]
    assert chat_offer and chat_offer[0].agent_id == "a1"
    r.answer(chat_offer[0].reservation_id)
    r.enqueue("call2", QueueRequest(queue="calls"))
    assert r.waiting("calls") == ["call2"]  # holding a chat: no call
    r.talk_ended("chat1")
    assert r.agent_state("a1") is AgentState.RESERVED


def test_without_exclusive_voice_a_call_and_two_emails_share_an_agent() -> None:
    r, _, events = router(exclusive=False)
    r.login("a3")
    r.enqueue("call1", QueueRequest(queue="calls"))
    r.answer(next(iter(r.reservations)))
    for i in range(3):
        r.enqueue(f"mail{i}", QueueRequest(queue="mail"))
    taken = [e.call_id for e in events if isinstance(e, Offered) and e.queue == "mail"]
    assert taken == ["mail0", "mail1"]  # max_tasks 3 = 1 call + 2 e-mails
    status = r.agent_status("a3")
    assert status.state == "busy" and status.load == (("email", 2, 2),)


def test_voice_only_agents_have_no_channel_state() -> None:
    r, _, _ = router()
    agent = r.agents["a1"]
    assert agent.voice_queues == ("calls",) and agent.digital_queues == ("web",)
    assert ("queue", "web") not in agent.pools


def test_capacity_on_a_voice_queue_is_refused() -> None:
    with pytest.raises(ValueError, match="capacity applies to chat, sms and email"):
        QueueConfig(name="q", capacity=2)
    with pytest.raises(ValueError, match="unknown channel 'fax'"):
        AgentConfig(id="x", capacity={"fax": 1})


class CapacityMachine(RuleBasedStateMachine):
    @initialize(
        exclusive=st.booleans(),
        strategy=st.sampled_from(["longest_idle", "round_robin", "ring_all", "fewest_calls", "random"]),
        present=st.sets(st.sampled_from(sorted(CAPACITY))),
    )
    def build(self, exclusive: bool, strategy: str, present: set[str]) -> None:
        self.clock = VirtualClock(1_767_225_600.0)
        self.exclusive = exclusive
        self.ring_all = strategy == "ring_all"
        self.events: list[Event] = []
        self.offers: dict[str, tuple[str, str]] = {}  # open offer -> (agent, channel)
        self.tasks: dict[str, tuple[str, str]] = {}  # connected task -> (agent, channel)
        self.violations: list[str] = []
        self.r = Router.from_config(
            queues(strategy),
            AGENTS,
            clock=self.clock,
            emit=self.on_event,
            rng=random.Random(3),
            voice_exclusive=exclusive,
        )
        self.n = 0
        for agent in sorted(present):
            self.r.login(agent)

    @rule(queue=st.sampled_from(sorted(CHANNEL)))
    def task_arrives(self, queue: str) -> None:
        self.n += 1
        self.r.enqueue(f"t{self.n}", QueueRequest(queue=queue))

    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        if self.r.reservations:
            self.r.answer(data.draw(st.sampled_from(sorted(self.r.reservations))))

    @rule(data=st.data(), reason=st.sampled_from(["no_answer", "declined"]))
    def decline(self, data: st.DataObject, reason: str) -> None:
        if self.r.reservations:
            self.r.decline(data.draw(st.sampled_from(sorted(self.r.reservations))), reason)

    @rule(data=st.data())
    def close(self, data: st.DataObject) -> None:
        if self.r.connected:
            self.r.talk_ended(data.draw(st.sampled_from(sorted(self.r.connected))), ended_by="agent")

    @rule(data=st.data())
    def customer_leaves(self, data: st.DataObject) -> None:
        if self.r.calls:
            self.r.abandon(data.draw(st.sampled_from(sorted(self.r.calls))))

    @rule(
        agent=st.sampled_from(sorted(CAPACITY)),
        action=st.sampled_from(["login", "logout", "pause", "unpause", "ready"]),
    )
    def agent_acts(self, agent: str, action: str) -> None:
        try:
            getattr(self.r, action)(agent)
        except IllegalTransition:
            pass

    @rule(seconds=st.sampled_from([1.0, 5.0, 15.0, 60.0, 250.0]))
    def time_passes(self, seconds: float) -> None:
        self.clock.run(self.clock.now() + seconds)

    # --- the events' own account ------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        self.events.append(event)
        if isinstance(event, Offered):
            channel = CHANNEL[event.queue]
            if channel != "voice":
                if event.reservation_id in self.offers:
                    self.violations.append(f"offer {event.reservation_id} made twice")
                self.offers[event.reservation_id] = (event.agent_id, channel)
                self.check_capacity(event.agent_id, event.call_id)
        elif isinstance(event, OfferDeclined):
            self.offers.pop(event.reservation_id, None)
        elif isinstance(event, Answered) and CHANNEL[event.queue] != "voice":
            for rid, (agent, _) in list(self.offers.items()):
                if agent == event.agent_id and rid not in self.r.reservations:
                    del self.offers[rid]  # the answered offer (dropped by the router just before)
            if event.call_id in self.tasks:
                self.violations.append(f"{event.call_id} answered twice")
            self.tasks[event.call_id] = (event.agent_id, CHANNEL[event.queue])
            self.check_capacity(event.agent_id, event.call_id)
        elif isinstance(event, TalkEnded):
            self.tasks.pop(event.call_id, None)

    def held(self, agent_id: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for who, channel in [*self.offers.values(), *self.tasks.values()]:
            if who == agent_id:
                out[channel] = out.get(channel, 0) + 1
        return out

    def check_capacity(self, agent_id: str, task: str) -> None:
        held = self.held(agent_id)
        for channel, n in held.items():
            if n > CAPACITY[agent_id].get(channel, 0):
                self.violations.append(f"{agent_id} holds {n} {channel} tasks with {task}")
        on_voice = self.r.agent_state(agent_id) in ON_VOICE
        total = sum(held.values()) + on_voice
        if total > MAX_TASKS.get(agent_id, 99):
            self.violations.append(f"{agent_id} holds {total} tasks in all with {task}")
        if self.exclusive and on_voice and held:
            self.violations.append(f"{agent_id} on a call holds {held} with {task}")

    @invariant()
    def no_violation_seen(self) -> None:
        assert self.violations == []

    @invariant()
    def router_and_events_agree(self) -> None:
        for agent_id, agent in self.r.agents.items():
            held = self.held(agent_id)
            assert {ch: n for ch, n in agent.load.items() if n} == held
            for channel, n in held.items():
                assert n <= CAPACITY[agent_id][channel]
            if self.exclusive and held:
                assert agent.state not in (AgentState.RESERVED, AgentState.RINGING, AgentState.BUSY)
                assert agent.held is None  # no ring_all phone rings for an agent holding tasks

    @invariant()
    def no_task_lost_or_offered_twice(self) -> None:
        r = self.r
        queued = {e.call_id for e in self.events if isinstance(e, CallQueued)}
        answered = [e.call_id for e in self.events if isinstance(e, Answered)]
        gone = [e.call_id for e in self.events if isinstance(e, (Abandoned, Overflowed))]
        ends = answered + gone + list(r.calls)
        assert len(ends) == len(set(ends)), "a task ended twice"
        assert set(ends) == queued
        for res in r.reservations.values():
            assert res.call.call_id in r.calls
        per_task: dict[str, list[str]] = {}
        for rid, res in r.reservations.items():  # a ring_all group: one reservation, one id per phone
            per_task.setdefault(res.call.call_id, []).append(r.offer(rid).agent_id)
        for task, who in per_task.items():
            assert len(who) == len(set(who)), f"{task} offered twice to one agent"
            assert self.ring_all or len(who) == 1, f"{task} offered to {who}"


CapacityMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestCapacityInvariants = CapacityMachine.TestCase
