"""`menu`: play a prompt, read one choice by DTMF, go to that option's target.

main_menu:
  type: menu
  prompt: {en: "For billing press 1, for support press 2.", id: "Untuk tagihan tekan 1 ..."}
  options:
    "1": billing_queue
    "2": {next: support_queue, label: Technical support}
  timeout: 5              # seconds to wait for the first digit
  inter_digit_timeout: 2  # for multi-digit options
  retries: 2              # repeats after invalid input or silence (so 3 tries in all)
  invalid_prompt: "Sorry, that is not a valid choice."
  timeout_prompt: "Sorry, I did not hear a choice."
  fail: operator          # after the last try
  variable: choice        # optional: store the digits chosen in vars.choice
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from alur.core.events import DigitsCollected, MenuInputRejected, MenuOptionChosen
from alur.flow.fastevents import constructor
from alur.flow.model import NodeBase, PromptSpec

if TYPE_CHECKING:
    from alur.flow.call import Call

_digits_collected = constructor(DigitsCollected)
_option_chosen = constructor(MenuOptionChosen)
_input_rejected = constructor(MenuInputRejected)


class MenuOption(BaseModel):
    model_config = ConfigDict(extra="forbid")
    next: str | None = None
    label: str = ""


class MenuNode(NodeBase):
    type: Literal["menu"]
    prompt: PromptSpec | None = None
    options: dict[str, MenuOption | str | None] = Field(default_factory=dict)
    timeout: float = Field(5.0, gt=0)
    inter_digit_timeout: float = Field(2.0, gt=0)
    retries: int = Field(2, ge=0, le=10)
    invalid_prompt: PromptSpec | None = None
    timeout_prompt: PromptSpec | None = None
    fail: str | None = None
    on_timeout: str | None = None
    variable: str | None = None
    _routes: dict[str, MenuOption] = PrivateAttr(default_factory=dict)
    _max: int = PrivateAttr(1)

    @field_validator("options")
    @classmethod
    def _keys(cls, v: dict[str, MenuOption | str | None]) -> dict[str, MenuOption | str | None]:
        for key in v:
            if not key or any(c not in "0123456789*#" for c in key):
                raise ValueError(f"option {key!r} must be DTMF digits (0-9, * or #)")
        return v

    @model_validator(mode="after")
    def _norm(self) -> MenuNode:
        self._routes = {
            k: (o if isinstance(o, MenuOption) else MenuOption(next=o)) for k, o in self.options.items()
        }
        self._max = max((len(k) for k in self.options), default=1)
        return self

    def option_target(self, key: str) -> str | None:
        return self._routes[key].next

    def targets(self) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = [(k, r.next) for k, r in self._routes.items()]
        out.append(("fail", self.fail))
        if self.on_timeout:
            out.append(("timeout", self.on_timeout))
        return out

    def prompts(self) -> list[tuple[str, PromptSpec]]:
        pairs = [
            ("prompt", self.prompt),
            ("invalid_prompt", self.invalid_prompt),
            ("timeout_prompt", self.timeout_prompt),
        ]
        return [(n, p) for n, p in pairs if p is not None]

    def missing_prompts(self) -> list[str]:
        return [] if self.prompt else ["a menu needs a 'prompt' that tells the caller the choices"]

    async def run(self, call: Call) -> str | None:
        tries = 0
        terminator = "#" if self._max > 1 and not any("#" in k for k in self.options) else None
        while True:
            await call.play(self.prompt)
            result = await call.channel.collect_digits(
                self._max,
                timeout=self.timeout,
                inter_digit_timeout=self.inter_digit_timeout,
                terminator=terminator,
            )
            now = call.now()
            call.log(_digits_collected(now, call.call_id, call.node_id, result.digits, result.ended_by))
            route = self._routes.get(result.digits)
            if route is not None:
                call.log(_option_chosen(now, call.call_id, call.flow.name, call.node_id, result.digits))
                if self.variable:
                    call.set_var(self.variable, result.digits)
                return route.next
            reason = "timeout" if not result.digits else "invalid"
            call.log(_input_rejected(now, call.call_id, call.node_id, result.digits, reason))
            tries += 1
            if tries > self.retries:
                if reason == "timeout" and self.on_timeout:
                    return self.on_timeout
                return self.fail
            await call.play(
                self.timeout_prompt if reason == "timeout" and self.timeout_prompt else self.invalid_prompt
            )
