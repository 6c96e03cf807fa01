"""`voicemail`: play a greeting, record a message into a mailbox, then end (or go to `next`).

after_hours:
  type: voicemail
  mailbox: support
  prompt: {en: "We are closed. Leave a message after the tone.", id: "Kami sudah tutup. ..."}
  max_seconds: 120
  silence_timeout: 5
  beep: true
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, PrivateAttr

from alur.core.events import VoicemailRecorded
from alur.flow.expr import Template, compile_template
from alur.flow.model import NodeBase, PromptSpec, compile_each

if TYPE_CHECKING:
    from alur.flow.call import Call


class VoicemailNode(NodeBase):
    type: Literal["voicemail"]
    mailbox: str
    prompt: PromptSpec | None = None
    max_seconds: float = Field(120.0, gt=0, le=3600)
    silence_timeout: float = Field(5.0, gt=0)
    beep: bool = True
    next: str | None = None
    _mailbox: Template | None = PrivateAttr(None)

    can_end = True

    def targets(self) -> list[tuple[str, str | None]]:
        return [("next", self.next)] if self.next else []

    def prompts(self) -> list[tuple[str, PromptSpec]]:
        return [("prompt", self.prompt)] if self.prompt else []

    def missing_prompts(self) -> list[str]:
        return [] if self.prompt else ["a voicemail node needs a 'prompt' (the mailbox greeting)"]

    def expressions(self) -> list[tuple[str, str]]:
        return [("mailbox", self.mailbox)]

    def _compile(self) -> list[tuple[str, str]]:
        compiled, problems = compile_each(self.expressions(), compile_template)
        self._mailbox = compiled.get("mailbox")
        return problems

    async def run(self, call: Call) -> str | None:
        assert self._mailbox is not None
        mailbox = self._mailbox.render(call.context())
        await call.play(self.prompt, barge_in=False)
        recording = await call.channel.record(
            max_seconds=self.max_seconds, silence_timeout=self.silence_timeout, beep=self.beep
        )
        call.log(VoicemailRecorded(call.now(), call.call_id, mailbox, recording.duration, recording.path))
        call.vars["voicemail"] = {"mailbox": mailbox, "duration": recording.duration, "path": recording.path}
        call.changed("vars")
        if self.next:
            return self.next
        call.end("voicemail")
        return None
