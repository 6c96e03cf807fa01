"""CLI commands: simulate, erlang."""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer

from alur.core.errors import AlurError


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def parse_target(text: str) -> tuple[float, float]:
    """'80/20' -> (0.80, 20.0): percent answered within seconds."""
    try:
        pct, secs = text.split("/")
        percent, seconds = float(pct), float(secs)
    except ValueError:
        raise AlurError(
            f"service-level target must look like 80/20 (percent/seconds), got {text!r}"
        ) from None
    if not 0 < percent < 100 or not 0 < seconds <= MAX_SECONDS:
        raise AlurError(
            f"service-level target {text!r}: percent must be in (0, 100) and seconds in (0, {MAX_SECONDS:g}]"
        )
    return percent / 100.0, seconds


#: the longest handle time, interval, patience or wait the erlang command takes, in seconds (a day)
MAX_SECONDS = 86_400.0
#: the longest mean patience for Erlang A: its queue grows with patience x overload, and so does the work
MAX_PATIENCE = 3_600.0


def check_number(option: str, value: float | None, high: float, *, low: float = 0.0, unit: str = "") -> None:
    """A number option must be finite and in (low, high]; NaN, infinity, zero and negatives are errors
    naming the option and the value (None: the option was not given)."""
    if value is not None and not (math.isfinite(value) and low < value <= high):
        raise AlurError(
            f"{option} must be a number above {low:g} and at most {high:,g}{unit} (got {value:g})",
            value=value,
        )


def _fmt_secs(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:.1f}"


def parse_calls(text: str) -> list[float]:
    """'120' or '40,65,80' (calls per interval) -> numbers, each > 0."""
    try:
        values = [float(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise AlurError(
            f"--calls must be a number or a comma-separated list of numbers (got {text!r})"
        ) from None
    if not values or not all(math.isfinite(v) and v > 0 for v in values):
        raise AlurError(f"--calls must be positive numbers (got {text!r})")
    return values


def erlang(
    calls: str = typer.Option(
        ..., "--calls", help="Calls offered per interval; a list (40,65,80) staffs each interval."
    ),
    aht: float = typer.Option(..., "--aht", help="Average handle time (talk + wrap-up), seconds."),
    interval: float = typer.Option(1800.0, "--interval", help="Interval length, seconds (1800 = 30 min)."),
    target: str = typer.Option("80/20", "--target", help="Service-level target: percent/seconds."),
    patience: float | None = typer.Option(
        None, "--patience", help="Mean caller patience, seconds: uses Erlang A (with abandonment)."
    ),
    agents: int | None = typer.Option(None, "--agents", help="Show KPIs for this many agents."),
    max_asa: float | None = typer.Option(None, "--max-asa", help="Also require ASA <= this, seconds."),
    max_abandon: float | None = typer.Option(
        None, "--max-abandon", help="Also require abandonment <= this %."
    ),
    max_occupancy: float | None = typer.Option(
        None, "--max-occupancy", help="Also require occupancy <= this %."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Erlang C / Erlang A: agents needed for a service-level target, and P(wait), ASA, SL, abandonment."""
    from rich.console import Console
    from rich.table import Table

    from alur.sim.erlang import MAX_AGENTS, QueueKpis, agents_needed, kpis

    model = "Erlang A" if patience is not None else "Erlang C"
    try:
        volumes = parse_calls(calls)
        check_number("--aht", aht, MAX_SECONDS, unit=" seconds")
        check_number("--interval", interval, MAX_SECONDS, unit=" seconds")
        check_number(
            "--patience", patience, MAX_PATIENCE, unit=" seconds (longer: leave it out for Erlang C)"
        )
        check_number("--agents", agents, MAX_AGENTS)
        check_number("--max-asa", max_asa, MAX_SECONDS, unit=" seconds")
        check_number("--max-abandon", max_abandon, 100.0, unit="%")
        check_number("--max-occupancy", max_occupancy, 100.0, unit="%")
        sl, threshold = parse_target(target)

        def need_for(volume: float) -> QueueKpis:
            return agents_needed(
                volume / interval,
                aht,
                service_level=sl,
                threshold=threshold,
                patience=patience,
                max_asa=max_asa,
                max_abandon=None if max_abandon is None else max_abandon / 100.0,
                max_occupancy=None if max_occupancy is None else max_occupancy / 100.0,
            )

        needs = []
        for i, volume in enumerate(volumes):
            try:
                needs.append(need_for(volume))
            except AlurError as error:
                where = f"interval {i + 1} ({volume:g} calls)" if len(volumes) > 1 else f"{volume:g} calls"
                raise AlurError(f"{where}: {error.message}") from None
        need = needs[0]
        rate = volumes[0] / interval
        around = sorted(
            {min(MAX_AGENTS, max(1, need.agents + d)) for d in (-2, -1, 0, 1, 2, 3)}
            | ({agents} if agents else set())
        )
        rows = [kpis(rate, aht, n, threshold, patience) for n in around] if len(volumes) == 1 else []
    except AlurError as error:
        _fail(error.message)
        return

    def row(r: QueueKpis) -> dict[str, object]:
        return {
            "agents": r.agents,
            "load_erlangs": r.load,
            "p_wait": r.p_wait,
            "asa": None if math.isinf(r.asa) else r.asa,
            "service_level": r.service_level,
            "p_abandon": r.p_abandon,
            "occupancy": r.occupancy,
        }

    if as_json:
        out: dict[str, object] = {"model": model, "target": {"service_level": sl, "seconds": threshold}}
        if len(volumes) == 1:
            out.update(load_erlangs=need.load, agents_needed=need.agents, rows=[row(r) for r in rows])
        else:
            out["intervals"] = [{"calls": v, **row(n)} for v, n in zip(volumes, needs, strict=True)]
        typer.echo(json.dumps(out, indent=2))
        return
    console = Console()
    table = Table()
    if len(volumes) > 1:
        console.print(
            f"{model}: {len(volumes)} intervals of {interval:g} s, AHT {aht:g} s, target {sl * 100:g}% in "
            f"{threshold:g} s" + (f", mean patience {patience:g} s" if patience is not None else "")
        )
        for col in ("#", "Calls", "Load", "Agents", "P(wait)", "ASA", f"SL{threshold:g}s", "Aband", "Occ"):
            table.add_column(col, justify="right", no_wrap=True)
        for i, (v, r) in enumerate(zip(volumes, needs, strict=True)):
            table.add_row(
                str(i + 1),
                f"{v:g}",
                f"{r.load:.1f}",
                f"[bold]{r.agents}[/bold]",
                f"{r.p_wait * 100:.1f}%",
                _fmt_secs(r.asa),
                f"{r.service_level * 100:.1f}%",
                f"{r.p_abandon * 100:.1f}%",
                f"{r.occupancy * 100:.1f}%",
            )
        console.print(table)
        hours = sum(r.agents for r in needs) * interval / 3600
        console.print(f"Peak {max(r.agents for r in needs)} agents; {hours:.1f} agent-hours in all")
        return
    console.print(
        f"{model}: {volumes[0]:g} calls / {interval:g} s, AHT {aht:g} s -> load {need.load:.2f} Erlangs"
        + (f", mean patience {patience:g} s" if patience is not None else "")
    )
    console.print(f"Target {sl * 100:g}% answered within {threshold:g} s: [bold]{need.agents} agents[/bold]")
    for col in ("Agents", "P(wait)", "ASA (s)", f"SL {threshold:g}s", "Abandon", "Occupancy"):
        table.add_column(col, justify="right")
    for r in rows:
        style = "bold green" if r.agents == need.agents else None
        table.add_row(
            str(r.agents),
            f"{r.p_wait * 100:.1f}%",
            _fmt_secs(r.asa),
            f"{r.service_level * 100:.1f}%",
            f"{r.p_abandon * 100:.1f}%",
            f"{r.occupancy * 100:.1f}%",
            style=style,
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `alur` app."""
    app.command("erlang")(erlang)
    app.command("simulate")(simulate)


def simulate(
    project: Path = typer.Argument(..., help="Project directory (flows, queues, agents)."),
    scenario: Path | None = typer.Argument(
        None,
        help="Scenario YAML (traffic, callers, rosters); default: alur.yaml's simulation.scenario, or the "
        "only file in PROJECT/scenarios/.",
    ),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same result."),
    compare: list[str] = typer.Option(
        [],
        "--compare",
        help="Repeatable: another project directory, or overrides like queues.support.strategy=skills.",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Directory for CSV, JSON, PNG plots and report.html."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the KPIs as JSON instead of tables."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar on long runs."),
) -> None:
    """Run the project's flows and routing on synthetic traffic in virtual time, and report KPIs."""
    from alur.sim.cli_run import run_simulate_command

    code = run_simulate_command(project, scenario, seed, compare, out, as_json, progress)
    if code:
        raise typer.Exit(code)
