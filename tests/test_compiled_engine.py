"""The compiled engine (setup.py, `ALUR_COMPILE=1`): a run of the suite that says it tests it
(`ALUR_EXPECT_COMPILED=1`, as CI's second run does) really imports every module compiled, and not the
plain source next to it; otherwise that run would pass while testing nothing new."""

from __future__ import annotations

import ast
import importlib
import os
from glob import glob
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def compiled_modules() -> list[str]:
    """The dotted names of the modules setup.py compiles (its COMPILED patterns)."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    patterns = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "COMPILED"
    )
    paths = sorted(p for pattern in patterns for p in glob(str(ROOT / pattern)))
    return [str(Path(p).relative_to(ROOT).with_suffix("")).replace("/", ".") for p in paths]


def test_setup_names_the_engine_modules() -> None:
    names = compiled_modules()
    assert "alur.routing.engine" in names and "alur.sim.runner" in names
    assert "alur.routing.strategies.longest_idle" in names  # the strategies' pattern matched
    for name in names:
        importlib.import_module(name)  # each one exists


@pytest.mark.skipif(not os.environ.get("ALUR_EXPECT_COMPILED"), reason="a run of the plain Python source")
def test_the_run_imports_every_module_compiled() -> None:
    plain = [
        name for name in compiled_modules() if str(importlib.import_module(name).__file__).endswith(".py")
    ]
    assert not plain, f"plain Python, not compiled: {plain}"
