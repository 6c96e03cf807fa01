"""A synthetic caller: the scripted `SimChannel` with the simulator's probabilistic behaviour built in.

`alur test-flow` and `alur simulate` run calls on the same channel, `alur.testing.channel.SimChannel`;
test-flow plugs in a fixed script, the simulator's `SimCaller` is a SimChannel that answers for its
caller itself, every move (digits, when they are pressed, wrong keys) drawn from `Traffic`, indexed by
call number (common random numbers), with a queue handler that hands the call to `Simulation`
(routing engine, patience, callbacks, talk time).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from alur.core.channel import Prompt, QueueOutcome, QueueRequest
from alur.core.tasks import Future
from alur.sim.traffic import IVR_DRAWS
from alur.testing.channel import Press, Silence, SimChannel

if TYPE_CHECKING:
    from alur.sim.runner import Simulation
    from alur.sim.scenario import Ivr
    from alur.testing.channel import DigitsAsk, Response

GOLDEN = 0.6180339887498949
DIGIT_SECONDS = 0.3  # time between key presses of a multi-digit entry
RECORD_SECONDS = 20.0  # length of a voicemail message a synthetic caller leaves (capped by the node)
ASKS_DIGITS = frozenset({"menu", "collect", "authenticate"})
_SILENCE = Silence()
_FIELD = re.compile(r"\{customer\.([A-Za-z0-9_]+)\}")


def prompt_seconds(ivr: Ivr) -> Callable[[Prompt], float]:
    """How long a prompt plays in the simulation: text at the scenario's speech rate, files fixed."""
    rate, file_seconds = ivr.speech_rate, ivr.file_prompt_seconds
    cache: dict[Prompt, float] = {}

    def seconds(prompt: Prompt) -> float:
        length = cache.get(prompt)
        if length is None:
            length = file_seconds if prompt.file else len(prompt.text or "") / rate
            if len(cache) < 10_000:
                cache[prompt] = length
        return length

    return seconds


def _queue(channel: SimChannel, request: QueueRequest) -> Future[QueueOutcome]:
    """The channel's queue handler: the simulation's routing engine decides (see `Simulation.enqueue`)."""
    caller: SimCaller = channel  # type: ignore[assignment]
    return caller.sim.enqueue(caller, request)


class SimCaller(SimChannel):
    """One synthetic call: the scripted channel it rings in on, being its own caller. `index` selects
    its draws in `Traffic`.

    One object a call, where a channel and a caller beside it were two, each holding the call's id,
    number and node: a thousand calls wait at 1,200 agents, and what they hold goes cold in between.
    Besides the behaviour, it holds the call's queue state that `Simulation` needs across queues
    (patience deadline, pending callback, talk timer).
    """

    __slots__ = (
        "sim",
        "index",
        "language",
        "customer",
        "digit_asks",
        "_node_asks",
        "http_asks",
        "queue_future",
        "request",
        "patience_deadline",
        "callback_timer",
        "talk_timer",
        "outcome",
        "answered_by",
    )

    def __init__(self, sim: Simulation, index: int) -> None:
        traffic = sim.traffic
        caller_id, cid, language, dialed = traffic.caller(index)
        super().__init__(
            sim.clock,
            call_id=f"{sim.call_prefix}{index + 1}",
            caller_id=caller_id,
            dialed=dialed,
            queue=_queue,
            record_seconds=RECORD_SECONDS,
            prompt_seconds=sim.prompt_seconds,
            keep_typeahead=False,  # a choice made for one node is not typed into the next
            keep_played=False,  # nobody reads a simulated call's prompts back
        )
        self.sim = sim
        self.index = index
        self.language = language
        self.customer = traffic.customers.get(cid) if cid else None
        self.digit_asks = 0  # digit entries so far (indexes the IVR draws)
        self._node_asks = 0  # digit entries in the current node
        self.http_asks = 0  # web-service requests so far (indexes the HTTP draws)
        self.queue_future: Future[QueueOutcome] | None = None
        self.request: QueueRequest | None = None
        self.patience_deadline: float | None = None
        self.callback_timer: Any = None
        self.talk_timer: Any = None
        self.outcome: QueueOutcome | None = None  # the queue's answer, given to the flow when the talk ends
        self.answered_by: str | None = None

    # --- the simulation's callbacks: bound methods, where a partial would be three objects a call ---

    def talk_over(self) -> None:
        self.sim.talk_over(self)

    def flow_done(self, done: Future[Any]) -> None:
        self.sim.call_done(self, done)

    # --- the caller's side of the channel --------------------------------------------------------

    @property
    def node_key(self) -> str:
        """`flow.node` of the node the call is in."""
        return f"{self.flow}.{self.node}"

    def caller_entered(self, flow: str, node: str, model: Any) -> None:
        self._node_asks = 0
        if model.type == "http":
            self.sim.http.current = self  # the request that follows is this call's

    def caller_barge(self) -> Press | None:
        """While a prompt of a node that asks for digits plays, the caller decides what to press."""
        if self.node_type not in ASKS_DIGITS:
            return None
        digits, delay = self._respond(None)
        return Press(digits, delay, DIGIT_SECONDS, barge_in=self.sim.scenario.ivr.barge_in, terminate=True)

    def caller_responds(self, ask: DigitsAsk) -> Response:
        digits, delay = self._respond(ask.max_digits)
        return Press(digits, delay, DIGIT_SECONDS, terminate=True) if digits else _SILENCE

    # --- caller behaviour ------------------------------------------------------------------------

    def _respond(self, max_digits: int | None) -> tuple[str, float]:
        """The digits this caller enters at the current node, and how long they take to start."""
        sim, traffic, i = self.sim, self.sim.traffic, self.index
        k = self.digit_asks % IVR_DRAWS
        lap = self.digit_asks // IVR_DRAWS  # asked more often than pre-drawn: shift the draws, not repeat
        self.digit_asks += 1
        ask = self._node_asks
        self._node_asks += 1
        node_key = self.node_key
        behaviour = sim.behaviour_for(node_key)
        if behaviour is not None and behaviour.response_time is not None:
            delay = traffic.node_response_time(node_key, behaviour.response_time, i, k)
        else:
            delay = float(traffic.ivr_time(i, k))
        wrong = sim.scenario.ivr.wrong_digits
        if behaviour is not None and behaviour.wrong_digits is not None:
            wrong = behaviour.wrong_digits
        u = float(traffic.ivr_choice(i, k))
        wrong_u = float(traffic.ivr_wrong(i, k))
        if lap:
            u = (u + GOLDEN * lap) % 1.0
            wrong_u = (wrong_u + GOLDEN * lap) % 1.0
        node = self.model
        if node.type == "menu":
            options = list(node.options)
            if wrong_u < wrong:
                return _invalid(options), delay
            if behaviour is not None and self.language and self.language in behaviour.by_language:
                return behaviour.by_language[self.language], delay
            if behaviour is not None and behaviour.choices:
                return _choose(behaviour.choices, u), delay
            return (options[int(u * len(options))] if options else ""), delay
        digits = self._entry(behaviour, ask, max_digits, u)
        if digits and wrong_u < wrong:
            digits = digits[:-1] + str((int(digits[-1]) + 1) % 10) if digits[-1].isdigit() else "0"
        return digits, delay

    def _entry(self, behaviour: Any, ask: int, max_digits: int | None, u: float) -> str:
        """Digits for a collect/authenticate node: a template over the caller's customer record."""
        node = self.model
        fields = node.__dict__  # a node's fields; getattr of a field it lacks costs pydantic an exception
        template: str | None = behaviour.enter if behaviour is not None else None
        if node.type == "authenticate":
            template = template or "{customer.id}|{customer.pin}"
            if fields.get("use_caller_id", False) and self.customer is not None:
                ask += 1  # recognised by caller ID: the first thing asked is the PIN
        if template is None:
            variable = fields.get("variable", "")
            template = f"{{customer.{variable}}}" if variable else None
        if template is not None:
            parts = [p.strip() for p in template.split("|")]
            text = _FIELD.sub(
                lambda m: str((self.customer or {}).get(m.group(1), "")), parts[ask % len(parts)]
            )
            if text:
                return text
        width = max_digits or fields.get("min_digits", 4) or 4
        return str(int(u * 10**width)).zfill(width)[:width]


def _choose(choices: dict[str, float], u: float) -> str:
    acc = 0.0
    for digits, p in choices.items():
        acc += p
        if u < acc:
            return digits
    return ""  # the remainder: the caller presses nothing


def _invalid(options: list[str]) -> str:
    for key in "9876543210*":
        if key not in options:
            return key
    return "#"
