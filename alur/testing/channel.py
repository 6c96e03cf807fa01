"""The scripted caller channel: a `Channel` in virtual time, for `alur test-flow` and the simulator.

Time passes only on the `VirtualClock`: a prompt takes its estimated speaking time, digits arrive when
the caller behaviour says, a queue wait lasts as long as the queue handler makes it. Everything the
channel awaits is an `alur.core.tasks.Future`, so one call costs a few timers.

Plug-in points:
- `caller`: a `CallerBehaviour` asked, each time the flow reads digits, what the caller does
  (`Press`, `Silence`, `HangUp`), knowing which flow/node asks, its menu options and the attempt number.
  Optional hooks: `barge()` (keys pressed while a prompt plays) and `node_entered(flow, node, model)`.
  `ScriptedCaller` plays a fixed list of steps; the simulator's `alur.sim.caller.SimCaller` draws them.
- `queue`: `(channel, QueueRequest) -> QueueOutcome`, as a coroutine or as a core `Future` (the
  simulator resolves a Future from the routing engine; `ScriptedQueue` answers/abandons/times out
  after fixed delays).
- `connect`: an async `(channel, destinations, timeout, kind) -> ConnectOutcome` for transfer and
  ring groups; `record_seconds` sets how long a voicemail message lasts.
- `hangup_at`: absolute clock time the caller hangs up, wherever the flow is then.
- `keep_typeahead`: keys typed ahead carry into the next node that listens (a caller pressing during
  a greeting, as in test cases); the simulator turns it off, its choices belong to one node.
- `keep_played`: the prompts played, in order, in `played` for a test to check (the simulator keeps none).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from alur.core.channel import (
    ConnectOutcome,
    DigitsResult,
    Prompt,
    QueueOutcome,
    QueueRequest,
    Recording,
    SpeechGrammar,
)
from alur.core.clock import VirtualClock
from alur.core.errors import CallerHungUp
from alur.core.tasks import Future, Task, with_deadline


@dataclass(frozen=True, slots=True)
class DigitsAsk:
    """What the flow is asking the caller for, and where."""

    flow: str
    node: str
    node_type: str
    max_digits: int
    timeout: float
    inter_digit_timeout: float
    terminator: str | None
    options: tuple[str, ...]  # the menu's option keys ('' tuple when not a menu)
    attempt: int  # 1 for the first time this node asks in this call, 2 after a retry...
    now: float


@dataclass(frozen=True, slots=True)
class Press:
    """Type `digits`: the first `after` seconds after the flow starts listening, then one per `gap`.

    With `barge_in`, the caller does not wait for the prompt: `after` counts from the start of the
    prompt that comes before the listening, and the digits cut that prompt short (when it allows it).
    With `terminate`, an entry shorter than the flow's maximum ends with its terminator key (e.g. `#`)
    one `gap` later, instead of waiting out the inter-digit timeout.
    """

    digits: str
    after: float = 1.0
    gap: float = 0.3
    barge_in: bool = False
    terminate: bool = False


@dataclass(frozen=True, slots=True)
class Silence:
    """Press nothing (the flow's timeout runs out)."""


@dataclass(frozen=True, slots=True)
class HangUp:
    """Hang up `after` seconds after the flow starts listening."""

    after: float = 0.0


@dataclass(frozen=True, slots=True)
class Say:
    """Speak `text` `after` seconds after the flow starts listening, taking `seconds` to say it. A
    channel listening for speech matches it as a perfect recogniser would (confidence 1.0); one
    listening for keys only hears nothing."""

    text: str
    after: float = 1.0
    seconds: float = 1.0


Response = Press | Silence | HangUp | Say

# made once or more per prompt and digit entry of every simulated call: fill the slots directly


class CallerBehaviour(Protocol):
    """What the caller does when the flow listens for digits.

    A behaviour may also define `barge() -> Press | None` (asked once per prompt while nothing is typed
    ahead: keys pressed during the prompt, a `Press` with `barge_in=False` being keys decided now but
    pressed only after the prompt) and `node_entered(flow, node, model)` (told each node entered).
    """

    def respond(self, ask: DigitsAsk) -> Response: ...


class ScriptedCaller:
    """A fixed list of responses, used in order; silence once the script runs out."""

    def __init__(self, steps: list[Response | str]) -> None:
        self.steps: list[Response] = [Press(s) if isinstance(s, str) else s for s in steps]
        self.used = 0

    def barge(self) -> Press | None:
        """The next step, taken now, if it is a press made while a prompt plays."""
        if self.used < len(self.steps):
            step = self.steps[self.used]
            if isinstance(step, Press) and step.barge_in:
                self.used += 1
                return step
        return None

    def respond(self, ask: DigitsAsk) -> Response:
        if self.used < len(self.steps):
            self.used += 1
            return self.steps[self.used - 1]
        return Silence()


_SILENT_CALLER = ScriptedCaller([])  # no steps, so no state: one serves every channel given no caller

QueueHandler = Callable[
    ["SimChannel", QueueRequest], Coroutine[Any, Any, QueueOutcome] | Future[QueueOutcome]
]
ConnectHandler = Callable[["SimChannel", list[str], float, str], Coroutine[Any, Any, ConnectOutcome]]


_SPEECH: dict[Prompt, float] = {}


def speech_seconds(prompt: Prompt) -> float:
    """Rough speaking time of a prompt: 0.4 s a word for TTS, 3 s for a recording."""
    seconds = _SPEECH.get(prompt)
    if seconds is None:
        seconds = max(1.0, 0.4 * len(prompt.text.split())) if prompt.text is not None else 3.0
        if len(_SPEECH) < 10_000:
            _SPEECH[prompt] = seconds
    return seconds


class SimChannel:
    """A simulated call leg implementing the `Channel` protocol on a `VirtualClock`."""

    __slots__ = (  # the simulator makes one per synthetic call
        "clock",
        "call_id",
        "caller_id",
        "dialed",
        "caller",
        "queue_handler",
        "connect_handler",
        "record_seconds",
        "hangup_at",
        "prompt_seconds",
        "keep_typeahead",
        "flow",
        "node",
        "node_type",
        "model",
        "options",
        "asks",
        "played",
        "hung_up",
        "closed",
        "_on_hangup",
        "_buffered",
        "_barge",
        "_entered",
    )

    def __init__(
        self,
        clock: VirtualClock,
        *,
        call_id: str,
        caller_id: str = "anonymous",
        dialed: str = "",
        caller: CallerBehaviour | None = None,
        queue: QueueHandler | None = None,
        connect: ConnectHandler | None = None,
        record_seconds: float = 10.0,
        hangup_at: float | None = None,
        prompt_seconds: Callable[[Prompt], float] = speech_seconds,
        keep_typeahead: bool = True,
        keep_played: bool = True,
    ) -> None:
        self.clock = clock
        self.call_id = call_id
        self.caller_id = caller_id
        self.dialed = dialed
        self.caller: CallerBehaviour = caller or _SILENT_CALLER
        self.queue_handler = queue
        self.connect_handler = connect
        self.record_seconds = record_seconds
        self.hangup_at = hangup_at
        self.prompt_seconds = prompt_seconds
        self.keep_typeahead = keep_typeahead  # False: keys typed ahead and never read die with the node
        self.flow = ""
        self.node = ""
        self.node_type = ""
        self.model: Any = None  # the current node's model
        self.options: tuple[str, ...] = ()
        self.asks: dict[str, int] = {}
        self.played: list[Prompt] | None = [] if keep_played else None  # for a test's checks
        self.hung_up = False  # the caller went away
        self.closed: str | None = None  # the flow hung up, with this reason
        self._on_hangup: list[Callable[[], None]] | None = None  # made when something asks
        self._buffered: Press | None = None
        # the behaviour's optional hooks, as its class's functions: shared by every call, where bound
        # methods would be two more objects per simulated call in progress (none for the silent caller)
        self._barge: Callable[[Any], Press | None] | None = None
        self._entered: Callable[[Any, str, str, Any], None] | None = None
        if caller is not None:
            self._barge = getattr(type(caller), "barge", None)
            self._entered = getattr(type(caller), "node_entered", None)

    # --- hooks for the interpreter and the simulator -------------------------------------------

    def node_entered(self, flow: str, node: str, model: Any) -> None:
        """Called by the interpreter on entering each node (optional Channel hook)."""
        kind = model.type
        self.flow, self.node, self.node_type, self.model = flow, node, kind, model
        self.options = tuple(model.options) if kind == "menu" else ()
        if not self.keep_typeahead:
            self._buffered = None
        self.caller_entered(flow, node, model)

    # --- the caller's side: its behaviour's answers (a subclass may be its own caller) ----------

    def caller_entered(self, flow: str, node: str, model: Any) -> None:
        """Tell the behaviour the node entered, if it listens (its optional `node_entered`)."""
        if self._entered is not None:
            self._entered(self.caller, flow, node, model)

    def caller_barge(self) -> Press | None:
        """Keys pressed while a prompt plays, if the behaviour presses any (its optional `barge`)."""
        return self._barge(self.caller) if self._barge is not None else None

    def caller_responds(self, ask: DigitsAsk) -> Response:
        """What the caller does when the flow listens for digits."""
        return self.caller.respond(ask)

    def on_hangup(self, callback: Callable[[], None]) -> None:
        """Run `callback` when the caller hangs up (e.g. to take the call out of its queue)."""
        if self._on_hangup is None:
            self._on_hangup = []
        self._on_hangup.append(callback)

    # --- time ------------------------------------------------------------------------------------

    def _caller_gone(self) -> None:
        if not self.hung_up:
            self.hung_up = True
            callbacks, self._on_hangup = self._on_hangup, None
            for callback in callbacks or ():
                callback()

    def sleep(self, delay: float) -> Future[None]:
        """Sleep `delay` seconds, unless the caller hangs up first (then raise CallerHungUp)."""
        future: Future[None] = Future()
        if self.hung_up:
            future.set_exception(CallerHungUp())
            return future
        clock = self.clock
        end = clock.now() + (delay if delay > 0.0 else 0.0)
        if self.hangup_at is None:  # the usual case: one timer, no race with a hang-up
            clock.call_at(end, lambda: future.set_result(None))
            return future
        if self.hangup_at <= end:

            def gone() -> None:
                self._caller_gone()
                future.set_exception(CallerHungUp())

            clock.call_at(self.hangup_at, gone)
        else:
            clock.call_at(end, lambda: future.set_result(None))
        return future

    async def _race(self, future: Future[Any]) -> Any:
        """Await `future`, unless the caller hangs up first."""
        if self.hangup_at is None:
            return await future
        if self.hung_up:
            raise CallerHungUp()

        def gone(out: Future[Any]) -> None:
            self._caller_gone()
            out.set_exception(CallerHungUp())

        return await with_deadline(self.clock, future, self.hangup_at, gone)

    # --- the Channel protocol --------------------------------------------------------------------

    async def play(self, prompt: Prompt, *, barge_in: bool = True, listen: bool = False) -> None:
        if self.played is not None:
            self.played.append(prompt)
        seconds = self.prompt_seconds(prompt)
        press = self.caller_barge() if self._buffered is None else None
        if press is not None:
            if barge_in and press.barge_in and press.digits and press.after < seconds:
                # the digits cut the prompt short
                self._buffered = Press(press.digits, 0.0, press.gap, terminate=press.terminate)
                await self.sleep(press.after)
                return
            # the prompt plays to its end; the digits come that much later
            self._buffered = Press(
                press.digits, max(0.0, press.after - seconds), press.gap, terminate=press.terminate
            )
        await self.sleep(seconds)

    async def collect_digits(
        self,
        max_digits: int,
        *,
        timeout: float,
        inter_digit_timeout: float,
        terminator: str | None = "#",
        speech: SpeechGrammar | None = None,
    ) -> DigitsResult:
        key = f"{self.flow}/{self.node}"
        attempt = self.asks[key] = self.asks.get(key, 0) + 1
        response: Response
        if self._buffered is not None:  # typed during the prompt (DTMF is buffered, as on a phone line)
            response, self._buffered = self._buffered, None
        else:
            response = self.caller_responds(
                DigitsAsk(
                    self.flow,
                    self.node,
                    self.node_type,
                    max_digits,
                    timeout,
                    inter_digit_timeout,
                    terminator,
                    self.options,
                    attempt,
                    self.clock.now(),
                )
            )
        if isinstance(response, HangUp):
            if self.hangup_at is None or self.clock.now() + response.after < self.hangup_at:
                self.hangup_at = self.clock.now() + response.after
            await self.sleep(response.after + 1.0)
            raise CallerHungUp()  # pragma: no cover - _wait raised already
        if isinstance(response, Say):
            if speech is None or response.after > timeout:
                await self.sleep(timeout)
                return DigitsResult("", "timeout")
            await self.sleep(response.after + response.seconds)
            option = speech.option(response.text)
            if option is None:
                return DigitsResult("", "no_match", response.text, 1.0)
            return DigitsResult(option, "speech", response.text, 1.0)
        if isinstance(response, Silence) or not response.digits or response.after > timeout:
            await self.sleep(timeout)
            return DigitsResult("", "timeout")
        digits, elapsed, ended_by = "", response.after, "timeout"
        for i, digit in enumerate(response.digits):
            if i > 0:
                if response.gap > inter_digit_timeout:
                    elapsed += inter_digit_timeout
                    break
                elapsed += response.gap
            if terminator is not None and digit == terminator:
                ended_by = "terminator"
                break
            digits += digit
            if len(digits) >= max_digits:
                ended_by = "max_digits"
                break
        else:
            if response.terminate and terminator is not None:
                elapsed += response.gap
                ended_by = "terminator"
            else:
                elapsed += inter_digit_timeout
        await self.sleep(elapsed)
        return DigitsResult(digits, ended_by)

    async def record(self, *, max_seconds: float, silence_timeout: float, beep: bool = True) -> Recording:
        duration = min(self.record_seconds, max_seconds)
        await self.sleep(duration)
        return Recording(path=f"voicemail/{self.call_id}.wav", duration=duration)

    def enqueue(self, request: QueueRequest) -> Awaitable[QueueOutcome]:
        """The queue handler's future itself, unless the caller may hang up first: no coroutine of
        this channel's waits beside every simulated call in a queue."""
        future: Future[QueueOutcome]
        if self.queue_handler is None:
            future = Future()
            future.set_result(QueueOutcome("answered", agent_id="agent", wait=0.0))
            return future
        outcome = self.queue_handler(self, request)
        future = outcome if isinstance(outcome, Future) else Task(outcome)
        return future if self.hangup_at is None else self._race(future)

    async def bridge(
        self, destinations: list[str], *, timeout: float, strategy: str = "ring_all"
    ) -> ConnectOutcome:
        return await self._connect(destinations, timeout, strategy)

    async def transfer(self, number: str, *, timeout: float) -> ConnectOutcome:
        return await self._connect([number], timeout, "transfer")

    async def _connect(self, destinations: list[str], timeout: float, kind: str) -> ConnectOutcome:
        if self.connect_handler is None:
            return ConnectOutcome("answered", destinations[0] if destinations else None)
        task = Task(self.connect_handler(self, destinations, timeout, kind))
        result: ConnectOutcome = await self._race(task)
        return result

    async def hangup(self, reason: str = "normal") -> None:
        if self.closed is None:
            self.closed = reason


class ScriptedQueue:
    """A queue handler with a fixed result: e.g. answered after 20 s with 120 s of talk."""

    def __init__(
        self,
        result: str = "answered",
        after: float = 0.0,
        talk: float = 60.0,
        agent_id: str = "agent",
        target: str | None = None,
    ) -> None:
        self.result, self.after, self.talk, self.agent_id, self.target = result, after, talk, agent_id, target
        self.requests: list[QueueRequest] = []

    async def __call__(self, channel: SimChannel, request: QueueRequest) -> QueueOutcome:
        self.requests.append(request)
        await channel.sleep(self.after)
        if self.result == "answered":
            await channel.sleep(self.talk)
            return QueueOutcome("answered", agent_id=self.agent_id, wait=self.after)
        return QueueOutcome(self.result, wait=self.after, target=self.target)


class ScriptedConnect:
    """A transfer/ring-group handler with a fixed result after `after` seconds of ringing."""

    def __init__(self, result: str = "answered", after: float = 5.0, answered_by: str | None = None) -> None:
        self.result, self.after, self.answered_by = result, after, answered_by
        self.calls: list[tuple[list[str], str]] = []

    async def __call__(
        self, channel: SimChannel, destinations: list[str], timeout: float, kind: str
    ) -> ConnectOutcome:
        self.calls.append((destinations, kind))
        await channel.sleep(min(self.after, timeout))
        if self.result == "answered":
            return ConnectOutcome("answered", self.answered_by or (destinations[0] if destinations else None))
        return ConnectOutcome(self.result)
