"""Errors at the HTTP edge: every refusal is JSON `{"error": code, "message": text}` with one clear line.

Domain errors (`AlurError`) keep their stable code; their HTTP status is chosen here and only here.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from alur.core.errors import AlurError

#: domain error codes that mean "no such thing" rather than "not now"
NOT_FOUND = {"unknown_agent", "unknown_queue", "unknown_call", "unknown_flow", "unknown_version",
             "unknown_token", "no_offer", "unknown_conversation"}  # fmt: skip
BAD_INPUT = {"bad_reason", "bad_command", "flow_invalid", "bad_value", "bad_phone"}


class ApiError(AlurError):
    """A refusal decided at the API edge (no token, a role or scope that does not allow it...)."""

    def __init__(
        self, status: int, code: str, message: str, *, field: str | None = None, **extra: Any
    ) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.field = field
        self.extra = extra  # more fields of the JSON answer (e.g. retry_after)


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message)


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def bad_field(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_request", f"{field}: {message}", field=field)


def body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra}


def status_of(error: AlurError) -> int:
    if isinstance(error, ApiError):
        return error.status
    if error.code in NOT_FOUND:
        return 404
    if error.code in BAD_INPUT:
        return 422
    return 409  # the request is fine but the contact center's state does not allow it now


def field_name(loc: tuple[Any, ...]) -> str:
    """'body.reason' -> 'reason', ('query', 'since') -> 'since'; list indexes kept: 'follow_up.due'."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(AlurError)
    async def _domain(_request: Request, error: AlurError) -> JSONResponse:
        extra: dict[str, Any] = {}
        if isinstance(error, ApiError):
            extra.update(error.extra)
            if error.field:
                extra["field"] = error.field
        problems = getattr(error, "problems", None)
        if problems is not None:
            extra["problems"] = [
                {"file": p.file, "line": p.line, "node": p.node, "message": p.message, "code": p.code,
                 "text": str(p)}
                for p in problems
            ]  # fmt: skip
        headers = {"WWW-Authenticate": "Bearer"} if status_of(error) == 401 else None
        return JSONResponse(body(error.code, error.message, **extra), status_of(error), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0]
        name = field_name(tuple(first.get("loc", ())))
        message = str(first.get("msg", "invalid value"))
        if first.get("type") == "missing":
            message = "required field is missing"
        elif first.get("type") == "extra_forbidden":
            message = "unknown field (check its spelling)"
        elif first.get("type") == "json_invalid":
            name, message = "body", "the request body is not valid JSON"
        return JSONResponse(body("invalid_request", f"{name}: {message}", field=name), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return JSONResponse(body(code, str(error.detail)), error.status_code)
