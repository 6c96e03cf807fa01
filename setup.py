"""Build hook: everything is in pyproject.toml, except the optional compiled engine.

`ALUR_COMPILE=1 pip install --no-build-isolation .`, in an environment that has the package's
dependencies and mypy (the `dev` extra), compiles the modules every simulated (and live) call runs
through (the clock, the virtual-time tasks, the routing engine, the KPI fold, the flow interpreter
and the simulator's call path) to C extensions with mypyc: the same source, about 2.5 times as fast
per call. Without it the package is plain Python, as an editable install must be: a compiled module
next to its source would shadow every later edit of that source.
"""

from __future__ import annotations

import os

from setuptools import setup

COMPILED = [
    "alur/core/clock.py",
    "alur/core/tasks.py",
    "alur/metrics/kpis.py",
    "alur/routing/agents.py",
    "alur/routing/calls.py",
    "alur/routing/queues.py",
    "alur/routing/state.py",
    "alur/routing/dispatch.py",
    "alur/routing/callbacks.py",
    "alur/routing/restore.py",
    "alur/routing/engine.py",
    "alur/routing/group.py",
    "alur/routing/digital.py",
    "alur/routing/escalation.py",
    "alur/routing/strategies/*.py",
    "alur/flow/interpreter.py",
    "alur/flow/call.py",
    "alur/testing/channel.py",
    "alur/sim/runner.py",
    "alur/sim/caller.py",
    "alur/sim/traffic.py",
    "alur/sim/draws.py",
]


COMPILE = os.environ.get("ALUR_COMPILE", "") in ("1", "true", "yes")


def _compiled_modules() -> list:
    """The mypyc extensions, when asked for (ALUR_COMPILE=1); none otherwise."""
    if not COMPILE:
        return []
    from glob import glob

    from mypyc.build import mypycify  # from mypy; the build sees the project's own dependencies

    paths = sorted(path for pattern in COMPILED for path in glob(pattern))
    # the modules compiled must type-check; those they import (the pydantic models of the scenario
    # and the flow files, say) stay plain Python and are only read for their types
    return mypycify(["--follow-imports=silent", *paths], opt_level="3")


setup(ext_modules=_compiled_modules())
