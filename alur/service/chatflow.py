"""The chat adapter of the Channel protocol: the flow interpreter runs a chat as it runs a call.

`play` sends the prompt's text as a message from the bot (recordings have no place in a chat and are
skipped); a menu shows its options as buttons (`show_choices`), and `collect_digits` takes the
visitor's next message: a button's key, a key typed, or a label typed (any case). `enqueue` queues
the chat as a task and returns once it is closed or its wait ends. What a chat cannot do (record,
bridge, transfer to a number) fails cleanly, and the flow takes its failure path.
"""

from __future__ import annotations

import asyncio

from alur.core.channel import (
    ConnectOutcome,
    DigitsResult,
    Prompt,
    QueueOutcome,
    QueueRequest,
    Recording,
    SpeechGrammar,
)  # fmt: skip
from alur.core.errors import CallerHungUp
from alur.service.conversations import Conversation, Conversations

MIN_REPLY_WAIT = 600.0  # a menu's timeout is for a phone keypad; a visitor typing gets at least this


class ChatChannel:
    dialed = "chat"

    def __init__(self, conversations: Conversations, conv: Conversation) -> None:
        self.conversations = conversations
        self.conv = conv
        self.call_id = conv.id
        self.caller_id = conv.phone or conv.email or conv.name
        self._choices: list[tuple[str, str]] = []

    def _alive(self) -> None:
        if self.conv.state == "closed":
            raise CallerHungUp("the visitor left the chat")

    def show_choices(self, choices: list[tuple[str, str]]) -> None:
        self._choices = choices

    async def play(self, prompt: Prompt, *, barge_in: bool = True) -> None:
        self._alive()
        if not prompt.text:
            return
        extra = {}
        if self._choices:
            extra["choices"] = [{"key": k, "label": label} for k, label in self._choices]
        self.conversations.from_bot(self.conv, prompt.text, extra)

    async def collect_digits(
        self,
        max_digits: int,
        *,
        timeout: float,
        inter_digit_timeout: float,
        terminator: str | None = "#",
        speech: SpeechGrammar | None = None,
    ) -> DigitsResult:
        self._alive()
        try:
            text = await asyncio.wait_for(self._next(), max(timeout, MIN_REPLY_WAIT))
        except TimeoutError:
            return DigitsResult("", "timeout")
        finally:
            choices, self._choices = self._choices, []
        said = text.strip()
        for key, label in choices:
            if said == key or said.lower() == label.lower():
                return DigitsResult(key, "max_digits")
        if speech is not None and (option := speech.option(said)) is not None:
            return DigitsResult(option, "speech", said, 1.0)
        return DigitsResult(
            said[:max_digits] if said.isdigit() else said, "no_match" if choices else "max_digits"
        )

    async def _next(self) -> str:
        text = await self.conv.inbox.get()
        if text is None:
            raise CallerHungUp("the visitor left the chat")
        return text

    async def record(self, *, max_seconds: float, silence_timeout: float, beep: bool = True) -> Recording:
        self._alive()
        return Recording("", 0.0)

    async def enqueue(self, request: QueueRequest) -> QueueOutcome:
        self._alive()
        return await self.conversations.enqueue(self.conv, request)

    async def bridge(
        self, destinations: list[str], *, timeout: float, strategy: str = "ring_all"
    ) -> ConnectOutcome:
        return ConnectOutcome("failed")

    async def transfer(self, number: str, *, timeout: float) -> ConnectOutcome:
        return ConnectOutcome("failed")

    async def hangup(self, reason: str = "normal") -> None:
        if self.conv.state != "closed":
            self.conversations.close(self.conv.id, "bot")
