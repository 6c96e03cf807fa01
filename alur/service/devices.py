"""What adapters tell the contact center about the devices they drive, so other adapters can act on them.

The SIP adapter rings an agent's phone for an offer and carries the agent's leg of a call; the HTTP API
lets the same agent act from a desktop. An offer ringing on a phone and accepted on the desktop is
picked up by the phone itself (rung again with auto-answer), and a call hung up from the desktop must
end the phone's leg, not only the router's record of it.
"""

from __future__ import annotations

from collections.abc import Callable

from alur.core.errors import AlurError


class NoDevice(AlurError):
    code = "no_device"


class Devices:
    def __init__(self) -> None:
        self.ringing: dict[str, str] = {}  # reservation id -> the device ringing for it (e.g. "SIP phone")
        # reservation id -> has the ringing device pick up by itself (the desktop's accept button)
        self.pick_ups: dict[str, Callable[[], None]] = {}
        self.hangups: dict[str, Callable[[], None]] = {}  # call id -> ends the agent's side of the call
        # call id -> asks the adapter carrying the talk to consult/complete/cancel/conference
        self.consults: dict[str, Callable[[str, str], None]] = {}
        # what the adapter carrying talks does for supervisors: supervise(agent, mode, phone, who) and
        # end(agent); pause_recording(call id, paused) is False when the call is not being recorded
        self.supervise: Callable[[str, str, str, str], None] | None = None
        self.end_supervision: Callable[[str], None] | None = None
        self.pause_recording: Callable[[str, bool], bool] | None = None

    def consult(self, call_id: str, action: str, destination: str = "") -> None:
        """Ask the adapter carrying `call_id`'s talk for a consultation step; refused when none does."""
        request = self.consults.get(call_id)
        if request is None:
            raise NoDevice(f"call {call_id!r} is not carried by a phone that can do that", value=call_id)
        request(action, destination)

    def supervisor_joins(self, agent_id: str, mode: str, phone: str, supervisor: str) -> None:
        if self.supervise is None:
            raise NoDevice("no telephony adapter carries calls here to supervise", value=agent_id)
        self.supervise(agent_id, mode, phone, supervisor)

    def supervisor_leaves(self, agent_id: str) -> None:
        if self.end_supervision is None:
            raise NoDevice("no telephony adapter carries calls here to supervise", value=agent_id)
        self.end_supervision(agent_id)

    def pause_recording_of(self, call_id: str, paused: bool) -> None:
        if self.pause_recording is None or not self.pause_recording(call_id, paused):
            raise NoDevice(f"call {call_id!r} is not being recorded", value=call_id)

    def pick_up(self, reservation_id: str) -> bool:
        """Have the device ringing for the offer answer it; False if no adapter can do that."""
        pick_up = self.pick_ups.pop(reservation_id, None)
        if pick_up is None:
            return False
        pick_up()
        return True

    def hang_up(self, call_id: str) -> bool:
        """End the agent's device side of a call, if an adapter carries it; False if none does."""
        hangup = self.hangups.pop(call_id, None)
        if hangup is None:
            return False
        hangup()
        return True
