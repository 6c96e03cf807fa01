"""`transfer`: send the call to an outside number (through the configured trunk).

to_partner:
  type: transfer
  number: "+622150001234"     # templates allowed: "${customer.account_manager}"
  timeout: 30
  fail: partner_busy          # busy, no answer or failed (or `busy:` / `no_answer:` separately)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, PrivateAttr

from alur.core.events import CallTransferred
from alur.flow.expr import Template, compile_template
from alur.flow.model import NodeBase, PromptSpec, compile_each

if TYPE_CHECKING:
    from alur.flow.call import Call


class TransferNode(NodeBase):
    type: Literal["transfer"]
    number: str
    prompt: PromptSpec | None = None
    timeout: float = Field(30.0, gt=0)
    busy: str | None = None
    no_answer: str | None = None
    fail: str | None = None
    _number: Template | None = PrivateAttr(None)

    can_end = True

    def targets(self) -> list[tuple[str, str | None]]:
        pairs = [("busy", self.busy), ("no_answer", self.no_answer), ("fail", self.fail)]
        return [(k, v) for k, v in pairs if v]

    def prompts(self) -> list[tuple[str, PromptSpec]]:
        return [("prompt", self.prompt)] if self.prompt else []

    def expressions(self) -> list[tuple[str, str]]:
        return [("number", self.number)]

    def _compile(self) -> list[tuple[str, str]]:
        compiled, problems = compile_each(self.expressions(), compile_template)
        self._number = compiled.get("number")
        return problems

    async def run(self, call: Call) -> str | None:
        assert self._number is not None
        number = self._number.render(call.context())
        await call.play(self.prompt)
        outcome = await call.channel.transfer(number, timeout=self.timeout)
        if outcome.result == "answered":
            call.log(CallTransferred(call.now(), call.call_id, number, "external"))
            call.end("transferred")
            return None
        specific = (
            self.busy
            if outcome.result == "busy"
            else self.no_answer
            if outcome.result == "no_answer"
            else None
        )
        target = specific or self.fail
        if target is None:
            call.end(f"transfer_{outcome.result}")
        return target
