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

Free speech instead of keys (`input: speech`): what the caller says (a name, the reason for the call)
is stored as text in the variable, and the intent it names, matched fuzzily against each option's
phrases in the call's language, in `<variable>_intent`; the call goes to that option's `next`, or
to the node's `next` when no option matches (silence after the retries: `fail`).

reason:
  type: collect
  input: speech
  prompt: {en: "In a few words, why are you calling?", id: "Apa keperluan Anda?"}
  variable: reason
  options:
    billing: {next: billing_queue, phrases: {en: [bill, invoice, payment], id: [tagihan, bayar]}}
    outage: {next: tech_queue, phrases: {en: [internet is down, no connection], id: [internet mati]}}
  match: 80              # 0..100: how close a phrase must be to words said (fuzzy)
  next: agent_queue
  fail: operator
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from alur.core.channel import SpeechGrammar
from alur.core.events import DigitsCollected
from alur.flow.intents import match_intent
from alur.flow.model import NODE_ID, NodeBase, PromptSpec

if TYPE_CHECKING:
    from alur.flow.call import Call


class CollectIntent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    next: str | None = None
    phrases: dict[str, list[str]] = Field(min_length=1)  # language -> words that name the intent


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
    input: Literal["dtmf", "speech"] = "dtmf"
    options: dict[str, CollectIntent] = Field(default_factory=dict)  # speech: intent -> where to go
    match: float = Field(80.0, ge=0, le=100)
    confidence: float = Field(0.0, ge=0, le=1)  # the recogniser's, below which nothing was heard
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
        if self.options and self.input != "speech":
            raise ValueError("'options' (intents) need input: speech; keys go to a menu")
        for name in self.options:
            if not re.match(NODE_ID, name):
                raise ValueError(f"intent name {name!r} must be a plain name (letters, digits, _ or -)")
        return self

    def targets(self) -> list[tuple[str, str | None]]:
        out = [("next", self.next), ("fail", self.fail)]
        return out + [(name, o.next) for name, o in self.options.items() if o.next is not None]

    def prompts(self) -> list[tuple[str, PromptSpec]]:
        pairs = [("prompt", self.prompt), ("invalid_prompt", self.invalid_prompt)]
        return [(n, p) for n, p in pairs if p is not None]

    def missing_prompts(self) -> list[str]:
        return [] if self.prompt else ["a collect node needs a 'prompt' that asks for the digits"]

    def valid(self, digits: str) -> bool:
        if not self.min_digits <= len(digits) <= self.max_digits:
            return False
        return self._re is None or self._re.fullmatch(digits) is not None

    def intents(self, language: str) -> dict[str, list[str]]:
        """Each intent's phrases in `language` (its base language's, else the first given)."""
        base = language.split("-")[0]
        out: dict[str, list[str]] = {}
        for name, option in self.options.items():
            lang = next((x for x in (language, base) if x in option.phrases), next(iter(option.phrases)))
            out[name] = option.phrases[lang]
        return out

    async def run(self, call: Call) -> str | None:
        if self.input == "speech":
            return await self._hear(call)
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

    async def _hear(self, call: Call) -> str | None:
        """Free speech: the words into the variable, the intent they name into `<variable>_intent`."""
        free = SpeechGrammar((), call.language, self.confidence)
        for _ in range(self.retries + 1):
            await call.play(self.prompt, listen=True)
            result = await call.channel.collect_digits(
                1,
                timeout=self.timeout,
                inter_digit_timeout=self.inter_digit_timeout,
                terminator=None,
                speech=free,
            )
            said = result.speech.strip() if result.confidence >= self.confidence else ""
            intent, _score = (
                match_intent(said, self.intents(call.language), self.match) if said else (None, 0)
            )
            call.log_input(result, intent)
            if said:
                call.set_var(self.variable, said)
                if self.options:
                    call.set_var(f"{self.variable}_intent", intent)
                option = self.options.get(intent) if intent is not None else None
                return option.next if option is not None and option.next is not None else self.next
            await call.play(self.invalid_prompt)
        return self.fail
