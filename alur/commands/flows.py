"""CLI commands for flows: `alur validate`, `alur graph`, `alur test-flow`.

Bad input never ends in a traceback: every problem is printed as `file:line node 'x': message` and
the command exits non-zero (1 for problems in the project or failed tests, 2 for bad usage).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Annotated

import typer


def _console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _e(value: object) -> str:
    """User text (file names, case names, messages) printed literally, never read as rich markup."""
    from rich.markup import escape

    return escape(str(value))


def _load(project: Path):  # type: ignore[no-untyped-def]
    """Load the project or print every problem and exit 1."""
    from alur.config import ProjectInvalid, load_project

    try:
        return load_project(project)
    except ProjectInvalid as error:
        err = _console()
        for problem in error.problems:
            err.print(f"[red]error[/red] {_e(problem)}", highlight=False)
        err.print(f"[bold red]{len(error.problems)} problem(s)[/bold red] in {_e(project)}")
        raise typer.Exit(1) from None


def validate(
    project: Annotated[Path, typer.Argument(help="Project directory (with alur.yaml).")],
) -> None:
    """Check a project: flows, queues, agents, calendars, directory. Lists every problem found."""
    loaded = _load(project)
    nodes = sum(len(f.nodes) for f in loaded.flows.values())
    _console().print(
        f"[green]ok[/green] {project}: {len(loaded.flows)} flow(s), {nodes} node(s), {len(loaded.queues)} "
        f"queue(s), {len(loaded.agents)} agent(s), {len(loaded.calendars)} calendar(s), "
        f"{len(loaded.customers)} customer(s)"
    )


def graph(
    project: Annotated[Path, typer.Argument(help="Project directory.")],
    flow: Annotated[str, typer.Argument(help="Flow name (the 'flow:' key of a flows/*.yaml file).")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the Mermaid text to this file.")] = None,
    svg: Annotated[Path | None, typer.Option("--svg", help="Render an SVG image with Graphviz.")] = None,
    png: Annotated[Path | None, typer.Option("--png", help="Render a PNG image with Graphviz.")] = None,
    dot_text: Annotated[bool, typer.Option("--dot", help="Print Graphviz DOT instead of Mermaid.")] = False,
) -> None:
    """Draw a flow: Mermaid text to stdout (or --out), and SVG/PNG images through Graphviz."""
    from alur.flow.graph import to_dot, to_mermaid

    loaded = _load(project)
    if flow not in loaded.flows:
        _console().print(
            f"[red]error[/red] flow '{_e(flow)}' does not exist (flows: {_e(sorted(loaded.flows))})"
        )
        raise typer.Exit(1)
    chosen = loaded.flows[flow]
    text = to_dot(chosen) if dot_text else to_mermaid(chosen)
    if out is not None:
        _write(out, text)
        typer.echo(f"wrote {out}", err=True)
    elif svg is None and png is None:
        typer.echo(text, nl=False)
    for target, fmt in ((svg, "svg"), (png, "png")):
        if target is not None:
            _render(to_dot(chosen), target, fmt)
            typer.echo(f"wrote {target}", err=True)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        _console().print(f"[red]error[/red] cannot write {_e(path)}: {_e(error.strerror or error)}")
        raise typer.Exit(1) from None


def _render(dot: str, target: Path, fmt: str) -> None:
    exe = shutil.which("dot")
    if exe is None:
        _console().print(
            "[red]error[/red] Graphviz 'dot' is not installed (Debian: apt-get install graphviz); "
            "use the Mermaid text instead"
        )
        raise typer.Exit(1)
    try:
        done = subprocess.run(
            [exe, f"-T{fmt}", "-o", str(target)],
            input=dot.encode(),
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        _console().print(f"[red]error[/red] Graphviz failed: {_e(error)}")
        raise typer.Exit(1) from None
    if done.returncode != 0 or not target.exists() or target.stat().st_size == 0:
        _console().print(
            f"[red]error[/red] Graphviz could not render {_e(target)}: "
            f"{_e(done.stderr.decode(errors='replace').strip())}"
        )
        raise typer.Exit(1)


def test_flow(
    project: Annotated[Path, typer.Argument(help="Project directory (cases in PROJECT/tests/*.yaml).")],
    case: Annotated[str | None, typer.Option("--case", help="Run only the case with this name.")] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show path and prompts of every case.")
    ] = False,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Also write a JUnit XML report (for CI) to this file.")
    ] = None,
) -> None:
    """Run the project's flow tests with scripted callers, in virtual time. Exit 1 on any failure."""
    from alur.testing.flowtests import run_project_tests

    loaded = _load(project)
    console = _console()
    results, problems = run_project_tests(loaded, case)
    for problem in problems:
        console.print(f"[red]error[/red] {_e(problem)}")
    if problems:
        console.print(f"[bold red]{len(problems)} problem(s)[/bold red] in the test files")
        raise typer.Exit(1)
    if not results:
        console.print(
            f"[red]error[/red] no test cases found{_e(f' named {case!r}') if case else ''} in "
            f"{_e(project)}/tests/*.yaml"
        )
        raise typer.Exit(1)
    failed = 0
    for r in results:
        if r.passed:
            console.print(f"[green]PASS[/green] {_e(r.file)} :: {_e(r.name)}")
        else:
            failed += 1
            console.print(f"[bold red]FAIL[/bold red] {_e(r.file)} :: {_e(r.name)}")
            for failure in r.failures:
                console.print("  - " + failure, markup=False)
        if (verbose or not r.passed) and r.result is not None:
            res = r.result
            console.print(f"    actual path: {' -> '.join(res.nodes)}", markup=False)
            console.print(
                f"    ended: {res.how} at {res.flow}/{res.node}" + (f" ({res.error})" if res.error else ""),
                markup=False,
            )
            if verbose:
                for prompt in res.prompts:
                    console.print(f"    heard: {prompt}", markup=False)
    if junit is not None:
        from alur.testing.flowtests import junit_xml

        _write(junit, junit_xml(loaded.name, results))
    passed = len(results) - failed
    colour = "green" if not failed else "red"
    console.print(f"[bold {colour}]{passed} passed, {failed} failed[/bold {colour}]")
    if failed:
        raise typer.Exit(1)


def flow_schema(
    out: Annotated[Path | None, typer.Option("--out", help="Write the schema to this file.")] = None,
) -> None:
    """Print the JSON Schema of flow files, for editor autocompletion (e.g. VS Code's YAML extension)."""
    import json

    from alur.config.schema import flow_json_schema

    text = json.dumps(flow_json_schema(), indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        _write(out, text)
        typer.echo(f"wrote {out}", err=True)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `alur` app."""
    app.command("validate")(validate)
    app.command("graph")(graph)
    app.command("test-flow")(test_flow)
    app.command("flow-schema")(flow_schema)
