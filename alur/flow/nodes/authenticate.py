"""`authenticate`: ask for customer ID and PIN, check them against the customer directory.

On success `customer` holds the customer's record (e.g. `customer.vip`, `customer.language`,
`customer.name`) and `vars.customer_id` the ID. The directory is the project's: the built-in
`directory/*.yaml` files, or a REST endpoint (`directory: {type: rest, url: ...}` in alur.yaml).

    login:
      type: authenticate
      id_prompt: "Please enter your customer number, then hash."
      pin_prompt: "Now enter your four digit PIN."
      invalid_prompt: "Sorry, those details do not match."
      attempts: 3
      id_max_digits: 10
      pin_digits: 4
      next: vip_check
      fail: operator
      error: operator      # optional: the directory is unreachable (defaults to fail)
      use_caller_id: true  # optional: a caller whose number is on file is asked only for the PIN
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from alur.core.events import CallerAuthenticated, DigitsCollected
from alur.flow.model import NodeBase, PromptSpec
from alur.flow.services import DirectoryUnavailable

if TYPE_CHECKING:
    from alur.flow.call import Call


class AuthenticateNode(NodeBase):
    type: Literal["authenticate"]
    id_prompt: PromptSpec | None = None
    pin_prompt: PromptSpec | None = None
    invalid_prompt: PromptSpec | None = None
    attempts: int = Field(3, ge=1, le=10)
    id_max_digits: int = Field(12, ge=1, le=32)
    pin_digits: int = Field(4, ge=1, le=16)
    timeout: float = Field(7.0, gt=0)
    inter_digit_timeout: float = Field(3.0, gt=0)
    next: str | None = None
    fail: str | None = None
    error: str | None = None
    use_caller_id: bool = False

    def targets(self) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = [("next", self.next), ("fail", self.fail)]
        if self.error:
            out.append(("error", self.error))
        return out

    def prompts(self) -> list[tuple[str, PromptSpec]]:
        pairs = [
            ("id_prompt", self.id_prompt),
            ("pin_prompt", self.pin_prompt),
            ("invalid_prompt", self.invalid_prompt),
        ]
        return [(n, p) for n, p in pairs if p is not None]

    def missing_prompts(self) -> list[str]:
        out = []
        if self.id_prompt is None:
            out.append("an authenticate node needs an 'id_prompt' asking for the customer ID")
        if self.pin_prompt is None:
            out.append("an authenticate node needs a 'pin_prompt' asking for the PIN")
        return out

    async def _read(self, call: Call, prompt: PromptSpec | None, max_digits: int) -> str:
        await call.play(prompt)
        result = await call.channel.collect_digits(
            max_digits, timeout=self.timeout, inter_digit_timeout=self.inter_digit_timeout, terminator="#"
        )
        call.log(
            DigitsCollected(
                call.now(),
                call.call_id,
                call.node_id,
                "*" * len(result.digits) if prompt is self.pin_prompt else result.digits,
                result.ended_by,
            )
        )
        return result.digits

    async def _known_caller(self, call: Call) -> str:
        """The customer ID whose phone number is the caller ID, or '' (then the caller types it)."""
        if not self.use_caller_id:
            return ""
        try:
            record = await call.runner.directory.find_by_phone(call.channel.caller_id)
        except DirectoryUnavailable:
            return ""
        return str(record.get("id", "")) if record else ""

    async def run(self, call: Call) -> str | None:
        known = await self._known_caller(call)
        for attempt in range(1, self.attempts + 1):
            if known and attempt == 1:
                customer_id = known  # recognised by caller ID: only the PIN is asked, the first time
            else:
                customer_id = await self._read(call, self.id_prompt, self.id_max_digits)
            pin = await self._read(call, self.pin_prompt, self.pin_digits) if customer_id else ""
            record = None
            if customer_id and pin:
                try:
                    record = await call.runner.directory.authenticate(customer_id, pin)
                except DirectoryUnavailable as error:
                    call.error = error.message
                    call.log(CallerAuthenticated(call.now(), call.call_id, customer_id, False, attempt))
                    return self.error or self.fail
            call.log(CallerAuthenticated(call.now(), call.call_id, customer_id, record is not None, attempt))
            if record is not None:
                call.customer = dict(record)
                call.customer.setdefault("id", customer_id)
                call.changed("customer")
                call.set_var("customer_id", customer_id)
                return self.next
            if attempt < self.attempts:
                await call.play(self.invalid_prompt)
        return self.fail
