"""A synthetic caller: a Channel whose every move (digits, patience, talk time) comes from `Traffic`.

The flow interpreter runs it exactly as it runs a SIP call; each await is a `alur.core.tasks.Future`
resolved by a `VirtualClock` timer or by the routing engine, so a simulated call costs a few function
calls. The queue part (enqueue -> offer -> answer -> talk -> talk_ended) is driven by `Simulation`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from alur.core.channel import ConnectOutcome, DigitsResult, Prompt, QueueOutcome, QueueRequest, Recording
from alur.core.errors import CallerHungUp
from alur.core.tasks import Future
from alur.sim.traffic import IVR_DRAWS

if TYPE_CHECKING:
    from alur.sim.runner import Simulation

GOLDEN = 0.6180339887498949
DIGIT_SECONDS = 0.3  # time between key presses of a multi-digit entry
ASKS_DIGITS = frozenset({"menu", "collect", "authenticate"})
_FIELD = re.compile(r"\{customer\.([A-Za-z0-9_]+)\}")


class SimCaller:
    """One synthetic call. `index` selects its draws in `Traffic` (common random numbers)."""

    __slots__ = (
        "sim",
        "index",
        "call_id",
        "caller_id",
        "dialed",
        "language",
        "customer",
        "node",
        "node_key",
        "node_type",
        "asks",
        "_pending",
        "_node_asks",
        "queue_future",
        "request",
        "patience_deadline",
        "callback_timer",
        "talk_timer",
        "gone",
        "answered_by",
    )

    def __init__(self, sim: Simulation, index: int) -> None:
        traffic = sim.traffic
        self.sim = sim
        self.index = index
        self.call_id = f"{sim.call_prefix}{index + 1}"
        self.caller_id = traffic.caller_ids[index]
        self.dialed = traffic.dialed[index]
        self.language = traffic.languages[index]
        cid = traffic.customer_ids[index]
        self.customer = traffic.customers.get(cid) if cid else None
        self.node: Any = None
        self.node_key = ""
        self.node_type = ""
        self.asks = 0  # digit entries so far (indexes the IVR draws)
        self._node_asks = 0  # digit entries in the current node
        self._pending: tuple[str, float] | None = None  # digits already pressed (barge-in) and when
        self.queue_future: Future[QueueOutcome] | None = None
        self.request: QueueRequest | None = None
        self.patience_deadline: float | None = None
        self.callback_timer: Any = None
        self.talk_timer: Any = None
        self.gone = False
        self.answered_by: str | None = None

    # --- hooks from the interpreter --------------------------------------------------------------

    def node_entered(self, flow: str, node_id: str, node: Any) -> None:
        self.node = node
        self.node_key = f"{flow}.{node_id}"
        self.node_type = node.type
        self._node_asks = 0
        self._pending = None

    # --- the Channel protocol --------------------------------------------------------------------

    async def play(self, prompt: Prompt, *, barge_in: bool = True) -> None:
        if self.gone:
            raise CallerHungUp()
        sim = self.sim
        ivr = sim.scenario.ivr
        length = ivr.file_prompt_seconds if prompt.file else len(prompt.text or "") / ivr.speech_rate
        if self.node_type in ASKS_DIGITS and self._pending is None:
            # the caller decides what to press while listening; keys before the prompt ends cut it short
            digits, delay = self._respond(None)
            if barge_in and ivr.barge_in and digits and delay < length:
                self._pending = (digits, 0.0)
                length = delay
            else:
                self._pending = (digits, max(0.0, delay - length))
        if length > 0:
            await sim.sleep(length)

    async def collect_digits(
        self, max_digits: int, *, timeout: float, inter_digit_timeout: float, terminator: str | None = "#"
    ) -> DigitsResult:
        if self.gone:
            raise CallerHungUp()
        if self._pending is not None:
            digits, delay = self._pending
            self._pending = None
        else:
            digits, delay = self._respond(max_digits)
        if not digits or delay > timeout:
            await self.sim.sleep(timeout)
            return DigitsResult("", "timeout")
        digits = digits[:max_digits]
        delay += max(0, len(digits) - 1) * DIGIT_SECONDS
        if delay > 0:
            await self.sim.sleep(delay)
        return DigitsResult(digits, "max_digits" if len(digits) >= max_digits else "terminator")

    async def record(self, *, max_seconds: float, silence_timeout: float, beep: bool = True) -> Recording:
        length = min(max_seconds, 20.0)
        await self.sim.sleep(length)
        return Recording(f"sim/{self.call_id}.wav", length)

    async def enqueue(self, request: QueueRequest) -> QueueOutcome:
        if self.gone:
            raise CallerHungUp()
        return await self.sim.enqueue(self, request)

    async def bridge(
        self, destinations: list[str], *, timeout: float, strategy: str = "ring_all"
    ) -> ConnectOutcome:
        return ConnectOutcome("answered", destinations[0] if destinations else None)

    async def transfer(self, number: str, *, timeout: float) -> ConnectOutcome:
        return ConnectOutcome("answered", number)

    async def hangup(self, reason: str = "normal") -> None:
        self.gone = True

    # --- caller behaviour ------------------------------------------------------------------------

    def _respond(self, max_digits: int | None) -> tuple[str, float]:
        """The digits this caller enters at the current node, and how long they take to start."""
        sim, traffic, i = self.sim, self.sim.traffic, self.index
        k = self.asks % IVR_DRAWS
        lap = self.asks // IVR_DRAWS  # asked more often than pre-drawn: shift the draws, do not repeat them
        self.asks += 1
        ask = self._node_asks
        self._node_asks += 1
        behaviour = sim.behaviour_for(self.node_key)
        if behaviour is not None and behaviour.response_time is not None:
            delay = float(traffic.node_response_times(self.node_key, behaviour.response_time)[i, k])
        else:
            delay = float(traffic.ivr_time[i, k])
        wrong = sim.scenario.ivr.wrong_digits
        if behaviour is not None and behaviour.wrong_digits is not None:
            wrong = behaviour.wrong_digits
        u = float(traffic.ivr_choice[i, k])
        wrong_u = float(traffic.ivr_wrong[i, k])
        if lap:
            u = (u + GOLDEN * lap) % 1.0
            wrong_u = (wrong_u + GOLDEN * lap) % 1.0
        node = self.node
        if self.node_type == "menu":
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
        template: str | None = behaviour.enter if behaviour is not None else None
        if self.node_type == "authenticate":
            template = template or "{customer.id}|{customer.pin}"
            if getattr(self.node, "use_caller_id", False) and self.customer is not None:
                ask += 1  # recognised by caller ID: the first thing asked is the PIN
        if template is None:
            variable = getattr(self.node, "variable", "")
            template = f"{{customer.{variable}}}" if variable else None
        if template is not None:
            parts = [p.strip() for p in template.split("|")]
            text = _FIELD.sub(
                lambda m: str((self.customer or {}).get(m.group(1), "")), parts[ask % len(parts)]
            )
            if text:
                return text
        width = max_digits or getattr(self.node, "min_digits", 4) or 4
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
