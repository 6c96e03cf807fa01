"""Figures per channel (voice, chat, SMS, e-mail), folded from the event log like every other KPI.

Per channel: offered (tasks that joined a queue of that channel), handled (answered by an agent),
abandoned, first response time (voice: the wait until an agent answered; chat, SMS, e-mail: from the
start of the conversation to the agent's first message), handle time (connected time, which for a
conversation is the time it held the agent's slot) and first-contact resolution across channels: a
handled contact counts as resolved at first contact when the same customer (phone number, e-mail or
directory id) starts no other contact, on any channel, within `fcr_window` seconds after it.

Conversations of a queue with a response target (`response_target`; e-mail has one by default) count
towards `within_target`: of those replied to or past their target, the share replied to within it.

Per agent: concurrency, the tasks held at once (calls and conversations): the most at any moment, and
the average over the time the agent held at least one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from alur.core import events as ev

FCR_WINDOW = 7 * 86400.0


@dataclass(slots=True)
class ChannelTally:
    offered: int = 0
    handled: int = 0
    abandoned: int = 0
    first_responses: int = 0
    first_response_total: float = 0.0
    handle_time: float = 0.0
    ended: int = 0
    target_measured: int = 0  # conversations with a response target: replied to, or past it unanswered
    target_met: int = 0  # ... replied to within it

    def as_dict(self) -> dict[str, Any]:
        first = self.first_response_total / self.first_responses if self.first_responses else None
        met = self.target_met / self.target_measured if self.target_measured else None
        return {
            "offered": self.offered, "handled": self.handled, "abandoned": self.abandoned,
            "first_response": first, "handle_time": self.handle_time / self.ended if self.ended else None,
            "response_target_measured": self.target_measured, "response_target_met": self.target_met,
            "within_target": met,
        }  # fmt: skip


@dataclass(slots=True)
class Concurrency:
    held: int = 0
    most: int = 0
    since: float = 0.0
    area: float = 0.0  # task-seconds
    busy: float = 0.0  # seconds with at least one task

    def change(self, at: float, step: int) -> None:
        if self.held > 0:
            self.area += self.held * (at - self.since)
            self.busy += at - self.since
        self.held = max(0, self.held + step)
        self.most = max(self.most, self.held)
        self.since = at


@dataclass
class ChannelFold:
    """Feed events in log order with `apply`; read `rows()` and `agents()`."""

    queue_channel: dict[str, str]
    fcr_window: float = FCR_WINDOW
    queue_target: dict[str, float] = field(default_factory=dict)  # queue -> its response target
    tallies: dict[str, ChannelTally] = field(default_factory=dict)
    agents_held: dict[str, Concurrency] = field(default_factory=dict)
    _channel: dict[str, str] = field(default_factory=dict)  # task -> channel
    _started: dict[str, float] = field(default_factory=dict)  # conversation -> start
    _responded: set[str] = field(default_factory=set)
    _target: dict[str, float] = field(default_factory=dict)  # conversation -> its first queue's target
    _measured: set[str] = field(default_factory=set)
    _answered: set[str] = field(default_factory=set)
    _customer: dict[str, str] = field(default_factory=dict)  # task -> customer key
    _contacts: dict[str, list[tuple[float, str]]] = field(default_factory=dict)  # customer -> (at, task)

    def tally(self, channel: str) -> ChannelTally:
        t = self.tallies.get(channel)
        if t is None:
            t = self.tallies[channel] = ChannelTally()
        return t

    def apply(self, e: ev.Event) -> None:  # noqa: C901 - one short branch per event kind
        if isinstance(e, ev.CallQueued):
            if e.call_id not in self._channel:
                channel = self._channel[e.call_id] = self.queue_channel.get(e.queue, "voice")
                self.tally(channel).offered += 1
                if e.queue in self.queue_target:
                    self._target[e.call_id] = self.queue_target[e.queue]
        elif isinstance(e, ev.Answered):
            channel = self._channel.get(e.call_id, "voice")
            if e.call_id not in self._answered:
                self._answered.add(e.call_id)
                t = self.tally(channel)
                t.handled += 1
                if channel == "voice":
                    t.first_responses += 1
                    t.first_response_total += e.wait
            self._held(e.agent_id).change(e.at, +1)
        elif isinstance(e, ev.TalkEnded):
            t = self.tally(self._channel.get(e.call_id, "voice"))
            t.ended += 1
            t.handle_time += e.talk_time
            self._held(e.agent_id).change(e.at, -1)
        elif isinstance(e, ev.Abandoned):
            self.tally(self._channel.get(e.call_id, "voice")).abandoned += 1
        elif isinstance(e, ev.ConversationStarted):
            self._started[e.conversation_id] = e.at
            self._contact(e.conversation_id, e.at, e.customer_id or digits(e.phone) or e.email.lower())
        elif isinstance(e, ev.ConversationMessage):
            if e.sender == "agent" and e.conversation_id not in self._responded:
                self._responded.add(e.conversation_id)
                started = self._started.get(e.conversation_id)
                if started is not None:
                    t = self.tally(e.channel)
                    t.first_responses += 1
                    t.first_response_total += e.at - started
                    target = self._target.get(e.conversation_id)
                    if target is not None and e.conversation_id not in self._measured:
                        self._measured.add(e.conversation_id)
                        t.target_measured += 1
                        t.target_met += e.at - started <= target
        elif isinstance(e, ev.ResponseOverdue):
            if e.conversation_id not in self._measured:
                self._measured.add(e.conversation_id)
                self.tally(e.channel).target_measured += 1
        elif isinstance(e, ev.CallArrived):
            self._contact(e.call_id, e.at, digits(e.caller_id))

    def _held(self, agent_id: str) -> Concurrency:
        c = self.agents_held.get(agent_id)
        if c is None:
            c = self.agents_held[agent_id] = Concurrency()
        return c

    def _contact(self, task: str, at: float, customer: str) -> None:
        if customer:
            self._customer[task] = customer
            self._contacts.setdefault(customer, []).append((at, task))

    def resolved_first_time(self, task: str) -> bool:
        """No later contact of the same customer (any channel) within the window."""
        customer = self._customer.get(task)
        if customer is None:
            return True
        contacts = self._contacts[customer]
        at = next(a for a, t in contacts if t == task)
        return not any(at < later <= at + self.fcr_window for later, t in contacts if t != task)

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for channel in sorted(self.tallies):
            handled = [t for t in self._answered if self._channel.get(t, "voice") == channel]
            resolved = sum(1 for t in handled if self.resolved_first_time(t))
            row = {"channel": channel, **self.tallies[channel].as_dict(), "resolved_first_contact": resolved,
                   "fcr": resolved / len(handled) if handled else None}  # fmt: skip
            out.append(row)
        return out

    def agents(self, now: float) -> list[dict[str, Any]]:
        out = []
        for agent_id in sorted(self.agents_held):
            c = self.agents_held[agent_id]
            area = c.area + (c.held * (now - c.since) if c.held else 0.0)
            busy = c.busy + (now - c.since if c.held else 0.0)
            out.append(
                {
                    "agent_id": agent_id,
                    "most_at_once": c.most,
                    "average_at_once": area / busy if busy else None,
                }
            )
        return out


def digits(phone: str) -> str:
    d = re.sub(r"\D", "", phone)
    return "62" + d[1:] if d.startswith("0") else d
