"""Simulation results as people read them: tables in the terminal, CSV/JSON files, and one HTML report.

Every function takes a list of `SimResult` (one per `--compare` variant) so a single run and a
comparison share the same code; with several variants the tables put them side by side.
"""

from __future__ import annotations

import csv
import html
import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Console
from rich.table import Table

from alur.metrics.kpis import Tally
from alur.sim.runner import SimResult
from alur.sim.staffing import StaffingRow, staffing_rows

TOTAL_ROWS: list[tuple[str, str, str]] = [
    # (label, Tally attribute, format)
    ("Calls arrived", "arrived", "int"),
    ("Offered to queues", "offered", "int"),
    ("Answered", "answered", "int"),
    ("Abandoned", "abandoned", "int"),
    ("Abandonment rate", "abandonment_rate", "pct"),
    ("Overflowed / timed out", "overflowed", "int"),
    ("Service level", "service_level", "pct"),
    ("P(wait)", "p_wait", "pct"),
    ("ASA (s)", "asa", "secs"),
    ("AHT (s)", "aht", "secs"),
    ("Longest wait (s)", "longest_wait", "secs"),
    ("Occupancy", "occupancy", "pct"),
    ("Callbacks requested", "callbacks_requested", "int"),
    ("Callbacks reached", "callbacks_reached", "int"),
]


def short_label(label: str, index: int) -> str:
    return label if len(label) <= 16 else f"variant {index}"


def fmt(value: float, kind: str) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "-"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "pct":
        return f"{value * 100:.1f}%"
    return f"{value:.1f}"


def local(epoch: float, timezone: str) -> str:
    return datetime.fromtimestamp(epoch, ZoneInfo(timezone)).strftime("%a %H:%M")


def _busy(t: Tally) -> bool:
    return bool(t.offered or t.arrived)


# --- terminal ------------------------------------------------------------------------------------


def print_results(
    results: list[SimResult], console: Console, timezone: str, *, intervals: bool = True
) -> None:
    totals = Table(title="Totals" + (" (side by side, same traffic)" if len(results) > 1 else ""))
    totals.add_column("KPI", no_wrap=True)
    for k, r in enumerate(results):
        totals.add_column(short_label(r.label, k), justify="right")
    for label, attr, kind in TOTAL_ROWS:
        totals.add_row(label, *(fmt(getattr(r.kpis.total, attr), kind) for r in results))
    console.print(totals)
    for k, r in enumerate(results):
        if short_label(r.label, k) != r.label:
            console.print(f"  {short_label(r.label, k)} = {r.label}")
    if intervals:
        for r in results:
            console.print(interval_table(r, timezone))
    for r in results:
        console.print(staffing_table(r, timezone))
    for r in results:
        if r.kpis.queues and len(r.kpis.queues) > 1:
            console.print(queue_table(r))
        if r.kpis.agents:
            console.print(agent_table(r))
        if r.kpis.ivr_options:
            console.print(ivr_table(r))
        line = (
            f"{r.label}: {r.calls:,} calls, {r.agents} agents, simulated {r.virtual_seconds / 3600:.1f} h "
            f"in {r.wall_seconds:.2f} s ({r.calls_per_second:,.0f} calls/s"
            + (", compiled engine)" if compiled_engine() else ")")
        )
        console.print(line)
        for where, count in sorted(r.warnings.items(), key=lambda kv: -kv[1])[:5]:
            node, _, text = where.partition(": ")
            console.print(
                f"[yellow]{count:,} call(s) met a flow error and carried on (ended at {node}): "
                f"{html.escape(text)}[/yellow]"
            )
        if r.error_count:
            console.print(f"[red]{r.error_count} call(s) hit a flow error[/red]; first ones:")
            for e in r.errors:
                console.print(f"  [red]{html.escape(e)}[/red]")


def interval_table(r: SimResult, timezone: str) -> Table:
    table = Table(
        title=f"{r.label}: per {r.kpis.interval / 60:g}-minute interval",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 0),
    )
    table.add_column("Start", no_wrap=True, width=5 if _one_day(r) else 9)
    for col in ("Offer", "Answer", "Aband", "Ab%", "SL", "ASA", "AHT", "Occ", "MaxWait"):
        table.add_column(col, justify="right", no_wrap=True, width=7)
    one_day = _one_day(r)
    for start, t in sorted(r.kpis.intervals.items()):
        if not _busy(t):
            continue
        table.add_row(
            local(start, timezone)[4:] if one_day else local(start, timezone),
            fmt(t.offered, "int"),
            fmt(t.answered, "int"),
            fmt(t.abandoned, "int"),
            fmt(t.abandonment_rate, "pct"),
            fmt(t.service_level, "pct"),
            fmt(t.asa, "secs"),
            fmt(t.aht, "secs"),
            fmt(t.occupancy, "pct"),
            fmt(t.longest_wait, "secs"),
        )
    return table


def _one_day(r: SimResult) -> bool:
    starts = sorted(r.kpis.intervals)
    return bool(starts) and starts[-1] - starts[0] < 86400


def _staffing(r: SimResult) -> list[StaffingRow]:
    return staffing_rows(r.kpis.intervals, r.kpis.interval, r.sl_target, r.sl_seconds, r.patience_mean)


def staffing_table(r: SimResult, timezone: str) -> Table:
    model = "Erlang A" if r.patience_mean is not None else "Erlang C"
    table = Table(
        title=f"{r.label}: staffing vs {model}, target {r.sl_target * 100:g}/{r.sl_seconds:g}, queues pooled",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for col in ("Start", "Offered", "AHT", "Staffed", model, "SL sim", f"SL {model}"):
        table.add_column(col, justify="right", no_wrap=True)
    for row in _staffing(r):
        start = local(row.start, timezone)
        table.add_row(
            start[4:] if _one_day(r) else start,
            str(row.offered),
            f"{row.aht:.0f}",
            f"{row.staffed:.1f}",
            "-" if row.erlang_agents is None else str(row.erlang_agents),
            fmt(row.simulated_sl, "pct"),
            "-" if row.erlang_sl is None else fmt(row.erlang_sl, "pct"),
        )
    return table


def queue_table(r: SimResult) -> Table:
    table = Table(title=f"{r.label}: per queue")
    for col in ("Queue", "Offered", "Answered", "Abandoned", "SL", "ASA", "AHT"):
        table.add_column(col, justify="right")
    for name, t in sorted(r.kpis.queues.items()):
        table.add_row(
            name,
            fmt(t.offered, "int"),
            fmt(t.answered, "int"),
            fmt(t.abandoned, "int"),
            fmt(t.service_level, "pct"),
            fmt(t.asa, "secs"),
            fmt(t.aht, "secs"),
        )
    return table


def agent_table(r: SimResult, limit: int = 30) -> Table:
    agents = sorted(r.kpis.agents.items())
    title = f"{r.label}: per agent" + (
        f" (first {limit} of {len(agents)}; all in agents.csv)" if len(agents) > limit else ""
    )
    table = Table(title=title)
    for col in ("Agent", "Calls", "Talk (min)", "Occupancy", "Staffed (h)", "Missed offers"):
        table.add_column(col, justify="right")
    for agent_id, a in agents[:limit]:
        table.add_row(
            agent_id,
            str(a.answered),
            f"{a.talk_time / 60:.0f}",
            fmt(a.occupancy, "pct"),
            f"{a.staffed_time / 3600:.1f}",
            str(a.offers_missed),
        )
    return table


def ivr_table(r: SimResult) -> Table:
    table = Table(title=f"{r.label}: IVR option popularity")
    for col in ("Flow", "Menu", "Option", "Chosen", "Share"):
        table.add_column(col, justify="right")
    per_node: dict[tuple[str, str], int] = {}
    for (flow, node, _), count in r.kpis.ivr_options.items():
        per_node[(flow, node)] = per_node.get((flow, node), 0) + count
    for (flow, node, option), count in sorted(r.kpis.ivr_options.items()):
        table.add_row(flow, node, option, f"{count:,}", fmt(count / per_node[(flow, node)], "pct"))
    return table


# --- files ---------------------------------------------------------------------------------------


def as_json(results: list[SimResult]) -> dict[str, Any]:
    return {
        "variants": [
            {
                "label": r.label,
                "seed": r.seed,
                "calls": r.calls,
                "agents": r.agents,
                "wall_seconds": r.wall_seconds,
                "calls_per_second": r.calls_per_second,
                "flow_errors": r.error_count,
                "first_errors": r.errors,
                "fail_paths": r.warnings,
                **_clean(r.kpis.as_dict()),
            }
            for r in results
        ]
    }


def _clean(value: Any) -> Any:
    """NaN/inf are not JSON: write null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


INTERVAL_FIELDS = list(Tally().as_dict())


def write_files(results: list[SimResult], out: Path, timezone: str) -> list[Path]:
    """kpis.json, intervals.csv, agents.csv, ivr.csv, queues.csv in `out`; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    path = out / "kpis.json"
    path.write_text(json.dumps(as_json(results), indent=2), encoding="utf-8")
    written.append(path)
    path = out / "intervals.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["variant", "interval_start", "local_time", *INTERVAL_FIELDS])
        for r in results:
            for start, t in sorted(r.kpis.intervals.items()):
                row = t.as_dict()
                w.writerow(
                    [
                        r.label,
                        f"{start:.0f}",
                        _iso(start, timezone),
                        *(_cell(row[k]) for k in INTERVAL_FIELDS),
                    ]
                )
            w.writerow([r.label, "total", "", *(_cell(r.kpis.total.as_dict()[k]) for k in INTERVAL_FIELDS)])
    written.append(path)
    path = out / "agents.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "variant",
                "agent",
                "answered",
                "talk_time",
                "wrap_time",
                "occupancy",
                "staffed_hours",
                "offers_missed",
            ]
        )
        for r in results:
            for agent_id, a in sorted(r.kpis.agents.items()):
                d = a.as_dict()
                w.writerow(
                    [
                        r.label,
                        agent_id,
                        *(
                            _cell(d[k])
                            for k in (
                                "answered",
                                "talk_time",
                                "wrap_time",
                                "occupancy",
                                "staffed_hours",
                                "offers_missed",
                            )
                        ),
                    ]
                )
    written.append(path)
    path = out / "queues.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["variant", "queue", *INTERVAL_FIELDS])
        for r in results:
            for name, t in sorted(r.kpis.queues.items()):
                row = t.as_dict()
                w.writerow([r.label, name, *(_cell(row[k]) for k in INTERVAL_FIELDS)])
    written.append(path)
    path = out / "ivr.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["variant", "flow", "node", "option", "count"])
        for r in results:
            for (flow, node, option), count in sorted(r.kpis.ivr_options.items()):
                w.writerow([r.label, flow, node, option, count])
    written.append(path)
    return written


def _cell(v: Any) -> Any:
    if isinstance(v, float):
        return "" if not math.isfinite(v) else f"{v:.6g}"
    return v


def _iso(epoch: float, timezone: str) -> str:
    return datetime.fromtimestamp(epoch, ZoneInfo(timezone)).isoformat(timespec="minutes")


def _html_table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    out = [
        f"<h3>{html.escape(title)}</h3><table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header)
    ]
    out.append("</tr>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _html_extra(r: SimResult, timezone: str) -> str:
    model = "Erlang A" if r.patience_mean is not None else "Erlang C"
    staffing = [
        (
            local(x.start, timezone),
            str(x.offered),
            f"{x.aht:.0f}",
            f"{x.staffed:.1f}",
            "-" if x.erlang_agents is None else str(x.erlang_agents),
            fmt(x.simulated_sl, "pct"),
            "-" if x.erlang_sl is None else fmt(x.erlang_sl, "pct"),
        )
        for x in _staffing(r)
    ]
    parts = [
        _html_table(
            f"Staffing vs {model} (target {r.sl_target * 100:g}/{r.sl_seconds:g}, queues pooled)",
            ("Interval", "Offered", "AHT", "Staffed", f"{model} needs", "SL simulated", f"SL {model}"),
            staffing,
        )
    ]
    parts.append(
        _html_table(
            "Per queue",
            ("Queue", "Offered", "Answered", "Abandoned", "SL", "ASA", "AHT"),
            [
                (
                    n,
                    fmt(t.offered, "int"),
                    fmt(t.answered, "int"),
                    fmt(t.abandoned, "int"),
                    fmt(t.service_level, "pct"),
                    fmt(t.asa, "secs"),
                    fmt(t.aht, "secs"),
                )
                for n, t in sorted(r.kpis.queues.items())
            ],
        )
    )
    parts.append(
        _html_table(
            "Per agent",
            ("Agent", "Calls", "Talk (min)", "Occupancy", "Staffed (h)"),
            [
                (
                    a,
                    str(t.answered),
                    f"{t.talk_time / 60:.0f}",
                    fmt(t.occupancy, "pct"),
                    f"{t.staffed_time / 3600:.1f}",
                )
                for a, t in sorted(r.kpis.agents.items())
            ],
        )
    )
    if r.kpis.ivr_options:
        parts.append(
            _html_table(
                "IVR option popularity",
                ("Flow", "Menu", "Option", "Chosen"),
                [(f, n, o, f"{c:,}") for (f, n, o), c in sorted(r.kpis.ivr_options.items())],
            )
        )
    return "".join(parts)


def write_html(
    results: list[SimResult], images: dict[str, str], path: Path, timezone: str, title: str
) -> Path:
    """One self-contained page: the totals, the plots (base64 PNG), and the interval tables."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}"
        "table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
        "th:first-child,td:first-child{text-align:left}img{max-width:100%}h2{margin-top:1.5em}</style>",
        "</head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<h2>Totals</h2><table><tr><th>KPI</th>"
        + "".join(f"<th>{html.escape(r.label)}</th>" for r in results)
        + "</tr>",
    ]
    for label, attr, kind in TOTAL_ROWS:
        cells = "".join(f"<td>{fmt(getattr(r.kpis.total, attr), kind)}</td>" for r in results)
        parts.append(f"<tr><td>{html.escape(label)}</td>{cells}</tr>")
    parts.append("</table>")
    for name, b64 in images.items():
        parts.append(
            f"<h2>{html.escape(name)}</h2><img alt='{html.escape(name)}' src='data:image/png;base64,{b64}'>"
        )
    for r in results:
        parts.append(f"<h2>{html.escape(r.label)}: per interval</h2><table><tr>")
        cols = (
            "Interval",
            "Offered",
            "Answered",
            "Abandoned",
            "SL",
            "ASA",
            "AHT",
            "Occupancy",
            "Longest wait",
        )
        parts.append("".join(f"<th>{c}</th>" for c in cols) + "</tr>")
        for start, t in sorted(r.kpis.intervals.items()):
            cells = (
                local(start, timezone),
                fmt(t.offered, "int"),
                fmt(t.answered, "int"),
                fmt(t.abandoned, "int"),
                fmt(t.service_level, "pct"),
                fmt(t.asa, "secs"),
                fmt(t.aht, "secs"),
                fmt(t.occupancy, "pct"),
                fmt(t.longest_wait, "secs"),
            )
            parts.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        parts.append("</table>")
        parts.append(
            f"<p>{r.calls:,} calls, {r.agents} agents, seed {r.seed}; flow errors: {r.error_count}</p>"
        )
        parts.append(_html_extra(r, timezone))
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def compiled_engine() -> bool:
    """Whether the engine runs compiled (setup.py, ALUR_COMPILE=1) rather than as plain Python."""
    import alur.routing.engine

    return not str(alur.routing.engine.__file__).endswith(".py")
