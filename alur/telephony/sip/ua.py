"""The user agent core: hands each new inbound call to the application, places outbound legs, and
dispatches every request to its handler (in-dialog ones to `InDialogRequests`). Sans-I/O: it sits on
`SipStack` and reports to the application through plain callbacks.

The legs themselves are `ServerCall` (inbound) and `ClientCall` (outbound), with the states of `legs`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from alur.core.clock import Clock
from alur.telephony.sip.client_call import ClientCall
from alur.telephony.sip.dialog import Dialog
from alur.telephony.sip.in_dialog import DialogOwner, InDialogRequests, Leg
from alur.telephony.sip.legs import ALLOW, DialogLeg, ServerLegState
from alur.telephony.sip.message import SipRequest, SipResponse, cseq_of, new_call_id, new_tag, tag_of
from alur.telephony.sip.names import HostNames
from alur.telephony.sip.registrar import Registrar
from alur.telephony.sip.server_call import ServerCall
from alur.telephony.sip.stack import Peer, SipStack
from alur.telephony.sip.transaction import InviteServerTransaction, ServerTransaction

__all__ = ["ClientCall", "PeerResolver", "ServerCall", "UserAgent"]

Handler = Callable[[SipRequest, ServerTransaction, Peer], None]


class PeerResolver(Protocol):
    def __call__(self, addr: tuple[str, int], transport: str) -> Peer: ...


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
        self.names = HostNames()
        self.on_invite: Callable[[ServerCall], None] | None = None
        self.calls: dict[str, Leg] = {}  # by Call-ID, while not yet in a dialog
        self.dialogs: dict[tuple[str, str], Leg] = {}
        owner: DialogOwner = self
        in_dialog = InDialogRequests(owner)
        self._handlers: dict[str, Handler] = {
            "INVITE": self._on_invite,
            "CANCEL": self._on_cancel,
            "OPTIONS": self._on_options,
            "MESSAGE": self._on_message,
            "REGISTER": self._on_register,
            "BYE": in_dialog.bye,
            "INFO": in_dialog.info,
            "NOTIFY": in_dialog.notify,
            "REFER": in_dialog.refer,
        }
        self._reinvite = in_dialog.reinvite
        stack.core = self

    def contact_header(self, transport: str) -> str:
        suffix = ";transport=tcp" if transport == "TCP" else ""
        return f"<sip:alur@{self.stack.local_host}:{self.stack.local_port}{suffix}>"

    def enter_dialog(self, leg: DialogLeg) -> None:
        assert leg.dialog is not None and isinstance(leg, (ServerCall, ClientCall))
        self.dialogs[leg.dialog.key] = leg

    def forget(self, leg: DialogLeg) -> None:
        self.calls.pop(leg.call_id, None)
        if leg.dialog is not None:
            self.dialogs.pop(leg.dialog.key, None)

    def peer_for_dialog(self, dialog: Dialog, fallback: Peer) -> Peer:
        if fallback.reliable:
            return fallback
        host, port, transport = dialog.next_hop()
        address = self.names.address(host)
        if address is None:  # a name not looked up yet: answer where the peer's requests come from
            return fallback
        return self.resolve((address, port), transport)

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
        call.start()
        return call

    # --- Core protocol ---------------------------------------------------------------------------

    def on_stray_response(self, response: SipResponse, peer: Peer) -> None:
        _, method = cseq_of(response)
        if method == "INVITE" and 200 <= response.status_code < 300:
            leg = self.dialogs.get((response.call_id or "", tag_of(response.get_header("from")) or ""))
            if isinstance(leg, ClientCall):
                leg.resend_ack()

    def leg_for(self, request: SipRequest) -> Leg | None:
        """The leg of the dialog an incoming request belongs to (our tag is in its To header)."""
        return self.dialogs.get((request.call_id or "", tag_of(request.get_header("to")) or ""))

    def on_request(self, request: SipRequest, txn: ServerTransaction | None, peer: Peer) -> None:
        method = request.method.upper()
        if method == "ACK":
            leg = self.leg_for(request)
            if leg is not None:
                leg.ack_arrived(request)
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
        handler = self._handlers.get(method)
        if handler is None:
            txn.reply(
                501 if method not in ("SUBSCRIBE", "PUBLISH", "UPDATE", "PRACK") else 405,
                headers={"Allow": ALLOW},
            )
            return
        handler(request, txn, peer)

    # --- requests outside a dialog (in-dialog ones: InDialogRequests) ------------------------------

    def _on_invite(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        assert isinstance(txn, InviteServerTransaction)
        if tag_of(request.get_header("to")):
            self._reinvite(request, txn, peer)
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
            if isinstance(leg, ServerCall) and leg.state is ServerLegState.EARLY:
                leg.cancelled(invite_txn)
            else:
                invite_txn.reply(487)

    def _on_options(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        txn.reply(200, headers={"Allow": ALLOW, "Accept": "application/sdp", "Supported": ""})

    def _on_message(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        txn.reply(200)

    def _on_register(self, request: SipRequest, txn: ServerTransaction, peer: Peer) -> None:
        if self.registrar is None:
            txn.reply(405, headers={"Allow": ALLOW})
            return
        self.registrar.handle(request, txn, peer.addr, peer.transport)
