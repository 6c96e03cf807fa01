"""Customer directory over REST, for `authenticate` when alur.yaml says `directory: {type: rest}`.

The endpoint contract (any CRM can put a small adapter in front of itself to offer it):

    POST {url}/authenticate   {"customer_id": "100001", "pin": "1234"}
         200 -> the customer record as JSON (e.g. {"id": ..., "name": ..., "vip": true, "language": "id"})
         401 / 403 / 404 -> wrong ID or PIN
    GET  {url}/customers/by-phone/{phone}
         200 -> the record, 404 -> unknown

Anything else (5xx, timeout, refused) raises `DirectoryUnavailable`, so the flow takes the node's
`error` (or `fail`) target. A bearer token is read from the environment variable `token_env`.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

import httpx

from alur.flow.services import DirectoryUnavailable


class RestDirectory:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = 2.0,
        token: str | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = client or httpx.AsyncClient()

    @classmethod
    def from_settings(cls, settings: Any, client: httpx.AsyncClient | None = None) -> RestDirectory:
        token = os.environ.get(settings.token_env) if settings.token_env else None
        if not settings.url:
            raise DirectoryUnavailable("directory type 'rest' needs 'url' in alur.yaml")
        return cls(settings.url, timeout=settings.timeout, token=token, client=client)

    async def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any] | None:
        try:
            response = await self._client.request(
                method, self.url + path, json=body, headers=self._headers, timeout=self.timeout
            )
        except httpx.HTTPError as error:
            raise DirectoryUnavailable(
                f"customer directory {self.url} unreachable: {type(error).__name__}", value=self.url
            ) from None
        if response.status_code in (401, 403, 404):
            return None
        if not response.is_success:
            raise DirectoryUnavailable(
                f"customer directory {self.url} answered {response.status_code}", value=response.status_code
            )
        try:
            record = response.json()
        except ValueError:
            raise DirectoryUnavailable(
                f"customer directory {self.url} sent a body that is not JSON"
            ) from None
        if not isinstance(record, dict):
            raise DirectoryUnavailable(
                f"customer directory {self.url} sent {type(record).__name__}, not a JSON object"
            )
        record.pop("pin", None)
        return record

    async def authenticate(self, customer_id: str, pin: str) -> dict[str, Any] | None:
        return await self._call("POST", "/authenticate", {"customer_id": customer_id, "pin": pin})

    async def find_by_phone(self, phone: str) -> dict[str, Any] | None:
        return await self._call("GET", f"/customers/by-phone/{quote(phone, safe='')}")

    async def aclose(self) -> None:
        await self._client.aclose()
