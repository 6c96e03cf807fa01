"""The transaction layer: matches each message to its transaction, creates server transactions, and
protects the core from malformed input and overload. Sans-I/O: bytes come in with a `Peer` (how to
answer), bytes go out through it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from aiosipua.headers import parse_via

from alur.core.clock import Clock
from alur.telephony.sip.message import (
    SipParseError,
    SipRequest,
    SipResponse,
    cseq_of,
    make_response,
    new_branch,
    parse_message,
    top_branch,
)
from alur.telephony.sip.transaction import (
    ClientTransaction,
    InviteClientTransaction,
    InviteServerTransaction,
    NonInviteClientTransaction,
    NonInviteServerTransaction,
    ServerTransaction,
    Transaction,
)

log = logging.getLogger("alur.sip")


class Peer(Protocol):
    """Where a message came from and how to send back: a UDP address or a TCP connection."""

    transport: str  # "UDP" | "TCP"
    addr: tuple[str, int]
    reliable: bool

    def send(self, data: bytes) -> None: ...


class Core(Protocol):
    """The layer above transactions (the user agent): sees each new request and final response once."""

    def on_request(self, request: SipRequest, txn: ServerTransaction | None, peer: Peer) -> None: ...

    def on_stray_response(self, response: SipResponse, peer: Peer) -> None: ...


@dataclass(slots=True)
class StackStats:
    received: int = 0
    malformed: int = 0
    retransmissions_absorbed: int = 0
    rejected_overload: int = 0
    rejected_pending: int = 0  # of those, refused for too many INVITEs not yet answered
    server_transactions: int = 0  # started since the stack began
    client_transactions: int = 0


class SipStack:
    """Owns all transactions of one SIP endpoint.

    `max_pending_invites` bounds INVITEs not yet answered finally: past it, new INVITEs get
    503 + Retry-After at once, so that under overload retransmissions do not snowball.
    """

    def __init__(
        self,
        clock: Clock,
        local_host: str,
        local_port: int,
        *,
        max_pending_invites: int = 200,
        overloaded: Callable[[], bool] | None = None,
        retry_after: int = 5,
    ) -> None:
        self.clock = clock
        self.local_host = local_host
        self.local_port = local_port
        self.core: Core | None = None
        self.max_pending_invites = max_pending_invites
        self.overloaded = overloaded  # a measure of the whole process (loop lag, socket backlog)
        self.retry_after = retry_after
        self.server_txns: dict[tuple[str, str, str], ServerTransaction] = {}
        self.client_txns: dict[tuple[str, str], ClientTransaction] = {}
        self.pending_invites = 0
        self.stats = StackStats()

    # --- inbound ---------------------------------------------------------------------------------

    def receive(self, data: bytes, peer: Peer) -> None:
        """One datagram or one framed TCP message from `peer`."""
        self.stats.received += 1
        if not data.strip():
            return  # keep-alive CRLF
        try:
            msg = parse_message(data)
        except SipParseError as exc:
            self.stats.malformed += 1
            log.info("malformed SIP from %s:%s: %s", peer.addr[0], peer.addr[1], exc.message)
            if exc.request is not None and exc.request.method != "ACK":
                try:
                    peer.send(bytes(make_response(exc.request, 400, f"Bad Request ({exc.message[:80]})")))
                except Exception:  # noqa: BLE001 - a reply we cannot even build is dropped
                    pass
            return
        if isinstance(msg, SipResponse):
            self._receive_response(msg, peer)
        else:
            self._receive_request(msg, peer)

    def _server_key(self, request: SipRequest) -> tuple[str, str, str]:
        via = parse_via(request.headers.get("via")[0])
        method = "INVITE" if request.method == "ACK" else request.method
        sent_by = f"{via.host}:{via.port or 5060}"
        return (via.branch or "", sent_by, method)

    def _receive_request(self, request: SipRequest, peer: Peer) -> None:
        self._fix_via(request, peer)
        key = self._server_key(request)
        txn = self.server_txns.get(key) if key[0].startswith("z9hG4bK") else None
        if txn is not None:
            self.stats.retransmissions_absorbed += request.method != "ACK"
            if (
                request.method == "ACK"
                and isinstance(txn, InviteServerTransaction)
                and txn.state == "accepted"
            ):
                # ACK for 2xx carries a new branch normally; same-branch ACK still belongs to the dialog
                assert self.core is not None
                self.core.on_request(request, None, peer)
            txn.receive_request(request)
            return
        if request.method == "ACK":
            assert self.core is not None
            self.core.on_request(request, None, peer)
            return
        if request.method == "CANCEL":
            self._new_server_txn(request, peer)
            self._dispatch(request, peer)
            return
        if request.method == "INVITE" and (
            (too_many := self.pending_invites >= self.max_pending_invites)
            or (self.overloaded is not None and self.overloaded())
        ):
            self.stats.rejected_overload += 1
            self.stats.rejected_pending += too_many
            txn = self._new_server_txn(request, peer)
            txn.reply(503, headers={"Retry-After": str(self.retry_after)})
            return
        self._new_server_txn(request, peer)
        self._dispatch(request, peer)

    def _dispatch(self, request: SipRequest, peer: Peer) -> None:
        assert self.core is not None
        txn = self.server_txns.get(self._server_key(request))
        self.core.on_request(request, txn, peer)

    def _new_server_txn(self, request: SipRequest, peer: Peer) -> ServerTransaction:
        key = self._server_key(request)
        cls = InviteServerTransaction if request.method == "INVITE" else NonInviteServerTransaction
        txn: ServerTransaction = cls(request, self.clock, peer.send, peer.reliable)
        if isinstance(txn, InviteServerTransaction):
            self.pending_invites += 1
            txn.on_settled = self._invite_settled

        def done(t: Transaction, k: tuple[str, str, str] = key) -> None:
            if isinstance(t, InviteServerTransaction) and t.final_status is None:
                self.pending_invites -= 1
            if self.server_txns.get(k) is t:
                del self.server_txns[k]

        txn.on_terminated = done
        self.server_txns[key] = txn
        self.stats.server_transactions += 1
        return txn

    def _invite_settled(self) -> None:
        self.pending_invites -= 1

    def invite_txn_for_cancel(self, cancel: SipRequest) -> InviteServerTransaction | None:
        """The INVITE transaction a CANCEL targets (same branch and sent-by)."""
        b, sent_by, _ = self._server_key(cancel)
        txn = self.server_txns.get((b, sent_by, "INVITE"))
        return txn if isinstance(txn, InviteServerTransaction) else None

    @staticmethod
    def _fix_via(request: SipRequest, peer: Peer) -> None:
        """RFC 3261 18.2.1 + RFC 3581: note where the request really came from."""
        vias = request.headers.get("via")
        via = parse_via(vias[0])
        changed = False
        if via.host != peer.addr[0]:
            via.received = peer.addr[0]
            changed = True
        if "rport" in via.params and not via.rport:
            via.rport = str(peer.addr[1])
            changed = True
        if changed:
            from aiosipua.headers import stringify_via

            vias[0] = stringify_via(via)

    def _receive_response(self, response: SipResponse, peer: Peer) -> None:
        branch = top_branch(response)
        _, method = cseq_of(response)
        txn = self.client_txns.get((branch, method))
        if txn is not None:
            txn.receive_response(response)
            return
        assert self.core is not None
        self.core.on_stray_response(response, peer)

    # --- outbound --------------------------------------------------------------------------------

    def via(self, transport: str) -> str:
        return f"SIP/2.0/{transport} {self.local_host}:{self.local_port};branch={new_branch()};rport"

    def send_request(
        self,
        request: SipRequest,
        peer: Peer,
        on_response: Callable[[SipResponse], None],
        on_timeout: Callable[[], None],
    ) -> ClientTransaction:
        """Send a request (not ACK) in a new client transaction; a fresh Via is put on top."""
        request.headers.remove("via")
        request.headers.append("Via", self.via(peer.transport))
        if not request.get_header("max-forwards"):
            request.headers.append("Max-Forwards", "70")
        cls = InviteClientTransaction if request.method == "INVITE" else NonInviteClientTransaction
        txn = cls(request, self.clock, peer.send, peer.reliable, on_response, on_timeout)
        key = (top_branch(request), request.method)

        def done(t: Transaction) -> None:
            if self.client_txns.get(key) is t:
                del self.client_txns[key]

        txn.on_terminated = done
        self.client_txns[key] = txn
        self.stats.client_transactions += 1
        txn.start()
        return txn

    def send_ack(self, ack: SipRequest, peer: Peer) -> bytes:
        """ACK for a 2xx is its own transaction-less request (RFC 3261 13.2.2.4); returns the bytes
        so the dialog can re-send them on a retransmitted 2xx."""
        ack.headers.remove("via")
        ack.headers.append("Via", self.via(peer.transport))
        if not ack.get_header("max-forwards"):
            ack.headers.append("Max-Forwards", "70")
        data = bytes(ack)
        peer.send(data)
        return data
