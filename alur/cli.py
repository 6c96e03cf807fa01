"""The `alur` command line. Each area's commands live in `alur.commands.<area>`; this file wires them."""

from __future__ import annotations

import typer

from alur.commands import calls, flows, report, serve, simulate, tokens

app = typer.Typer(
    help="Alur: contact-center call flows (IVR) and call routing (ACD).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Alur: contact-center call flows (IVR) and call routing (ACD)."""


@app.command()
def version() -> None:
    """Print Alur's version."""
    from alur import __version__

    typer.echo(__version__)


for area in (flows, simulate, serve, calls, tokens, report):
    area.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
