"""What a flow needs from the outside world, as protocols: a customer directory and an HTTP client.

The interpreter awaits these; the live server injects the REST/httpx implementations from
`alur.integrations`, tests and the simulator inject the in-memory ones (which never suspend, so they
cost nothing in virtual time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from alur.core.errors import AlurError


class DirectoryUnavailable(AlurError):
    """The customer directory could not answer (REST endpoint down, timeout)."""

    code = "directory_unavailable"


class CustomerDirectory(Protocol):
    async def authenticate(self, customer_id: str, pin: str) -> dict[str, Any] | None:
        """The customer's record (without the PIN) if the PIN matches, else None."""
        ...

    async def find_by_phone(self, phone: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int | None  # None when no response arrived (timeout, refused)
    body: Any = None  # parsed JSON, or the text when not JSON
    error: str | None = None


class HttpClient(Protocol):
    async def request(
        self, method: str, url: str, *, headers: dict[str, str], json: Any, timeout: float
    ) -> HttpResponse: ...


class BuiltinDirectory:
    """Customers from the project's `directory/*.yaml` files, keyed by id."""

    def __init__(self, customers: dict[str, dict[str, Any]]) -> None:
        self._customers = customers
        self._by_phone: dict[str, str] = {}
        for cid, record in customers.items():
            phones = record.get("phones") or ([record["phone"]] if record.get("phone") else [])
            for phone in phones:
                if _digits(str(phone)):
                    self._by_phone[_digits(str(phone))] = cid

    @staticmethod
    def public(record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if k != "pin"}

    async def authenticate(self, customer_id: str, pin: str) -> dict[str, Any] | None:
        record = self._customers.get(customer_id)
        if record is None or str(record.get("pin", "")) != pin or not pin:
            return None
        return self.public(record)

    async def find_by_phone(self, phone: str) -> dict[str, Any] | None:
        """Match on digits only: '+62 811-0000', '62811 0000' and 'sip:+628110000@host' are one number."""
        digits = _digits(phone)
        cid = self._by_phone.get(digits) if digits else None
        return self.public(self._customers[cid]) if cid is not None else None


def _digits(phone: str) -> str:
    if phone.startswith(("sip:", "sips:", "tel:")):
        phone = phone.split(":", 1)[1].split("@", 1)[0].split(";", 1)[0]
    return "".join(filter(str.isdigit, phone))


class Messenger(Protocol):
    """Sends a customer a message on another channel (a `deflect` node): None when sent, else why not."""

    async def send(self, channel: str, to: str, text: str) -> str | None: ...


class NoMessenger:
    """The messenger used when no channel is configured: nothing can be sent (the node's `fail`)."""

    async def send(self, channel: str, to: str, text: str) -> str | None:
        return f"no {channel} gateway configured (alur.yaml channels.{channel})"


class NoHttp:
    """The HTTP client used when none is configured: every request fails (the node's `fail` target)."""

    async def request(
        self, method: str, url: str, *, headers: dict[str, str], json: Any, timeout: float
    ) -> HttpResponse:
        return HttpResponse(None, None, "no HTTP client configured")
