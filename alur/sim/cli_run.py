"""`alur simulate`: load, run each variant on the same traffic, print and write the results."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from alur.core.errors import AlurError
from alur.sim.report import as_json, print_results, write_files, write_html
from alur.sim.runner import SimResult, Simulation
from alur.sim.traffic import Traffic
from alur.sim.variants import build_variants

#: runs with at least this many calls show a progress bar
PROGRESS_FROM = 20_000


def run_simulate_command(
    project: Path,
    scenario: Path | None,
    seed: int,
    compare: list[str],
    out: Path | None,
    json_out: bool,
    progress: bool,
) -> int:
    console = Console()
    errors = Console(stderr=True)
    try:
        check_options(seed, out)
        if scenario is None:
            scenario = default_scenario(project)
        variants = build_variants(project, scenario, compare)
        results = []
        traffic: Traffic | None = None
        for variant in variants:
            sim = Simulation(
                variant.project,
                variant.scenario,
                seed,
                label=variant.label,
                traffic=traffic if variant.scenario is variants[0].scenario else None,
            )
            if (
                variant.scenario is variants[0].scenario
                and variant.project.customers == variants[0].project.customers
            ):
                traffic = sim.traffic
            results.append(_run(sim, errors, progress and sim.traffic.n >= PROGRESS_FROM))
    except AlurError as error:
        errors.print(f"[red]error:[/red] {escape(error.message)}", highlight=False, soft_wrap=True)
        return 2
    timezone = variants[0].scenario.timezone
    if json_out:
        print(json.dumps(as_json(results), indent=2))
    else:
        print_results(results, console, timezone)
    if out is not None:
        try:
            _write_outputs(
                results, variants[0].scenario.name, out, timezone, console if not json_out else errors
            )
        except OSError as error:
            errors.print(
                f"[red]error:[/red] --out {escape(str(out))}: cannot write the results: "
                f"{escape(error.strerror or str(error))}",
                highlight=False,
                soft_wrap=True,
            )
            return 1
    return 0


def check_options(seed: int, out: Path | None) -> None:
    """Options checked before any work: the seed is a non-negative integer (what numpy's seeding
    takes), and `--out` is a directory or can become one (not an existing file, nor inside one)."""
    if seed < 0:
        raise AlurError(f"--seed must be 0 or more (got {seed})", code="bad_option", value=seed)
    if out is None:
        return
    for place in (out, *out.parents):
        if place.exists():
            if not place.is_dir():
                what = "is a file" if place == out else f"is inside {place}, which is a file"
                raise AlurError(
                    f"--out {out} {what}; give a directory (it is created when missing)",
                    code="bad_option",
                    value=str(out),
                )
            break


def default_scenario(project: Path) -> Path:
    """alur.yaml `simulation: {scenario: scenarios/x.yaml}`, else the only file in scenarios/."""
    from alur.config.project import load_project

    settings = load_project(project).settings
    named = settings.simulation.get("scenario")
    if named:
        return project / str(named)
    found = sorted([*(project / "scenarios").glob("*.yaml"), *(project / "scenarios").glob("*.yml")])
    if len(found) == 1:
        return found[0]
    raise AlurError(
        "which scenario? give SCENARIO, or set `simulation: {scenario: scenarios/<file>.yaml}` in alur.yaml"
        + (
            f" (found {', '.join(p.name for p in found)})"
            if found
            else f" (no files in {project / 'scenarios'})"
        )
    )


def _run(sim: Simulation, errors: Console, show: bool) -> SimResult:
    if not show:
        return sim.run()
    with Progress(
        TextColumn(f"simulating {sim.label}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task("run", total=1.0)
        sim.progress = lambda done: bar.update(task, completed=done)
        return sim.run()


def _write_outputs(results: list[SimResult], name: str, out: Path, timezone: str, console: Console) -> None:
    from alur.sim.plots import as_base64, make_plots, save_plots

    written = write_files(results, out, timezone)
    images = make_plots(results, timezone)
    written += list(save_plots(images, out).values())
    written.append(
        write_html(results, as_base64(images), out / "report.html", timezone, f"Simulation: {name}")
    )
    console.print(f"wrote {len(written)} files to {out}: " + ", ".join(p.name for p in written))
