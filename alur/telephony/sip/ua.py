"""The user agent core: inbound calls (UAS), outbound legs to agents (UAC), dialogs, and the
requests a contact center meets (OPTIONS, INFO DTMF, REFER, REGISTER, CANCEL). Sans-I/O: it sits on
`SipStack` and reports to the application through plain callbacks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from alur.core.clock import Clock
from alur.telephony.sip.dialog import Dialog, contact_uri, strip_tag
from alur.telephony.sip.message import (
    SipRequest,
    SipResponse,
    cseq_of,
    new_call_id,
    new_tag,
    parse_uri,
    tag_of,
)
from alur.telephony.sip.registrar import Registrar
from alur.telephony.sip.stack import Peer, SipStack
from alur.telephony.sip.transaction import InviteClientTransaction, InviteServerTransaction, ServerTransaction

log = logging.getLogger("alur.sip.ua")

ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY, REGISTER, MESSAGE"
DTMF_CHARS = set("0123456789*#ABCD")


class PeerResolver(Protocol):
    def __call__(self, addr: tuple[str, int], transport: str) -> Peer: ...


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


class ServerCall:
    """An inbound call leg. The application sets the `on_*` callbacks, then rings/answers/rejects."""

    def __init__(self, ua: UserAgent, invite: SipRequest, txn: InviteServerTransaction, peer: Peer) -> None:
        self.ua = ua
        self.invite = invite
        self.txn = txn
        self.peer = peer
        self.call_id = invite.call_id or ""
        self.local_tag = new_tag()
        self.state = "early"  # early -> confirmed -> ended
        self.dialog: Dialog | None = None
        self.on_ack: Callable[[str], None] = lambda sdp: None  # the ACK's body (delayed offer's answer)
        self.on_ended: Callable[[str], None] = lambda why: None  # "bye" | "cancel" | "no_ack" | "local"
        self.on_dtmf: Callable[[str], None] = lambda digit: None
        self.on_refer: Callable[[str], bool] = lambda target: False
        self.sdp_answer: bytes = b""
        self.on_reoffer: Callable[[str], str | None] = lambda offer: None  # -> our SDP answer
        txn.on_ack_timeout = self._no_ack

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

    def ringing(self) -> None:
        if self.state == "early":
            self.txn.reply(180, to_tag=self.local_tag)

    def answer(self, sdp: str) -> None:
        if self.state != "early":
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
        self.ua.dialogs[self.dialog.key] = self
        self.state = "answered"
        self.txn.reply(
            200,
            to_tag=self.local_tag,
            body=self.sdp_answer,
            headers={"Contact": self.dialog.local_contact, "Allow": ALLOW},
        )

    def reject(self, status: int, reason: str | None = None, headers: dict[str, str] | None = None) -> None:
        if self.state != "early":
            return
        self.state = "ended"
        self.txn.reply(status, reason, to_tag=self.local_tag, headers=headers)
        self.ua.calls.pop(self.call_id, None)

    def hangup(self) -> None:
        """Send BYE (or reject while still ringing); the leg ends at once for the application."""
        if self.state == "early":
            self.reject(480)
            return
        if self.state == "ended" or self.dialog is None:
            return
        self.state = "ended"
        self.ua.send_in_dialog(self.dialog, "BYE", self.peer)
        self.ua.forget(self)

    def _ack(self, request: SipRequest) -> None:
        if self.state == "answered":
            self.state = "confirmed"
            self.txn.ack_received()
            self.on_ack(request.text)

    def _no_ack(self) -> None:
        if self.state == "answered":
            log.info("call %s: no ACK for our 200 OK, ending it", self.call_id)
            self.hangup()
            self.on_ended("no_ack")

    def _remote_end(self, why: str) -> None:
        if self.state == "ended":
            return
        self.state = "ended"
        self.ua.forget(self)
        self.on_ended(why)


class ClientCall:
    """An outbound leg (e.g. to an agent's phone). Results arrive via `on_ringing/on_answered/on_failed`."""

    def __init__(self, ua: UserAgent, invite: SipRequest, peer: Peer) -> None:
        self.ua = ua
        self.invite = invite
        self.peer = peer
        self.call_id = invite.call_id or ""
        self.local_tag = tag_of(invite.get_header("from")) or ""
        self.state = "calling"  # calling -> ringing -> confirmed -> ended | failed
        self.dialog: Dialog | None = None
        self.txn: InviteClientTransaction | None = None
        self._cancel_wanted = False
        self._ack_bytes: bytes | None = None
        self.credentials: tuple[str, str] | None = None  # (user, password) for a trunk's 401/407
        self._auth_tried = False
        self.on_ringing: Callable[[], None] = lambda: None
        self.on_answered: Callable[[str], None] = lambda sdp: None
        self.on_failed: Callable[[int], None] = lambda status: None
        self.on_ended: Callable[[str], None] = lambda why: None
        self.on_dtmf: Callable[[str], None] = lambda digit: None
        self.on_refer: Callable[[str], bool] = lambda target: False
        self.on_reoffer: Callable[[str], str | None] = lambda offer: None

    @property
    def local_sdp(self) -> bytes:
        return self.invite.body

    def _response(self, resp: SipResponse) -> None:
        code = resp.status_code
        if code < 200:
            if code > 100 and self.state == "calling":
                self.state = "ringing"
                self.on_ringing()
            if self._cancel_wanted:
                self._send_cancel()
            return
        if code < 300:
            if self.dialog is not None:  # retransmitted 2xx: the same ACK again
                if self._ack_bytes is not None:
                    self._resend_ack()
                return
            routes = list(reversed(resp.headers.get("record-route")))
            self.dialog = Dialog(
                call_id=self.call_id,
                local_tag=self.local_tag,
                remote_tag=tag_of(resp.get_header("to")) or "",
                local_uri=strip_tag(self.invite.get_header("from") or ""),
                remote_uri=strip_tag(resp.get_header("to") or ""),
                remote_target=contact_uri(resp.get_header("contact")) or self.invite.uri,
                route_set=routes,
                local_seq=cseq_of(self.invite)[0],
                local_contact=self.ua.contact_header(self.peer.transport),
            )
            self.ua.dialogs[self.dialog.key] = self
            ack = self.dialog.ack(cseq_of(self.invite)[0])
            self._ack_peer = self.ua.peer_for_dialog(self.dialog, self.peer)
            self._ack_bytes = self.ua.stack.send_ack(ack, self._ack_peer)
            if self._cancel_wanted or self.state == "ended":
                self.state = "confirmed"
                self.hangup()  # answered after we gave up: RFC 3261 says ACK then BYE
                return
            self.state = "confirmed"
            self.on_answered(resp.text)
            return
        if code in (401, 407) and self.credentials is not None and not self._auth_tried:
            if self._retry_with_auth(resp):
                return
        if self.state in ("calling", "ringing"):
            self.state = "failed"
            self.ua.calls.pop(self.call_id, None)
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
        self.txn = self.ua.stack.send_request(retry, self.peer, self._response, self._timeout)  # type: ignore[assignment]
        return True

    def _resend_ack(self) -> None:
        assert self._ack_bytes is not None
        self._ack_peer.send(self._ack_bytes)

    def _timeout(self) -> None:
        if self.state in ("calling", "ringing"):
            self.state = "failed"
            self.ua.calls.pop(self.call_id, None)
            self.on_failed(408)

    def cancel(self) -> None:
        """Stop ringing. CANCEL goes once a provisional response has arrived (RFC 3261 9.1)."""
        if self.state == "ringing" or (
            self.state == "calling" and self.txn and self.txn.state == "proceeding"
        ):
            self._cancel_wanted = True
            self._send_cancel()
        elif self.state == "calling":
            self._cancel_wanted = True

    def _send_cancel(self) -> None:
        if getattr(self, "_cancel_sent", False):
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
        from alur.telephony.sip.message import top_branch
        from alur.telephony.sip.transaction import NonInviteClientTransaction

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
        if self.state in ("calling", "ringing"):
            self.cancel()
            return
        if self.state != "confirmed" or self.dialog is None:
            return
        self.state = "ended"
        self.ua.send_in_dialog(self.dialog, "BYE", self.peer)
        self.ua.forget(self)

    def _ack(self, request: SipRequest) -> None:
        pass

    def _remote_end(self, why: str) -> None:
        if self.state == "ended":
            return
        self.state = "ended"
        self.ua.forget(self)
        self.on_ended(why)


Leg = ServerCall | ClientCall


class UserAgent:
    """Dispatches requests to calls; `on_invite(call)` hands each new inbound call to the application."""

    def __init__(
        self,
        stack: SipStack,
        clock: Clock,
        resolve: PeerResolver,
        *,
        registrar: Registrar | None = None,
        user_agent: str = "Alur",
    ) -> None:
        self.stack = stack
        self.clock = clock
        self.resolve = resolve
        self.registrar = registrar
        self.user_agent = user_agent
        self.on_invite: Callable[[ServerCall], None] | None = None
        self.calls: dict[str, Leg] = {}  # by Call-ID, while not yet in a dialog
        self.dialogs: dict[tuple[str, str], Leg] = {}
        stack.core = self

    def contact_header(self, transport: str) -> str:
        suffix = ";transport=tcp" if transport == "TCP" else ""
        return f"<sip:alur@{self.stack.local_host}:{self.stack.local_port}{suffix}>"

    def forget(self, leg: Leg) -> None:
        self.calls.pop(leg.call_id, None)
        if leg.dialog is not None:
            self.dialogs.pop(leg.dialog.key, None)

    def peer_for_dialog(self, dialog: Dialog, fallback: Peer) -> Peer:
        if fallback.reliable:
            return fallback
        host, port, transport = dialog.next_hop()
        return self.resolve((host, port), transport)

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
    ) -> None:
        req = dialog.request(method)
        for name, value in (headers or {}).items():
            req.headers.append(name, value)
        if body:
            req.headers.append("Content-Type", content_type or "application/sdp")
            req.body = body
        self.stack.send_request(
            req, self.peer_for_dialog(dialog, fallback), on_response or (lambda r: None), lambda: None
        )

    # --- outbound calls --------------------------------------------------------------------------

    def invite(
        self,
        target_uri: str,
        addr: tuple[str, int],
        transport: str,
        *,
        from_user: str,
        from_display: str = "",
        sdp: str,
        headers: dict[str, str] | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> ClientCall:
        peer = self.resolve(addr, transport)
        req = SipRequest(method="INVITE", uri=target_uri)
        host = self.stack.local_host
        display = f'"{from_display}" ' if from_display else ""
        req.headers.append("From", f"{display}<sip:{from_user}@{host}>;tag={new_tag()}")
        req.headers.append("To", f"<{target_uri}>")
        req.headers.append("Call-ID", new_call_id(host))
        req.headers.append("CSeq", "1 INVITE")
        req.headers.append("Contact", self.contact_header(peer.transport))
        req.headers.append("Allow", ALLOW)
        req.headers.append("User-Agent", self.user_agent)
        for name, value in (headers or {}).items():
            req.headers.append(name, value)
        req.headers.append("Content-Type", "application/sdp")
        req.body = sdp.encode()
        call = ClientCall(self, req, peer)
        call.credentials = credentials
        self.calls[call.call_id] = call
        call.txn = self.stack.send_request(req, peer, call._response, call._timeout)  # type: ignore[assignment]
        return call

    # --- Core protocol ---------------------------------------------------------------------------

    def on_stray_response(self, response: SipResponse, peer: Peer) -> None:
        _, method = cseq_of(response)
        if method == "INVITE" and 200 <= response.status_code < 300:
            leg = self.dialogs.get((response.call_id or "", tag_of(response.get_header("from")) or ""))
            if isinstance(leg, ClientCall) and leg._ack_bytes is not None:
                leg._resend_ack()

    def _leg_for(self, request: SipRequest) -> Leg | None:
        return self.dialogs.get((request.call_id or "", tag_of(request.get_header("to")) or ""))

    def on_request(self, request: SipRequest, txn: ServerTransaction | None, peer: Peer) -> None:
        method = request.method.upper()
        if method == "ACK":
            leg = self._leg_for(request)
            if leg is not None:
                leg._ack(request)
            return
        assert txn is not None
        try:
            mf = int(request.get_header("max-forwards") or "70")
        except ValueError:
            txn.reply(400, "Bad Request (Max-Forwards)")
            return
        if mf <= 0 and method not in ("OPTIONS",):
            txn.reply(483)
            return
        require = request.get_header("require")
        if require and method not in ("CANCEL",):
            txn.reply(420, headers={"Unsupported": require})
            return
        handler = getattr(self, f"_on_{method.lower()}", None)
        if handler is None:
            txn.reply(
                501 if method not in ("SUBSCRIBE", "PUBLISH", "UPDATE", "PRACK") else 405,
                headers={"Allow": ALLOW},
            )
            return
        handler(request, txn, peer)

    def _on_invite(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        assert isinstance(txn, InviteServerTransaction)
        if tag_of(request.get_header("to")):
            leg = self._leg_for(request)
            if leg is None:
                txn.reply(481)
                return
            # re-INVITE (hold, resume, new address, session refresh)
            body = leg.local_sdp
            if request.body.strip():
                answer = leg.on_reoffer(request.text)
                if answer is None:
                    txn.reply(488)
                    return
                body = answer.encode()
            txn.reply(200, body=body, headers={"Contact": self.contact_header(peer.transport)})
            if leg.dialog is not None:
                leg.dialog.remote_seq = cseq_of(request)[0]
            return
        if (request.call_id or "") in self.calls:
            txn.reply(482)  # same Call-ID, new branch while the first is alive: a loop or a fork
            return
        txn.reply(100)
        call = ServerCall(self, request, txn, peer)
        if self.on_invite is None:
            call.reject(480)
            return
        self.calls[call.call_id] = call
        self.on_invite(call)

    def _on_cancel(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        invite_txn = self.stack.invite_txn_for_cancel(request)
        if invite_txn is None:
            txn.reply(481)
            return
        txn.reply(200)
        leg = self.calls.get(request.call_id or "")
        if invite_txn.state == "proceeding":
            if isinstance(leg, ServerCall) and leg.state == "early":
                leg.state = "ended"
                invite_txn.reply(487, to_tag=leg.local_tag)
                self.calls.pop(leg.call_id, None)
                leg.on_ended("cancel")
            else:
                invite_txn.reply(487)

    def _on_bye(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        leg = self._leg_for(request)
        if leg is None:
            txn.reply(481)
            return
        txn.reply(200)
        if isinstance(leg, ServerCall) and leg.state == "answered":
            leg.txn.ack_received()
        leg._remote_end("bye")

    def _on_options(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        txn.reply(200, headers={"Allow": ALLOW, "Accept": "application/sdp", "Supported": ""})

    def _on_info(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        leg = self._leg_for(request)
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

    def _on_message(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        txn.reply(200)

    def _on_notify(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        txn.reply(200 if self._leg_for(request) is not None else 481)

    def _on_register(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        if self.registrar is None:
            txn.reply(405, headers={"Allow": ALLOW})
            return
        self.registrar.handle(request, txn, peer.addr, peer.transport)

    def _on_refer(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        leg = self._leg_for(request)
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
        self.send_in_dialog(
            leg.dialog,
            "NOTIFY",
            peer,
            body=b"SIP/2.0 200 OK\r\n",
            content_type="message/sipfrag;version=2.0",
            headers={"Event": "refer", "Subscription-State": "terminated;reason=noresource"},
        )
