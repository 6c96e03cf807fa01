"""Digest authentication challenges for REGISTER (RFC 3261 22.4, RFC 2617 qop=auth), server side.

Nonces are HMACs of a timestamp, so the server keeps no per-challenge state and can tell a stale
nonce (answered with `stale=true`) from a forged one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from aiosipua.headers import parse_auth


class DigestChallenger:
    def __init__(self, realm: str, *, nonce_ttl: float = 300.0, secret: bytes | None = None) -> None:
        self.realm = realm
        self.nonce_ttl = nonce_ttl
        self._secret = secret or secrets.token_bytes(16)

    def _nonce(self, ts: int) -> str:
        mac = hmac.new(self._secret, str(ts).encode(), hashlib.sha256).hexdigest()[:24]
        return f"{ts:x}.{mac}"

    def challenge(self, stale: bool = False) -> str:
        nonce = self._nonce(int(time.time()))
        value = f'Digest realm="{self.realm}", nonce="{nonce}", algorithm=MD5, qop="auth"'
        return value + (", stale=true" if stale else "")

    def check(self, header: str | None, method: str, passwords: dict[str, str]) -> tuple[str, str | None]:
        """('ok', user) | ('missing'|'stale'|'bad', user or None)."""
        if not header:
            return "missing", None
        try:
            creds = parse_auth(header, credentials=True)
        except (ValueError, IndexError):
            return "bad", None
        p = creds.params
        user = p.get("username", "")
        nonce = p.get("nonce", "")
        if creds.scheme.lower() != "digest" or p.get("realm") != self.realm or user not in passwords:
            return "bad", user or None
        ts_hex, _, _ = nonce.partition(".")
        try:
            ts = int(ts_hex, 16)
        except ValueError:
            return "bad", user
        if not hmac.compare_digest(self._nonce(ts), nonce):
            return "bad", user
        ha1 = _md5(f"{user}:{self.realm}:{passwords[user]}")
        ha2 = _md5(f"{method}:{p.get('uri', '')}")
        if p.get("qop"):
            expected = _md5(f"{ha1}:{nonce}:{p.get('nc', '')}:{p.get('cnonce', '')}:{p.get('qop')}:{ha2}")
        else:
            expected = _md5(f"{ha1}:{nonce}:{ha2}")
        if not hmac.compare_digest(expected, p.get("response", "")):
            return "bad", user
        if time.time() - ts > self.nonce_ttl:
            return "stale", user
        return "ok", user


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - the digest scheme mandates MD5
