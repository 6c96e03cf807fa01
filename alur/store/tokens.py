"""API tokens in the store: created once (the caller sees the token then, never again), kept as a hash.

Tokens are 256 random bits, so a plain SHA-256 of them cannot be reversed or guessed; a slow password
hash would only slow every request. Looking a token up by its hash also keeps the comparison out of
Python string equality.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, or_, select, update

from alur.core.errors import AlurError
from alur.store.schema import api_tokens

ROLES = ("admin", "supervisor", "agent")
PREFIX = "alur_"
_T = api_tokens.c


class TokenError(AlurError):
    code = "bad_token"


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """Who a token speaks for: its role, the agent (role agent) or the queues (role supervisor)."""

    id: int
    role: str
    name: str
    agent_id: str | None = None
    queues: tuple[str, ...] = field(default=())
    prefix: str = ""
    created_at: float = 0.0
    revoked_at: float | None = None
    expires_at: float | None = None  # a session token from a log-in; None: until revoked

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "role": self.role,
            "name": self.name,
            "agent_id": self.agent_id,
            "queues": list(self.queues),
            "prefix": self.prefix,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
            "expires_at": self.expires_at,
        }


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_grant(role: str, agent_id: str | None, queues: tuple[str, ...]) -> None:
    """A token's role and scope must fit together; raises TokenError naming what is wrong."""
    if role not in ROLES:
        raise TokenError(f"role must be one of {', '.join(ROLES)} (got {role!r})", value=role)
    if role == "agent" and not agent_id:
        raise TokenError("an agent token needs the agent it acts as (--agent ID)", value=agent_id)
    if role != "agent" and agent_id:
        raise TokenError(f"only agent tokens name an agent (got --agent with role {role})", value=agent_id)
    if role == "supervisor" and not queues:
        raise TokenError("a supervisor token needs its queues (--queues billing,sales or '*')", value=queues)
    if role != "supervisor" and queues:
        raise TokenError(f"only supervisor tokens have queues (got --queues with role {role})", value=queues)


class TokenStore:
    """Create, look up, list and revoke API tokens in the store's database (blocking calls)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def create(
        self,
        role: str,
        *,
        agent_id: str | None = None,
        queues: tuple[str, ...] = (),
        name: str = "",
        lifetime: float | None = None,
    ) -> tuple[str, TokenRecord]:
        """A new token: (the token, shown only now; its record). With `lifetime` (seconds) it stops
        working by itself then (a log-in's session)."""
        check_grant(role, agent_id, queues)
        token = PREFIX + secrets.token_urlsafe(32)
        now = time.time()
        name = name or (agent_id if role == "agent" else role)
        row = {
            "token_hash": token_hash(token),
            "prefix": token[: len(PREFIX) + 6],
            "role": role,
            "agent_id": agent_id,
            "queues": list(queues),
            "name": name,
            "created_at": now,
            "revoked_at": None,
            "expires_at": None if lifetime is None else now + lifetime,
        }
        with self.engine.begin() as connection:
            new_id = connection.execute(insert(api_tokens).values(**row).returning(_T.id)).scalar_one()
        return token, _record({"id": new_id, **row})

    def lookup(self, token: str) -> TokenRecord | None:
        """The live (not revoked, not expired) token's record, or None."""
        query = select(api_tokens).where(
            _T.token_hash == token_hash(token),
            _T.revoked_at.is_(None),
            or_(_T.expires_at.is_(None), _T.expires_at > time.time()),
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else _record(dict(row))

    def list(self, *, revoked: bool = False) -> list[TokenRecord]:
        query = select(api_tokens).order_by(_T.id)
        if not revoked:
            query = query.where(_T.revoked_at.is_(None))
        with self.engine.connect() as connection:
            return [_record(dict(row)) for row in connection.execute(query).mappings()]

    def revoke(self, token_id: int) -> TokenRecord:
        with self.engine.begin() as connection:
            row = connection.execute(select(api_tokens).where(_T.id == token_id)).mappings().first()
            if row is None:
                raise TokenError(f"no token with id {token_id}", code="unknown_token", value=token_id)
            if row["revoked_at"] is None:
                connection.execute(update(api_tokens).where(_T.id == token_id).values(revoked_at=time.time()))
            row = connection.execute(select(api_tokens).where(_T.id == token_id)).mappings().first()
        return _record(dict(row))  # type: ignore[arg-type]


def _record(row: dict[str, Any]) -> TokenRecord:
    return TokenRecord(
        id=int(row["id"]),
        role=row["role"],
        name=row["name"],
        agent_id=row["agent_id"],
        queues=tuple(row["queues"] or ()),
        prefix=row["prefix"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        expires_at=row.get("expires_at"),
    )
