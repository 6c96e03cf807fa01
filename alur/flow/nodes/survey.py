"""`survey`: a short post-call survey (1 to 5 questions, each answered with a key on a 1..scale
scale), typically the queue's `answered` target so it runs once the agent hangs up.

Every answer is logged at once as `SurveyAnswered` with the agent and queue of the call it rates, the
caller and customer, and how it was given (key or speech, with the words heard), so a caller who
hangs up mid-survey keeps the answers given; the reports count them per agent and queue, and a CRM
webhook gets all it needs from the one event.

    survey:
      type: survey
      intro: true                # the built-in "please stay on the line" (default); false, or a prompt
      questions:
        - id: satisfaction
          prompt: {en: "How satisfied were you, from 1 to 5?", id: "Seberapa puas Anda, 1 sampai 5?"}
        - id: resolved
          prompt: "Was your problem solved? Press 1 for yes, 2 for no."
          scale: 2
      timeout: 6
      retries: 1                 # asks again once after silence or a key off the scale
      input: [dtmf, speech]      # also a spoken score: "one".."five", "satu".."lima" (default: keys)
      next: goodbye              # after the last question (the built-in thanks is said first)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alur.core.channel import DigitsResult, SpeechGrammar
from alur.core.events import SurveyAnswered
from alur.flow.model import NODE_ID, NodeBase, PromptSpec

if TYPE_CHECKING:
    from alur.flow.call import Call


#: spoken scores, per language: the n-th word is n
NUMBER_WORDS = {
    "en": ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
    "id": ("satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"),
}


#: a spoken score less sure than this is not taken, unless the node says otherwise: chosen with
#: `benchmarks/asr_accuracy.py --survey` (docs/speech.md); a wrong score in the reports costs more
#: than a question answered by keys instead
SPOKEN_SCORE_CONFIDENCE = 0.8


def score_grammar(scale: int, language: str) -> SpeechGrammar:
    """The words for 1..scale in the call's language (English when Alur knows none for it)."""
    words = NUMBER_WORDS.get(language.split("-")[0], NUMBER_WORDS["en"])
    return SpeechGrammar(
        tuple((w, str(i + 1)) for i, w in enumerate(words[:scale])), language, SPOKEN_SCORE_CONFIDENCE
    )


def _keys_only() -> list[Literal["dtmf", "speech"]]:
    return ["dtmf"]


class SurveyQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=NODE_ID)
    prompt: PromptSpec
    scale: int = Field(5, ge=2, le=9)


class SurveyNode(NodeBase):
    type: Literal["survey"]
    intro: PromptSpec | bool = True
    questions: list[SurveyQuestion] = Field(min_length=1, max_length=5)
    timeout: float = Field(6.0, gt=0)
    retries: int = Field(1, ge=0, le=5)
    thanks: PromptSpec | bool = True
    next: str | None = None
    input: list[Literal["dtmf", "speech"]] = Field(default_factory=_keys_only, min_length=1)
    confidence: float = Field(SPOKEN_SCORE_CONFIDENCE, ge=0, le=1)

    can_end = True

    @field_validator("questions")
    @classmethod
    def _unique(cls, v: list[SurveyQuestion]) -> list[SurveyQuestion]:
        seen: set[str] = set()
        for q in v:
            if q.id in seen:
                raise ValueError(f"question id {q.id!r} is used twice")
            seen.add(q.id)
        return v

    def targets(self) -> list[tuple[str, str | None]]:
        return [("next", self.next)]

    def prompts(self) -> list[tuple[str, PromptSpec]]:
        out = [(f"questions.{q.id}.prompt", q.prompt) for q in self.questions]
        for name, spec in (("intro", self.intro), ("thanks", self.thanks)):
            if isinstance(spec, PromptSpec):
                out.append((name, spec))
        return out

    async def run(self, call: Call) -> str | None:
        await _say(call, self.intro, "survey.intro")
        outcome = call.queue_outcome
        agent_id = getattr(outcome, "agent_id", None)
        queue = call.queue_request.queue if call.queue_request is not None else None
        customer_id = call.vars.get("customer_id", call.customer.get("id"))
        for question in self.questions:
            answer = await self._ask(call, question)
            if answer is not None:
                call.log(
                    SurveyAnswered(
                        call.now(),
                        call.call_id,
                        call.node_id,
                        question.id,
                        answer.digits,
                        int(answer.digits),
                        agent_id,
                        queue,
                        "speech" if answer.ended_by == "speech" else "dtmf",
                        call.channel.caller_id,
                        None if customer_id is None else str(customer_id),
                        answer.speech,
                    )
                )
        await _say(call, self.thanks, "survey.thanks")
        return self.next

    async def _ask(self, call: Call, question: SurveyQuestion) -> DigitsResult | None:
        """The caller's answer to one question (a key or a spoken score), or None after the tries
        run out."""
        grammar = None
        if "speech" in self.input:
            words = score_grammar(question.scale, call.language)
            grammar = SpeechGrammar(words.phrases, words.language, self.confidence)
        for _ in range(self.retries + 1):
            await call.play(question.prompt, listen=grammar is not None)
            if grammar is None:
                result = await call.channel.collect_digits(
                    1, timeout=self.timeout, inter_digit_timeout=self.timeout, terminator=None
                )
            else:
                result = await call.channel.collect_digits(
                    1, timeout=self.timeout, inter_digit_timeout=self.timeout, terminator=None, speech=grammar
                )
            call.log_input(result, result.digits or None)
            if result.digits.isdigit() and 1 <= int(result.digits) <= question.scale:
                return result
            await call.announce("system.no_input" if not result.digits else "system.invalid")
        return None


async def _say(call: Call, spec: PromptSpec | bool, announcement: str) -> None:
    if isinstance(spec, PromptSpec):
        await call.play(spec)
    elif spec:
        await call.announce(announcement)
