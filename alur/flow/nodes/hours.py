"""`hours`: open, closed or holiday, by a business-hours calendar (`calendars/<name>.yaml`).

office_hours:
  type: hours
  calendar: jakarta_support
  open: main_menu
  closed: after_hours
  holiday: holiday_message   # optional; holidays go to `closed` without it
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from alur.flow.model import NodeBase

if TYPE_CHECKING:
    from alur.flow.call import Call


class HoursNode(NodeBase):
    type: Literal["hours"]
    calendar: str
    open: str | None = None
    closed: str | None = None
    holiday: str | None = None

    def targets(self) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = [("open", self.open), ("closed", self.closed)]
        if self.holiday:
            out.append(("holiday", self.holiday))
        return out

    async def run(self, call: Call) -> str | None:
        state = call.runner.calendars[self.calendar].state(call.now())
        if state == "open":
            return self.open
        if state == "holiday" and self.holiday:
            return self.holiday
        return self.closed
