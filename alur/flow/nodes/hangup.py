"""`hangup`: say goodbye (optional) and end the call.

goodbye:
  type: hangup
  prompt: {en: "Thank you for calling. Goodbye.", id: "Terima kasih. Sampai jumpa."}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from alur.flow.model import NodeBase, PromptSpec

if TYPE_CHECKING:
    from alur.flow.call import Call


class HangupNode(NodeBase):
    type: Literal["hangup"]
    prompt: PromptSpec | None = None
    reason: str = "normal"

    can_end = True

    def prompts(self) -> list[tuple[str, PromptSpec]]:
        return [("prompt", self.prompt)] if self.prompt else []

    async def run(self, call: Call) -> str | None:
        await call.play(self.prompt, barge_in=False)
        call.end("flow_hangup")
        return None
