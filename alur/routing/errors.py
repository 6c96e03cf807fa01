"""Routing errors: one class, told apart by a stable `code` (unknown_queue, unknown_agent,
unknown_call, duplicate_call, duplicate_name, offer_gone, bad_reason)."""

from __future__ import annotations

from alur.core.errors import AlurError


class RoutingError(AlurError):
    code = "routing_error"
