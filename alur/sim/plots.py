"""PNG plots of a simulation (matplotlib, Agg backend: no display needed); one line per variant."""

from __future__ import annotations

import base64
import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from alur.sim.runner import SimResult  # noqa: E402


def _times(result: SimResult, tz: ZoneInfo) -> tuple[list[datetime], list[float]]:
    """Intervals with calls (agents finishing after the last arrival make empty ones)."""
    starts = sorted(s for s, t in result.kpis.intervals.items() if t.offered or t.arrived)
    return [datetime.fromtimestamp(s, tz) for s in starts], starts


def _axis(ax: plt.Axes, tz: ZoneInfo) -> None:
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))
    ax.grid(alpha=0.3)


def make_plots(results: list[SimResult], timezone: str, sl_target: float | None = None) -> dict[str, bytes]:
    """Figure name -> PNG bytes."""
    tz = ZoneInfo(timezone)
    out: dict[str, bytes] = {}

    fig, ax = plt.subplots(figsize=(9, 3.6))
    for r in results:
        xs, starts = _times(r, tz)
        t = r.kpis.intervals
        prefix = f"{r.label}: " if len(results) > 1 else ""
        ax.plot(xs, [t[s].offered for s in starts], marker="o", ms=3, label=f"{prefix}offered")
        ax.plot(xs, [t[s].answered for s in starts], marker="o", ms=3, label=f"{prefix}answered")
        ax.bar(
            xs,
            [t[s].abandoned for s in starts],
            width=r.kpis.interval / 86400 * 0.6,
            alpha=0.4,
            label=f"{prefix}abandoned",
        )
    ax.set_ylabel("calls per interval")
    ax.set_title("Traffic")
    _axis(ax, tz)
    ax.legend(fontsize=8)
    out["Traffic"] = _png(fig)

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.6))
    for r in results:
        xs, starts = _times(r, tz)
        t = r.kpis.intervals
        ax1.plot(xs, [t[s].service_level * 100 for s in starts], marker="o", ms=3, label=r.label)
        ax2.plot(xs, [t[s].asa for s in starts], marker="o", ms=3, label=r.label)
    if sl_target is not None:
        ax1.axhline(sl_target * 100, color="red", ls="--", lw=1, label="target")
    ax1.set_ylabel("service level (%)")
    ax1.set_ylim(0, 105)
    ax1.set_title("Service level")
    ax2.set_ylabel("seconds")
    ax2.set_title("Average speed of answer")
    for ax in (ax1, ax2):
        _axis(ax, tz)
        ax.legend(fontsize=8)
    out["Service level and ASA"] = _png(fig)

    fig, ax = plt.subplots(figsize=(9, 3.6))
    for r in results:
        xs, starts = _times(r, tz)
        t = r.kpis.intervals
        ax.plot(xs, [t[s].occupancy * 100 for s in starts], marker="o", ms=3, label=r.label)
    ax.set_ylabel("occupancy (%)")
    ax.set_ylim(0, 105)
    ax.set_title("Agent occupancy")
    _axis(ax, tz)
    ax.legend(fontsize=8)
    out["Occupancy"] = _png(fig)

    agents = results[0].kpis.agents
    if agents:
        fig, ax = plt.subplots(figsize=(9, max(2.5, min(12, 0.22 * len(agents) + 1))))
        names = sorted(agents)
        height = 0.8 / len(results)
        for k, r in enumerate(results):
            ys = [i + k * height for i in range(len(names))]
            ax.barh(
                ys,
                [r.kpis.agents[n].occupancy * 100 if n in r.kpis.agents else 0 for n in names],
                height=height,
                label=r.label,
            )
        ax.set_yticks(range(len(names)), names, fontsize=7 if len(names) > 20 else 9)
        ax.set_xlabel("occupancy (%)")
        ax.set_title("Occupancy per agent")
        ax.invert_yaxis()
        if len(results) > 1:
            ax.legend(fontsize=8)
        out["Occupancy per agent"] = _png(fig)

    options = results[0].kpis.ivr_options
    if options:
        fig, ax = plt.subplots(figsize=(9, max(2.5, 0.35 * len(options) + 1)))
        keys = sorted(options)
        labels = [f"{node} {option}" for _, node, option in keys]
        height = 0.8 / len(results)
        for k, r in enumerate(results):
            ax.barh(
                [i + k * height for i in range(len(keys))],
                [r.kpis.ivr_options.get(key, 0) for key in keys],
                height=height,
                label=r.label,
            )
        ax.set_yticks(range(len(keys)), labels)
        ax.set_xlabel("times chosen")
        ax.set_title("IVR option popularity")
        ax.invert_yaxis()
        if len(results) > 1:
            ax.legend(fontsize=8)
        out["IVR option popularity"] = _png(fig)
    return out


def _png(fig: plt.Figure) -> bytes:
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


def save_plots(images: dict[str, bytes], out: Path) -> dict[str, Path]:
    paths = {}
    for name, data in images.items():
        path = out / (name.lower().replace(" ", "_") + ".png")
        path.write_bytes(data)
        paths[name] = path
    return paths


def as_base64(images: dict[str, bytes]) -> dict[str, str]:
    return {name: base64.b64encode(data).decode("ascii") for name, data in images.items()}
