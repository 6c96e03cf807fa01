"""Registrar for agents' phones (RFC 3261 section 10) with digest authentication.

An agent's phone REGISTERs as its extension (or agent id); the binding says where to ring it. Agents
with a fixed `sip_uri` need no registration. Bindings live in memory: phones re-register on restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from alur.core.clock import Clock
from alur.telephony.sip.dialog import contact_uri
from alur.telephony.sip.digest import DigestChallenger
from alur.telephony.sip.message import SipRequest, parse_address, parse_uri
from alur.telephony.sip.transaction import ServerTransaction

log = logging.getLogger("alur.sip.registrar")

MIN_EXPIRES = 30
MAX_EXPIRES = 3600


@dataclass(frozen=True, slots=True)
class Binding:
    user: str
    contact: str  # the phone's Contact URI
    source: tuple[str, int]  # where REGISTER came from (used when the Contact is not reachable)
    transport: str
    expires_at: float


class Registrar:
    """`passwords` maps a user (extension or agent id) to its SIP password."""

    def __init__(
        self,
        clock: Clock,
        passwords: dict[str, str],
        realm: str = "alur",
        on_change: Callable[[str, Binding | None], None] | None = None,
    ) -> None:
        self.clock = clock
        self.passwords = passwords
        self.digest = DigestChallenger(realm)
        self.bindings: dict[str, Binding] = {}
        self.on_change = on_change

    def lookup(self, user: str) -> Binding | None:
        b = self.bindings.get(user)
        if b is not None and b.expires_at <= self.clock.now():
            del self.bindings[user]
            self._changed(user, None)
            return None
        return b

    def restore(self, user: str, contact: str, transport: str, expires_at: float) -> None:
        """A registration kept from before a restart (UDP only: a TCP phone's connection is gone)."""
        if transport.upper() != "UDP" or expires_at <= self.clock.now() or user not in self.passwords:
            return
        uri = parse_uri(contact)
        self.bindings[user] = Binding(user, contact, (uri.host, uri.port or 5060), "UDP", expires_at)

    def sweep(self) -> None:
        """Drop expired registrations (their agents are logged out through `on_change`)."""
        for user in list(self.bindings):
            self.lookup(user)

    def _changed(self, user: str, binding: Binding | None) -> None:
        if self.on_change is not None:
            self.on_change(user, binding)

    def handle(
        self, request: SipRequest, txn: ServerTransaction, source: tuple[str, int], transport: str
    ) -> None:
        to = parse_address(request.get_header("to") or "")
        user = to.uri.user or ""
        status, auth_user = self.digest.check(request.get_header("authorization"), "REGISTER", self.passwords)
        if status != "ok":
            if status == "bad":
                log.info("REGISTER for %r from %s:%s: bad credentials", user, *source)
            txn.reply(401, headers={"WWW-Authenticate": self.digest.challenge(stale=status == "stale")})
            return
        if auth_user != user:
            txn.reply(403, f"Forbidden (authenticated as {auth_user!r}, registering {user!r})")
            return
        contacts = request.headers.get("contact")
        header_expires = request.get_header("expires")
        if contacts == ["*"]:
            if header_expires is None or header_expires.strip() != "0":
                txn.reply(400, "Bad Request (Contact * needs Expires: 0)")
                return
            if self.bindings.pop(user, None) is not None:
                self._changed(user, None)
            txn.reply(200)
            return
        if not contacts:
            b = self.lookup(user)
            extra = {"Contact": f"<{b.contact}>;expires={int(b.expires_at - self.clock.now())}"} if b else {}
            txn.reply(200, headers=extra)
            return
        raw = contacts[0]
        try:
            addr = parse_address(raw)
            uri = contact_uri(raw) or ""
            parse_uri(uri)
        except (ValueError, IndexError):
            txn.reply(400, "Bad Request (unparseable Contact)")
            return
        try:
            expires = int(addr.params.get("expires") or header_expires or MAX_EXPIRES)
        except ValueError:
            txn.reply(400, "Bad Request (Expires is not a number)")
            return
        if expires == 0:
            if self.bindings.pop(user, None) is not None:
                self._changed(user, None)
            txn.reply(200)
            return
        if expires < MIN_EXPIRES:
            txn.reply(423, "Interval Too Brief", headers={"Min-Expires": str(MIN_EXPIRES)})
            return
        expires = min(expires, MAX_EXPIRES)
        binding = Binding(user, uri, source, transport, self.clock.now() + expires)
        self.bindings[user] = binding
        self._changed(user, binding)
        txn.reply(200, headers={"Contact": f"<{uri}>;expires={expires}"})
