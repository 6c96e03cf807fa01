"""`goto_flow`: continue in another flow (a shared sub-flow such as `after_hours` or `survey`).

Variables, customer and language carry over; the call continues at the other flow's `start` (or at
`node`).

    closed:
      type: goto_flow
      flow: after_hours
      node: voicemail      # optional
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from alur.flow.model import NodeBase

if TYPE_CHECKING:
    from alur.flow.call import Call


class GotoFlowNode(NodeBase):
    type: Literal["goto_flow"]
    flow: str
    node: str | None = None

    can_end = True

    async def run(self, call: Call) -> str | None:
        flow = call.runner.flows[self.flow]
        call.flow = flow
        return self.node or flow.start
