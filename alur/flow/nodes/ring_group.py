"""`ring_group`: ring several phones (extensions or SIP URIs), all at once or one after another.

front_desk:
  type: ring_group
  members: ["101", "102", "sip:reception@pbx.example.com"]
  strategy: ring_all          # or sequential
  timeout: 20                 # seconds in all
  fail: voicemail_front
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, PrivateAttr

from alur.core.events import CallTransferred
from alur.flow.expr import Template, compile_template
from alur.flow.model import NodeBase, PromptSpec, compile_each

if TYPE_CHECKING:
    from alur.flow.call import Call


class RingGroupNode(NodeBase):
    type: Literal["ring_group"]
    members: list[str] = Field(min_length=1)
    strategy: Literal["ring_all", "sequential"] = "ring_all"
    timeout: float = Field(20.0, gt=0)
    prompt: PromptSpec | None = None
    fail: str | None = None
    _members: list[Template] = PrivateAttr(default_factory=list)

    can_end = True

    def targets(self) -> list[tuple[str, str | None]]:
        return [("fail", self.fail)] if self.fail else []

    def prompts(self) -> list[tuple[str, PromptSpec]]:
        return [("prompt", self.prompt)] if self.prompt else []

    def expressions(self) -> list[tuple[str, str]]:
        return [(f"members.{i}", m) for i, m in enumerate(self.members)]

    def _compile(self) -> list[tuple[str, str]]:
        compiled, problems = compile_each(self.expressions(), compile_template)
        self._members = [compiled[f] for f, _ in self.expressions() if f in compiled]
        return problems

    async def run(self, call: Call) -> str | None:
        context = call.context()
        members = [m.render(context) for m in self._members]
        await call.play(self.prompt)
        outcome = await call.channel.bridge(members, timeout=self.timeout, strategy=self.strategy)
        if outcome.result == "answered":
            call.log(
                CallTransferred(call.now(), call.call_id, outcome.answered_by or members[0], "ring_group")
            )
            call.end("ring_group_answered")
            return None
        if self.fail is None:
            call.end(f"ring_group_{outcome.result}")
        return self.fail
