"""The `alur` command line. Each sub-command lives in the module that owns the work; this file wires them."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Alur: contact-center call flows (IVR) and call routing (ACD).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def version() -> None:
    """Print Alur's version."""
    from alur import __version__

    typer.echo(__version__)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
