"""SIP messages: parsing from bytes and building requests/responses, with no I/O.

Parsing and header codecs come from aiosipua (pinned); what is added here is what RFC 3261 asks of a
server that aiosipua leaves to its own UA: responses copied correctly from their request, ids and
transaction keys.
"""

from __future__ import annotations

import secrets

from aiosipua.headers import (
    Address,
    SipUri,
    parse_address,
    parse_cseq,
    parse_uri,
    parse_via,
    stringify_address,
    stringify_uri,
)
from aiosipua.message import SipMessage, SipRequest, SipResponse, missing_required_headers

from alur.core.errors import AlurError

__all__ = [
    "Address",
    "SipMessage",
    "SipRequest",
    "SipResponse",
    "SipUri",
    "SipParseError",
    "parse_message",
    "parse_address",
    "parse_uri",
    "stringify_address",
    "stringify_uri",
    "make_response",
    "new_branch",
    "new_tag",
    "new_call_id",
    "REASONS",
]

MAGIC = "z9hG4bK"

REASONS = {
    100: "Trying",
    180: "Ringing",
    183: "Session Progress",
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    491: "Request Pending",
    500: "Server Internal Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    603: "Decline",
}


class SipParseError(AlurError):
    """Bytes that are not a usable SIP message; `request` is set when enough parsed to answer 400."""

    code = "sip_parse_error"

    def __init__(self, message: str, request: SipRequest | None = None) -> None:
        super().__init__(message)
        self.request = request


def new_branch() -> str:
    return MAGIC + secrets.token_hex(8)


def new_tag() -> str:
    return secrets.token_hex(6)


def new_call_id(host: str) -> str:
    return f"{secrets.token_hex(10)}@{host}"


def parse_message(data: bytes) -> SipRequest | SipResponse:
    """Parse one message; raise SipParseError naming what is wrong (and keep the request to answer)."""
    if len(data) > 65535:
        raise SipParseError(f"message too large ({len(data)} bytes)")
    try:
        msg = SipMessage.parse(data)
    except (ValueError, IndexError, UnicodeError) as exc:
        raise SipParseError(f"unparseable SIP message: {exc}") from None
    if isinstance(msg, SipResponse):
        if not (100 <= msg.status_code <= 699):
            raise SipParseError(f"bad status code {msg.status_code}")
        try:
            vias = msg.via
            cseq = msg.cseq
        except (ValueError, IndexError) as exc:
            raise SipParseError(f"bad response headers: {exc}") from None
        if not vias or cseq is None or not msg.call_id:
            raise SipParseError("response lacks Via, CSeq or Call-ID")
        return msg
    missing = missing_required_headers(msg)
    if missing:
        raise SipParseError(
            f"request lacks header(s) {', '.join(missing)}", msg if "via" not in missing else None
        )
    try:
        vias = msg.via
        cseq = parse_cseq(msg.get_header("cseq") or "")
        from_addr, to_addr = msg.from_addr, msg.to_addr
    except (ValueError, IndexError) as exc:
        raise SipParseError(f"bad request headers: {exc}", msg) from None
    if not vias or from_addr is None or to_addr is None:
        raise SipParseError("request has empty Via, From or To", msg)
    if cseq.method.upper() != msg.method.upper() and msg.method != "ACK":
        raise SipParseError(f"CSeq method {cseq.method!r} does not match {msg.method!r}", msg)
    if not msg.uri.lower().startswith(("sip:", "sips:", "tel:")):
        raise SipParseError(f"unsupported Request-URI {msg.uri!r}", msg)
    return msg


def make_response(
    request: SipRequest,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    body: bytes = b"",
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> SipResponse:
    """A response copying Via/From/To/Call-ID/CSeq (and Record-Route for 2xx of dialog requests)."""
    resp = SipResponse(status_code=status, reason_phrase=reason or REASONS.get(status, "Unknown"))
    for v in request.headers.get("via"):
        resp.headers.append("Via", v)
    resp.headers.append("From", request.get_header("from") or "")
    to = request.get_header("to") or ""
    if to_tag and status > 100 and ";tag=" not in to.lower():
        to = f"{to};tag={to_tag}"
    resp.headers.append("To", to)
    resp.headers.append("Call-ID", request.call_id or "")
    resp.headers.append("CSeq", request.get_header("cseq") or "")
    if 200 <= status < 300 or 100 < status < 200:
        for rr in request.headers.get("record-route"):
            resp.headers.append("Record-Route", rr)
    for name, value in (headers or {}).items():
        resp.headers.append(name, value)
    if body:
        resp.headers.append("Content-Type", content_type or "application/sdp")
    resp.body = body
    return resp


def top_branch(msg: SipMessage) -> str:
    raw = msg.headers.get_first("via") or ""
    return parse_via(raw).branch or ""


def cseq_of(msg: SipMessage) -> tuple[int, str]:
    c = parse_cseq(msg.get_header("cseq") or "0 X")
    return c.seq, c.method.upper()


def tag_of(header: str | None) -> str | None:
    if not header:
        return None
    return parse_address(header).tag
