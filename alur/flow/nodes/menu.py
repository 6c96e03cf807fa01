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

Speech as well as keys: `input: [dtmf, speech]`, and per option the phrases that choose it in each
language; a recognition less sure than `confidence` (0..1) counts as no match, which takes the same
invalid path as a wrong key (silence takes the timeout path either way).

  input: [dtmf, speech]
  confidence: 0.5
  options:
    "1": {next: billing_queue, phrases: {en: [billing], id: [tagihan, satu]}}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from alur.core.channel import ShowsChoices, SpeechGrammar
from alur.core.events import MenuInputRejected, MenuOptionChosen
from alur.flow.model import NodeBase, PromptSpec

if TYPE_CHECKING:
    from alur.flow.call import Call


def _keys_only() -> list[Literal["dtmf", "speech"]]:
    return ["dtmf"]


class MenuOption(BaseModel):
    model_config = ConfigDict(extra="forbid")
    next: str | None = None
    label: str = ""
    phrases: dict[str, list[str]] = Field(default_factory=dict)  # language -> what a caller may say


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
    input: list[Literal["dtmf", "speech"]] = Field(default_factory=_keys_only, min_length=1)
    confidence: float = Field(0.5, ge=0, le=1)
    _grammars: dict[str, SpeechGrammar | None] = PrivateAttr(default_factory=dict)
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
        if "speech" in self.input and not any(r.phrases for r in self._routes.values()):
            raise ValueError("input includes speech, but no option has 'phrases' a caller could say")
        return self

    def grammar(self, language: str) -> SpeechGrammar | None:
        """What to listen for in `language` (its base language's phrases, else the first given)."""
        if "speech" not in self.input:
            return None
        if language not in self._grammars:
            base = language.split("-")[0]
            pairs = []
            for key, route in self._routes.items():
                if route.phrases:
                    lang = next(
                        (x for x in (language, base) if x in route.phrases), next(iter(route.phrases))
                    )
                    pairs += [(phrase, key) for phrase in route.phrases[lang]]
            self._grammars[language] = SpeechGrammar(tuple(pairs), language, self.confidence)
        return self._grammars[language]

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

    def choices(self, language: str) -> list[tuple[str, str]]:
        """(key, label) per option, for channels that show buttons: the label, else the first phrase
        in the language, else the key."""
        base = language.split("-")[0]
        out = []
        for key, route in self._routes.items():
            said = route.phrases.get(language) or route.phrases.get(base) or []
            out.append((key, route.label or (said[0] if said else key)))
        return out

    async def run(self, call: Call) -> str | None:
        tries = 0
        terminator = "#" if self._max > 1 and not any("#" in k for k in self.options) else None
        shows = hasattr(call.channel, "show_choices")
        buttons = cast(ShowsChoices, call.channel) if shows else None
        while True:
            if buttons is not None:  # a chat: the options as buttons (a typed key or label works too)
                buttons.show_choices(self.choices(call.language))
            grammar = self.grammar(call.language)
            await call.play(self.prompt, listen=grammar is not None)  # speaking stops the prompt
            if grammar is None:  # keys only: any Channel, also one that cannot listen for speech
                result = await call.channel.collect_digits(
                    self._max,
                    timeout=self.timeout,
                    inter_digit_timeout=self.inter_digit_timeout,
                    terminator=terminator,
                )
            else:
                result = await call.channel.collect_digits(
                    self._max,
                    timeout=self.timeout,
                    inter_digit_timeout=self.inter_digit_timeout,
                    terminator=terminator,
                    speech=grammar,
                )
            call.log_input(result, result.digits or None)
            now = call.now()
            route = self._routes.get(result.digits)
            if route is not None:
                call.log(MenuOptionChosen(now, call.call_id, call.flow.name, call.node_id, result.digits))
                if self.variable:
                    call.set_var(self.variable, result.digits)
                return route.next
            reason = "timeout" if not result.digits and result.ended_by != "no_match" else "invalid"
            call.log(MenuInputRejected(now, call.call_id, call.node_id, result.digits, reason))
            tries += 1
            if tries > self.retries:
                if reason == "timeout" and self.on_timeout:
                    return self.on_timeout
                return self.fail
            await call.play(
                self.timeout_prompt if reason == "timeout" and self.timeout_prompt else self.invalid_prompt
            )
