"""`split`: share calls between branches by percentage, exactly over time (not by coin toss).

Calls are dealt by smooth weighted round robin, so after any 100 calls a 30/70 split has sent exactly
30 and 70 (and the running shares never drift by more than one call). Used for A/B tests of prompts
or menus, and to share traffic between sites.

    ab_test:
      type: split
      branches:
        - {percent: 30, next: new_menu}
        - {percent: 70, next: main_menu}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alur.flow.model import NodeBase

if TYPE_CHECKING:
    from alur.flow.call import Call


class SplitBranch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    percent: float = Field(gt=0, le=100)
    next: str | None = None


class SplitNode(NodeBase):
    type: Literal["split"]
    branches: list[SplitBranch] = Field(min_length=2)

    @model_validator(mode="after")
    def _sum(self) -> SplitNode:
        total = sum(b.percent for b in self.branches)
        if abs(total - 100.0) > 1e-6:
            raise ValueError(f"split percentages must add up to 100 (got {total:g})")
        return self

    def targets(self) -> list[tuple[str, str | None]]:
        return [(f"{b.percent:g}%", b.next) for b in self.branches]

    async def run(self, call: Call) -> str | None:
        state = call.runner.split_state(call.flow.name, call.node_id, len(self.branches))
        best = 0
        for i, branch in enumerate(self.branches):
            state[i] += branch.percent
            if state[i] > state[best]:
                best = i
        state[best] -= 100.0
        return self.branches[best].next
