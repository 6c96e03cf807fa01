"""CLI commands: `alur token create | list | revoke` (API tokens, kept hashed in the event log's database)."""

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
    from alur.core.errors import AlurError
    from alur.store.tokens import check_grant

    scope = tuple(q.strip() for q in (queues or "").split(",") if q.strip())
    try:
        check_grant(role, agent, scope)
    except AlurError as exc:
        _fail(exc.message)
    loaded = _project(project)
    if loaded is not None:
        if agent is not None and agent not in loaded.agents:
            _fail(f"--agent: agent {agent!r} is not in the project (agents: {sorted(loaded.agents)})")
        unknown = [q for q in scope if q != "*" and q not in loaded.queues]
        if unknown:
            _fail(f"--queues: unknown queue(s) {unknown} (queues: {sorted(loaded.queues)})")
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
