"""`queue`: hand the call to the ACD: a queue, a priority, required skills and language, and the
waiting experience (music, position and wait-time announcements, callback offer).

When an agent answers, the call stays with the agent; once the talk ends the flow goes to `answered`
(e.g. a survey) or the call ends. Other outcomes go to their own target, else to `fail`, else the call
ends (`how` = queue_<outcome>).

    billing_queue:
      type: queue
      queue: billing
      prompt: "All our agents are busy. Please hold."
      priority: "${has(customer.vip) && customer.vip ? 10 : 0}"   # or a number
      skills: {billing: 5}          # minimum levels; a list [billing] means level 1
      language: "${language}"       # route to agents who speak the caller's language
      max_wait: 600
      music_on_hold: moh/default.wav
      announce_position: true
      announce_every: 45
      offer_callback: false
      recording: stereo             # off | stereo | mixed: overrides the queue's recording mode
      timeout: voicemail_billing    # max_wait reached
      full: busy_message            # queue at max_length
      no_agents: after_hours        # nobody logged in to serve it
      fail: goodbye                 # any other outcome not given its own target
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, PrivateAttr, field_validator

from alur.core.channel import QueueRequest
from alur.flow.expr import Expression, Template, compile_expression, compile_template
from alur.flow.model import NodeBase, PromptSpec, compile_each

if TYPE_CHECKING:
    from alur.flow.call import Call

VIP_DEFAULT = "has(customer.vip) && customer.vip == true"
OUTCOMES = ("timeout", "full", "no_agents", "overflow", "callback")


class QueueNode(NodeBase):
    type: Literal["queue"]
    queue: str
    prompt: PromptSpec | None = None
    priority: int | str = 0
    skills: dict[str, int] = Field(default_factory=dict)
    language: str | None = None
    vip: bool | str = VIP_DEFAULT
    call_type: str = ""
    max_wait: float | None = Field(None, gt=0)
    announce_position: bool = True
    announce_wait: bool = True
    announce_every: float = Field(30.0, gt=0)
    music_on_hold: str | None = None
    offer_callback: bool = False
    recording: Literal["off", "stereo", "mixed"] | None = None  # None: as the queue says
    attributes: dict[str, str] = Field(default_factory=dict)
    answered: str | None = None
    timeout: str | None = None
    full: str | None = None
    no_agents: str | None = None
    overflow: str | None = None
    callback: str | None = None
    fail: str | None = None
    _priority: Template | None = PrivateAttr(None)
    _language: Template | None = PrivateAttr(None)
    _vip: Expression | None = PrivateAttr(None)
    _attributes: dict[str, Template] = PrivateAttr(default_factory=dict)
    _skills: tuple[tuple[str, int], ...] = PrivateAttr(())
    _fixed: QueueRequest | None = PrivateAttr(None)  # the request, when nothing in it depends on the call

    can_end = True

    @field_validator("priority")
    @classmethod
    def _priority_text(cls, v: int | str) -> int | str:
        if isinstance(v, str) and "${" not in v:
            try:
                return int(v)
            except ValueError:
                raise ValueError(
                    f"priority must be a whole number or a '${{...}}' expression (got {v!r})"
                ) from None
        return v

    @field_validator("skills", mode="before")
    @classmethod
    def _skill_list(cls, v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return {str(s): 1 for s in v}
        return v

    @field_validator("skills")
    @classmethod
    def _levels(cls, v: dict[str, int]) -> dict[str, int]:
        for skill, level in v.items():
            if not 1 <= level <= 10:
                raise ValueError(f"skill {skill!r}: level must be 1..10 (got {level})")
        return v

    def targets(self) -> list[tuple[str, str | None]]:
        pairs = [("answered", self.answered)] + [(o, getattr(self, o)) for o in OUTCOMES]
        out = [(label, target) for label, target in pairs if target]
        out.append(("fail", self.fail)) if self.fail else None
        return out

    def prompts(self) -> list[tuple[str, PromptSpec]]:
        return [("prompt", self.prompt)] if self.prompt else []

    def expressions(self) -> list[tuple[str, str]]:
        out = [(f"attributes.{k}", v) for k, v in self.attributes.items()]
        if isinstance(self.priority, str):
            out.append(("priority", self.priority))
        if self.language:
            out.append(("language", self.language))
        return out

    def _compile(self) -> list[tuple[str, str]]:
        templates, problems = compile_each(self.expressions(), compile_template)
        self._priority = templates.get("priority")
        self._language = templates.get("language")
        self._attributes = {
            k: templates[f"attributes.{k}"] for k in self.attributes if f"attributes.{k}" in templates
        }
        if isinstance(self.vip, str):
            vip, more = compile_each([("vip", self.vip)], compile_expression)
            self._vip = vip.get("vip")
            problems += more
        self._skills = tuple(sorted(self.skills.items()))
        self._fixed = None
        if not problems and not templates and not isinstance(self.vip, str):
            # frozen, and the ACD copies `attributes`: one request serves every call of this node
            self._fixed = self._build(int(self.priority), None, bool(self.vip), {})
        return problems

    def _build(
        self, priority: int, language: str | None, vip: bool, attributes: dict[str, str]
    ) -> QueueRequest:
        return QueueRequest(
            queue=self.queue,
            priority=priority,
            skills=self._skills,
            language=language,
            vip=vip,
            call_type=self.call_type,
            max_wait=self.max_wait,
            announce_position=self.announce_position,
            announce_wait=self.announce_wait,
            announce_every=self.announce_every,
            music_on_hold=self.music_on_hold,
            offer_callback=self.offer_callback,
            recording=self.recording,
            attributes=attributes,
        )

    def request(self, call: Call) -> QueueRequest:
        """The QueueRequest this node makes for this call."""
        if self._fixed is not None:
            return self._fixed
        context = call.context()
        priority: Any = self.priority
        if self._priority is not None:
            priority = self._priority.value(context)
            try:
                priority = int(priority)
            except (TypeError, ValueError):
                raise ValueError(f"priority {self.priority!r} gave {priority!r}, not a number") from None
        vip = self._vip.truth(context) if self._vip is not None else bool(self.vip)
        return self._build(
            int(priority),
            self._language.render(context) or None if self._language else None,
            vip,
            {k: t.render(context) for k, t in self._attributes.items()},
        )

    async def run(self, call: Call) -> str | None:
        request = self.request(call)
        if request.caller_language != call.language:
            request = replace(request, caller_language=call.language)
        call.queue_request = request
        if self.prompt is not None:
            await call.play(self.prompt)
        outcome = await call.channel.enqueue(request)
        call.queue_outcome = outcome
        if outcome.result == "answered":
            if self.answered:  # post-call steps (survey, CRM update) run even if the caller hung up
                return self.answered
            call.end("caller_hangup" if outcome.ended_by == "caller" else "answered")
            return None
        if outcome.result == "abandoned":
            call.end("abandoned")
            return None
        if outcome.result == "overflow" and outcome.target:
            goto = call.runner.resolve_target(call, outcome.target)
            if goto is not None:
                return goto
        target = getattr(self, outcome.result, None) if outcome.result in OUTCOMES else None
        if target or self.fail:
            return target or self.fail
        call.end(f"queue_{outcome.result}")
        return None
