"""The live services a FlowRunner needs, built from a project's settings (used by `alur serve`)."""

from __future__ import annotations

from typing import Any

import httpx

from alur.flow.services import BuiltinDirectory, CustomerDirectory
from alur.integrations.directory import RestDirectory
from alur.integrations.http import HttpxClient


def live_services(
    project: Any, client: httpx.AsyncClient | None = None
) -> tuple[CustomerDirectory, HttpxClient]:
    """(customer directory, HTTP client) for real calls; share one httpx client between them."""
    shared = client or httpx.AsyncClient(follow_redirects=True)
    settings = project.settings.directory
    directory: CustomerDirectory
    if settings.type == "rest":
        directory = RestDirectory.from_settings(settings, client=shared)
    else:
        directory = BuiltinDirectory(project.customers)
    return directory, HttpxClient(shared)
