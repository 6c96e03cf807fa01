"""One call's state while its flow runs: variables, customer, language, path, and how it ended."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import cel

from alur.core.channel import Channel, QueueRequest
from alur.core.events import DigitsCollected, Event, PromptPlayed, SpeechRecognized, VariableSet

if TYPE_CHECKING:
    from alur.flow.interpreter import FlowRunner
    from alur.flow.model import Flow, PromptSpec


DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Call:
    """Mutable per-call state; nodes read and change it, the interpreter logs and returns it."""

    __slots__ = (
        "call_id",
        "channel",
        "runner",
        "flow",
        "node_id",
        "vars",
        "customer",
        "language",
        "path",
        "prompts",
        "queue_request",
        "queue_outcome",
        "ended",
        "ended_node",
        "error",
        "_now_at",
        "_now",
        "_cel",
        "_bound",
        "_vars_version",
        "_customer_version",
    )

    def __init__(self, channel: Channel, runner: FlowRunner, flow: Flow) -> None:
        self.call_id: str = channel.call_id
        self.channel = channel
        self.runner = runner
        self.flow = flow
        self.node_id: str = flow.start
        self.vars: dict[str, Any] = {}
        self.customer: dict[str, Any] = {}
        self.language: str = flow.language
        # what a test checks afterwards, kept unless the runner says not (the simulator): the nodes as
        # flow, node, flow, node, ... (no pair object per node) and the prompts' texts, in order
        keep = runner.keep_trail
        self.path: list[str] | None = [] if keep else None
        self.prompts: list[str] | None = [] if keep else None
        self.queue_request: QueueRequest | None = None
        self.queue_outcome: Any = None
        self.ended: str | None = None
        self.ended_node: str = ""
        self.error: str | None = None
        self._now_at: float = -1.0
        self._now: dict[str, Any] | None = None  # made when an expression first reads `now`
        self._cel: Any = None
        self._bound: dict[str, Any] | None = None  # made with `_cel`, by the first expression
        self._vars_version = 0
        self._customer_version = 0

    # --- services -------------------------------------------------------------------------------

    def log(self, event: Event) -> None:
        self.runner.log(event)

    def log_input(self, result: Any, option: str | None) -> None:
        """What the caller gave at this node: words heard (with `option`, the choice they named) or keys."""
        if result.ended_by in ("speech", "no_match"):
            heard = SpeechRecognized(
                self.now(), self.call_id, self.node_id, result.speech, result.confidence, option
            )
            self.log(heard)
        else:
            self.log(DigitsCollected(self.now(), self.call_id, self.node_id, result.digits, result.ended_by))

    def now(self) -> float:
        return self.runner.clock.now()

    def context(self) -> Call:
        """The evaluation scope for expressions: the call itself (see `activation`)."""
        return self

    def activation(self, roots: frozenset[str]) -> Any:
        """A CEL context holding the variables `roots` names, converted only when they changed.

        Converting Python values into CEL costs microseconds per key, so one context lives for the
        whole call and each variable is (re)bound only when its version moved on.
        """
        ctx, bound = self._cel, self._bound
        if ctx is None or bound is None:
            ctx, bound = self._cel, self._bound = cel.Context(), {}
        for root in roots:
            version = self._version(root)
            if root not in bound or bound[root] != version:
                ctx.add_variable(root, self._value(root))
                bound[root] = version
        return ctx

    def text_root(self, root: str) -> Any:
        """The value of a text variable (`alur.flow.expr.TEXT_ROOTS`), without building a CEL context."""
        if root == "language":
            return self.language
        if root == "caller_id":
            return self.channel.caller_id
        if root == "dialed":
            return self.channel.dialed
        if root == "call_id":
            return self.call_id
        if root == "flow":
            return self.flow.name
        return None

    def _version(self, root: str) -> Any:
        if root == "vars":
            return self._vars_version
        if root == "customer":
            return (id(self.customer), self._customer_version)
        if root == "now":
            return self.runner.clock.now()
        if root == "language":
            return self.language
        if root == "flow":
            return self.flow.name
        return 0

    def _value(self, root: str) -> Any:
        if root == "now":
            return self._now_map()
        return self.as_dict()[root]

    def changed(self, root: str) -> None:
        """Tell the call that `vars` or `customer` was changed in place."""
        if root == "vars":
            self._vars_version += 1
        else:
            self._customer_version += 1

    def as_dict(self) -> dict[str, Any]:
        """The evaluation scope as a plain dict (without `now`, which is computed on demand)."""
        return {
            "caller_id": self.channel.caller_id,
            "dialed": self.channel.dialed,
            "call_id": self.call_id,
            "customer": self.customer,
            "vars": self.vars,
            "language": self.language,
            "flow": self.flow.name,
        }

    def _now_map(self) -> dict[str, Any]:
        at = self.runner.clock.now()
        now = self._now
        if now is None or at != self._now_at:
            local = datetime.fromtimestamp(at, self.runner.zone)
            now = self._now = {
                "epoch": at,
                "hour": local.hour,
                "minute": local.minute,
                "weekday": local.weekday(),
                "day": DAY_NAMES[local.weekday()],
                "date": local.date().isoformat(),
                "time": local.strftime("%H:%M"),
            }
            self._now_at = at
        return now

    # --- helpers for nodes ----------------------------------------------------------------------

    def set_var(self, name: str, value: Any) -> None:
        if name == "language":
            self.language = str(value)
        else:
            self.vars[name] = value
            self._vars_version += 1
        self.log(VariableSet(self.now(), self.call_id, name, value))

    async def play(self, spec: PromptSpec | None, *, barge_in: bool = True, listen: bool = False) -> None:
        if spec is None:
            return
        prompt = spec.resolve(self)
        text = prompt.file or prompt.text or ""  # Prompt.describe(), inlined: every prompt of every call
        if self.prompts is not None:
            self.prompts.append(text)
        runner = self.runner
        runner.log(PromptPlayed(runner.clock.now(), self.call_id, self.node_id, text, prompt.language))
        if listen:
            await self.channel.play(prompt, barge_in=barge_in, listen=True)
        else:
            await self.channel.play(prompt, barge_in=barge_in)

    async def announce(self, announcement: str, *, barge_in: bool = True, **values: int | str) -> None:
        """Play one of the system's announcements (`alur.core.announcements`) in the call's language."""
        prompt = self.runner.announcements.prompt(announcement, self.language, **values)
        text = prompt.file or prompt.text or ""
        if self.prompts is not None:
            self.prompts.append(text)
        runner = self.runner
        runner.log(
            PromptPlayed(runner.clock.now(), self.call_id, self.node_id, text, prompt.language, announcement)
        )
        await self.channel.play(prompt, barge_in=barge_in)

    def end(self, how: str) -> None:
        if self.ended is None:
            self.ended = how
            self.ended_node = self.node_id
