"""CLI commands: `alur token create | list | revoke` (API tokens, kept hashed in the event log's database)
and `alur user create | list | password | disable` (people who log in with a name and a password)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

token_app = typer.Typer(help="API tokens: create (shown once), list, revoke.", no_args_is_help=True)

ProjectOpt = Annotated[
    Path, typer.Option("--project", "-p", help="Project directory (default: the current directory).")
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database (file path or SQLAlchemy URL) (default: as `alur serve`: PROJECT/alur.db)."
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
    app.add_typer(user_app, name="user")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _project(project: Path) -> Any:
    from alur.config.project import ProjectInvalid, load_project

    if not (project / "alur.yaml").exists():
        return None
    try:
        return load_project(project)
    except ProjectInvalid as exc:
        _fail(f"project {project} is not valid:\n{exc}")


def _store(project: Path, db: str | None, loaded: Any) -> Any:
    import logging

    from alur.store.event_store import EventStore
    from alur.store.tokens import TokenStore

    logging.getLogger("alembic").setLevel(logging.WARNING)
    if db is None:
        if loaded is None:
            _fail(f"{project} is not a project directory (no alur.yaml): give --project or --db")
        db = loaded.settings.server.get("database") or str(loaded.root / "alur.db")
    try:
        store = EventStore(str(db))
    except Exception as exc:  # the database cannot be opened: say which and why, no traceback
        _fail(f"cannot open database {db}: {exc}")
    return TokenStore(store.engine)


def _grant(project: Path, role: str, agent: str | None, queues: str | None) -> tuple[Any, tuple[str, ...]]:
    """The project (when there is one) and the supervisor's queues, once the role, agent and queues
    make a valid grant; otherwise one line and exit 2."""
    from alur.core.errors import AlurError
    from alur.store.tokens import check_grant

    scope = tuple(q.strip() for q in (queues or "").split(",") if q.strip())
    try:
        check_grant(role, agent, scope)
    except AlurError as exc:
        _fail(exc.message)
    loaded = _project(project)
    _check_scope(loaded, agent, scope)
    return loaded, scope


@token_app.command("create")
def create(
    role: Annotated[str, typer.Option("--role", help="admin, supervisor or agent.")],
    agent: Annotated[str | None, typer.Option("--agent", help="The agent an agent token acts as.")] = None,
    queues: Annotated[
        str | None, typer.Option("--queues", help="A supervisor's queues, comma-separated ('*': all).")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="A label to recognise the token in lists.")] = "",
    project: ProjectOpt = Path("."),
    db: DbOpt = None,
) -> None:
    """Create a token and print it once: only its hash is stored."""
    loaded, scope = _grant(project, role, agent, queues)
    token, record = _store(project, db, loaded).create(role, agent_id=agent, queues=scope, name=name)
    typer.echo(token)
    typer.echo(
        f"token {record.id} ({record.role}, {record.name}): keep it now, it is not shown again", err=True
    )


@token_app.command("list")
def list_(
    all_: Annotated[bool, typer.Option("--all", help="Also list revoked tokens.")] = False,
    project: ProjectOpt = Path("."),
    db: DbOpt = None,
) -> None:
    """List tokens (never the tokens themselves: their first characters)."""
    records = _store(project, db, _project(project)).list(revoked=all_)
    for r in records:
        scope = r.agent_id or ",".join(r.queues) or "-"
        revoked = "  revoked" if r.revoked_at is not None else ""
        typer.echo(f"{r.id:>4}  {r.role:<10} {scope:<20} {r.name:<20} {r.prefix}...{revoked}")
    if not records:
        typer.echo("no tokens (create one with `alur token create --role admin`)", err=True)


@token_app.command("revoke")
def revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (from `alur token list`).")],
    project: ProjectOpt = Path("."),
    db: DbOpt = None,
) -> None:
    """Revoke a token: requests with it are refused from now on."""
    from alur.core.errors import AlurError

    try:
        record = _store(project, db, _project(project)).revoke(token_id)
    except AlurError as exc:
        _fail(exc.message)
    typer.echo(f"token {record.id} ({record.role}, {record.name}) revoked")


# --- users: people who log in to the web pages with a name and a password ---------------------------

user_app = typer.Typer(
    help="Users of the web pages: create (asks the password), list, password, disable.", no_args_is_help=True
)


def _users(project: Path, db: str | None, loaded: Any) -> Any:
    from alur.store.users import UserStore

    return UserStore(_store(project, db, loaded).engine)


def _password() -> str:
    from alur.store.users import MIN_PASSWORD

    password: str = typer.prompt(
        f"Password (at least {MIN_PASSWORD} characters)", hide_input=True, confirmation_prompt=True
    )
    return password


@user_app.command("create")
def user_create(
    name: Annotated[str, typer.Argument(help="The name to log in with.")],
    role: Annotated[str, typer.Option("--role", help="admin, supervisor or agent.")],
    agent: Annotated[str | None, typer.Option("--agent", help="The agent an agent user acts as.")] = None,
    queues: Annotated[
        str | None, typer.Option("--queues", help="A supervisor's queues, comma-separated ('*': all).")
    ] = None,
    project: ProjectOpt = Path("."),
    db: DbOpt = None,
) -> None:
    """Create a user; the password is asked twice (or read from standard input) and kept hashed."""
    from alur.core.errors import AlurError

    loaded, scope = _grant(project, role, agent, queues)
    users = _users(project, db, loaded)
    try:
        record = users.create(name, _password(), role, agent_id=agent, queues=scope)
    except AlurError as exc:
        _fail(exc.message)
    typer.echo(f"user {record.name} ({record.role}{', ' + agent if agent else ''}) created")


def _check_scope(loaded: Any, agent: str | None, scope: tuple[str, ...]) -> None:
    if loaded is None:
        return
    if agent is not None and agent not in loaded.agents:
        _fail(f"--agent: agent {agent!r} is not in the project (agents: {sorted(loaded.agents)})")
    unknown = [q for q in scope if q != "*" and q not in loaded.queues]
    if unknown:
        _fail(f"--queues: unknown queue(s) {unknown} (queues: {sorted(loaded.queues)})")


@user_app.command("list")
def user_list(project: ProjectOpt = Path("."), db: DbOpt = None) -> None:
    """List users (never their passwords)."""
    records = _users(project, db, _project(project)).list()
    for u in records:
        scope = u.agent_id or ",".join(u.queues) or "-"
        disabled = "  disabled" if u.disabled_at is not None else ""
        typer.echo(f"{u.name:<20} {u.role:<10} {scope}{disabled}")
    if not records:
        typer.echo("no users (create one with `alur user create NAME --role admin`)", err=True)


@user_app.command("password")
def user_password(
    name: Annotated[str, typer.Argument(help="The user's name.")],
    project: ProjectOpt = Path("."),
    db: DbOpt = None,
) -> None:
    """Set a new password for a user."""
    from alur.core.errors import AlurError

    users = _users(project, db, _project(project))
    try:
        users.set_password(name, _password())
    except AlurError as exc:
        _fail(exc.message)
    typer.echo(f"user {name}: password changed")


@user_app.command("disable")
def user_disable(
    name: Annotated[str, typer.Argument(help="The user's name.")],
    project: ProjectOpt = Path("."),
    db: DbOpt = None,
) -> None:
    """Stop a user from logging in (sessions already open end within their lifetime)."""
    from alur.core.errors import AlurError

    try:
        _users(project, db, _project(project)).disable(name)
    except AlurError as exc:
        _fail(exc.message)
    typer.echo(f"user {name} disabled")
