"""People who log in with a name and a password: each has the role and scope of an API token (admin,
supervisor of some queues, or one agent), and a log-in hands out a session token with that grant.

Passwords are kept as salted scrypt hashes (`hashlib.scrypt`, memory-hard, in the standard library);
checking one takes tens of milliseconds on purpose, so callers run it off the event loop. A name that
does not exist costs the same as a wrong password, so the time taken does not tell which names exist.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update

from alur.core.errors import AlurError
from alur.store.schema import users
from alur.store.tokens import check_grant

_U = users.c
MIN_PASSWORD = 8
#: scrypt cost: n=2**14, r=8 takes 16 MiB and ~50 ms (the parameters are stored with each hash)
N, R, P = 2**14, 8, 1


class UserError(AlurError):
    code = "bad_user"


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    name: str
    role: str
    agent_id: str | None = None
    queues: tuple[str, ...] = field(default=())
    created_at: float = 0.0
    disabled_at: float | None = None


def hash_password(password: str) -> str:
    """'scrypt$n$r$p$salt$hash' with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=N, r=R, p=P, dklen=32)
    return "$".join(["scrypt", str(N), str(R), str(P), _b64(salt), _b64(digest)])


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
            dklen=len(expected), maxmem=128 * 1024 * 1024,
        )  # fmt: skip
    except ValueError:
        return False
    return hmac.compare_digest(got, expected)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@functools.cache
def _dummy() -> str:
    """A hash to check against when the name is unknown (made once, when first needed)."""
    return hash_password("not the password of anyone")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters", code="weak_password")


class UserStore:
    """Create, check, list and disable users in the store's database (blocking calls)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def create(
        self,
        name: str,
        password: str,
        role: str,
        *,
        agent_id: str | None = None,
        queues: tuple[str, ...] = (),
    ) -> UserRecord:
        name = name.strip()
        if not name:
            raise UserError("a user needs a name", code="bad_user", value=name)
        check_grant(role, agent_id, queues)
        check_password(password)
        row = {
            "name": name, "password_hash": hash_password(password), "role": role, "agent_id": agent_id,
            "queues": list(queues), "created_at": time.time(), "disabled_at": None,
        }  # fmt: skip
        with self.engine.begin() as connection:
            if connection.execute(select(_U.id).where(_U.name == name)).first() is not None:
                raise UserError(f"user {name!r} already exists", code="user_exists", value=name)
            new_id = connection.execute(insert(users).values(**row).returning(_U.id)).scalar_one()
        return _record({"id": new_id, **row})

    def verify(self, name: str, password: str) -> UserRecord | None:
        """The user if the name exists, is not disabled and the password is theirs; else None."""
        with self.engine.connect() as connection:
            row = connection.execute(select(users).where(_U.name == name.strip())).mappings().first()
        if row is None or row["disabled_at"] is not None:
            password_matches(password, _dummy())  # the same time as a wrong password
            return None
        return _record(dict(row)) if password_matches(password, row["password_hash"]) else None

    def list(self) -> list[UserRecord]:
        with self.engine.connect() as connection:
            return [_record(dict(r)) for r in connection.execute(select(users).order_by(_U.name)).mappings()]

    def disable(self, name: str) -> UserRecord:
        with self.engine.begin() as connection:
            found = connection.execute(select(users).where(_U.name == name)).mappings().first()
            if found is None:
                raise UserError(f"no user {name!r}", code="unknown_user", value=name)
            if found["disabled_at"] is None:
                connection.execute(update(users).where(_U.name == name).values(disabled_at=time.time()))
            found = connection.execute(select(users).where(_U.name == name)).mappings().first()
        return _record(dict(found))  # type: ignore[arg-type]

    def set_password(self, name: str, password: str) -> UserRecord:
        check_password(password)
        with self.engine.begin() as connection:
            done = connection.execute(
                update(users).where(_U.name == name).values(password_hash=hash_password(password))
            )
            if done.rowcount == 0:
                raise UserError(f"no user {name!r}", code="unknown_user", value=name)
            found = connection.execute(select(users).where(_U.name == name)).mappings().first()
        return _record(dict(found))  # type: ignore[arg-type]


def _record(row: dict[str, Any]) -> UserRecord:
    return UserRecord(
        id=int(row["id"]),
        name=row["name"],
        role=row["role"],
        agent_id=row["agent_id"],
        queues=tuple(row["queues"] or ()),
        created_at=row["created_at"],
        disabled_at=row["disabled_at"],
    )
