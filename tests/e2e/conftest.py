"""Fixtures for the end-to-end tests; they need sipp (sip-tester), espeak-ng and sox, and are skipped
with a reason when one is missing."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from e2e_env import Env  # noqa: E402

HERE = Path(__file__).parent
MISSING = [tool for tool in ("sipp", "espeak-ng", "sox") if shutil.which(tool) is None]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not MISSING:
        return
    skip = pytest.mark.skip(reason=f"end-to-end telephony tests need {', '.join(MISSING)} (see .ci/run)")
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def prompt_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Speech synthesised once for the whole session, as a server keeps it between calls."""
    return tmp_path_factory.mktemp("prompt-cache")


@pytest.fixture
async def env(tmp_path: Path, prompt_cache: Path) -> AsyncIterator[Env]:
    e = Env(tmp_path, prompt_cache)
    yield e
    if e.server is not None:
        await e.server.stop()
    await asyncio.sleep(0)
