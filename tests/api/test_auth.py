"""Tokens and roles: no token is a 401, a role or scope that does not allow a request is a 403 with a
reason, and every route of the API has a rule (tried here with every role)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from apikit import Api, make_project
from fastapi.routing import APIRoute, APIWebSocketRoute

from alur.api.app import build_router
from alur.store.event_store import EventStore
from alur.store.tokens import TokenStore, token_hash

ROLE_TOKENS = {"admin": "admin", "supervisor": "supervisor", "agent": "agent"}
#: values for path parameters that each role's token is in scope for
PATH_VALUES = {"agent_id": "ayu", "queue": "billing", "call_id": "c-none", "flow": "main", "version": "0",
               "follow_up_id": "f-none", "by": "interval", "step": "cancel", "section": "queues",
               "name": "billing", "delivery_id": "d-none", "conversation_id": "chat-none",
               "key": "phone:+6281100000001", "task_id": "chat-none", "action": "pause"}  # fmt: skip


def http_routes() -> list[tuple[str, str, frozenset[str]]]:
    out = []
    for r in build_router().routes:
        if isinstance(r, APIWebSocketRoute):
            continue
        assert isinstance(r, APIRoute), r
        roles = getattr(r.endpoint, "roles", None)
        assert roles is not None, f"route {r.path} has no role rule: declare it with alur.api.auth.route"
        for method in r.methods:
            out.append((method, r.path, roles))
    return out


def test_every_route_and_websocket_declares_its_roles() -> None:
    routes = build_router().routes
    assert routes
    for r in routes:
        assert getattr(r.endpoint, "roles", None), f"route {r.path} has no role rule"  # type: ignore[attr-defined]


#: query strings that put a request in a supervisor's scope
QUERIES = {"/reports/{by}": "?queue=billing"}


def fill(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path) + QUERIES.get(path, "")


@pytest.mark.parametrize(
    ("method", "path", "roles"), http_routes(), ids=lambda v: str(v) if isinstance(v, str) else ""
)
async def test_every_route_with_every_role(api: Api, method: str, path: str, roles: frozenset[str]) -> None:
    url = fill(path)
    kw = {"json": {}} if method in ("POST", "PUT") else {}
    no_token = await api.call(None, method, url, **kw)
    assert no_token.status_code == 401, no_token.text
    assert "token" in no_token.json()["message"]
    for role, who in ROLE_TOKENS.items():
        response = await api.call(who, method, url, **kw)
        if role in roles:
            assert response.status_code not in (401, 403), f"{role} {method} {url}: {response.text}"
        else:
            assert response.status_code == 403, f"{role} {method} {url}: {response.text}"
            assert role in response.json()["message"]
            assert response.json()["error"] == "forbidden"


async def test_a_bad_or_revoked_token_is_a_401(api: Api) -> None:
    bad = await api.call(None, "GET", "/me", headers={"Authorization": "Bearer alur_nope"})
    assert bad.status_code == 401 and bad.json()["error"] == "unauthorized"
    scheme = await api.call(None, "GET", "/me", headers={"Authorization": "Basic abc"})
    assert scheme.status_code == 401 and "Bearer" in scheme.json()["message"]
    me = await api.call("agent", "GET", "/me")
    assert me.status_code == 200 and me.json()["agent_id"] == "ayu" and me.json()["role"] == "agent"


def test_tokens_are_stored_hashed_and_revocable(tmp_path: Path) -> None:
    store = EventStore(f"sqlite:///{tmp_path / 'a.db'}")
    tokens = TokenStore(store.engine)
    token, record = tokens.create("supervisor", queues=("billing",), name="night shift")
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT token_hash, prefix FROM api_tokens").all()
    assert rows == [(token_hash(token), token[:11])]
    assert token not in str(rows)
    assert tokens.lookup(token) == record
    tokens.revoke(record.id)
    assert tokens.lookup(token) is None
    store.close()


def run_alur(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alur.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_token_commands_create_list_revoke(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    created = run_alur("token", "create", "--role", "agent", "--agent", "ayu", "--project", str(project))
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("alur_") and "not shown again" in created.stderr
    listed = run_alur("token", "list", "--project", str(project))
    assert "agent" in listed.stdout and "ayu" in listed.stdout and token not in listed.stdout
    assert run_alur("token", "revoke", "1", "--project", str(project)).returncode == 0
    assert "ayu" not in run_alur("token", "list", "--project", str(project)).stdout
    store = EventStore(str(project / "alur.db"))
    assert TokenStore(store.engine).lookup(token) is None
    store.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "boss"], "role must be one of admin, supervisor, agent (got 'boss')"),
        (["--role", "agent"], "an agent token needs the agent it acts as (--agent ID)"),
        (["--role", "agent", "--agent", "zed"], "--agent: agent 'zed' is not in the project"),
        (["--role", "supervisor"], "a supervisor token needs its queues"),
        (["--role", "supervisor", "--queues", "nope"], "--queues: unknown queue(s) ['nope']"),
    ],
)
def test_token_create_refuses_bad_grants_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    project = make_project(tmp_path / "p")
    result = run_alur("token", "create", *args, "--project", str(project))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
