"""`branch`: the first condition that holds picks the next node (CEL expressions).

vip_check:
  type: branch
  conditions:
    - when: has(customer.vip) && customer.vip
      next: vip_queue
    - when: caller_id.startsWith("+62") && language == "id"
      next: id_queue
    - when: now.hour >= 18
      next: evening
  default: main_menu
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from alur.flow.expr import Expression, compile_expression
from alur.flow.model import NodeBase, compile_each

if TYPE_CHECKING:
    from alur.flow.call import Call


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    when: str
    next: str | None = None


class BranchNode(NodeBase):
    type: Literal["branch"]
    conditions: list[Condition] = Field(min_length=1)
    default: str | None = None
    _compiled: list[tuple[Expression, str | None]] = PrivateAttr(default_factory=list)

    def targets(self) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = [(c.when, c.next) for c in self.conditions]
        out.append(("default", self.default))
        return out

    def expressions(self) -> list[tuple[str, str]]:
        return [(f"conditions.{i}.when", c.when) for i, c in enumerate(self.conditions)]

    def _compile(self) -> list[tuple[str, str]]:
        compiled, problems = compile_each(self.expressions(), compile_expression)
        if not problems:
            self._compiled = [
                (compiled[f], c.next) for (f, _), c in zip(self.expressions(), self.conditions, strict=True)
            ]
        return problems

    async def run(self, call: Call) -> str | None:
        context = call.context()
        for expression, target in self._compiled:
            if expression.truth(context):
                return target
        return self.default
