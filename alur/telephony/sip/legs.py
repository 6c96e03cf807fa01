"""The states of a SIP call leg, their transition tables, and what a leg needs from its user agent.

An inbound leg (we are the UAS) starts `early`: it rings, then is `answered` (our 200 OK is out),
`confirmed` when the ACK arrives, and `ended` by a BYE either way. Rejected or cancelled, it goes from
`early` to `ended`.

An outbound leg (we are the UAC, e.g. an agent's phone) is `calling` until a provisional response
says `ringing`, `confirmed` on a 2xx (we ACK it), then `ended`; a final failure or no answer at all
makes it `failed`. Any move the tables do not list raises `IllegalTransition`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Protocol, TypeVar

from alur.core.errors import IllegalTransition
from alur.telephony.sip.dialog import Dialog
from alur.telephony.sip.message import SipResponse
from alur.telephony.sip.stack import Peer, SipStack

State = TypeVar("State", bound=StrEnum)

ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY, REGISTER, MESSAGE"


class ServerLegState(StrEnum):
    EARLY = "early"
    ANSWERED = "answered"
    CONFIRMED = "confirmed"
    ENDED = "ended"


class ClientLegState(StrEnum):
    CALLING = "calling"
    RINGING = "ringing"
    CONFIRMED = "confirmed"
    ENDED = "ended"
    FAILED = "failed"


_S, _C = ServerLegState, ClientLegState
SERVER_TRANSITIONS: Mapping[ServerLegState, frozenset[ServerLegState]] = {
    _S.EARLY: frozenset({_S.ANSWERED, _S.ENDED}),
    _S.ANSWERED: frozenset({_S.CONFIRMED, _S.ENDED}),  # ended: BYE, or no ACK came for the 200 OK
    _S.CONFIRMED: frozenset({_S.ENDED}),
    _S.ENDED: frozenset(),
}
CLIENT_TRANSITIONS: Mapping[ClientLegState, frozenset[ClientLegState]] = {
    _C.CALLING: frozenset({_C.RINGING, _C.CONFIRMED, _C.FAILED}),  # a 2xx may come with no 18x before
    _C.RINGING: frozenset({_C.CONFIRMED, _C.FAILED}),
    _C.CONFIRMED: frozenset({_C.ENDED}),
    _C.ENDED: frozenset(),
    _C.FAILED: frozenset(),
}


def checked_move(call_id: str, old: State, new: State, table: Mapping[State, frozenset[State]]) -> State:
    """`new` when the table allows `old -> new`; otherwise IllegalTransition naming the leg and states."""
    if new not in table[old]:
        allowed = ", ".join(sorted(s.value for s in table[old])) or "none"
        raise IllegalTransition(
            f"SIP leg {call_id!r} cannot go from {old.value} to {new.value} (allowed: {allowed})",
            value=new.value,
        )
    return new


class DialogLeg(Protocol):
    call_id: str
    dialog: Dialog | None


class LegOwner(Protocol):
    """What a leg asks of its user agent: the stack, dialog bookkeeping and in-dialog requests."""

    stack: SipStack

    def contact_header(self, transport: str) -> str: ...

    def enter_dialog(self, leg: DialogLeg) -> None: ...

    def forget(self, leg: DialogLeg) -> None: ...

    def peer_for_dialog(self, dialog: Dialog, fallback: Peer) -> Peer: ...

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
