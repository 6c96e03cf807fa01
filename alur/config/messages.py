"""Pydantic validation errors turned into messages a flow designer can act on."""

from __future__ import annotations

from typing import Any


def describe_validation_error(item: Any) -> str:
    """One pydantic error item in a designer's words, with the offending value where it helps."""
    kind = item.get("type", "")
    if kind == "string_pattern_mismatch":
        return (
            f"{item.get('input')!r} is not a valid name: use letters, digits, '_' (and '-', '.' where "
            "allowed), starting with a letter"
        )
    if kind == "extra_forbidden":
        return "unknown field (check its spelling)"
    if kind == "missing":
        return "required field is missing"
    msg = str(item.get("msg", "invalid")).removeprefix("Value error, ")
    if "PromptSpec" in msg:
        return (
            "a prompt is text to speak, a map of language -> text ({en: ..., id: ...}), or {file: ...} "
            f"(got {item.get('input')!r})"
        )
    if (
        kind.endswith("_type")
        or kind.endswith("_parsing")
        or kind in ("literal_error", "greater_than", "less_than_equal", "greater_than_equal")
    ):
        msg = f"{msg} (got {item.get('input')!r})"
    return msg
