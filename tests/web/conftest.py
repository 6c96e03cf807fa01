"""Fixtures of the browser tests: the API with its pages on a free port (a real contact center and store,
one token per role) and a headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "api"))

from apikit import Api, make_project, start_api  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async for running in start_api(make_project(tmp_path / "project"), f"sqlite:///{tmp_path / 'alur.db'}"):
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run: {missing}")
        pytest.skip(missing)
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()
