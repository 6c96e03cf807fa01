"""Log-in with a name and a password: a user created by `alur user create` gets a session token with its
role and scope; a wrong name or password is one 401 line; repeated failures are refused with 429 before
any password is checked; the session ends on log-out; passwords are stored only as salted hashes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from apikit import Api, make_project

from alur.api.login import PER_NAME, Throttle
from alur.store.event_store import EventStore
from alur.store.users import UserStore, password_matches


def add_user(api: Api, name: str, password: str, role: str, **grant: object) -> None:
    UserStore(api.store.engine).create(name, password, role, **grant)  # type: ignore[arg-type]


async def test_a_user_logs_in_and_gets_a_session_with_its_grant(api: Api) -> None:
    add_user(api, "ayu", "sunflower-42", "agent", agent_id="ayu")
    response = await api.call(None, "POST", "/login", json={"name": "ayu", "password": "sunflower-42"})
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    me = await api.call(None, "GET", "/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["role"] == "agent" and me.json()["agent_id"] == "ayu"
    assert me.json()["expires_at"] is not None
    other = await api.call(None, "GET", "/agents/sari", headers={"Authorization": f"Bearer {token}"})
    assert other.status_code == 403  # the session acts as ayu only, like ayu's token

    out = await api.call(None, "POST", "/logout", headers={"Authorization": f"Bearer {token}"})
    assert out.json() == {"revoked": True}
    again = await api.call(None, "GET", "/me", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 401


async def test_logout_with_an_api_token_leaves_it_alone(api: Api) -> None:
    out = await api.call("agent", "POST", "/logout")
    assert out.json() == {"revoked": False}
    assert (await api.call("agent", "GET", "/me")).status_code == 200


async def test_wrong_name_or_password_is_one_line_and_repeats_are_throttled(api: Api) -> None:
    add_user(api, "boss", "correct-horse", "supervisor", queues=("billing",))
    unknown = await api.call(None, "POST", "/login", json={"name": "nobody", "password": "correct-horse"})
    wrong = await api.call(None, "POST", "/login", json={"name": "boss", "password": "battery-staple"})
    assert unknown.status_code == wrong.status_code == 401
    assert (
        unknown.json()
        == wrong.json()
        == {"error": "unauthorized", "message": "the name or the password is wrong"}
    )
    for _ in range(PER_NAME - 1):
        await api.call(None, "POST", "/login", json={"name": "BOSS", "password": "guess"})
    refused = await api.call(None, "POST", "/login", json={"name": "boss", "password": "correct-horse"})
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"] == "too_many_attempts"
    assert "try again in" in refused.json()["message"]
    missing = await api.call(None, "POST", "/login", json={"name": "boss"})
    assert missing.status_code == 422 and missing.json()["message"] == "password: required field is missing"


def test_the_throttle_forgets_failures_after_its_window() -> None:
    now = [0.0]
    throttle = Throttle(2, window=60, clock=lambda: now[0])
    throttle.failed("x")
    assert throttle.wait("x") == 0
    throttle.failed("x")
    assert throttle.wait("x") == 60
    now[0] = 30
    assert throttle.wait("x") == 30
    now[0] = 60.5
    assert throttle.wait("x") == 0


def test_passwords_are_stored_as_salted_hashes(tmp_path: Path) -> None:
    store = EventStore(f"sqlite:///{tmp_path / 'u.db'}")
    users = UserStore(store.engine)
    users.create("a", "same-password", "admin")
    users.create("b", "same-password", "admin")
    with store.engine.connect() as connection:
        hashes = [r[0] for r in connection.exec_driver_sql("SELECT password_hash FROM users").all()]
    assert len(set(hashes)) == 2 and all(h.startswith("scrypt$") for h in hashes)
    assert not any("same-password" in h for h in hashes)
    assert password_matches("same-password", hashes[0]) and not password_matches("other", hashes[0])
    assert users.verify("a", "same-password") is not None
    users.disable("a")
    assert users.verify("a", "same-password") is None
    store.close()


def run_alur(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alur.cli", *args], input=stdin, capture_output=True, text=True, timeout=60
    )


def test_user_commands(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    p = ("--project", str(project))
    created = run_alur(
        "user", "create", "ayu", "--role", "agent", "--agent", "ayu", *p, stdin="sunflower-42\n" * 2
    )
    assert created.returncode == 0, created.stderr
    assert "user ayu (agent, ayu) created" in created.stdout
    assert "ayu" in run_alur("user", "list", *p).stdout
    short = run_alur("user", "create", "x", "--role", "admin", *p, stdin="short\nshort\n")
    assert short.returncode == 2 and "error: the password must have at least 8 characters" in short.stderr
    twice = run_alur("user", "create", "ayu", "--role", "admin", *p, stdin="sunflower-42\n" * 2)
    assert twice.returncode == 2 and "user 'ayu' already exists" in twice.stderr
    unknown = run_alur("user", "create", "z", "--role", "agent", "--agent", "zed", *p)
    assert unknown.returncode == 2 and "--agent: agent 'zed' is not in the project" in unknown.stderr
    assert run_alur("user", "disable", "ayu", *p).returncode == 0
    assert "disabled" in run_alur("user", "list", *p).stdout
