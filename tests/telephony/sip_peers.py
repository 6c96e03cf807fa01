"""An in-memory SIP peer: records what our stack sends to it (for tests in virtual time)."""

from __future__ import annotations

from dataclasses import dataclass, field

from alur.telephony.sip.message import SipResponse, parse_message


@dataclass(eq=False)
class MemPeer:
    transport: str = "UDP"
    addr: tuple[str, int] = ("127.0.0.1", 5070)
    reliable: bool = False
    sent: list[bytes] = field(default_factory=list)

    def send(self, data: bytes) -> None:
        self.sent.append(data)

    def responses(self) -> list[SipResponse]:
        out = []
        for d in self.sent:
            m = parse_message(d)
            if isinstance(m, SipResponse):
                out.append(m)
        return out
