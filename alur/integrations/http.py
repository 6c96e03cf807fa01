"""The live HTTP client for `http` nodes: httpx, one shared connection pool, never raises.

Failures (timeout, refused, bad TLS) come back as `HttpResponse(status=None, error=...)`, so the flow
takes its `fail` target instead of the call crashing.
"""

from __future__ import annotations

from typing import Any

import httpx

from alur.flow.services import HttpResponse


class HttpxClient:
    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self._client = client or httpx.AsyncClient(follow_redirects=True)
        self._own = client is None

    async def request(
        self, method: str, url: str, *, headers: dict[str, str], json: Any, timeout: float
    ) -> HttpResponse:
        try:
            response = await self._client.request(method, url, headers=headers, json=json, timeout=timeout)
        except httpx.TimeoutException:
            return HttpResponse(None, None, f"timeout after {timeout:g}s")
        except httpx.HTTPError as error:
            return HttpResponse(None, None, f"{type(error).__name__}: {error}")
        body: Any
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return HttpResponse(
            response.status_code, body, None if response.is_success else response.reason_phrase
        )

    async def aclose(self) -> None:
        if self._own:
            await self._client.aclose()
