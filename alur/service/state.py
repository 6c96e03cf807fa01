"""The live state as a projection of the event log: agents, open calls, promised callbacks, phones.

`LiveState.apply(event)` folds events in log order. The same fold serves two needs: rebuilding a
contact center after a restart (`alur.service.rebuild`) and proving, in a replay test, that the log
holds everything the live state is made of. Only what is open is kept (calls leave when they end,
callbacks when they are answered or given up), so it stays as small as the contact center is busy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alur.core import events as ev

FREE = frozenset({"available", "paused", "offline"})  # a pending "after this call" request is used up


@dataclass(slots=True)
class AgentView:
    state: str = "offline"
    reason: str = ""
    since: float = 0.0
    call_id: str | None = None  # the call being talked about (busy) or wrapped up
    queue: str | None = None
    answered_at: float = 0.0
    direct: bool = False  # the call came by transfer or ring group, not a queue
    pending: str = ""  # "" | "pause" | "logout"
    pending_reason: str = ""


@dataclass(slots=True)
class CallView:
    call_id: str
    arrived_at: float
    caller_id: str = ""
    flow: str = ""
    queued: ev.CallQueued | None = None  # the last CallQueued: skills, language, vip ...
    queue: str = ""  # where it waits now (escalation may move it)
    priority: int = 0
    order: int = 0  # place in arrival order, taken at the first CallQueued
    first_queued: float = 0.0  # waits are measured from here
    waiting: bool = False  # in a queue's line now
    offers: dict[str, str] = field(default_factory=dict)  # reservation id -> agent id
    agent_id: str | None = None  # connected to this agent


@dataclass(slots=True)
class CallbackView:
    call_id: str
    queue: str
    number: str
    first_at: float
    queued: ev.CallQueued | None
    priority: int = 0
    order: int = 0
    attempts: int = 0  # tries at the customer so far
    retry_at: float | None = None  # between two tries: when the next is due
    dialling: bool = False  # an agent took it; the customer is being called


@dataclass(slots=True)
class ConversationView:
    """An open chat/SMS/e-mail conversation: who it is with and where it stands (its messages are read
    from the log by id when it is rebuilt)."""

    conversation_id: str
    channel: str
    started_at: float
    name: str = ""
    phone: str = ""
    email: str = ""
    customer_id: str = ""
    subject: str = ""
    thread: str = ""
    source: str = ""
    token_hash: str = ""
    queue: str = ""  # the queue it waits or waited in ("" while in its flow)
    agent_id: str = ""  # the agent holding it
    answered_at: float = 0.0
    wait: float = 0.0
    responded_at: float = 0.0  # the agent's first message
    overdue: bool = False  # its response target passed with no reply
    read: dict[str, float] = field(default_factory=dict)  # reader -> read up to then


@dataclass(slots=True)
class PhoneView:
    user: str
    contact: str
    transport: str
    expires_at: float


class LiveState:
    """Fold of the log into what a running contact center must know to carry on."""

    def __init__(self) -> None:
        self.agents: dict[str, AgentView] = {}
        self.calls: dict[str, CallView] = {}
        self.callbacks: dict[str, CallbackView] = {}
        self.phones: dict[str, PhoneView] = {}
        self.conversations: dict[str, ConversationView] = {}  # open chat/SMS/e-mail conversations
        self.last_at = 0.0
        self.order = 0  # arrival order of queued calls so far
        self._handlers = {
            ev.Escalated: self._escalated,
            ev.CallArrived: self._arrived,
            ev.CallQueued: self._queued,
            ev.Offered: self._offered,
            ev.OfferDeclined: self._declined,
            ev.GroupOffered: self._group_offered,
            ev.OffersWithdrawn: self._group_withdrawn,
            ev.Answered: self._answered,
            ev.WaitEnded: self._wait_ended,
            ev.Abandoned: self._left,
            ev.Overflowed: self._left,
            ev.CallbackRequested: self._callback,
            ev.CallbackAttempted: self._callback_tried,
            ev.CallbackFailed: self._callback_failed,
            ev.TalkEnded: self._talk_ended,
            ev.ConversationStarted: self._conversation_started,
            ev.ConversationClosed: self._conversation_closed,
            ev.ConversationMessage: self._conversation_message,
            ev.ConversationRead: self._conversation_read,
            ev.ResponseOverdue: self._overdue,
            ev.CallEnded: self._ended,
            ev.AgentStateChanged: self._agent_changed,
            ev.AgentRequestPending: self._pending,
            ev.WrapUpDone: self._wrap_done,
            ev.DirectCallStarted: self._direct_started,
            ev.DirectCallEnded: self._direct_ended,
            ev.PhoneRegistered: self._phone,
        }

    def apply(self, event: ev.Event) -> None:
        self.last_at = max(self.last_at, event.at)
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)  # type: ignore[operator]

    def apply_all(self, events: object) -> LiveState:
        for event in events:  # type: ignore[attr-defined]
            self.apply(event)
        return self

    def agent(self, agent_id: str) -> AgentView:
        view = self.agents.get(agent_id)
        if view is None:
            view = self.agents[agent_id] = AgentView()
        return view

    def waiting(self, queue: str) -> list[str]:
        """Calls (and callbacks) in line for `queue`, in arrival order of their first CallQueued."""
        keyed = [
            (-c.priority, c.order, c.call_id) for c in self.calls.values() if c.waiting and c.queue == queue
        ]
        keyed += [
            (-c.priority, c.order, c.call_id)
            for c in self.callbacks.values()
            if c.queue == queue and not c.dialling and c.retry_at is None
        ]
        return [call_id for *_, call_id in sorted(keyed)]

    # --- calls ---------------------------------------------------------------------------------------

    def _arrived(self, e: ev.CallArrived) -> None:
        self.calls[e.call_id] = CallView(e.call_id, e.at, e.caller_id, e.flow)

    def _call(self, call_id: str, at: float) -> CallView:
        view = self.calls.get(call_id)
        if view is None:  # a call queued without CallArrived (tests, a callback after a restart)
            view = self.calls[call_id] = CallView(call_id, at)
        return view

    def _queued(self, e: ev.CallQueued) -> None:
        view = self._call(e.call_id, e.at)
        if view.queued is None:  # its place in line counts from the first queue
            self.order += 1
            view.order, view.first_queued = self.order, e.at
        view.queued, view.queue, view.priority = e, e.queue, e.priority
        view.waiting = True

    def _escalated(self, e: ev.Escalated) -> None:
        view: CallView | CallbackView | None = self.callbacks.get(e.call_id) or self.calls.get(e.call_id)
        if view is None:
            return
        if e.action == "raise_priority":
            view.priority = e.priority
        elif e.action == "move_queue" and e.target:
            view.queue = e.target

    def _offered(self, e: ev.Offered) -> None:
        if e.call_id in self.callbacks:
            return
        self._call(e.call_id, e.at).offers[e.reservation_id] = e.agent_id

    def _declined(self, e: ev.OfferDeclined) -> None:
        view = self.calls.get(e.call_id)
        if view is not None:
            view.offers.pop(e.reservation_id, None)

    def _group_offered(self, e: ev.GroupOffered) -> None:
        for offer in e.offers():  # a ring_all group: one offer per phone, as single offers are kept
            self._offered(offer)

    def _group_withdrawn(self, e: ev.OffersWithdrawn) -> None:
        for declined in e.declines():
            self._declined(declined)

    def _answered(self, e: ev.Answered) -> None:
        callback = self.callbacks.get(e.call_id)
        if callback is not None:  # kept until a try reaches the customer: a crash mid-try retries it
            callback.dialling, callback.retry_at = True, None
        view = self.calls.get(e.call_id)
        conversation = self.conversations.get(e.call_id)
        if conversation is not None:  # a conversation takes a slot, not the agent's voice state
            conversation.agent_id, conversation.queue = e.agent_id, e.queue
            conversation.answered_at, conversation.wait = e.at, e.wait
        else:
            agent = self.agent(e.agent_id)
            agent.call_id, agent.queue, agent.answered_at, agent.direct = e.call_id, e.queue, e.at, False
        if view is not None:
            view.waiting = False
            view.offers.clear()
            view.agent_id = e.agent_id

    def _wait_ended(self, e: ev.WaitEnded) -> None:
        view = self.calls.get(e.call_id)
        if view is not None and e.result != "answered":
            view.waiting = False
            view.offers.clear()

    def _left(self, e: ev.Abandoned | ev.Overflowed) -> None:
        self.callbacks.pop(e.call_id, None)
        view = self.calls.get(e.call_id)
        if view is not None:
            view.waiting = False
            view.offers.clear()

    def _callback(self, e: ev.CallbackRequested) -> None:
        view = self._call(e.call_id, e.at)
        self.callbacks[e.call_id] = CallbackView(
            e.call_id, e.queue, e.number, view.first_queued or e.at, view.queued, view.priority, view.order
        )
        self.callbacks[e.call_id].retry_at = e.not_before
        if view is not None:
            view.waiting = False
            view.offers.clear()

    def _callback_tried(self, e: ev.CallbackAttempted) -> None:
        callback = self.callbacks.get(e.call_id)
        if callback is None:
            return
        if e.reached or e.retry_at is None:
            del self.callbacks[e.call_id]
            return
        callback.attempts, callback.retry_at, callback.dialling = e.attempt, e.retry_at, False

    def _callback_failed(self, e: ev.CallbackFailed) -> None:
        self.callbacks.pop(e.call_id, None)

    def _talk_ended(self, e: ev.TalkEnded) -> None:
        view = self.calls.get(e.call_id)
        if view is not None:
            view.agent_id = None
        conversation = self.conversations.get(e.call_id)
        if conversation is not None:
            conversation.agent_id = ""

    def _ended(self, e: ev.CallEnded) -> None:
        self.calls.pop(e.call_id, None)

    def _conversation_started(self, e: ev.ConversationStarted) -> None:
        self.conversations[e.conversation_id] = ConversationView(
            e.conversation_id, e.channel, e.at, e.name, e.phone, e.email, e.customer_id, e.subject,
            e.thread, e.source, e.token_hash,
        )  # fmt: skip

    def _conversation_message(self, e: ev.ConversationMessage) -> None:
        view = self.conversations.get(e.conversation_id)
        if view is not None and e.sender == "agent" and not view.responded_at:
            view.responded_at = e.at

    def _conversation_read(self, e: ev.ConversationRead) -> None:
        view = self.conversations.get(e.conversation_id)
        if view is not None:
            view.read[e.reader] = e.upto

    def _overdue(self, e: ev.ResponseOverdue) -> None:
        view = self.conversations.get(e.conversation_id)
        if view is not None:
            view.overdue = True

    def _conversation_closed(self, e: ev.ConversationClosed) -> None:
        self.conversations.pop(e.conversation_id, None)
        self.calls.pop(e.conversation_id, None)  # its routing view ends with it (no CallEnded)

    # --- agents --------------------------------------------------------------------------------------

    def _agent_changed(self, e: ev.AgentStateChanged) -> None:
        agent = self.agent(e.agent_id)
        agent.state, agent.reason, agent.since = e.new, e.reason if e.new == "paused" else "", e.at
        if e.new in FREE:
            agent.call_id = agent.queue = None
            agent.direct = False
            agent.pending, agent.pending_reason = "", ""

    def _pending(self, e: ev.AgentRequestPending) -> None:
        agent = self.agent(e.agent_id)
        agent.pending, agent.pending_reason = e.pending, e.reason

    def _wrap_done(self, e: ev.WrapUpDone) -> None:
        agent = self.agent(e.agent_id)
        if agent.state == "wrap_up":
            agent.call_id = agent.queue = None

    def _direct_started(self, e: ev.DirectCallStarted) -> None:
        agent = self.agent(e.agent_id)
        if agent.state == "available":
            agent.call_id, agent.direct = e.call_id, True

    def _direct_ended(self, e: ev.DirectCallEnded) -> None:
        agent = self.agent(e.agent_id)
        if agent.call_id == e.call_id:
            agent.call_id, agent.direct = None, False

    def _phone(self, e: ev.PhoneRegistered) -> None:
        if e.expires_at > e.at:
            self.phones[e.agent_id] = PhoneView(e.user, e.contact, e.transport, e.expires_at)
        else:
            self.phones.pop(e.agent_id, None)
