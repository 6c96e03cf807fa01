"""RFC 3261 section 17 transactions (with the RFC 6026 'accepted' state), sans-I/O.

A transaction owns retransmission and absorption: the layer above sees each request and each final
response once. Timers run on an injected `Clock`; bytes go out through a `send` callable, so the same
code is tested in virtual time and runs live over UDP or TCP (`reliable=True` switches retransmission
off, as section 17 says).
"""

from __future__ import annotations

from collections.abc import Callable

from alur.core.clock import Clock, TimerHandle
from alur.telephony.sip.message import SipRequest, SipResponse, make_response

T1 = 0.5
T2 = 4.0
T4 = 5.0

Send = Callable[[bytes], None]


class _Timers:
    """Named timers so that a state change can cancel exactly the ones it ends."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._handles: dict[str, TimerHandle] = {}

    def start(self, name: str, delay: float, callback: Callable[[], None]) -> None:
        self.stop(name)
        self._handles[name] = self._clock.call_later(delay, callback)

    def stop(self, name: str) -> None:
        handle = self._handles.pop(name, None)
        if handle is not None:
            handle.cancel()

    def stop_all(self) -> None:
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()


class Transaction:
    state: str
    on_terminated: Callable[[Transaction], None] | None = None

    def __init__(self, clock: Clock, send: Send, reliable: bool) -> None:
        self.clock = clock
        self.send = send
        self.reliable = reliable
        self.timers = _Timers(clock)

    def _terminate(self) -> None:
        if self.state == "terminated":
            return
        self.state = "terminated"
        self.timers.stop_all()
        if self.on_terminated is not None:
            self.on_terminated(self)


# --- server transactions ---------------------------------------------------------------------------


class ServerTransaction(Transaction):
    """Common to both server kinds: the request, the last response sent, and `respond`."""

    def __init__(self, request: SipRequest, clock: Clock, send: Send, reliable: bool) -> None:
        super().__init__(clock, send, reliable)
        self.request: SipRequest | None = request  # released with the final response (see `_settle`)
        self.last_response: bytes | None = None
        self.final_status: int | None = None

    def reply(self, status: int, reason: str | None = None, **kw: object) -> SipResponse | None:
        """Build and send a response to this transaction's request (nothing once it has had its final
        response: a late CANCEL's 487, say)."""
        if self.request is None:
            return None
        resp = make_response(self.request, status, reason, **kw)  # type: ignore[arg-type]
        self.respond(resp)
        return resp

    def _settle(self, status: int) -> None:
        """The final response is out. What is left of the transaction only absorbs retransmitted
        requests for up to 32 s, so it lets go of the request: at hundreds of calls a second, thousands
        of them wait at once, and what they keep is what every garbage collection walks through."""
        self.final_status = status
        self.request = None

    def respond(self, response: SipResponse) -> None:
        raise NotImplementedError

    def receive_request(self, request: SipRequest) -> None:
        raise NotImplementedError


class InviteServerTransaction(ServerTransaction):
    """proceeding -> completed (non-2xx; G retransmits, H waits ACK) -> confirmed (I) -> terminated;
    proceeding -> accepted (2xx; retransmitted until the dialog's ACK; copies of the INVITE are
    absorbed until L ends it)."""

    def __init__(self, request: SipRequest, clock: Clock, send: Send, reliable: bool) -> None:
        super().__init__(request, clock, send, reliable)
        self.state = "proceeding"
        self.on_ack_timeout: Callable[[], None] | None = None  # no ACK for our 2xx / non-2xx
        self.on_settled: Callable[[], None] | None = None  # the final response went out
        self._interval = T1
        self.acked = False

    def respond(self, response: SipResponse) -> None:
        if self.state not in ("proceeding",):
            return
        data = bytes(response)
        self.last_response = data
        self.send(data)
        code = response.status_code
        if code < 200:
            return
        self._settle(code)
        self.state = "accepted" if code < 300 else "completed"
        if self.on_settled is not None:
            self.on_settled()
            self.on_settled = None
        self._interval = T1
        if not self.reliable:
            self.timers.start("G", T1, self._retransmit)
        self.timers.start("H", 64 * T1, self._ack_timeout)

    def _retransmit(self) -> None:
        if self.state not in ("completed", "accepted") or self.last_response is None:
            return
        self.send(self.last_response)
        self._interval = min(2 * self._interval, T2)
        self.timers.start("G", self._interval, self._retransmit)

    def _ack_timeout(self) -> None:
        if self.on_ack_timeout is not None and self.state in ("completed", "accepted"):
            self.on_ack_timeout()
        self._terminate()

    def receive_request(self, request: SipRequest) -> None:
        """A retransmitted INVITE: resend the last response; never a new call."""
        if request.method == "ACK":
            self.ack_received()
            return
        if self.acked:
            return  # RFC 6026 'accepted': absorbed silently once the 2xx is ACKed
        if self.last_response is not None and self.state in ("proceeding", "completed", "accepted"):
            self.send(self.last_response)

    def ack_received(self) -> None:
        """ACK for a non-2xx (same branch) or, via the dialog, for our 2xx."""
        if self.state == "completed":
            self.state = "confirmed"
            self.timers.stop("G")
            self.timers.stop("H")
            self.timers.start("I", 0 if self.reliable else T4, self._terminate)
        elif self.state == "accepted" and not self.acked:
            self.acked = True  # stay until timer L to absorb late INVITE copies (RFC 6026)
            self.on_ack_timeout = None  # nor keep the call (its media, its channel) alive until then
            self.timers.stop("G")
            self.timers.stop("H")
            self.timers.start("L", 64 * T1, self._terminate)


class NonInviteServerTransaction(ServerTransaction):
    """trying -> proceeding -> completed (J absorbs retransmissions for 64*T1 over UDP) -> terminated."""

    def __init__(self, request: SipRequest, clock: Clock, send: Send, reliable: bool) -> None:
        super().__init__(request, clock, send, reliable)
        self.state = "trying"

    def respond(self, response: SipResponse) -> None:
        if self.state not in ("trying", "proceeding"):
            return
        data = bytes(response)
        self.last_response = data
        self.send(data)
        if response.status_code < 200:
            self.state = "proceeding"
            return
        self._settle(response.status_code)
        self.state = "completed"
        self.timers.start("J", 0 if self.reliable else 64 * T1, self._terminate)

    def receive_request(self, request: SipRequest) -> None:
        if self.last_response is not None and self.state in ("proceeding", "completed"):
            self.send(self.last_response)


# --- client transactions ---------------------------------------------------------------------------


ResponseHandler = Callable[[SipResponse], None]


class ClientTransaction(Transaction):
    def __init__(
        self,
        request: SipRequest,
        clock: Clock,
        send: Send,
        reliable: bool,
        on_response: ResponseHandler,
        on_timeout: Callable[[], None],
    ) -> None:
        super().__init__(clock, send, reliable)
        self.request = request
        self.data = bytes(request)
        self.on_response = on_response
        self.on_timeout = on_timeout
        self._interval = T1

    def start(self) -> None:
        raise NotImplementedError

    def receive_response(self, response: SipResponse) -> None:
        raise NotImplementedError

    def _timed_out(self) -> None:
        if self.state in ("calling", "trying", "proceeding"):
            self._terminate()
            self.on_timeout()


class InviteClientTransaction(ClientTransaction):
    """calling (A retransmits, B gives up) -> proceeding -> completed (ACK every non-2xx; D) or
    accepted (2xx passed up, each retransmitted 2xx too, for the dialog to re-ACK; M)."""

    state = "calling"

    def start(self) -> None:
        self.send(self.data)
        if not self.reliable:
            self.timers.start("A", T1, self._retransmit)
        self.timers.start("B", 64 * T1, self._timed_out)

    def _retransmit(self) -> None:
        if self.state != "calling":
            return
        self.send(self.data)
        self._interval *= 2
        self.timers.start("A", self._interval, self._retransmit)

    def ack_for(self, response: SipResponse) -> bytes:
        """RFC 3261 17.1.1.3: the ACK for a non-2xx shares the INVITE's branch and Request-URI."""
        ack = SipRequest(method="ACK", uri=self.request.uri)
        ack.headers.append("Via", self.request.headers.get("via")[0])
        for route in self.request.headers.get("route"):
            ack.headers.append("Route", route)
        ack.headers.append("From", self.request.get_header("from") or "")
        ack.headers.append("To", response.get_header("to") or "")
        ack.headers.append("Call-ID", self.request.call_id or "")
        seq = (self.request.get_header("cseq") or "1 INVITE").split()[0]
        ack.headers.append("CSeq", f"{seq} ACK")
        ack.headers.append("Max-Forwards", "70")
        return bytes(ack)

    def receive_response(self, response: SipResponse) -> None:
        code = response.status_code
        if self.state in ("calling", "proceeding"):
            self.timers.stop("A")
            if code < 200:
                self.state = "proceeding"
                self.on_response(response)
            elif code < 300:
                self.state = "accepted"
                self.timers.stop("B")
                self.timers.start("M", 64 * T1, self._terminate)
                self.on_response(response)
            else:
                self.state = "completed"
                self.timers.stop("B")
                self.send(self.ack_for(response))
                self.timers.start("D", 0 if self.reliable else 32.0, self._terminate)
                self.on_response(response)
        elif self.state == "completed" and code >= 300:
            self.send(self.ack_for(response))  # retransmitted final: ACK again, not passed up
        elif self.state == "accepted" and 200 <= code < 300:
            self.on_response(response)  # the dialog re-sends its ACK


class NonInviteClientTransaction(ClientTransaction):
    """trying (E retransmits, F gives up) -> proceeding -> completed (K) -> terminated."""

    state = "trying"

    def start(self) -> None:
        self.send(self.data)
        if not self.reliable:
            self.timers.start("E", T1, self._retransmit)
        self.timers.start("F", 64 * T1, self._timed_out)

    def _retransmit(self) -> None:
        if self.state not in ("trying", "proceeding"):
            return
        self.send(self.data)
        self._interval = T2 if self.state == "proceeding" else min(2 * self._interval, T2)
        self.timers.start("E", self._interval, self._retransmit)

    def receive_response(self, response: SipResponse) -> None:
        if self.state not in ("trying", "proceeding"):
            return
        if response.status_code < 200:
            self.state = "proceeding"
            self.on_response(response)
            return
        self.state = "completed"
        self.timers.stop("E")
        self.timers.stop("F")
        self.timers.start("K", 0 if self.reliable else T4, self._terminate)
        self.on_response(response)
