"""An inbound call leg (we are the UAS): ring, answer with SDP, reject, hang up; the ACK confirms it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from alur.telephony.sip.dialog import Dialog, contact_uri, strip_tag
from alur.telephony.sip.legs import ALLOW, SERVER_TRANSITIONS, LegOwner, ServerLegState, checked_move
from alur.telephony.sip.message import SipRequest, cseq_of, new_tag, parse_uri, tag_of
from alur.telephony.sip.stack import Peer
from alur.telephony.sip.transaction import InviteServerTransaction

if TYPE_CHECKING:
    from alur.media.rtp import RtpStream

log = logging.getLogger("alur.sip.ua")
S = ServerLegState


class ServerCall:
    """An inbound call leg. The application sets the `on_*` callbacks, then rings/answers/rejects."""

    def __init__(self, ua: LegOwner, invite: SipRequest, txn: InviteServerTransaction, peer: Peer) -> None:
        self.ua = ua
        self.invite = invite
        self.txn = txn
        self.peer = peer
        self.call_id = invite.call_id or ""
        self.local_tag = new_tag()
        self.state = S.EARLY
        self.dialog: Dialog | None = None
        self.on_ack: Callable[[str], None] = lambda sdp: None  # the ACK's body (delayed offer's answer)
        self.on_ended: Callable[[str], None] = lambda why: None  # "bye" | "cancel" | "no_ack" | "local"
        self.on_dtmf: Callable[[str], None] = lambda digit: None
        self.on_refer: Callable[[str], bool] = lambda target: False
        self.sdp_answer: bytes = b""
        self.on_reoffer: Callable[[str], str | None] = lambda offer: None  # -> our SDP answer
        txn.on_ack_timeout = self._no_ack

    def _move(self, new: ServerLegState) -> None:
        self.state = checked_move(self.call_id, self.state, new, SERVER_TRANSITIONS)

    @property
    def local_sdp(self) -> bytes:
        return self.sdp_answer

    @property
    def caller(self) -> str:
        frm = self.invite.from_addr
        return (frm.uri.user or frm.uri.host) if frm else ""

    @property
    def dialed(self) -> str:
        try:
            return parse_uri(self.invite.uri).user or ""
        except (ValueError, IndexError):
            return ""

    async def open_media(self, stream: RtpStream) -> int | None:
        """Open `stream`'s RTP port for this call: its port, or None after refusing the call with 503
        (no port free)."""
        try:
            return await stream.open()
        except OSError as exc:
            log.error("call %s from %s: no RTP port: %s", self.call_id, self.caller, exc)
            self.reject(503)
            return None

    def ringing(self) -> None:
        if self.state is S.EARLY:
            self.txn.reply(180, to_tag=self.local_tag)

    def answer(self, sdp: str) -> None:
        if self.state is not S.EARLY:
            return
        self.sdp_answer = sdp.encode()
        self.dialog = Dialog(
            call_id=self.call_id,
            local_tag=self.local_tag,
            remote_tag=tag_of(self.invite.get_header("from")) or "",
            local_uri=strip_tag(self.invite.get_header("to") or ""),
            remote_uri=strip_tag(self.invite.get_header("from") or ""),
            remote_target=contact_uri(self.invite.get_header("contact")) or self.invite.uri,
            route_set=list(self.invite.headers.get("record-route")),
            local_seq=0,
            remote_seq=cseq_of(self.invite)[0],
            local_contact=self.ua.contact_header(self.peer.transport),
        )
        self.ua.enter_dialog(self)
        self._move(S.ANSWERED)
        self.txn.reply(
            200,
            to_tag=self.local_tag,
            body=self.sdp_answer,
            headers={"Contact": self.dialog.local_contact, "Allow": ALLOW},
        )

    def reject(self, status: int, reason: str | None = None, headers: dict[str, str] | None = None) -> None:
        if self.state is not S.EARLY:
            return
        self._move(S.ENDED)
        self.txn.on_ack_timeout = None  # the transaction waits for the ACK without keeping the call
        self.txn.reply(status, reason, to_tag=self.local_tag, headers=headers)
        self.ua.forget(self)

    def cancelled(self, invite_txn: InviteServerTransaction) -> None:
        """The caller sent CANCEL while we were still ringing: 487 for the INVITE, and the leg ends."""
        self._move(S.ENDED)
        invite_txn.reply(487, to_tag=self.local_tag)
        self.ua.forget(self)
        self.on_ended("cancel")

    def hangup(self) -> None:
        """Send BYE (or reject while still ringing); the leg ends at once for the application."""
        if self.state is S.EARLY:
            self.reject(480)
            return
        if self.state is S.ENDED or self.dialog is None:
            return
        self._move(S.ENDED)
        try:
            self.ua.send_in_dialog(self.dialog, "BYE", self.peer)
        finally:  # whatever sending did, the leg is over: no retransmission or dialog outlives it
            self.ua.forget(self)

    def ack_arrived(self, request: SipRequest) -> None:
        if self.state is S.ANSWERED:
            self._move(S.CONFIRMED)
            self.txn.ack_received()
            self.on_ack(request.text)

    def _no_ack(self) -> None:
        if self.state is S.ANSWERED:
            log.info("call %s: no ACK for our 200 OK, ending it", self.call_id)
            self.hangup()
            self.on_ended("no_ack")

    def remote_bye(self) -> None:
        """The peer hung up. A BYE before the ACK also settles our 200 OK's retransmissions."""
        if self.state is S.ANSWERED:
            self.txn.ack_received()
        self.remote_end("bye")

    def remote_end(self, why: str) -> None:
        if self.state is S.ENDED:
            return
        self._move(S.ENDED)
        self.ua.forget(self)
        self.on_ended(why)
