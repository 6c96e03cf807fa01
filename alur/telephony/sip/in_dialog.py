"""Requests inside an established dialog: re-INVITE (hold, resume, new address), BYE, INFO DTMF, NOTIFY
and REFER (a blind transfer asked by the phone). A request for no known dialog gets 481.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from alur.telephony.sip.client_call import ClientCall
from alur.telephony.sip.dialog import Dialog, contact_uri
from alur.telephony.sip.message import SipRequest, SipResponse, cseq_of
from alur.telephony.sip.server_call import ServerCall
from alur.telephony.sip.stack import Peer
from alur.telephony.sip.transaction import ServerTransaction

Leg = ServerCall | ClientCall
DTMF_CHARS = set("0123456789*#ABCD")


def dtmf_from_info(content_type: str, body: str) -> str | None:
    """The digit in a SIP INFO body: application/dtmf-relay ('Signal=5') or application/dtmf ('5')."""
    ctype = content_type.split(";")[0].strip().lower()
    text = body.strip()
    if ctype == "application/dtmf-relay":
        for line in text.splitlines():
            name, _, value = line.partition("=")
            if name.strip().lower() == "signal":
                text = value.strip()
                break
        else:
            return None
    elif ctype != "application/dtmf":
        return None
    digit = text[:1].upper()
    if text == "10":
        return "*"
    if text == "11":
        return "#"
    return digit if digit in DTMF_CHARS else None


class DialogOwner(Protocol):
    """What the in-dialog handlers need from the user agent."""

    def leg_for(self, request: SipRequest) -> Leg | None: ...

    def contact_header(self, transport: str) -> str: ...

    def send_in_dialog(
        self,
        dialog: Dialog,
        method: str,
        fallback: Peer,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        on_response: Callable[[SipResponse], None] | None = None,
    ) -> None: ...


class InDialogRequests:
    """Answers requests that carry a To tag, on behalf of the leg the dialog belongs to."""

    def __init__(self, owner: DialogOwner) -> None:
        self.owner = owner

    def reinvite(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        """Hold, resume, a new address or a session refresh: answer with our SDP (the leg may change it)."""
        leg = self.owner.leg_for(request)
        if leg is None:
            txn.reply(481)
            return
        body = leg.local_sdp
        if request.body.strip():
            answer = leg.on_reoffer(request.text)
            if answer is None:
                txn.reply(488)
                return
            body = answer.encode()
        txn.reply(200, body=body, headers={"Contact": self.owner.contact_header(peer.transport)})
        if leg.dialog is not None:
            leg.dialog.remote_seq = cseq_of(request)[0]

    def bye(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        leg = self.owner.leg_for(request)
        if leg is None:
            txn.reply(481)
            return
        txn.reply(200)
        leg.remote_bye()

    def info(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        leg = self.owner.leg_for(request)
        if leg is None:
            txn.reply(481)
            return
        digit = dtmf_from_info(request.get_header("content-type") or "", request.text)
        if digit is None and request.body:
            txn.reply(415, headers={"Accept": "application/dtmf-relay, application/dtmf"})
            return
        txn.reply(200)
        if digit is not None:
            leg.on_dtmf(digit)

    def notify(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        txn.reply(200 if self.owner.leg_for(request) is not None else 481)

    def refer(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        leg = self.owner.leg_for(request)
        if leg is None or leg.dialog is None:
            txn.reply(481)
            return
        target = contact_uri(request.get_header("refer-to"))
        if not target:
            txn.reply(400, "Bad Request (Refer-To missing)")
            return
        accepted = leg.on_refer(target)
        if not accepted:
            txn.reply(603)
            return
        txn.reply(202)
        self.owner.send_in_dialog(
            leg.dialog,
            "NOTIFY",
            peer,
            body=b"SIP/2.0 200 OK\r\n",
            content_type="message/sipfrag;version=2.0",
            headers={"Event": "refer", "Subscription-State": "terminated;reason=noresource"},
        )
