"""Suite-wide rules and fixtures: an exception left in the event loop fails the test that left it; every
test asking for `store_url` / `open_store` runs on SQLite and on a real PostgreSQL server, each in a
fresh database.

PostgreSQL is found through ALUR_TEST_POSTGRES_URL (`.ci/run` starts a server and sets it; locally:
`.ci/postgres start /tmp/pg` prints a URL). Without it the PostgreSQL cases skip, except under CI=true,
where a missing server is a failure: CI must prove the store on both.
"""

from __future__ import annotations

import asyncio
import gc
import os
import pathlib
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text

from alur.store.event_store import EventStore


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


POSTGRES_ENV = "ALUR_TEST_POSTGRES_URL"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[str]:
    """A URL to an empty database of its own: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'alur.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        reason = f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI must test the store on PostgreSQL too)")
        pytest.skip(reason)
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def open_store(store_url: str) -> Iterator[Callable[[], EventStore]]:
    """Opens stores on the test's database (as often as a test reopens it); closes them after."""
    opened: list[EventStore] = []

    def open_() -> EventStore:
        opened.append(EventStore(store_url))
        return opened[-1]

    yield open_
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[[], EventStore]) -> EventStore:
    return open_store()
