"""Events of chat, SMS and e-mail conversations (imported into `alur.core.events`, one vocabulary).

A conversation is one routed task: it starts (`conversation.started`, naming the customer by whatever
the channel knows: phone, e-mail, directory id, name), carries messages both ways
(`conversation.message`: the transcript is the log), may be read (`conversation.read`) and is closed
once (`conversation.closed`). Routing facts (queued, offered, answered, ended) are the same events as
for calls, keyed by the conversation id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from alur.core.events import Event


@dataclass(frozen=True, slots=True)
class ConversationStarted(Event):
    KIND: ClassVar[str] = "conversation.started"
    VERSION: ClassVar[int] = 2  # 2: token_hash

    conversation_id: str
    channel: str  # chat | sms | email
    name: str = ""
    phone: str = ""
    email: str = ""
    customer_id: str = ""  # the directory's id, when known
    subject: str = ""  # an e-mail's subject, a chat's first topic
    thread: str = ""  # what later messages are matched by: a phone number, an e-mail thread id
    source: str = ""  # the page, gateway or address it came through
    previous: str = ""  # the conversation this one follows (a reply after closing)
    token_hash: str = ""  # SHA-256 of the visitor's secret: a chat survives a restart of the server

    @property
    def call_id(self) -> str:
        """The task id the router and the store know it by (the store indexes events by it)."""
        return self.conversation_id


@dataclass(frozen=True, slots=True)
class ConversationMessage(Event):
    KIND: ClassVar[str] = "conversation.message"
    VERSION: ClassVar[int] = 1

    conversation_id: str
    channel: str
    direction: str  # "in" (from the customer) | "out" (to the customer)
    sender: str  # "customer" | "agent" | "bot"
    text: str
    agent_id: str = ""  # the agent holding the conversation (also on the customer's messages)
    message_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # choices offered, e-mail headers...

    @property
    def call_id(self) -> str:
        """The task id the router and the store know it by (the store indexes events by it)."""
        return self.conversation_id


@dataclass(frozen=True, slots=True)
class ConversationRead(Event):
    KIND: ClassVar[str] = "conversation.read"
    VERSION: ClassVar[int] = 1

    conversation_id: str
    reader: str  # "customer" | "agent"
    upto: float  # every message stamped at or before this time is read
    agent_id: str = ""

    @property
    def call_id(self) -> str:
        """The task id the router and the store know it by (the store indexes events by it)."""
        return self.conversation_id


@dataclass(frozen=True, slots=True)
class ConversationClosed(Event):
    KIND: ClassVar[str] = "conversation.closed"
    VERSION: ClassVar[int] = 1

    conversation_id: str
    channel: str
    closed_by: str  # "customer" | "agent" | "bot" | "timeout"
    agent_id: str = ""

    @property
    def call_id(self) -> str:
        """The task id the router and the store know it by (the store indexes events by it)."""
        return self.conversation_id


@dataclass(frozen=True, slots=True)
class ResponseOverdue(Event):
    """The conversation's queue has a response target (`response_target`, e-mail by default) and
    it passed with no reply from an agent: logged once per conversation."""

    KIND: ClassVar[str] = "conversation.response_overdue"
    VERSION: ClassVar[int] = 1

    conversation_id: str
    channel: str
    queue: str
    due_at: float
    agent_id: str = ""  # the agent holding it, if one does

    @property
    def call_id(self) -> str:
        """The task id the router and the store know it by (the store indexes events by it)."""
        return self.conversation_id


@dataclass(frozen=True, slots=True)
class Deflected(Event):
    """A flow sent the caller a message on another channel (`deflect` node): an SMS with a link."""

    KIND: ClassVar[str] = "ivr.deflected"
    VERSION: ClassVar[int] = 1

    call_id: str
    node: str
    channel: str
    to: str
    sent: bool
    error: str = ""


CONVERSATION_EVENTS = (
    ConversationStarted, ConversationMessage, ConversationRead, ConversationClosed, ResponseOverdue,
)  # fmt: skip
