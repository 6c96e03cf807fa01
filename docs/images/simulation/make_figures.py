"""Regenerate the figures of docs/simulation.md: `python docs/images/simulation/make_figures.py`.

1. The support example, base vs two variants (PNG plots from `alur simulate --out`).
2. Simulation vs Erlang C and Erlang A for 3..8 agents (mean and 95% CI over 5 seeds).
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from alur.config.project import load_project  # noqa: E402
from alur.sim.erlang import erlang_a_kpis, erlang_c_kpis  # noqa: E402
from alur.sim.runner import Simulation  # noqa: E402
from alur.sim.scenario import load_scenario  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def example_plots() -> None:
    out = HERE / "_support"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "alur.cli",
            "simulate",
            "examples/support",
            "examples/support/scenarios/weekday.yaml",
            "--seed",
            "1",
            "--compare",
            "rosters.tech.count=8",
            "--compare",
            "queues.support.strategy=longest_idle",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        check=True,
    )
    for name in ("traffic.png", "service_level_and_asa.png", "occupancy.png", "ivr_option_popularity.png"):
        shutil.copy(out / name, HERE / f"support_{name}")
    shutil.rmtree(out)


def erlang_check() -> None:
    project = load_project(ROOT / "tests/sim/projects/mmc")
    seeds = range(1, 6)
    agents = range(5, 10)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    for patience, style in ((None, "C0"), (120.0, "C1")):
        sims: dict[str, list[tuple[float, float]]] = {"p_wait": [], "asa": [], "service_level": []}
        theory: dict[str, list[float]] = {k: [] for k in sims}
        for n in agents:
            overrides = [
                "arrivals.rate_per_hour=120",
                "arrivals.duration=30h",
                "warmup=1h",
                "handle_time.default.mean=120",
                f"rosters=[{{name: a, count: {n}, queues: [support]}}]",
            ]
            if patience:
                overrides.append(f"patience={{dist: exponential, mean: {patience}}}")
            scenario = load_scenario(ROOT / "tests/sim/mmc.yaml", overrides)
            totals = [Simulation(project, scenario, s).run().kpis.total for s in seeds]
            k = erlang_a_kpis(120 / 3600, 120, n, patience) if patience else erlang_c_kpis(120 / 3600, 120, n)
            for name in sims:
                values = np.array([getattr(t, name) for t in totals])
                half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
                sims[name].append((values.mean(), half))
                theory[name].append(getattr(k, name))
        label = "Erlang A (patience 120 s)" if patience else "Erlang C"
        for ax, name in zip(axes, sims, strict=True):
            xs = list(agents)
            ax.plot(xs, theory[name], color=style, label=label)
            ax.errorbar(
                xs,
                [m for m, _ in sims[name]],
                yerr=[h for _, h in sims[name]],
                fmt="o",
                color=style,
                capsize=3,
                label=f"simulated, 95% CI ({label.split(' (')[0]})",
            )
    for ax, title in zip(axes, ("P(wait)", "ASA (s)", "Service level 80/20"), strict=True):
        ax.set_title(title)
        ax.set_xlabel("agents (4 Erlangs offered)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(HERE / "erlang_check.png", dpi=100)


if __name__ == "__main__":
    example_plots()
    erlang_check()
