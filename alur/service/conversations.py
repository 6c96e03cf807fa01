"""Chat, SMS and e-mail conversations: one routed task each, one transcript in the event log.

`Conversations` (owned by the contact center as `center.conversations`) opens a conversation for a
channel adapter (the web chat widget, the SMS gateway, the e-mail endpoint), runs it through a flow or
straight into a queue, carries messages both ways and closes it. Every fact is an event
(`alur.core.conversations`), so the transcript and the customer's history come from the log. What is
kept in memory is only the open conversations (with their last messages, for a desktop that
reconnects); a closed one leaves.

Who watches: the visitor's browser (a WebSocket) subscribes to one conversation and receives plain
dicts (`{"type": "message" | "typing" | "read" | "position" | "agent" | "closed", ...}`); agents get the
same facts as events on the ordinary live stream (every message carries the holding agent's id).
Outbound messages of channels that are not a live socket (SMS, e-mail) go through a `Sender` that the
channel's adapter registers (`senders[channel]`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alur.core import events as ev
from alur.core.channel import QueueOutcome, QueueRequest
from alur.core.errors import AlurError
from alur.service import commands as cmd
from alur.service.history import Identity, digits

if TYPE_CHECKING:
    from alur.service.center import ContactCenter

log = logging.getLogger(__name__)
LOST = "server_lost"
THREADS_KEPT = 10_000  # closed threads remembered, to link a reply after closing to what it follows
KEPT = 200  # messages of an open conversation kept in memory (the log has them all)
Notifier = Callable[[str, str], Awaitable[object]]  # (to, text): sends or raises AlurError
Sender = Callable[["Conversation", str, dict[str, Any]], Awaitable[dict[str, Any] | None]]


class ConversationError(AlurError):
    code = "conversation_error"


def token_hash(token: str) -> str:
    """What the log keeps of a visitor's secret: enough to let them back in after a restart."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(slots=True, eq=False)
class Conversation:
    id: str
    channel: str
    token: str  # the visitor's secret for this conversation (chat)
    started_at: float
    name: str = ""
    phone: str = ""
    email: str = ""
    customer_id: str = ""
    subject: str = ""
    thread: str = ""
    source: str = ""  # the gateway or address it came through (replies go back the same way)
    state: str = "bot"  # bot (in its flow) | waiting (in a queue) | assigned | closed
    queue: str = ""
    agent_id: str = ""
    messages: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=KEPT))
    # the customer's text while in the flow; None once closed
    inbox: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    watchers: set[asyncio.Queue[dict[str, Any]]] = field(default_factory=set)
    done: asyncio.Future[QueueOutcome] | None = None  # the flow's queue node waits on it
    answered_at: float = 0.0
    wait: float = 0.0
    token_hash: str = ""
    due_at: float | None = None  # the queue's response target: the first reply is due by then
    responded_at: float = 0.0  # the agent's first message
    overdue: bool = False  # the target passed with no reply (logged once)
    due_timer: Any = None
    read_upto: dict[str, float] = field(default_factory=dict)  # "customer" | "agent" -> read up to then

    def admits(self, token: str) -> bool:
        """Is `token` this conversation's secret (the visitor's browser proving it is theirs)?"""
        return bool(self.token_hash) and secrets.compare_digest(self.token_hash, token_hash(token))

    def view(self) -> dict[str, Any]:
        return {
            "conversation_id": self.id, "channel": self.channel, "state": self.state, "queue": self.queue,
            "agent_id": self.agent_id, "name": self.name, "phone": self.phone, "email": self.email,
            "customer_id": self.customer_id, "subject": self.subject, "started_at": self.started_at,
            "messages": list(self.messages), "due_at": self.due_at, "responded_at": self.responded_at or None,
            "overdue": self.overdue, "read": dict(self.read_upto),
        }  # fmt: skip


class Conversations:
    def __init__(self, center: ContactCenter) -> None:
        self.center = center
        self.open: dict[str, Conversation] = {}
        self.threads: dict[tuple[str, str], str] = {}  # (channel, thread) -> open conversation
        self.senders: dict[str, Sender] = {}
        self.notifiers: dict[str, Notifier] = {}  # channel -> send one message outside a conversation
        self.closed: OrderedDict[tuple[str, str], str] = OrderedDict()  # thread -> last closed (bounded)
        self.signals: list[Callable[[Conversation, dict[str, Any]], None]] = []  # typing -> agent desktops

    # --- life of a conversation --------------------------------------------------------------------

    def start(
        self,
        channel: str,
        *,
        name: str = "",
        phone: str = "",
        email: str = "",
        customer_id: str = "",
        subject: str = "",
        thread: str = "",
        source: str = "",
        previous: str = "",
    ) -> Conversation:
        """Open a conversation (nothing routed yet: see `run_flow` and `enqueue`)."""
        now = self.center.clock.now()
        conv = Conversation(
            f"{channel}-{secrets.token_hex(6)}", channel, secrets.token_urlsafe(24), now, name, phone,
            email, customer_id or self.customer_id(phone, email), subject, thread, source,
        )  # fmt: skip
        conv.token_hash = token_hash(conv.token)
        self._add(conv)
        self.center.publish(
            ev.ConversationStarted(
                now, conv.id, channel, name, phone, email, conv.customer_id, subject, thread, source,
                previous, conv.token_hash,
            )
        )  # fmt: skip
        return conv

    def _add(self, conv: Conversation) -> None:
        self.open[conv.id] = conv
        if conv.thread:
            self.threads[(conv.channel, conv.thread)] = conv.id

    def customer_id(self, phone: str, email: str) -> str:
        """The built-in directory's id of the customer with this phone or e-mail, else ""."""
        if not (phone or email):
            return ""
        who = Identity(phones={digits(phone)} if phone else set(), emails={email.lower()} if email else set())
        for cid, record in self.center.project.customers.items():
            if who.matches(str(record.get("phone", "")), str(record.get("email", ""))):
                return cid
        return ""

    def inbound(
        self,
        channel: str,
        thread: str,
        text: str,
        *,
        queue: str,
        source: str,
        extra: dict[str, Any] | None = None,
        **who: str,
    ) -> Conversation:
        """A message from outside (SMS, e-mail): added to the open conversation of its thread, or the
        start of a new one routed to `queue` (linked to the thread's last closed one)."""
        conv = self.by_thread(channel, thread)
        if conv is None:
            previous = self.closed.get((channel, thread), "")
            conv = self.start(channel, thread=thread, source=source, previous=previous, **who)
            self.from_customer(conv.id, text, extra)
            self.route(conv, queue)
        else:
            self.from_customer(conv.id, text, extra)
        return conv

    def by_thread(self, channel: str, thread: str) -> Conversation | None:
        conv_id = self.threads.get((channel, thread))
        return self.open.get(conv_id) if conv_id else None

    def get(self, conversation_id: str) -> Conversation:
        conv = self.open.get(conversation_id)
        if conv is None:
            raise ConversationError(
                f"conversation {conversation_id!r} is not open (closed or unknown)",
                code="unknown_conversation",
                value=conversation_id,
            )
        return conv

    def run_flow(self, conv: Conversation, flow: str) -> None:
        """Take the conversation through a flow (greeting, menus, hours, queue) as a task of the center."""
        from alur.service.chatflow import ChatChannel

        async def run() -> None:
            stopping = False
            try:
                await self.center.runner.run_call(ChatChannel(self, conv), flow=flow)
            except asyncio.CancelledError:
                stopping = True  # the server stops: the chat stays open for the next start to rebuild
                raise
            finally:
                if conv.state != "closed" and not stopping:
                    self.close(conv.id, "bot")

        self.center.spawn(run(), f"conversation {conv.id}")

    def in_line(self, conv: Conversation, queue: str) -> asyncio.Future[QueueOutcome]:
        """The conversation waits in `queue`: the future is its outcome (closed, answered or not)."""
        conv.done = asyncio.get_running_loop().create_future()
        conv.state, conv.queue = "waiting", queue
        self.arm_target(conv)
        return conv.done

    def arm_target(self, conv: Conversation) -> None:
        """Start the clock of the queue's response target (once: a conversation keeps its first due
        time when it moves), unless the agent has replied or it is already overdue."""
        config = self.center.project.queues.get(conv.queue)
        target = config.target if config is not None else None
        if target is None or conv.responded_at or conv.overdue or conv.due_timer is not None:
            return
        if conv.due_at is None:
            conv.due_at = conv.started_at + target
        conv.due_timer = self.center.clock.call_at(conv.due_at, lambda: self._due(conv.id))

    def _due(self, conversation_id: str) -> None:
        conv = self.open.get(conversation_id)
        if conv is None or conv.responded_at or conv.overdue or conv.due_at is None:
            return
        conv.overdue, conv.due_timer = True, None
        now = self.center.clock.now()
        log.warning(
            "conversation %s (%s, queue %s, %s) missed its response target: no reply within %g s",
            conv.id, conv.channel, conv.queue, conv.agent_id or "no agent yet", conv.due_at - conv.started_at,
        )  # fmt: skip
        self.center.publish(
            ev.ResponseOverdue(now, conv.id, conv.channel, conv.queue, conv.due_at, conv.agent_id)
        )

    async def enqueue(self, conv: Conversation, request: QueueRequest) -> QueueOutcome:
        """Queue the conversation as a task; returns when it is closed (answered) or its wait ends."""
        done = self.in_line(conv, request.queue)
        self.center.execute(cmd.Enqueue(conv.id, request))
        if conv.state == "waiting" and conv.id in self.center.router.calls:
            self.tell(conv, {"type": "position", "position": self.center.router.position(conv.id)})
        return await done

    def route(self, conv: Conversation, queue: str) -> None:
        """Queue the conversation with no flow (SMS, e-mail: a queue named by the adapter)."""
        self._close_unanswered(self.enqueue(conv, QueueRequest(queue=queue)), conv)

    def _close_unanswered(self, waiting: Awaitable[QueueOutcome], conv: Conversation) -> None:
        """Wait (a center's task) for the end of the conversation's wait; close it if nobody took it."""

        async def wait() -> None:
            await waiting
            if conv.state != "closed" and conv.agent_id == "":
                self.close(conv.id, "timeout")

        self.center.spawn(wait(), f"conversation {conv.id}")

    def wait_ended(self, conv_id: str, outcome: QueueOutcome) -> None:
        """The router's outcome of the wait (called by the center for every task)."""
        conv = self.open.get(conv_id)
        if conv is None:
            return
        if outcome.result == "answered" and outcome.agent_id:
            conv.state, conv.agent_id, conv.wait = "assigned", outcome.agent_id, outcome.wait
            conv.answered_at = self.center.clock.now()
            agent = self.center.router.agents.get(outcome.agent_id)
            name = (agent.config.name or agent.id) if agent is not None else outcome.agent_id
            self.tell(conv, {"type": "agent", "agent_id": outcome.agent_id, "name": name})
        elif conv.done is not None and not conv.done.done():
            if conv.state != "closed":
                conv.state = "bot"  # back in the flow (overflow, timeout...)
            conv.done.set_result(outcome)

    def close(self, conversation_id: str, by: str) -> None:
        conv = self.get(conversation_id)
        router, now = self.center.router, self.center.clock.now()
        conv.state = "closed"
        if conv.due_timer is not None:
            conv.due_timer.cancel()
            conv.due_timer = None
        agent = conv.agent_id
        if conversation_id in router.connected:
            self.center.execute(cmd.Hangup(conversation_id, by))
        elif conversation_id in router.calls:
            self.center.execute(cmd.Hangup(conversation_id, "caller"))
        self.center.publish(ev.ConversationClosed(now, conv.id, conv.channel, by, agent))
        self.tell(conv, {"type": "closed", "by": by})
        del self.open[conv.id]
        if conv.thread and self.threads.get((conv.channel, conv.thread)) == conv.id:
            del self.threads[(conv.channel, conv.thread)]
            self.closed[(conv.channel, conv.thread)] = conv.id
            self.closed.move_to_end((conv.channel, conv.thread))
            if len(self.closed) > THREADS_KEPT:
                self.closed.popitem(last=False)
        if conv.done is not None and not conv.done.done():
            conv.done.set_result(QueueOutcome("answered", agent or None, conv.wait, ended_by=by))
        conv.inbox.put_nowait(None)

    # --- messages ---------------------------------------------------------------------------------

    def from_customer(self, conversation_id: str, text: str, extra: dict[str, Any] | None = None) -> None:
        conv = self.get(conversation_id)
        self._message(conv, "in", "customer", text, extra or {})
        if conv.state == "bot":
            conv.inbox.put_nowait(text)

    async def from_agent(self, conversation_id: str, agent_id: str, text: str) -> dict[str, Any]:
        conv = self.get(conversation_id)
        if conv.agent_id != agent_id:
            raise ConversationError(
                f"conversation {conversation_id!r} is not held by agent {agent_id!r}", value=conversation_id
            )
        sent: dict[str, Any] = {}
        sender = self.senders.get(conv.channel)
        if sender is not None:  # SMS, e-mail: out through the gateway first; a failure is the agent's error
            sent = await sender(conv, text, {}) or {}
        return self._message(conv, "out", "agent", text, sent)

    def from_bot(self, conv: Conversation, text: str, extra: dict[str, Any] | None = None) -> None:
        self._message(conv, "out", "bot", text, extra or {})

    def _message(
        self, conv: Conversation, direction: str, sender: str, text: str, extra: dict[str, Any]
    ) -> dict[str, Any]:
        now = self.center.clock.now()
        message_id = f"m{secrets.token_hex(5)}"
        self.center.publish(
            ev.ConversationMessage(
                now, conv.id, conv.channel, direction, sender, text, conv.agent_id, message_id, extra
            )
        )
        item = {"type": "message", "message_id": message_id, "at": now, "sender": sender, "text": text,
                "extra": extra}  # fmt: skip
        if sender == "agent" and not conv.responded_at:
            conv.responded_at = now
            if conv.due_timer is not None:
                conv.due_timer.cancel()
                conv.due_timer = None
        conv.messages.append(item)
        self.tell(conv, item)
        return item

    def read(self, conversation_id: str, reader: str) -> None:
        conv = self.get(conversation_id)
        now = self.center.clock.now()
        conv.read_upto[reader] = now
        self.center.publish(ev.ConversationRead(now, conv.id, reader, now, conv.agent_id))
        self.tell(conv, {"type": "read", "reader": reader, "upto": now})

    def typing(self, conversation_id: str, who: str) -> None:
        """Not logged: the visitor's widget hears it, and (the customer typing) the holding agent's
        desktop, through the hooks in `signals`."""
        conv = self.get(conversation_id)
        item = {"type": "typing", "who": who}
        self.tell(conv, item)
        if who == "customer" and conv.agent_id:
            for signal in self.signals:
                signal(conv, item)

    async def send(self, channel: str, to: str, text: str) -> str | None:
        """The flows' messenger (`deflect` nodes): None once sent, else why it was not."""
        notify = self.notifiers.get(channel)
        if notify is None:
            return f"no {channel} gateway configured (alur.yaml channels.{channel})"
        try:
            await notify(to, text)
        except AlurError as err:
            return err.message
        return None

    # --- watchers ---------------------------------------------------------------------------------

    def watch(self, conv: Conversation) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(1000)
        conv.watchers.add(queue)
        return queue

    def unwatch(self, conv: Conversation, queue: asyncio.Queue[dict[str, Any]]) -> None:
        conv.watchers.discard(queue)

    def tell(self, conv: Conversation, item: dict[str, Any]) -> None:
        for watcher in list(conv.watchers):
            try:
                watcher.put_nowait(item)
            except asyncio.QueueFull:  # a browser that stopped reading: it reconnects and reloads
                conv.watchers.discard(watcher)
