"""Suite-wide rules: an exception left in the event loop fails the test that left it."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from typing import Any

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, pytest.Function) and asyncio.iscoroutinefunction(item.obj):
            item.fixturenames.insert(0, "loop_errors_fail_the_test")  # type: ignore[attr-defined]


@pytest.fixture
async def loop_errors_fail_the_test() -> AsyncIterator[None]:
    loop = asyncio.get_running_loop()
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    yield
    await asyncio.sleep(0)
    gc.collect()  # a task whose exception nobody read reports it when collected
    loop.set_exception_handler(None)
    if errors:
        described = [f"{c.get('message')}: {c.get('exception')!r}" for c in errors]
        pytest.fail("exceptions left in the event loop:\n  " + "\n  ".join(described))
