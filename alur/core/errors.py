"""Domain errors with a stable code, so callers can react to a kind of failure, not its wording."""

from __future__ import annotations

from typing import Any


class AlurError(Exception):
    """Base error: `code` is stable (for APIs and tests), the message names the offending value."""

    code: str = "alur_error"

    def __init__(self, message: str, *, code: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.value = value

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConfigError(AlurError):
    """A project file is wrong; `location` is 'file:line' when known."""

    code = "config_error"

    def __init__(
        self, message: str, *, location: str | None = None, code: str | None = None, value: Any = None
    ) -> None:
        self.location = location
        super().__init__(f"{location}: {message}" if location else message, code=code, value=value)


class Rejected(AlurError):
    """An upload (a flow, a queue, an agent) has problems and changed nothing; `problems` lists them
    as `alur validate` words them."""

    code = "invalid"
    noun = "upload"

    def __init__(self, problems: list[Any]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the {self.noun}: " + "; ".join(map(str, problems)))


class IllegalTransition(AlurError):
    """A state machine was asked for a move its transition table does not allow."""

    code = "illegal_transition"


class CallerHungUp(AlurError):
    """Raised inside a flow when the caller has gone; the interpreter ends the call cleanly."""

    code = "caller_hung_up"

    def __init__(self, message: str = "caller hung up") -> None:
        super().__init__(message)
