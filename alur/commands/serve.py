"""CLI commands: serve (the live SIP server)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

MAX_PORT = 65_535  # UDP and TCP ports are 16 bits: a larger number would silently bind another port


class ApiUnavailable(Exception):
    """The HTTP API could not listen (its port is taken...)."""


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `alur` app."""

    @app.command()
    def serve(
        project: Annotated[Path, typer.Argument(help="Project directory (with alur.yaml).")],
        sip_host: Annotated[
            str | None,
            typer.Option(
                "--sip-host",
                help="Address for SIP and RTP (default: alur.yaml server.sip_host, else 127.0.0.1).",
            ),
        ] = None,
        sip_port: Annotated[
            int | None, typer.Option("--sip-port", help="SIP port, UDP and TCP (default: 5060).")
        ] = None,
        media_host: Annotated[
            str | None,
            typer.Option(
                "--media-host",
                help="Address announced in SDP, when not the --sip-host (e.g. behind NAT).",
            ),
        ] = None,
        trunk: Annotated[
            str | None, typer.Option("--trunk", help="SIP URI of the gateway for external numbers.")
        ] = None,
        no_tcp: Annotated[bool, typer.Option("--no-tcp", help="Listen on UDP only.")] = False,
        phones: Annotated[
            Path | None,
            typer.Option(
                "--phones",
                help="YAML file of agents' SIP passwords (extension or agent id: password) "
                "(default: PROJECT/phones.yaml).",
            ),
        ] = None,
        db: Annotated[
            str | None,
            typer.Option(
                "--db",
                help="Event log database (file path or SQLAlchemy URL) (default: PROJECT/alur.db).",
            ),
        ] = None,
        http_host: Annotated[
            str | None,
            typer.Option(
                "--http-host",
                help="Address of the HTTP API (default: alur.yaml server.http_host, else 127.0.0.1).",
            ),
        ] = None,
        http_port: Annotated[
            int | None,
            typer.Option("--http-port", help="Port of the HTTP API (default: server.http_port, else 8080)."),
        ] = None,
        no_http: Annotated[bool, typer.Option("--no-http", help="Do not serve the HTTP API.")] = False,
        verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each SIP event.")] = False,
        loop: Annotated[
            str,
            typer.Option(
                "--loop",
                help="Event loop: auto (uvloop when installed), uvloop or asyncio.",
            ),
        ] = "auto",
    ) -> None:
        """Answer phone calls with the project's flows and route them to agents' phones."""
        from alur.config.project import ProjectInvalid, load_project
        from alur.core.errors import AlurError
        from alur.telephony.options import ServerOptions, read_phones

        logging.basicConfig(
            level=logging.INFO if verbose else logging.WARNING,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        logging.getLogger("alembic").setLevel(logging.WARNING)
        try:
            loaded = load_project(project)
        except ProjectInvalid as exc:
            typer.echo(f"error: project {project} is not valid:\n{exc}", err=True)
            raise typer.Exit(2) from None
        try:
            options = ServerOptions.from_settings(loaded.settings.server, loaded.root)
            if phones is not None:
                options.phones.update(read_phones(phones))
        except AlurError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            raise typer.Exit(2) from None
        if sip_host:
            options.host = sip_host
        if sip_port is not None:
            options.port = sip_port
        if not 0 <= options.port <= MAX_PORT:
            where = "--sip-port" if sip_port is not None else "alur.yaml: server.sip_port"
            typer.echo(f"error: {where} must be a port number 0..{MAX_PORT} (got {options.port})", err=True)
            raise typer.Exit(2)
        if media_host:
            options.media_host = media_host
        if trunk:
            if not trunk.lower().startswith(("sip:", "sips:")):
                typer.echo(
                    f"error: --trunk must be a SIP URI such as sip:gateway.example.net:5060 (got {trunk!r})",
                    err=True,
                )
                raise typer.Exit(2)
            options.trunk = trunk
        if no_tcp:
            options.tcp = False
        database = db or loaded.settings.server.get("database") or str(loaded.root / "alur.db")
        http = None if no_http else _http_address(loaded.settings.server, http_host, http_port)
        if loop not in ("auto", "uvloop", "asyncio"):
            typer.echo(f"error: --loop must be auto, uvloop or asyncio (got {loop!r})", err=True)
            raise typer.Exit(2)
        runner: Any = asyncio.run
        loop_name = "asyncio"
        if loop != "asyncio":
            try:
                import uvloop

                runner, loop_name = uvloop.run, "uvloop"
            except ImportError:
                if loop == "uvloop":
                    typer.echo(
                        "error: --loop uvloop: uvloop is not installed (pip install 'alur[fast]')", err=True
                    )
                    raise typer.Exit(2) from None
        try:
            runner(_serve(loaded, options, database, loop_name, http))
        except KeyboardInterrupt:
            pass
        except ApiUnavailable as exc:
            typer.echo(f"error: {exc} (is another server running? try --http-port or --no-http)", err=True)
            raise typer.Exit(1) from None
        except OSError as exc:
            typer.echo(
                f"error: cannot listen on {options.host}:{options.port}: {exc.strerror or exc} "
                "(is another server running? try --sip-port)",
                err=True,
            )
            raise typer.Exit(1) from None


def _http_address(server: dict[str, Any], host: str | None, port: int | None) -> tuple[str, int]:
    """The API's address from the options, else alur.yaml `server.http_host/http_port`; bad values exit 2."""
    host = host or server.get("http_host") or "127.0.0.1"
    value = port if port is not None else server.get("http_port", 8080)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        where = "--http-port" if port is not None else "alur.yaml: server.http_port"
        typer.echo(f"error: {where} must be a port number from 0 to 65535 (got {value!r})", err=True)
        raise typer.Exit(2)
    if not isinstance(host, str):
        typer.echo(f"error: alur.yaml: server.http_host must be an address (got {host!r})", err=True)
        raise typer.Exit(2)
    return host, value


async def _serve(
    project: Any, options: Any, database: str, loop_name: str, api_address: tuple[str, int] | None
) -> None:
    import httpx

    from alur.core.clock import RealClock
    from alur.integrations.services import live_services
    from alur.integrations.webhooks import Webhooks
    from alur.media.settle import settle_for_media
    from alur.service.center import ContactCenter
    from alur.service.console import CallConsole
    from alur.store.deliveries import DeliveryStore
    from alur.store.event_store import EventStore
    from alur.telephony.server import SipServer

    store = await asyncio.to_thread(EventStore, database)
    clock = RealClock(asyncio.get_running_loop())
    async with httpx.AsyncClient(follow_redirects=True) as web:
        directory, http = live_services(project, web)
        center = ContactCenter(project, clock=clock, store=store, directory=directory, http=http)
        center.bus.subscribe("console", CallConsole(lambda line: print(line, flush=True)).handle)
        async with center:
            webhooks = Webhooks(project.settings.webhooks, web, DeliveryStore(store.engine))
            webhooks.start(center)
            server = SipServer(center, options)
            await server.start(center.restored_phones)
            api = None
            if api_address is not None:
                from alur.api.server import ApiServer

                api = ApiServer(center, *api_address, webhooks=webhooks)
                try:
                    await api.start()
                except OSError as exc:
                    await server.stop()
                    raise ApiUnavailable(str(exc)) from None
            if api is not None:
                print(f"HTTP API on {api.url} (docs: {api.url}/docs; tokens: alur token create)", flush=True)
            mail = None
            if project.settings.channels.email is not None:
                from alur.api.mail import MailChannel

                mail = MailChannel(center, project.settings.channels.email)
                host, port = await mail.start()
                print(
                    f"E-mail (SMTP) for {project.settings.channels.email.address} on {host}:{port}",
                    flush=True,
                )
            settle_for_media()
            server.overload.forget()  # the lag of starting up is not overload
            _print_banner(project, server, store.url, loop_name)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(sig, stop.set)
                except (NotImplementedError, RuntimeError):
                    pass
            try:
                await stop.wait()
            finally:
                print("stopping: ending calls...", file=sys.stderr, flush=True)
                if mail is not None:
                    await mail.stop()
                if api is not None:
                    await api.stop()
                await server.stop()
    await asyncio.to_thread(store.close)


def _print_banner(project: Any, server: Any, store_url: str, loop_name: str) -> None:
    o = server.options
    transports = "UDP+TCP" if o.tcp else "UDP"
    if server.media_host != o.host:
        print(f"Announcing {server.media_host} in SIP and SDP (set --media-host to change it)", flush=True)
    print(
        f"Alur is answering calls on sip:{o.host}:{o.port} ({transports}, {loop_name}); "
        f"event log: {store_url}",
        flush=True,
    )
    settings = project.settings
    for number, flow in sorted(settings.numbers.items()):
        print(f"  dial {number:<12} -> flow {flow}   (e.g. sip:{number}@{server.media_host}:{o.port})")
    if settings.default_flow:
        print(f"  any other number -> flow {settings.default_flow}")
    for agent in project.agents.values():
        user = agent.extension or agent.id
        if agent.sip_uri:
            where = f"rung at {agent.sip_uri}"
        elif user in o.phones or agent.id in o.phones:
            where = f"registers as sip:{user}@{server.media_host}:{o.port}"
        else:
            where = f"cannot register yet: no password for {user!r} (add it to phones.yaml or --phones)"
        state = server.router.agent_state(agent.id)
        print(f"  agent {agent.id:<10} {where}  [{state}]")
    print("Press Ctrl-C to stop.", flush=True)
