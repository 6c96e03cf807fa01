"""The shape of a flow: nodes (one pydantic model per type), prompts, and the flow itself.

A node knows its own targets, prompts and expressions (for the validator and the diagram), compiles its
expressions once (`prepare`), and runs itself against a call (`run`) returning the next node's id, or
None when the call is over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from alur.core.channel import Prompt
from alur.flow.expr import ROOTS, ExpressionError, Template, compile_template

if TYPE_CHECKING:
    from alur.flow.call import Call

NODE_ID = r"^[A-Za-z_][A-Za-z0-9_\-]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PromptSpec(_Model):
    """What to play: text-to-speech `say` or a recorded `file`; either may be one string or a map of
    language -> string (the call's current language picks one). `say` may use `${...}` templates."""

    say: str | dict[str, str] | None = None
    file: str | dict[str, str] | None = None
    language: str | None = None
    voice: str | None = None
    _say: dict[str, Template] = PrivateAttr(default_factory=dict)
    _fixed: dict[str, Prompt] | None = PrivateAttr(None)  # resolved prompts by language, when constant

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        # the shorthands accepted by `_shorthand` are part of the language, so editors should know them
        return {
            "anyOf": [
                {"type": "string", "description": "text to speak in the call's language"},
                {
                    "type": "object",
                    "description": "text to speak per language, e.g. {en: ..., id: ...}",
                    "additionalProperties": {"type": "string"},
                    "propertyNames": {"not": {"enum": ["say", "file", "language", "voice"]}},
                },
                handler(core_schema),
            ]
        }

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"say": data}
        if isinstance(data, dict) and data and not set(data) & {"say", "file", "language", "voice"}:
            return {"say": data}  # {en: "...", id: "..."}: text to speech per language
        return data

    @model_validator(mode="after")
    def _one(self) -> PromptSpec:
        if (self.say is None) == (self.file is None):
            raise ValueError("a prompt needs exactly one of 'say' (text to speech) or 'file' (recording)")
        for value in (self.say, self.file):
            if isinstance(value, dict) and not value:
                raise ValueError("a per-language prompt needs at least one language")
            if isinstance(value, str) and not value.strip():
                raise ValueError("a prompt must not be empty")
        return self

    def prepare(self) -> None:
        if isinstance(self.say, str):
            self._say = {"": compile_template(self.say)}
        elif isinstance(self.say, dict):
            self._say = {lang: compile_template(text) for lang, text in self.say.items()}
        if all(t.is_constant for t in self._say.values()):
            self._fixed = {}

    def files(self) -> list[str]:
        if isinstance(self.file, str):
            return [self.file]
        if isinstance(self.file, dict):
            return list(self.file.values())
        return []

    def languages(self) -> list[str]:
        value = self.say if self.say is not None else self.file
        return list(value) if isinstance(value, dict) else []

    def describe(self) -> str:
        value = self.say if self.say is not None else self.file
        if isinstance(value, dict):
            return next(iter(value.values()))
        return str(value)

    def resolve(self, call: Call) -> Prompt:
        """The concrete prompt for this call (its language, templates rendered)."""
        lang = call.language
        fixed = self._fixed
        if fixed is not None:
            prompt = fixed.get(lang)
            if prompt is None:
                prompt = fixed[lang] = self._resolve(call, lang)
            return prompt
        return self._resolve(call, lang)

    def _resolve(self, call: Call, lang: str) -> Prompt:
        if self.say is not None:
            if isinstance(self.say, str):
                return Prompt(
                    text=self._say[""].render(call.context()),
                    language=self.language or lang,
                    voice=self.voice,
                )
            key = lang if lang in self._say else next(iter(self._say))
            return Prompt(
                text=self._say[key].render(call.context()), language=self.language or key, voice=self.voice
            )
        if isinstance(self.file, str):
            return Prompt(file=self.file, language=self.language or lang, voice=self.voice)
        assert isinstance(self.file, dict)
        key = lang if lang in self.file else next(iter(self.file))
        return Prompt(file=self.file[key], language=self.language or key, voice=self.voice)


class NodeBase(_Model):
    """Fields and behaviour every node type shares."""

    type: str
    description: str = ""

    #: this node can end the call by itself (the validator's notion of a way out of a loop)
    can_end: ClassVar[bool] = False

    def targets(self) -> list[tuple[str, str | None]]:
        """(edge label, target node id) pairs; a None target means 'not set'."""
        return []

    def prompts(self) -> list[tuple[str, PromptSpec]]:
        """(field name, prompt) pairs, for the validator."""
        return []

    def missing_prompts(self) -> list[str]:
        """One message per required prompt that is not set."""
        return []

    def expressions(self) -> list[tuple[str, str]]:
        """(field name, source) of CEL expressions and templates, compiled by `prepare`."""
        return []

    def prepare(self) -> list[tuple[str, str]]:
        """Compile expressions once; return (field, message) for each that does not compile."""
        problems: list[tuple[str, str]] = []
        for name, spec in self.prompts():
            try:
                spec.prepare()
            except ExpressionError as error:
                problems.append((name, error.message))
            _fast_private(spec)
        problems += self._compile()
        _fast_private(self)
        return problems

    def _compile(self) -> list[tuple[str, str]]:
        return []

    async def run(self, call: Call) -> str | None:  # pragma: no cover - every type overrides it
        raise NotImplementedError


def _fast_private(model: BaseModel) -> None:
    """Mirror compiled private attributes into the instance dict: pydantic serves private attributes
    through `__getattr__`, which costs microseconds a read, and a simulated call reads them often.
    Nodes never change them after `prepare`."""
    for name, value in (model.__pydantic_private__ or {}).items():
        object.__setattr__(model, name, value)


def compile_each(
    pairs: list[tuple[str, str]], compiler: Any, roots: frozenset[str] = ROOTS
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Compile (field, source) pairs; return compiled values by field and the problems found."""
    out: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for field, source in pairs:
        try:
            out[field] = compiler(source, roots)
        except ExpressionError as error:
            problems.append((field, error.message))
    return out, problems


class FlowFile(_Model):
    """The top of a flow file; `nodes` are validated one by one (so each error names its node)."""

    flow: str = Field(pattern=NODE_ID)
    version: int | str = 1
    description: str = ""
    language: str = "en"
    start: str
    nodes: dict[str, Any]


class Flow:
    """A validated, compiled flow: `nodes` by id, entered at `start`."""

    __slots__ = ("name", "version", "description", "language", "start", "nodes", "file", "published")

    def __init__(
        self,
        name: str,
        version: int | str,
        description: str,
        language: str,
        start: str,
        nodes: dict[str, NodeBase],
        file: str,
        published: int = 0,
    ) -> None:
        self.name = name
        self.version = version
        self.description = description
        self.language = language
        self.start = start
        self.nodes = nodes
        self.file = file
        self.published = published  # the store's version number once published live (0: the file)

    def as_published(self, number: int) -> Flow:
        """This flow as published version `number`: what each call it runs records."""
        if number == self.published:
            return self
        return Flow(self.name, self.version, self.description, self.language, self.start, self.nodes,
                    self.file, number)  # fmt: skip
