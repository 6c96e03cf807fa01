"""YAML with positions: every loaded mapping remembers the line of each key, so errors name `file:line`.

ruamel.yaml's round-trip loader keeps line/column data on the containers it builds; these helpers turn
it into 1-based line numbers and into plain Python values for pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a project: where it is and what is wrong, in the user's words."""

    file: str
    line: int | None
    message: str
    node: str | None = None
    code: str = "invalid"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        node = f" node '{self.node}'" if self.node else ""
        return f"{where}{node}: {self.message}"


class YamlFileError(Exception):
    """A file could not be read or parsed; carries a ready Problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def load_yaml(path: Path, display: str) -> Any:
    """Load one YAML file keeping positions; raise YamlFileError naming `display:line` on failure."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlFileError(Problem(display, None, "file not found", code="missing_file")) from None
    except (OSError, UnicodeDecodeError) as error:
        raise YamlFileError(Problem(display, None, f"cannot read file: {error}", code="unreadable")) from None
    return load_yaml_text(text, display)


def load_yaml_text(text: str, display: str) -> Any:
    """Parse YAML text (a file's, or one uploaded) keeping positions; YamlFileError names `display:line`."""
    yaml = YAML(typ="rt")
    try:
        return yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        what = error.problem or error.context or "invalid YAML"
        if error.context and error.problem and "duplicate" in error.problem:
            what = error.problem
        raise YamlFileError(
            Problem(display, line, f"YAML syntax error: {what}", code="yaml_syntax")
        ) from None
    except YAMLError as error:
        raise YamlFileError(Problem(display, None, f"YAML error: {error}", code="yaml_syntax")) from None
    except (ValueError, TypeError, OverflowError) as error:  # e.g. an impossible date such as 2026-02-30
        raise YamlFileError(Problem(display, None, f"invalid value: {error}", code="yaml_value")) from None


def key_line(container: Any, key: Any, default: int | None = None) -> int | None:
    """1-based line of `key` in a loaded mapping (or index in a sequence)."""
    try:
        if isinstance(container, CommentedMap) and key in container:
            return int(container.lc.key(key)[0]) + 1
        if isinstance(container, CommentedSeq) and isinstance(key, int) and 0 <= key < len(container):
            return int(container.lc.item(key)[0]) + 1
    except (KeyError, TypeError, AttributeError, IndexError):
        pass
    return default


def node_line(container: Any, default: int | None = None) -> int | None:
    """1-based line where a loaded mapping or sequence starts."""
    try:
        if isinstance(container, (CommentedMap, CommentedSeq)):
            return int(container.lc.line) + 1
    except AttributeError:
        pass
    return default


def line_at(container: Any, loc: tuple[Any, ...], default: int | None) -> int | None:
    """Follow a pydantic error location into the loaded YAML; the deepest line found wins."""
    line = default
    current = container
    for part in loc:
        if isinstance(current, CommentedMap):
            key = part
            if key not in current:
                # YAML may have parsed `1:` as an int where the model wants '1'
                matches = [k for k in current if str(k) == str(part)]
                if not matches:
                    break
                key = matches[0]
            line = key_line(current, key, line)
            current = current[key]
        elif isinstance(current, CommentedSeq) and isinstance(part, int) and part < len(current):
            line = key_line(current, part, line)
            current = current[part]
        else:
            break
    return line


def plain(value: Any) -> Any:
    """Round-trip containers to plain dicts/lists with string keys where YAML made numbers."""
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else _key_text(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        # ISO text: models with date fields parse it back, and expressions can compare it
        return value.isoformat()
    return value


def _key_text(key: Any) -> Any:
    if isinstance(key, bool) or key is None:
        return key
    if isinstance(key, (int, float)):
        return str(key)
    if isinstance(key, (date, datetime)):
        return key.isoformat()
    return key
