"""What adapters tell the contact center about the devices they drive, so other adapters can act on them.

The SIP adapter rings an agent's phone for an offer and carries the agent's leg of a call; the HTTP API
lets the same agent act from a desktop. An offer ringing on a phone is answered on the phone (a SIP
phone cannot be taken off hook from outside), and a call hung up from the desktop must end the phone's
leg, not only the router's record of it.
"""

from __future__ import annotations

from collections.abc import Callable


class Devices:
    def __init__(self) -> None:
        self.ringing: dict[str, str] = {}  # reservation id -> the device ringing for it (e.g. "SIP phone")
        self.hangups: dict[str, Callable[[], None]] = {}  # call id -> ends the agent's side of the call

    def hang_up(self, call_id: str) -> bool:
        """End the agent's device side of a call, if an adapter carries it; False if none does."""
        hangup = self.hangups.pop(call_id, None)
        if hangup is None:
            return False
        hangup()
        return True
