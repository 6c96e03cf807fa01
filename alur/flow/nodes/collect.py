"""`collect`: read a number (account, order, date of birth...) into a variable.

account:
  type: collect
  prompt: "Please enter your order number, then press hash."
  variable: order_number
  min_digits: 6
  max_digits: 10
  terminator: "#"
  pattern: "^[0-9]{6,10}$"   # optional extra check (regular expression on the digits)
  timeout: 7
  inter_digit_timeout: 3
  retries: 2
  invalid_prompt: "That number is not valid."
  next: lookup
  fail: operator
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from alur.core.events import DigitsCollected
from alur.flow.model import NodeBase, PromptSpec

if TYPE_CHECKING:
    from alur.flow.call import Call


class CollectNode(NodeBase):
    type: Literal["collect"]
    prompt: PromptSpec | None = None
    variable: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    min_digits: int = Field(1, ge=1)
    max_digits: int = Field(16, ge=1, le=64)
    terminator: str | None = "#"
    pattern: str | None = None
    timeout: float = Field(7.0, gt=0)
    inter_digit_timeout: float = Field(3.0, gt=0)
    retries: int = Field(2, ge=0, le=10)
    invalid_prompt: PromptSpec | None = None
    next: str | None = None
    fail: str | None = None
    _re: re.Pattern[str] | None = PrivateAttr(None)

    @field_validator("pattern")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as error:
                raise ValueError(f"pattern {v!r} is not a valid regular expression: {error}") from None
        return v

    @field_validator("terminator")
    @classmethod
    def _term(cls, v: str | None) -> str | None:
        if v is not None and v not in ("#", "*"):
            raise ValueError(f"terminator must be '#' or '*' (got {v!r})")
        return v

    @model_validator(mode="after")
    def _range(self) -> CollectNode:
        if self.min_digits > self.max_digits:
            raise ValueError(f"min_digits ({self.min_digits}) is more than max_digits ({self.max_digits})")
        self._re = re.compile(self.pattern) if self.pattern else None
        return self

    def targets(self) -> list[tuple[str, str | None]]:
        return [("next", self.next), ("fail", self.fail)]

    def prompts(self) -> list[tuple[str, PromptSpec]]:
        pairs = [("prompt", self.prompt), ("invalid_prompt", self.invalid_prompt)]
        return [(n, p) for n, p in pairs if p is not None]

    def missing_prompts(self) -> list[str]:
        return [] if self.prompt else ["a collect node needs a 'prompt' that asks for the digits"]

    def valid(self, digits: str) -> bool:
        if not self.min_digits <= len(digits) <= self.max_digits:
            return False
        return self._re is None or self._re.fullmatch(digits) is not None

    async def run(self, call: Call) -> str | None:
        for _ in range(self.retries + 1):
            await call.play(self.prompt)
            result = await call.channel.collect_digits(
                self.max_digits,
                timeout=self.timeout,
                inter_digit_timeout=self.inter_digit_timeout,
                terminator=self.terminator,
            )
            call.log(DigitsCollected(call.now(), call.call_id, call.node_id, result.digits, result.ended_by))
            if self.valid(result.digits):
                call.set_var(self.variable, result.digits)
                return self.next
            await call.play(self.invalid_prompt)
        return self.fail
