"""`deflect`: send the caller a message on another channel (an SMS with a link, "continue in chat"),
then end the call or carry on, as the flow says.

sms_link:
  type: deflect
  channel: sms                  # sent through the project's SMS gateway
  message: {en: "Chat with us: https://shop.example/chat", id: "Chat dengan kami: https://..."}
  to: "${caller_id}"            # default: the caller's number
  prompt: "We have sent you a text message with a link. Goodbye."
  then: hangup                  # or `continue` (to `next`)
  next: main_menu
  fail: operator                # the message could not be sent (else the call goes on to `next`)

The message is a template in the call's language, like a prompt's `say`. The fact is logged as
`ivr.deflected`; a customer who answers the SMS starts an ordinary SMS conversation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import PrivateAttr

from alur.core.events import Deflected
from alur.flow.expr import Template, compile_template
from alur.flow.model import NodeBase, PromptSpec, compile_each

if TYPE_CHECKING:
    from alur.flow.call import Call


class DeflectNode(NodeBase):
    type: Literal["deflect"]
    channel: Literal["sms"] = "sms"
    message: PromptSpec
    to: str | None = None
    prompt: PromptSpec | None = None
    then: Literal["hangup", "continue"] = "hangup"
    next: str | None = None
    fail: str | None = None
    _to: Template | None = PrivateAttr(None)

    can_end: ClassVar[bool] = True  # with `then: hangup`

    def targets(self) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = [("fail", self.fail)]
        if self.then == "continue" or self.next:
            out.insert(0, ("next", self.next))
        return out

    def prompts(self) -> list[tuple[str, PromptSpec]]:
        pairs = [("message", self.message), ("prompt", self.prompt)]
        return [(n, p) for n, p in pairs if p is not None]

    def missing_prompts(self) -> list[str]:
        return (
            []
            if self.message.say is not None
            else ["a deflect node's 'message' must be text (say), not a file"]
        )

    def expressions(self) -> list[tuple[str, str]]:
        return [("to", self.to)] if self.to else []

    def _compile(self) -> list[tuple[str, str]]:
        compiled, problems = compile_each(self.expressions(), compile_template)
        self._to = compiled.get("to")
        return problems

    async def run(self, call: Call) -> str | None:
        text = self.message.resolve(call).text or ""
        to = self._to.render(call.context()) if self._to is not None else call.channel.caller_id
        error = await call.runner.messenger.send(self.channel, to, text)
        call.log(
            Deflected(call.now(), call.call_id, call.node_id, self.channel, to, error is None, error or "")
        )
        if error is not None:
            return self.fail or self.next
        await call.play(self.prompt, barge_in=False)
        if self.then == "hangup":
            call.end("deflected")
            return None
        return self.next
