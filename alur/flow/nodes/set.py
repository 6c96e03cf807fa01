"""`set`: set call variables (and the call's language).

String values may hold `${...}` templates; a value that is exactly one `${expr}` keeps the
expression's type (number, bool, map). Setting `language` changes the language prompts are played in.

    choose_indonesian:
      type: set
      vars:
        language: id
        greeted: true
        segment: "${has(customer.segment) ? customer.segment : 'retail'}"
      next: main_menu
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, PrivateAttr, field_validator

from alur.flow.expr import Template, compile_template
from alur.flow.model import NodeBase, compile_each

if TYPE_CHECKING:
    from alur.flow.call import Call


class SetNode(NodeBase):
    type: Literal["set"]
    vars: dict[str, Any] = Field(min_length=1)
    next: str | None = None
    _values: list[tuple[str, Template | Any]] = PrivateAttr(default_factory=list)

    @field_validator("vars")
    @classmethod
    def _names(cls, v: dict[str, Any]) -> dict[str, Any]:
        for name in v:
            if not name.replace("_", "a").isalnum() or name[0].isdigit():
                raise ValueError(f"variable name {name!r} must be letters, digits and '_'")
        return v

    def targets(self) -> list[tuple[str, str | None]]:
        return [("next", self.next)]

    def expressions(self) -> list[tuple[str, str]]:
        return [(f"vars.{k}", v) for k, v in self.vars.items() if isinstance(v, str)]

    def _compile(self) -> list[tuple[str, str]]:
        compiled, problems = compile_each(self.expressions(), compile_template)
        self._values = [(k, compiled.get(f"vars.{k}", v)) for k, v in self.vars.items()]
        return problems

    async def run(self, call: Call) -> str | None:
        for name, value in self._values:
            call.set_var(name, value.value(call.context()) if isinstance(value, Template) else value)
        return self.next
