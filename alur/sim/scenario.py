"""The scenario file: the synthetic traffic, callers and staff a simulation runs a project against.

    name: weekday
    start: "2026-03-02 08:00"     # local time in `timezone`
    timezone: Asia/Jakarta
    arrivals: {interval: 30m, calls: [40, 65, 80, 70]}   # Poisson, mean calls per interval
    callers: {known_share: 0.5, vip_share: 0.1, languages: {en: 0.7, id: 0.3}}
    ivr:
      response_time: {dist: lognormal, mean: 3, sd: 1.5}
      wrong_digits: 0.03
      nodes:
        main_menu: {choices: {"1": 0.6, "2": 0.4}}
    handle_time: {default: {dist: exponential, mean: 180}}
    patience: {dist: exponential, mean: 120}
    callback: {accept: 0.3, reach: 0.9}
    http:                         # canned web-service answers for `http` nodes, first match wins
      - {url: "https://crm.example.com/api/accounts/*/balance", json: {balance: 125000}, latency: 0.4}
    rosters:
      - {name: day, count: 10, queues: [support], shifts: [{start: "08:00", end: "12:00"}]}

Unknown keys are errors (a typo must not silently change a capacity plan); every error names the
scenario file and line.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from alur.config.yamlsrc import Problem, YamlFileError, line_at, load_yaml, plain
from alur.core.errors import ConfigError
from alur.core.timezones import TimeZoneName
from alur.sim.limits import check_size

_UNITS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def seconds(value: Any) -> float:
    """12, 12.5, '90s', '30m', '1.5h', '1d' -> seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 30, '90s', '30m' or '1h' (got {value!r})")
    if isinstance(value, (int, float)):
        return float(value)
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-z]*)\s*", str(value))
    if not match or match.group(2) not in ("", *_UNITS):
        raise ValueError(f"expected a duration such as 30, '90s', '30m' or '1h' (got {value!r})")
    return float(match.group(1)) * _UNITS.get(match.group(2), 1.0)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Distribution(_Model):
    """A positive random duration: exponential, lognormal, gamma (by mean and sd), uniform, fixed."""

    dist: Literal["exponential", "lognormal", "gamma", "uniform", "fixed"] = "exponential"
    mean: float | None = Field(None, gt=0)
    sd: float | None = Field(None, gt=0)
    min: float | None = Field(None, ge=0)
    max: float | None = Field(None, gt=0)
    value: float | None = Field(None, ge=0)

    @field_validator("mean", "sd", "min", "max", "value", mode="before")
    @classmethod
    def _durations(cls, v: Any) -> Any:
        return None if v is None else seconds(v)

    @model_validator(mode="after")
    def _needs(self) -> Distribution:
        need = {
            "exponential": ("mean",),
            "lognormal": ("mean", "sd"),
            "gamma": ("mean", "sd"),
            "uniform": ("min", "max"),
            "fixed": ("value",),
        }[self.dist]
        missing = [n for n in need if getattr(self, n) is None]
        if missing:
            raise ValueError(f"a {self.dist} distribution needs {', '.join(missing)}")
        if self.dist == "uniform" and self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"uniform: min {self.min} is above max {self.max}")
        return self

    @property
    def expected(self) -> float:
        if self.dist == "uniform":
            return ((self.min or 0.0) + (self.max or 0.0)) / 2
        if self.dist == "fixed":
            return self.value or 0.0
        return self.mean or 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.dist == "exponential":
            return rng.exponential(self.mean, size)
        if self.dist == "lognormal":
            assert self.mean is not None and self.sd is not None
            sigma2 = math.log1p((self.sd / self.mean) ** 2)
            return rng.lognormal(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2), size)
        if self.dist == "gamma":
            assert self.mean is not None and self.sd is not None
            shape = (self.mean / self.sd) ** 2
            return rng.gamma(shape, self.mean / shape, size)
        if self.dist == "uniform":
            return rng.uniform(self.min, self.max, size)
        return np.full(size, self.value, dtype=float)


class Arrivals(_Model):
    """Poisson arrivals with a mean per interval (`calls`), or one constant `rate_per_hour` for `duration`."""

    interval: float = 1800.0
    calls: tuple[float, ...] = ()
    rate_per_hour: float | None = Field(None, gt=0)
    duration: float | None = Field(None, gt=0)
    dialed: dict[str, float] = Field(default_factory=dict)  # number -> share; empty = project default

    @field_validator("interval", "duration", mode="before")
    @classmethod
    def _durations(cls, v: Any) -> Any:
        return None if v is None else seconds(v)

    @field_validator("calls")
    @classmethod
    def _counts(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        bad = [c for c in v if not c >= 0]
        if bad:
            raise ValueError(f"calls per interval must be >= 0 (got {bad[0]})")
        return v

    @model_validator(mode="after")
    def _one_way(self) -> Arrivals:
        if not (math.isfinite(self.interval) and self.interval > 0):
            raise ValueError(f"interval must be positive (got {self.interval})")
        if bool(self.calls) == (self.rate_per_hour is not None):
            raise ValueError(
                "give either 'calls' (mean calls per interval) or 'rate_per_hour' with 'duration'"
            )
        if self.rate_per_hour is not None and self.duration is None:
            raise ValueError("'rate_per_hour' needs 'duration' (e.g. duration: 8h)")
        if self.dialed:
            _check_shares(self.dialed, "dialed")
        return self

    def rates(self) -> list[float]:
        """Mean calls per interval, as a list covering the whole run."""
        if self.calls:
            return list(self.calls)
        assert self.rate_per_hour is not None and self.duration is not None
        whole, rest = divmod(self.duration, self.interval)
        per = self.rate_per_hour * self.interval / 3600.0
        return [per] * int(whole) + ([per * rest / self.interval] if rest > 1e-9 else [])

    @property
    def duration_seconds(self) -> float:
        if self.calls:
            return self.interval * len(self.calls)
        assert self.duration is not None
        return self.duration


class Callers(_Model):
    """Who calls: a share known to the customer directory (their caller ID matches), VIPs, languages."""

    numbers: str = "+1555#######"  # each '#' becomes a random digit
    known_share: float = Field(0.0, ge=0, le=1)
    vip_share: float = Field(0.0, ge=0, le=1)  # share of known callers picked among VIP customers
    languages: dict[str, float] = Field(default_factory=dict)

    @field_validator("languages")
    @classmethod
    def _shares(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_shares(v, "languages") if v else v


class NodeBehaviour(_Model):
    """How callers answer one node that asks for digits."""

    choices: dict[str, float] = Field(default_factory=dict)  # digits -> probability (menus)
    by_language: dict[str, str] = Field(default_factory=dict)  # caller language -> digits (language menus)
    enter: str | None = None  # template for collect/authenticate nodes: "{customer.id}", "{customer.pin}"
    wrong_digits: float | None = Field(None, ge=0, le=1)
    response_time: Distribution | None = None

    @field_validator("choices")
    @classmethod
    def _shares(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_shares(v, "choices") if v else v


class Ivr(_Model):
    response_time: Distribution = Distribution(dist="lognormal", mean=3.0, sd=1.5)  # prompt start -> 1st key
    wrong_digits: float = Field(0.0, ge=0, le=1)  # share of digit entries that are wrong
    speech_rate: float = Field(15.0, gt=0)  # characters per second for text prompts
    file_prompt_seconds: float = Field(4.0, ge=0)  # length assumed for recorded prompts
    barge_in: bool = True  # callers who know their choice press it while the menu plays
    nodes: dict[str, NodeBehaviour] = Field(default_factory=dict)  # node id or flow.node -> behaviour


class Callback(_Model):
    accept: float = Field(0.0, ge=0, le=1)  # share of callers offered a callback who take it
    after: float = Field(30.0, ge=0)  # seconds of waiting before the callback offer is made
    reach: float = Field(1.0, ge=0, le=1)  # share of callbacks where the customer picks up

    @field_validator("after", mode="before")
    @classmethod
    def _dur(cls, v: Any) -> Any:
        return seconds(v)


class HttpStub(_Model):
    """A canned answer for the flows' `http` nodes: URLs starting with `url` (`*` matches any text).

    `latency` is how long the service takes (seconds or a distribution); `failure` is the share of
    requests that get no answer at all (the caller waits the node's timeout, then takes its `fail` path),
    as does a request whose latency is longer than the node's timeout.
    """

    url: str = Field(min_length=1)
    method: str | None = None
    status: int = Field(200, ge=100, le=599)
    json_: Any = Field(None, alias="json")
    latency: Distribution = Distribution.model_validate({"dist": "fixed", "value": 0.2})
    failure: float = Field(0.0, ge=0, le=1)
    _pattern: re.Pattern[str] | None = PrivateAttr(None)

    @field_validator("latency", mode="before")
    @classmethod
    def _latency(cls, v: Any) -> Any:
        return v if isinstance(v, (dict, Distribution)) else {"dist": "fixed", "value": seconds(v)}

    @field_validator("method")
    @classmethod
    def _method(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if v.upper() not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            raise ValueError(f"method must be GET, POST, PUT, PATCH or DELETE (got {v!r})")
        return v.upper()

    def matches(self, method: str, url: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        if self._pattern is None:
            self._pattern = re.compile(".*".join(re.escape(part) for part in self.url.split("*")))
        return self._pattern.match(url) is not None


class ShiftSpec(_Model):
    start: time
    end: time


class Membership(_Model):
    queue: str
    level: int = Field(5, ge=1, le=10)
    penalty: int = Field(0, ge=0)


class Roster(_Model):
    """A team of identical agents: `count` of them, their queues, skills, languages and shifts."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    count: int = Field(ge=0)
    queues: tuple[Membership | str, ...] = ()
    skills: dict[str, int] = Field(default_factory=dict)
    languages: dict[str, int] = Field(default_factory=dict)
    group: str | None = None
    shifts: tuple[ShiftSpec, ...] = ()  # local times in the scenario's time zone; none = whole run
    answer_delay: float = Field(0.0, ge=0)  # seconds from offer to pick-up
    no_answer: float = Field(0.0, ge=0, le=1)  # share of offers the agent lets ring out
    back_after: float = Field(60.0, ge=0)  # seconds an agent paused for missed offers takes to come back

    @field_validator("languages", mode="before")
    @classmethod
    def _language_list(cls, v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return {str(lang): 10 for lang in v}
        return v

    @field_validator("answer_delay", "back_after", mode="before")
    @classmethod
    def _dur(cls, v: Any) -> Any:
        return seconds(v)

    def memberships(self) -> list[Membership]:
        return [m if isinstance(m, Membership) else Membership(queue=m) for m in self.queues]


class ChannelArrivals(_Model):
    """Chat, SMS or e-mail tasks straight into a queue of that channel (no IVR): Poisson arrivals,
    a handle time per task (how long it holds one of the agent's slots), optional patience."""

    queue: str
    arrivals: Arrivals
    handle_time: Distribution = Distribution(dist="exponential", mean=600.0)
    patience: Distribution | None = None


class Scenario(_Model):
    """Everything a simulation draws from; see the module docstring for an example."""

    _file: str = PrivateAttr("scenario")
    _data: Any = PrivateAttr(None)  # the loaded YAML with positions, for file:line in later checks
    name: str = "scenario"
    description: str = ""
    start: datetime = datetime(2026, 1, 5, 8, 0)
    timezone: TimeZoneName = "UTC"
    arrivals: Arrivals
    callers: Callers = Callers()
    ivr: Ivr = Ivr()
    handle_time: dict[str, Distribution] = Field(
        default_factory=lambda: {"default": Distribution(dist="exponential", mean=180.0)}
    )
    patience: Distribution | None = None  # None: callers never hang up in queue
    callback: Callback = Callback()
    http: tuple[HttpStub, ...] = ()
    agents: Literal["scenario", "project", "both"] | None = None
    rosters: tuple[Roster, ...] = ()
    report_interval: float = Field(1800.0, gt=0)
    service_level_seconds: float | None = Field(None, gt=0)
    warmup: float = Field(0.0, ge=0)  # seconds at the start whose calls are left out of the KPIs
    drain: float = Field(4 * 3600.0, ge=0)  # how long to let calls in progress finish after arrivals stop
    channels: tuple[ChannelArrivals, ...] = ()  # chat/SMS/e-mail arrivals beside the calls

    @field_validator("report_interval", "warmup", "drain", mode="before")
    @classmethod
    def _durations(cls, v: Any) -> Any:
        return seconds(v)

    @field_validator("http", mode="before")
    @classmethod
    def _http_list(cls, v: Any) -> Any:
        if v is not None and not isinstance(v, (list, tuple)):
            raise ValueError('expected a list of entries, e.g. - {url: "https://crm.example.com/", json: {}}')
        return () if v is None else v

    @field_validator("handle_time")
    @classmethod
    def _default_ht(cls, v: dict[str, Distribution]) -> dict[str, Distribution]:
        if "default" not in v:
            raise ValueError("handle_time needs a 'default' entry (used for call types not listed)")
        return v

    @model_validator(mode="after")
    def _names(self) -> Scenario:
        names = [r.name for r in self.rosters]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"roster names must be unique (repeated: {dupes})")
        return self

    @property
    def start_epoch(self) -> float:
        start = self.start if self.start.tzinfo else self.start.replace(tzinfo=ZoneInfo(self.timezone))
        return start.timestamp()

    def where(self, *path: Any) -> str:
        """'file:line' of a key path in the scenario file (for errors found after loading)."""
        line = line_at(self._data, path, None) if self._data is not None else None
        return f"{self._file}:{line}" if line else self._file

    def agent_source(self) -> str:
        return self.agents or ("scenario" if self.rosters else "project")


def _check_shares(v: dict[str, float], what: str) -> dict[str, float]:
    bad = {k: p for k, p in v.items() if not 0 <= p <= 1}
    if bad:
        raise ValueError(f"{what}: each share must be between 0 and 1 (got {bad})")
    total = sum(v.values())
    if total > 1.0 + 1e-9:
        raise ValueError(f"{what}: shares add up to {total:g}, more than 1")
    return {str(k): float(p) for k, p in v.items()}


# --- loading ------------------------------------------------------------------------------------


class ScenarioError(ConfigError):
    code = "scenario_invalid"


def load_scenario(path: Path, overrides: list[str] | None = None) -> Scenario:
    """Read and validate a scenario file; `overrides` are `dotted.key=value` edits (for --compare)."""
    display = str(path)
    try:
        data = load_yaml(Path(path), display)
    except YamlFileError as error:
        raise ScenarioError(
            error.problem.message, location=_where(error.problem), code=error.problem.code
        ) from None
    if not isinstance(data, dict):
        raise ScenarioError("a scenario must be a mapping (arrivals:, callers:, ...)", location=display)
    raw = plain(data)
    for override in overrides or []:
        apply_override(raw, override)
    try:
        scenario = Scenario.model_validate(raw)
        scenario._file, scenario._data = display, data
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(first["loc"])
        line = line_at(data, loc, None)
        where = ".".join(str(p) for p in loc) or "scenario"
        message = first["msg"].removeprefix("Value error, ")
        more = f" (and {error.error_count() - 1} more problem(s))" if error.error_count() > 1 else ""
        raise ScenarioError(
            f"{where}: {message}{more}", location=f"{display}:{line}" if line else display
        ) from None
    check_size(scenario)
    return scenario


def _where(problem: Problem) -> str:
    return f"{problem.file}:{problem.line}" if problem.line else problem.file


def parse_value(text: str) -> Any:
    """A YAML scalar or flow collection: '12' -> 12, 'true' -> True, '[a, b]' -> ['a', 'b']."""
    from io import StringIO

    from ruamel.yaml import YAML

    try:
        return plain(YAML(typ="safe").load(StringIO(text)))
    except Exception:  # noqa: BLE001 - any YAML failure: keep the text as a string
        return text


def apply_override(raw: dict[str, Any], override: str) -> None:
    """Set `a.b.c=value` in a plain mapping; a list item is picked by its `name`, else by position."""
    if "=" not in override:
        raise ScenarioError(f"override {override!r} must look like key.path=value")
    key, _, text = override.partition("=")
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise ScenarioError(f"override {override!r} has no key")
    node: Any = raw
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            match = [item for item in node if isinstance(item, dict) and str(item.get("name")) == part]
            if not match and part.isdigit() and int(part) < len(node):
                match = [node[int(part)]]  # items without names (http:) are picked by position
            if not match:
                names = [item.get("name") for item in node if isinstance(item, dict) and item.get("name")]
                have = f"have {names}" if names else f"items are numbered 0 to {len(node) - 1}"
                raise ScenarioError(f"override {override!r}: no item {part!r} ({have})")
            node = match[0]
        elif isinstance(node, dict):
            node = node.setdefault(part, {})
        else:
            raise ScenarioError(f"override {override!r}: {'.'.join(parts[: i + 1])} is not a mapping")
    if not isinstance(node, dict):
        raise ScenarioError(f"override {override!r}: {'.'.join(parts[:-1])} is not a mapping")
    node[parts[-1]] = parse_value(text.strip())
