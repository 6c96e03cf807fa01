"""`play`: speak text (`say`, text-to-speech) or play a recording (`file`), then go on.

greeting:
  type: play
  say: {en: "Welcome to Acme.", id: "Selamat datang di Acme."}
  next: menu
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import PrivateAttr, model_validator

from alur.flow.model import NodeBase, PromptSpec

if TYPE_CHECKING:
    from alur.flow.call import Call


class PlayNode(NodeBase):
    type: Literal["play"]
    say: str | dict[str, str] | None = None
    file: str | dict[str, str] | None = None
    language: str | None = None
    voice: str | None = None
    barge_in: bool = True
    next: str | None = None

    _prompt_spec: PromptSpec | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _prompt(self) -> PlayNode:
        if self.say is not None or self.file is not None:
            self._prompt_spec = PromptSpec(
                say=self.say, file=self.file, language=self.language, voice=self.voice
            )
        return self

    def targets(self) -> list[tuple[str, str | None]]:
        return [("next", self.next)]

    def prompts(self) -> list[tuple[str, PromptSpec]]:
        return [("say" if self.say is not None else "file", self._prompt_spec)] if self._prompt_spec else []

    def missing_prompts(self) -> list[str]:
        return [] if self._prompt_spec else ["a play node needs 'say' (text to speech) or 'file' (recording)"]

    async def run(self, call: Call) -> str | None:
        await call.play(self._prompt_spec, barge_in=self.barge_in)
        return self.next
