"""A SIP dialog (RFC 3261 section 12): the state two user agents share for one call leg, and how to
build requests inside it (Request-URI = remote target, Route = route set, CSeq counting up)."""

from __future__ import annotations

from dataclasses import dataclass, field

from alur.telephony.sip.message import SipRequest, parse_uri


@dataclass(slots=True)
class Dialog:
    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: str  # our From (UAC) / To (UAS) header, without tag
    remote_uri: str
    remote_target: str  # the peer's Contact URI
    route_set: list[str] = field(default_factory=list)
    local_seq: int = 1
    remote_seq: int = 0
    local_contact: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.call_id, self.local_tag)

    def request(self, method: str) -> SipRequest:
        """A new in-dialog request (not ACK: the ACK reuses the INVITE's CSeq number)."""
        self.local_seq += 1
        return self._build(method, self.local_seq)

    def ack(self, invite_seq: int) -> SipRequest:
        return self._build("ACK", invite_seq)

    def _build(self, method: str, seq: int) -> SipRequest:
        req = SipRequest(method=method, uri=self.remote_target)
        for route in self.route_set:
            req.headers.append("Route", route)
        req.headers.append("From", f"{self.local_uri};tag={self.local_tag}")
        req.headers.append(
            "To", f"{self.remote_uri};tag={self.remote_tag}" if self.remote_tag else self.remote_uri
        )
        req.headers.append("Call-ID", self.call_id)
        req.headers.append("CSeq", f"{seq} {method}")
        if self.local_contact:
            req.headers.append("Contact", self.local_contact)
        return req

    def next_hop(self) -> tuple[str, int, str]:
        """(host, port, transport) of the first route, or of the remote target (RFC 3261 8.1.2)."""
        uri_text = self.route_set[0] if self.route_set else self.remote_target
        uri = parse_uri(_strip_brackets(uri_text))
        transport = str(uri.params.get("transport") or "udp").upper()
        return uri.host, uri.port or 5060, transport


def _strip_brackets(value: str) -> str:
    value = value.strip()
    if "<" in value:
        return value[value.index("<") + 1 : value.index(">")]
    return value


def strip_tag(header: str) -> str:
    """A From/To header value without its tag parameter."""
    parts = [p for p in header.split(";") if not p.strip().lower().startswith("tag=")]
    return ";".join(parts)


def contact_uri(header: str | None) -> str | None:
    if not header:
        return None
    return _strip_brackets(header)
