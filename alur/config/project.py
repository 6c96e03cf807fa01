"""Load a project directory into typed, compiled models, collecting every problem with `file:line`.

    PROJECT/
      alur.yaml            name, timezone, language, numbers -> flows, default_flow, directory
      flows/*.yaml         one flow per file (alur.flow)
      queues/*.yaml        queues (alur.routing.model.QueueConfig)
      agents/*.yaml        agents (alur.routing.model.AgentConfig)
      calendars/*.yaml     business hours and holidays (alur.flow.calendars.Calendar)
      directory/*.yaml     customers for the built-in directory (id, pin, name, vip, language, ...)
      prompts/             recorded prompts referenced by `file:`
      tests/*.yaml         flow test cases (`alur test-flow`)

`load_project(path)` returns a `Project` or raises `ProjectInvalid` whose `problems` list all that is
wrong (not just the first), each naming file, line and node.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from alur.config.channels import ChannelSettings, channel_problems
from alur.config.flows import check_project_flows, load_flow
from alur.config.messages import describe_validation_error
from alur.config.yamlsrc import Problem, YamlFileError, key_line, line_at, load_yaml, node_line, plain
from alur.core.announcements import AnnouncementError, Override, check_override
from alur.core.errors import AlurError
from alur.core.timezones import TimeZoneName
from alur.flow.calendars import Calendar
from alur.flow.model import Flow
from alur.routing.model import AgentConfig, QueueConfig, unique_codes
from alur.routing.references import listed_agent_problems, reference_problems


class ProjectInvalid(AlurError):
    """The project has problems; `problems` holds them all, in file order."""

    code = "project_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(str(p) for p in problems)
        super().__init__(f"{len(problems)} problem(s) in project:\n{lines}")


class DirectorySettings(BaseModel):
    """Where customers are looked up: the built-in `directory/*.yaml`, or a REST endpoint."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["builtin", "rest"] = "builtin"
    url: str | None = None
    timeout: float = Field(default=2.0, gt=0)
    token_env: str | None = None  # name of an environment variable holding a bearer token

    @model_validator(mode="after")
    def _url(self) -> DirectorySettings:
        if self.type == "rest" and not self.url:
            raise ValueError("a REST directory needs 'url' (e.g. https://crm.example.com/api)")
        return self


class RecordedAnnouncement(BaseModel):
    """`{file: prompts/position.wav}`: a recording in place of a spoken announcement."""

    model_config = ConfigDict(extra="forbid")
    file: str = Field(min_length=1)


class WebhookSettings(BaseModel):
    """`{url, calls, events, secret}`: POST to `url`, signed with `secret`, the call record when a call
    ends and when its wrap-up is done (`calls: [ended, wrapped_up]`) and/or each event of these kinds."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=500)
    calls: tuple[Literal["ended", "wrapped_up"], ...] = ()
    events: tuple[str, ...] = ()
    secret: str
    attempts: int = Field(8, ge=1, le=100, description="posts tried before a delivery is a dead letter")
    retry_delay: float = Field(0.5, gt=0, description="seconds before the first retry; doubles after")
    max_retry_delay: float = Field(30.0, gt=0, description="the longest pause between two tries")

    @model_validator(mode="after")
    def _sends_something(self) -> WebhookSettings:
        if not self.calls and not self.events:
            raise ValueError(
                "a webhook needs 'calls: [ended, wrapped_up]' (call records) and/or 'events: [kinds]'"
            )
        return self

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError(f"must be an http:// or https:// URL (got {v!r})")
        return v

    @field_validator("events")
    @classmethod
    def _kinds(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        from alur.core.codec import EVENT_TYPES

        if not v:
            raise ValueError("list at least one event kind (e.g. [call.ended, agent.disposition])")
        unknown = [kind for kind in v if kind not in EVENT_TYPES]
        if unknown:
            raise ValueError(f"unknown event kind(s) {unknown} (e.g. call.ended, agent.disposition)")
        return v

    @field_validator("secret")
    @classmethod
    def _secret(cls, v: str) -> str:
        if not v:
            raise ValueError("must not be empty: the receiver checks each post's signature with it")
        return v


class IceServer(BaseModel):
    """A STUN or TURN server the browser phone and Alur use to find a media path through NAT."""

    model_config = ConfigDict(extra="forbid")
    urls: tuple[str, ...]
    username: str = ""
    credential: str = ""

    @field_validator("urls", mode="before")
    @classmethod
    def _one_or_more(cls, v: Any) -> Any:
        return (v,) if isinstance(v, str) else v

    @field_validator("urls")
    @classmethod
    def _schemes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("list at least one URL (e.g. stun:stun.example.com:3478)")
        bad = [u for u in v if not u.startswith(("stun:", "stuns:", "turn:", "turns:"))]
        if bad:
            raise ValueError(f"expected stun:, stuns:, turn: or turns: URLs (got {bad})")
        return v


class BrowserPhoneSettings(BaseModel):
    """`browser_phone:` in alur.yaml: agents answering calls in the agent desktop over WebRTC."""

    model_config = ConfigDict(extra="forbid")
    ice_servers: tuple[IceServer, ...] = ()  # none: host candidates only (agents on Alur's LAN)
    codecs: tuple[Literal["PCMU", "PCMA", "opus"], ...] = ("PCMU", "opus")  # preferred first
    reconnect_grace: float = Field(default=10.0, gt=0, le=300)  # seconds a closed page may take to come back

    @field_validator("codecs")
    @classmethod
    def _some(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("list at least one codec (PCMU, PCMA or opus)")
        return v


class ProjectSettings(BaseModel):
    """The project's `alur.yaml`."""

    model_config = ConfigDict(extra="forbid")
    name: str = "alur"
    description: str = ""
    timezone: TimeZoneName = "UTC"
    language: str = "en"
    default_flow: str | None = None
    numbers: dict[str, str] = Field(default_factory=dict)
    directory: DirectorySettings = DirectorySettings()
    prompts_dir: str = "prompts"
    server: dict[str, Any] = Field(default_factory=dict)  # read by `alur serve`
    pause_reasons: tuple[str, ...] = ()  # the reasons agents may pause with (any when empty)
    #: first-contact resolution: a handled call is resolved at first contact when the same customer
    #: does not call again within this many days
    repeat_contact_days: float = Field(default=7.0, gt=0, le=365)
    simulation: dict[str, Any] = Field(default_factory=dict)  # read by `alur simulate`
    webhooks: tuple[WebhookSettings, ...] = ()  # CRM endpoints sent events by `alur serve`
    browser_phone: BrowserPhoneSettings = BrowserPhoneSettings()
    channels: ChannelSettings = ChannelSettings()  # chat, SMS, e-mail (alur.config.channels)
    #: announcement id -> language -> own wording (text) or recording ({file: ...})
    announcements: dict[str, dict[str, str | RecordedAnnouncement]] = Field(default_factory=dict)

    @field_validator("webhooks")
    @classmethod
    def _one_webhook_per_url(cls, v: tuple[WebhookSettings, ...]) -> tuple[WebhookSettings, ...]:
        urls = [w.url for w in v]
        twice = sorted({u for u in urls if urls.count(u) > 1})
        if twice:
            raise ValueError(f"each URL may have one webhook (listed twice: {twice})")
        return v

    @field_validator("pause_reasons")
    @classmethod
    def _pause_codes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return unique_codes(v, "pause reason")

    @field_validator("announcements")
    @classmethod
    def _announcements(
        cls, v: dict[str, dict[str, str | RecordedAnnouncement]]
    ) -> dict[str, dict[str, str | RecordedAnnouncement]]:
        for announcement, by_language in v.items():
            for language, value in by_language.items():
                try:
                    check_override(announcement, language, _override(value))
                except AnnouncementError as exc:
                    raise ValueError(exc.message) from None
        return v

    def announcement_overrides(self) -> dict[str, dict[str, Override]]:
        """The overrides in the form `alur.core.announcements.Announcements` takes."""
        return {a: {lang: _override(v) for lang, v in by.items()} for a, by in self.announcements.items()}


def _override(value: str | RecordedAnnouncement) -> Override:
    return Override(text=value) if isinstance(value, str) else Override(file=value.file)


class Customer(BaseModel):
    """A customer of the built-in directory; any other keys become attributes (`customer.<key>`)."""

    model_config = ConfigDict(extra="allow")
    id: str
    pin: str | None = None
    name: str = ""
    vip: bool = False
    language: str | None = None
    phone: str | None = None

    @field_validator("id", "pin", "phone", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v


@dataclass
class Project:
    root: Path
    settings: ProjectSettings
    flows: dict[str, Flow] = field(default_factory=dict)
    calendars: dict[str, Calendar] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    queues: dict[str, QueueConfig] = field(default_factory=dict)
    agents: dict[str, AgentConfig] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.settings.name

    def prompt_path(self, name: str) -> Path:
        """Where a `file:` prompt is: in `prompts_dir`, else relative to the project (as validated)."""
        candidate = Path(name)
        if candidate.is_absolute():
            return candidate
        in_prompts = self.root / self.settings.prompts_dir / candidate
        return in_prompts if in_prompts.exists() else self.root / candidate


def pydantic_problems(
    error: ValidationError,
    data: Any,
    display: str,
    base_line: int | None,
    node: str | None = None,
    skip: int = 0,
) -> list[Problem]:
    """One Problem per pydantic error, located in the YAML by the error's path."""
    out = []
    for item in error.errors():
        loc = tuple(item["loc"])[skip:]
        line = line_at(data, loc, base_line)
        where = ".".join(str(p) for p in loc if not (isinstance(p, str) and p.endswith("]")))
        message = describe_validation_error(item)
        out.append(Problem(display, line, f"{where}: {message}" if where else message, node, "invalid_field"))
    return out


def _yaml_files(root: Path, folder: str) -> list[Path]:
    directory = root / folder
    if not directory.is_dir():
        return []
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def yaml_documents(root: Path, folder: str, problems: list[Problem]) -> Iterator[tuple[Path, str, Any]]:
    """(file, 'folder/name.yaml', parsed data) for each readable YAML file of a project folder;
    a file that cannot be read or parsed becomes a problem instead."""
    for file in _yaml_files(root, folder):
        display = f"{folder}/{file.name}"
        try:
            data = load_yaml(file, display)
        except YamlFileError as error:
            problems.append(error.problem)
            continue
        yield file, display, data


def _records(data: Any, key: str) -> list[tuple[Any, Any]]:
    """A file holds one record (mapping), a list of them, or `{key: [...]}`: yield (record, container)."""
    if isinstance(data, dict) and isinstance(data.get(key), list):
        seq = data[key]
        return [(r, seq) for r in seq]
    if isinstance(data, dict) and list(data) == [key] and data[key] is None:
        return []  # `agents:` with none listed yet: an empty team, not a record named "agents"
    if isinstance(data, list):
        return [(r, data) for r in data]
    return [(data, None)]


def load_project(path: str | Path) -> Project:
    """Load and check a whole project; raise ProjectInvalid listing every problem."""
    root = Path(path)
    problems: list[Problem] = []
    if not root.is_dir():
        raise ProjectInvalid([Problem(str(root), None, "project directory not found", code="missing_file")])
    settings = _load_settings(root, problems)
    project = Project(root=root, settings=settings or ProjectSettings())
    _load_calendars(project, problems)
    _load_customers(project, problems)
    queue_files = _load_routing(project, problems)
    flow_sources = []
    unreadable_flows = False
    for file in _yaml_files(root, "flows"):
        display = f"flows/{file.name}"
        try:
            data = load_yaml(file, display)
        except YamlFileError as error:
            problems.append(error.problem)
            unreadable_flows = True
            continue
        flow, source = load_flow(data, display, problems)
        if flow is None:
            unreadable_flows = True
            continue
        if flow.name in project.flows:
            problems.append(
                Problem(
                    display,
                    key_line(data, "flow", 1),
                    f"flow '{flow.name}' is also defined in {project.flows[flow.name].file}",
                    code="duplicate_name",
                )
            )
            continue
        project.flows[flow.name] = flow
        flow_sources.append((flow, source))
    if not _yaml_files(root, "flows") and settings is not None:
        problems.append(Problem("flows/", None, "the project has no flows (flows/*.yaml)", code="no_flows"))
    known_queues = set(project.queues) | queue_files
    problems += check_project_flows(
        flow_sources, project.flows, known_queues, set(project.calendars), root, project.settings.prompts_dir
    )
    if settings is not None and not unreadable_flows:  # else a missing flow would be reported twice
        _check_numbers(project, problems)
    if problems:
        order = {p.file: i for i, p in enumerate(problems)}
        problems.sort(key=lambda p: (order[p.file], p.line or 0))
        raise ProjectInvalid(problems)
    return project


def _load_settings(root: Path, problems: list[Problem]) -> ProjectSettings | None:
    file = root / "alur.yaml"
    if not file.exists():
        problems.append(
            Problem(
                "alur.yaml",
                None,
                "missing project file alur.yaml (is this a project directory?)",
                code="missing_file",
            )
        )
        return None
    try:
        data = load_yaml(file, "alur.yaml")
    except YamlFileError as error:
        problems.append(error.problem)
        return None
    if data is None:
        data = {}
    try:
        return ProjectSettings.model_validate(plain(data))
    except ValidationError as error:
        problems += pydantic_problems(error, data, "alur.yaml", 1)
        return None


def _check_numbers(project: Project, problems: list[Problem]) -> None:
    settings = project.settings
    known = sorted(project.flows)
    data: Any = None
    try:
        data = load_yaml(project.root / "alur.yaml", "alur.yaml")
    except YamlFileError:
        pass
    numbers = data.get("numbers") if isinstance(data, dict) else None
    for number, flow in settings.numbers.items():
        if flow not in project.flows:
            line = line_at(numbers, (number,), key_line(data, "numbers"))
            problems.append(
                Problem(
                    "alur.yaml",
                    line,
                    f"number '{number}' goes to flow '{flow}', which does not exist (flows: {known})",
                    code="unknown_flow",
                )
            )
    if settings.default_flow and settings.default_flow not in project.flows:
        problems.append(
            Problem(
                "alur.yaml",
                key_line(data, "default_flow"),
                f"default_flow '{settings.default_flow}' does not exist (flows: {known})",
                code="unknown_flow",
            )
        )
    queue_channels = {name: q.channel for name, q in project.queues.items()}
    deflecting = [f"{f.name}.{n}" for f in project.flows.values() for n, node in f.nodes.items()
                  if node.type == "deflect"]  # fmt: skip
    for text in channel_problems(settings.channels, set(project.flows), queue_channels, deflecting):
        problems.append(Problem("alur.yaml", key_line(data, "channels"), text, code="bad_channel"))
    if not settings.numbers and not settings.default_flow and project.flows:
        problems.append(
            Problem(
                "alur.yaml",
                None,
                "no 'numbers' map and no 'default_flow': no call could reach a flow",
                code="no_entry",
            )
        )


def _load_calendars(project: Project, problems: list[Problem]) -> None:
    for file, display, data in yaml_documents(project.root, "calendars", problems):
        values = plain(data) if isinstance(data, dict) else data
        if isinstance(values, dict):
            values.setdefault("name", file.stem)
        try:
            calendar = Calendar.model_validate(values)
        except ValidationError as error:
            problems += pydantic_problems(error, data, display, 1)
            continue
        if calendar.name in project.calendars:
            problems.append(
                Problem(display, 1, f"calendar '{calendar.name}' is defined twice", code="duplicate_name")
            )
        project.calendars[calendar.name] = calendar


def _load_customers(project: Project, problems: list[Problem]) -> None:
    for _file, display, data in yaml_documents(project.root, "directory", problems):
        for record, _ in _records(data, "customers"):
            line = node_line(record, 1)
            try:
                customer = Customer.model_validate(plain(record))
            except ValidationError as error:
                problems += pydantic_problems(error, record, display, line)
                continue
            if customer.id in project.customers:
                problems.append(
                    Problem(display, line, f"customer '{customer.id}' is listed twice", code="duplicate_name")
                )
            project.customers[customer.id] = customer.model_dump(exclude_none=True)


def _load_routing(project: Project, problems: list[Problem]) -> set[str]:
    """Queues and agents with the routing engine's own models; returns queue names seen in files.

    Every record is kept with its file until the cross-file checks have run, so that a duplicate is
    reported (not dropped) and each problem names the file and line of the record it is in."""
    seen: set[str] = set()
    loaded: dict[str, list[tuple[Any, str, Any]]] = {"queues": [], "agents": []}
    for folder, model, key in (("queues", QueueConfig, "queues"), ("agents", AgentConfig, "agents")):
        for file, display, data in yaml_documents(project.root, folder, problems):
            records = _records(data, key)
            for record, container in records:
                line = node_line(record, 1)
                values = plain(record)
                if folder == "queues" and isinstance(values, dict):
                    if container is None:
                        values.setdefault("name", file.stem)
                    seen.add(str(values.get("name")))
                try:
                    item = model.model_validate(values)
                except ValidationError as error:
                    problems += pydantic_problems(error, record, display, line)
                    continue
                loaded[folder].append((item, display, record))
    queues, agents = loaded["queues"], loaded["agents"]
    for item, _, _ in queues:
        project.queues.setdefault(item.name, item)
    for item, _, _ in agents:
        project.agents.setdefault(item.id, item)
    queue_configs, agent_configs = [q for q, _, _ in queues], [a for a, _, _ in agents]
    found = reference_problems(queue_configs, agent_configs, also_known=seen)
    found += listed_agent_problems(queue_configs, agent_configs)
    for problem in found:
        sources = queues if problem.kind == "queue" else agents
        _, display, record = sources[problem.index]
        message = problem.message
        if problem.other is not None:
            _, other_display, other_record = sources[problem.other]
            message += f" (first at {other_display}:{node_line(other_record, 1)})"
        line = line_at(record, problem.field, node_line(record, 1))
        problems.append(Problem(display, line, message, code=problem.code))
    for item, display, record in queues:
        wanted = item.callback.calendar
        if wanted is not None and wanted not in project.calendars:
            known = ", ".join(sorted(project.calendars)) or "none"
            message = f"queue '{item.name}': callback calendar '{wanted}' is not defined (calendars: {known})"
            line = line_at(record, ("callback", "calendar"), node_line(record, 1))
            problems.append(Problem(display, line, message, code="unknown_calendar"))
    return seen
