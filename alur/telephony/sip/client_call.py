"""An outbound call leg (we are the UAC), e.g. to an agent's phone: ringing, answer, failure, CANCEL, BYE.

The user agent sends the INVITE (`UserAgent.invite`); this leg follows its responses, ACKs a 2xx
(again for each retransmitted 2xx), answers a trunk's digest challenge once, and cancels or hangs up.
"""

from __future__ import annotations

from collections.abc import Callable

from alur.telephony.sip.dialog import Dialog, contact_uri, strip_tag
from alur.telephony.sip.legs import CLIENT_TRANSITIONS, ClientLegState, LegOwner, checked_move
from alur.telephony.sip.message import SipRequest, SipResponse, cseq_of, tag_of, top_branch
from alur.telephony.sip.stack import Peer
from alur.telephony.sip.transaction import InviteClientTransaction, NonInviteClientTransaction

S = ClientLegState
TRYING = frozenset({S.CALLING, S.RINGING})  # no final response yet


class ClientCall:
    """An outbound leg (e.g. to an agent's phone). Results arrive via `on_ringing/on_answered/on_failed`."""

    def __init__(self, ua: LegOwner, invite: SipRequest, peer: Peer) -> None:
        self.ua = ua
        self.invite = invite
        self.peer = peer
        self.call_id = invite.call_id or ""
        self.local_tag = tag_of(invite.get_header("from")) or ""
        self.state = S.CALLING
        self.dialog: Dialog | None = None
        self.txn: InviteClientTransaction | None = None
        self._cancel_wanted = False
        self._cancel_sent = False
        self._ack_bytes: bytes | None = None
        self._ack_peer: Peer | None = None
        self.credentials: tuple[str, str] | None = None  # (user, password) for a trunk's 401/407
        self._auth_tried = False
        self.on_ringing: Callable[[], None] = lambda: None
        self.on_answered: Callable[[str], None] = lambda sdp: None
        self.on_failed: Callable[[int], None] = lambda status: None
        self.on_ended: Callable[[str], None] = lambda why: None
        self.on_dtmf: Callable[[str], None] = lambda digit: None
        self.on_refer: Callable[[str], bool] = lambda target: False
        self.on_reoffer: Callable[[str], str | None] = lambda offer: None

    def _move(self, new: ClientLegState) -> None:
        self.state = checked_move(self.call_id, self.state, new, CLIENT_TRANSITIONS)

    @property
    def local_sdp(self) -> bytes:
        return self.invite.body

    def start(self) -> None:
        """Send the INVITE; responses come back to this leg."""
        self.txn = self.ua.stack.send_request(self.invite, self.peer, self.response, self.timeout)  # type: ignore[assignment]

    def response(self, resp: SipResponse) -> None:
        code = resp.status_code
        if code < 200:
            if code > 100 and self.state is S.CALLING:
                self._move(S.RINGING)
                self.on_ringing()
            if self._cancel_wanted:
                self._send_cancel()
            return
        if code < 300:
            self._success(resp)
            return
        if code in (401, 407) and self.credentials is not None and not self._auth_tried:
            if self._retry_with_auth(resp):
                return
        self._fail(code)

    def _success(self, resp: SipResponse) -> None:
        if self.dialog is not None:  # retransmitted 2xx: the same ACK again
            self.resend_ack()
            return
        self.dialog = Dialog(
            call_id=self.call_id,
            local_tag=self.local_tag,
            remote_tag=tag_of(resp.get_header("to")) or "",
            local_uri=strip_tag(self.invite.get_header("from") or ""),
            remote_uri=strip_tag(resp.get_header("to") or ""),
            remote_target=contact_uri(resp.get_header("contact")) or self.invite.uri,
            route_set=list(reversed(resp.headers.get("record-route"))),
            local_seq=cseq_of(self.invite)[0],
            local_contact=self.ua.contact_header(self.peer.transport),
        )
        self.ua.enter_dialog(self)
        ack = self.dialog.ack(cseq_of(self.invite)[0])
        self._ack_peer = self.ua.peer_for_dialog(self.dialog, self.peer)
        self._ack_bytes = self.ua.stack.send_ack(ack, self._ack_peer)
        self._move(S.CONFIRMED)
        if self._cancel_wanted:
            self.hangup()  # answered after we gave up: RFC 3261 says ACK then BYE
            return
        self.on_answered(resp.text)

    def _fail(self, code: int) -> None:
        if self.state in TRYING:
            self._move(S.FAILED)
            self.ua.forget(self)
            self.on_failed(code)

    def _retry_with_auth(self, resp: SipResponse) -> bool:
        """Answer a trunk's digest challenge once: the same INVITE, next CSeq, with credentials."""
        from aiosipua.auth import SipDigestAuth, answer_challenge

        self._auth_tried = True
        assert self.credentials is not None
        user, password = self.credentials
        header = answer_challenge(
            SipDigestAuth(user, password), resp, resp.status_code, "INVITE", self.invite.uri
        )
        if header is None or self._cancel_wanted:
            return False
        seq = cseq_of(self.invite)[0] + 1
        retry = SipRequest(method="INVITE", uri=self.invite.uri)
        for name, values in self.invite.headers.items():
            if name.lower() not in ("via", "cseq", "content-length", "authorization", "proxy-authorization"):
                for value in values:
                    retry.headers.append(name, value)
        retry.headers.set_single("CSeq", f"{seq} INVITE")
        retry.headers.append(header[0], header[1])
        retry.body = self.invite.body
        self.invite = retry
        self.start()
        return True

    def resend_ack(self) -> None:
        """The ACK for a retransmitted 2xx (the 2xx's transaction is gone: the ACK is the UA's job)."""
        if self._ack_bytes is not None and self._ack_peer is not None:
            self._ack_peer.send(self._ack_bytes)

    def timeout(self) -> None:
        self._fail(408)

    def cancel(self) -> None:
        """Stop ringing. CANCEL goes once a provisional response has arrived (RFC 3261 9.1)."""
        if self.state is S.RINGING or (
            self.state is S.CALLING and self.txn and self.txn.state == "proceeding"
        ):
            self._cancel_wanted = True
            self._send_cancel()
        elif self.state is S.CALLING:
            self._cancel_wanted = True

    def _send_cancel(self) -> None:
        if self._cancel_sent:
            return
        self._cancel_sent = True
        cancel = SipRequest(method="CANCEL", uri=self.invite.uri)
        cancel.headers.append("Via", self.invite.headers.get("via")[0])
        for route in self.invite.headers.get("route"):
            cancel.headers.append("Route", route)
        cancel.headers.append("From", self.invite.get_header("from") or "")
        cancel.headers.append("To", self.invite.get_header("to") or "")
        cancel.headers.append("Call-ID", self.call_id)
        cancel.headers.append("CSeq", f"{cseq_of(self.invite)[0]} CANCEL")
        cancel.headers.append("Max-Forwards", "70")
        # CANCEL must share the INVITE's branch: bypass send_request's fresh Via.
        stack = self.ua.stack
        txn = NonInviteClientTransaction(
            cancel, stack.clock, self.peer.send, self.peer.reliable, lambda r: None, lambda: None
        )
        key = (top_branch(cancel), "CANCEL")

        def forget(t: object) -> None:
            stack.client_txns.pop(key, None)

        txn.on_terminated = forget
        stack.client_txns[key] = txn
        txn.start()

    def hangup(self) -> None:
        if self.state in TRYING:
            self.cancel()
            return
        if self.state is not S.CONFIRMED or self.dialog is None:
            return
        self._move(S.ENDED)
        self.ua.send_in_dialog(self.dialog, "BYE", self.peer)
        self.ua.forget(self)

    def ack_arrived(self, request: SipRequest) -> None:
        """An ACK is ours to send on this leg, never to receive: nothing to do."""

    def remote_bye(self) -> None:
        self.remote_end("bye")

    def remote_end(self, why: str) -> None:
        if self.state is S.ENDED:
            return
        self._move(S.ENDED)
        self.ua.forget(self)
        self.on_ended(why)
