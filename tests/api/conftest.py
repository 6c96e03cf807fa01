"""Fixtures of the API tests: the API on SQLite, and on SQLite and PostgreSQL (the suite's
`store_url` fixture gives each test a fresh database of each)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from apikit import Api, make_project, start_api


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    """The API on SQLite (the embedded default)."""
    async for running in start_api(make_project(tmp_path / "project"), f"sqlite:///{tmp_path / 'alur.db'}"):
        yield running


@pytest.fixture
async def api_on(tmp_path: Path, store_url: str) -> AsyncIterator[Api]:
    """The API on SQLite and on PostgreSQL."""
    async for running in start_api(make_project(tmp_path / "project"), store_url):
        yield running
