"""Fixtures of the API tests: the API on SQLite, and on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from apikit import Api, make_project, start_api
from sqlalchemy import create_engine, make_url, text


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'alur.db'}"
        return
    base = os.environ.get("ALUR_TEST_POSTGRES_URL")
    if not base:
        if os.environ.get("CI") == "true":
            pytest.fail("ALUR_TEST_POSTGRES_URL is not set (CI must test the API on PostgreSQL too)")
        pytest.skip("ALUR_TEST_POSTGRES_URL is not set: no PostgreSQL server to test against")
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
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    """The API on SQLite (the embedded default)."""
    async for running in start_api(make_project(tmp_path / "project"), f"sqlite:///{tmp_path / 'alur.db'}"):
        yield running


@pytest.fixture
async def api_on(tmp_path: Path, db_url: str) -> AsyncIterator[Api]:
    """The API on SQLite and on PostgreSQL."""
    async for running in start_api(make_project(tmp_path / "project"), db_url):
        yield running
