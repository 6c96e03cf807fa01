"""Safe expressions (CEL) for conditions and `${...}` templates in prompts; never Python `eval`.

Every expression is compiled once when the project loads; a call only evaluates compiled programs
against its context: `caller_id`, `dialed`, `customer` (map), `vars` (map), `language`, `flow`, `now`
(map: `hour`, `minute`, `weekday` 0=Mon, `day` 'mon'..., `date` 'YYYY-MM-DD', `time` 'HH:MM', `epoch`),
and, inside an `http` node's result mapping, `response` and `status`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import cel

from alur.core.errors import AlurError

ROOTS = frozenset({"caller_id", "dialed", "customer", "vars", "language", "flow", "now", "call_id"})
HTTP_ROOTS = ROOTS | {"response", "status"}
#: variables that hold one piece of text for the whole evaluation scope (see `Call.text_root`)
TEXT_ROOTS = frozenset({"caller_id", "dialed", "call_id", "language", "flow"})
_TEMPLATE = re.compile(r"\$\{([^}]*)\}")


class ExpressionError(AlurError):
    """An expression does not compile, names an unknown variable, or fails at run time."""

    code = "invalid_expression"


def _clean(message: str) -> str:
    # CEL's parse errors repeat the source with a caret; the first line is what a user needs
    first = message.strip().splitlines()[0] if message.strip() else "invalid expression"
    match = re.search(r"ERROR: <input>:(\d+):(\d+): (.*)$", first)
    if match:
        return f"column {match.group(2)}: {match.group(3).rstrip(':')}"
    return first.rstrip(":")


@dataclass(frozen=True, slots=True)
class Expression:
    """A compiled CEL expression."""

    source: str
    program: Any
    roots: frozenset[str] = frozenset()
    bare: str | None = None  # the expression is just this text variable (e.g. `${language}`)

    def evaluate(self, context: Any) -> Any:
        """Evaluate against a dict, or a scope with `activation(roots)` (a call: see alur.flow.call)."""
        if not isinstance(context, dict):
            if self.bare is not None:
                # CEL would hand the same string back, after binding it: skip the round trip
                value = context.text_root(self.bare)
                if type(value) is str:
                    return value
            context = context.activation(self.roots)
        try:
            return self.program.execute(context)
        except KeyError as error:
            raise ExpressionError(
                f"expression {self.source!r}: no such key {error} (use has(x.key) to test for it)",
                value=self.source,
            ) from None
        except Exception as error:  # CEL raises TypeError/RuntimeError/ValueError with clear text
            raise ExpressionError(f"expression {self.source!r}: {error}", value=self.source) from None

    def truth(self, context: Any) -> bool:
        value = self.evaluate(context)
        if not isinstance(value, bool):
            raise ExpressionError(
                f"condition {self.source!r} gave {value!r}, not true/false", value=self.source
            )
        return value


def compile_expression(source: str, roots: frozenset[str] = ROOTS) -> Expression:
    """Compile CEL; raise ExpressionError naming the problem (syntax, unknown variable)."""
    text = str(source).strip()
    if not text:
        raise ExpressionError("empty expression", value=source)
    try:
        program = cel.compile(text)
    except Exception as error:
        raise ExpressionError(f"invalid expression {text!r}: {_clean(str(error))}", value=source) from None
    try:
        names = set(program.variables())
    except Exception:  # pragma: no cover - static analysis is best effort: bind every variable then
        names = set(roots)
    bound = _comprehension_vars(text)
    unknown = sorted(n for n in names - roots - bound if "." not in n)
    if unknown:
        raise ExpressionError(
            f"expression {text!r} uses unknown variable(s) {unknown} (known: {sorted(roots)})",
            value=source,
        )
    return Expression(text, program, frozenset(names & roots), text if text in TEXT_ROOTS else None)


_MACRO = re.compile(r"\.(?:all|exists|exists_one|map|filter)\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,")


def _comprehension_vars(text: str) -> set[str]:
    return set(_MACRO.findall(text))


@dataclass(frozen=True, slots=True)
class Template:
    """Text with `${expr}` parts, e.g. 'Your balance is ${vars.balance}'."""

    source: str
    parts: tuple[str | Expression, ...]

    @property
    def is_constant(self) -> bool:
        return all(isinstance(p, str) for p in self.parts)

    @property
    def single(self) -> Expression | None:
        """The expression when the template is exactly one `${...}` (keeps the value's type)."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Expression):
            return self.parts[0]
        return None

    def render(self, context: Any) -> str:
        if len(self.parts) == 1 and isinstance(self.parts[0], str):
            return self.parts[0]
        return "".join(p if isinstance(p, str) else _text(p.evaluate(context)) for p in self.parts)

    def value(self, context: Any) -> Any:
        single = self.single
        return single.evaluate(context) if single is not None else self.render(context)


def compile_template(source: str, roots: frozenset[str] = ROOTS) -> Template:
    text = str(source)
    parts: list[str | Expression] = []
    pos = 0
    for match in _TEMPLATE.finditer(text):
        if match.start() > pos:
            parts.append(text[pos : match.start()])
        parts.append(compile_expression(match.group(1), roots))
        pos = match.end()
    if pos < len(text):
        parts.append(text[pos:])
    if "${" in "".join(p for p in parts if isinstance(p, str)):
        raise ExpressionError(f"template {text!r} has an unclosed '${{'", value=source)
    return Template(text, tuple(parts) or ("",))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        return ""
    return str(value)
