"""The Channel protocol: everything a flow can do to a call.

It lives in `core` so that the flow interpreter (sans-I/O) can depend on it; `alur.telephony` holds the
adapters: SIP/RTP for real calls, and the scripted caller for tests and simulation. Every method may
raise `CallerHungUp` when the caller goes away; the interpreter ends the call cleanly then.

DTMF is buffered by the channel: digits pressed while a prompt plays (barge-in) are kept and read by
the next `collect_digits`, as on a real phone line.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Prompt:
    """A recorded file, or text to speak in `language` (BCP-47-ish: 'en', 'id') with an optional voice."""

    file: str | None = None
    text: str | None = None
    language: str = "en"
    voice: str | None = None

    def describe(self) -> str:
        return self.file if self.file else (self.text or "")


@dataclass(frozen=True, slots=True)
class SpeechGrammar:
    """What a menu listens for besides keys: phrases (in the call's language) and the option each
    one chooses; a recognition below `confidence` (0..1) counts as no match."""

    phrases: tuple[tuple[str, str], ...]  # (phrase, option key)
    language: str = "en"
    confidence: float = 0.5

    def option(self, text: str) -> str | None:
        """The option a recognised text names: the phrase it is, or the longest phrase it contains."""
        said = " ".join(text.lower().split())
        best: tuple[int, str] | None = None
        for phrase, option in self.phrases:
            p = " ".join(phrase.lower().split())
            if said == p:
                return option
            if p and f" {p} " in f" {said} " and (best is None or len(p) > best[0]):
                best = (len(p), option)
        return best[1] if best else None


@dataclass(frozen=True, slots=True)
class DigitsResult:
    digits: str  # with speech: the key of the option the caller said
    ended_by: str  # "max_digits" | "terminator" | "timeout" | "speech" | "no_match"
    speech: str = ""  # what the recogniser heard
    confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class Recording:
    path: str
    duration: float


@dataclass(frozen=True, slots=True)
class QueueRequest:
    """What the flow asks of the ACD when it queues a call."""

    queue: str
    priority: int = 0
    skills: tuple[tuple[str, int], ...] = ()  # (skill, minimum level)
    language: str | None = None
    vip: bool = False
    call_type: str = ""
    max_wait: float | None = None  # overrides the queue's own, when set
    announce_position: bool = True
    announce_wait: bool = True
    announce_every: float = 30.0
    music_on_hold: str | None = None
    offer_callback: bool = False
    recording: str | None = None  # "off" | "stereo" | "mixed": the flow's say over the queue's own mode
    caller_language: str = "en"  # the language the caller hears announcements in (the call's language)
    attributes: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass(slots=True)
class QueueOutcome:
    """How the wait ended: 'answered' (and talk finished), 'abandoned', 'timeout', 'full',
    'no_agents', 'callback' (caller left a number and keeps their place), 'overflow'.

    Not frozen, though nobody changes one: every answered call makes one, and a frozen dataclass's
    `__init__` (a `object.__setattr__` call per field) costs three times as much."""

    result: str
    agent_id: str | None = None
    wait: float = 0.0
    target: str | None = None  # where an overflow/escalation asks the flow to go
    ended_by: str = ""  # after an answer: who ended the talk ("caller", "agent", "transfer")


@dataclass(frozen=True, slots=True)
class ConnectOutcome:
    """Result of ringing someone (transfer, ring group, agent): 'answered', 'busy', 'no_answer', 'failed'."""

    result: str
    answered_by: str | None = None


class Channel(Protocol):
    call_id: str
    caller_id: str
    dialed: str

    async def play(self, prompt: Prompt, *, barge_in: bool = True, listen: bool = False) -> None:
        """`listen`: a speech menu's prompt; a channel that hears speech stops it when the caller
        starts speaking, and the next `collect_digits(speech=...)` recognises what they say."""
        ...

    async def collect_digits(
        self,
        max_digits: int,
        *,
        timeout: float,
        inter_digit_timeout: float,
        terminator: str | None = "#",
        speech: SpeechGrammar | None = None,
    ) -> DigitsResult: ...

    async def record(self, *, max_seconds: float, silence_timeout: float, beep: bool = True) -> Recording: ...

    def enqueue(self, request: QueueRequest) -> Awaitable[QueueOutcome]:
        """Wait in a queue until the call is answered and its talk is over, or leaves the queue.
        Awaitable rather than `async`: a simulated channel hands back the simulator's own future,
        with no coroutine of its own waiting beside it through the talk."""
        ...

    async def bridge(
        self, destinations: list[str], *, timeout: float, strategy: str = "ring_all"
    ) -> ConnectOutcome: ...

    async def transfer(self, number: str, *, timeout: float) -> ConnectOutcome: ...

    async def hangup(self, reason: str = "normal") -> None: ...


class ShowsChoices(Protocol):
    """A channel that can show a menu's options as buttons (a chat): the menu node calls
    `show_choices` before its prompt; the next `collect_digits` returns the key chosen."""

    def show_choices(self, choices: list[tuple[str, str]]) -> None: ...
