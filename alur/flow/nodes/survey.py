"""`survey`: a short post-call survey (1 to 5 questions, each answered with a key on a 1..scale
scale), typically the queue's `answered` target so it runs once the agent hangs up.

Every answer is logged at once as `SurveyAnswered` with the agent and queue of the call it rates, so a
caller who hangs up mid-survey keeps the answers given; the reports count them per agent and queue.

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
      next: goodbye              # after the last question (the built-in thanks is said first)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alur.core.events import DigitsCollected, SurveyAnswered
from alur.flow.model import NODE_ID, NodeBase, PromptSpec

if TYPE_CHECKING:
    from alur.flow.call import Call


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
        for question in self.questions:
            score = await self._ask(call, question)
            if score is not None:
                call.log(
                    SurveyAnswered(
                        call.now(),
                        call.call_id,
                        call.node_id,
                        question.id,
                        str(score),
                        score,
                        agent_id,
                        queue,
                    )
                )
        await _say(call, self.thanks, "survey.thanks")
        return self.next

    async def _ask(self, call: Call, question: SurveyQuestion) -> int | None:
        """The caller's score for one question, or None after the tries run out."""
        for _ in range(self.retries + 1):
            await call.play(question.prompt)
            result = await call.channel.collect_digits(
                1, timeout=self.timeout, inter_digit_timeout=self.timeout, terminator=None
            )
            call.log(DigitsCollected(call.now(), call.call_id, call.node_id, result.digits, result.ended_by))
            if result.digits.isdigit() and 1 <= int(result.digits) <= question.scale:
                return int(result.digits)
            await call.announce("system.no_input" if not result.digits else "system.invalid")
        return None


async def _say(call: Call, spec: PromptSpec | bool, announcement: str) -> None:
    if isinstance(spec, PromptSpec):
        await call.play(spec)
    elif spec:
        await call.announce(announcement)
