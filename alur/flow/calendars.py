"""Business-hours calendars: weekly opening hours in a time zone, plus holidays and special days.

A project's `calendars/<name>.yaml`:

    name: jakarta_support
    timezone: Asia/Jakarta
    hours:
      mon-fri: ["08:00-17:00"]
      sat: ["09:00-13:00"]
    holidays:
      - {date: 2026-12-25, name: Hari Raya Natal}
    special:                      # days with other hours than usual
      2026-12-24: ["08:00-12:00"]
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from alur.core.timezones import TimeZoneName

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Span = tuple[time, time]


def _parse_span(text: str) -> Span:
    try:
        start_s, end_s = (p.strip() for p in str(text).split("-"))
        start = time.fromisoformat(start_s)
        end = time.max if end_s in ("24:00", "24:00:00") else time.fromisoformat(end_s)
    except ValueError:
        raise ValueError(f"opening hours {text!r} must look like '08:00-17:00'") from None
    if end <= start:
        raise ValueError(f"opening hours {text!r} end before they start")
    return start, end


def _parse_days(key: str) -> list[str]:
    out: list[str] = []
    for part in str(key).lower().split(","):
        part = part.strip()
        if "-" in part:
            a, b = (p.strip()[:3] for p in part.split("-", 1))
            if a not in DAYS or b not in DAYS:
                raise ValueError(f"unknown day range {key!r} (use e.g. 'mon-fri')")
            i, j = DAYS.index(a), DAYS.index(b)
            out += [DAYS[k % 7] for k in range(i, (j if j >= i else j + 7) + 1)]
        elif part[:3] in DAYS:
            out.append(part[:3])
        else:
            raise ValueError(f"unknown day {part!r} (use mon, tue, wed, thu, fri, sat, sun)")
    return out


class Holiday(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    date: date
    name: str = ""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, (str, date)):
            return {"date": data}
        return data


class Calendar(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    timezone: TimeZoneName = "UTC"
    hours: dict[str, list[str]] = Field(default_factory=dict)
    holidays: list[Holiday] = Field(default_factory=list)
    special: dict[date, list[str]] = Field(default_factory=dict)
    _week: dict[str, list[Span]] = PrivateAttr(default_factory=dict)
    _special: dict[date, list[Span]] = PrivateAttr(default_factory=dict)
    _holidays: dict[date, str] = PrivateAttr(default_factory=dict)
    _zone: ZoneInfo = PrivateAttr()

    @model_validator(mode="after")
    def _compile(self) -> Calendar:
        week: dict[str, list[Span]] = {d: [] for d in DAYS}
        for key, spans in self.hours.items():
            for day in _parse_days(key):
                week[day] += [_parse_span(s) for s in spans]
        self._week = week
        self._special = {d: [_parse_span(s) for s in spans] for d, spans in self.special.items()}
        self._holidays = {h.date: h.name for h in self.holidays}
        self._zone = ZoneInfo(self.timezone)
        # pydantic serves private attributes through `__getattr__` (microseconds a read) and every
        # `hours` node reads four of them: keep them in the instance dict, as nodes do
        for name, value in (self.__pydantic_private__ or {}).items():
            object.__setattr__(self, name, value)
        return self

    def state(self, at: float) -> str:
        """'open', 'closed' or 'holiday' at epoch second `at`."""
        local = datetime.fromtimestamp(at, self._zone)
        day = local.date()
        if day in self._special:
            spans = self._special[day]
        elif day in self._holidays:
            return "holiday"
        else:
            spans = self._week[DAYS[local.weekday()]]
        now = local.time()
        for start, end in spans:  # a plain loop: every `hours` node of every simulated call asks
            if start <= now and (now < end or end == time.max):
                return "open"
        return "closed"

    def next_open(self, at: float, *, days: int = 14) -> float | None:
        """The first moment from `at` on when the calendar is open (`at` itself when open now);
        None when it stays closed for `days` days."""
        if self.state(at) == "open":
            return at
        local = datetime.fromtimestamp(at, self._zone)
        for ahead in range(days + 1):
            day = local.date() + timedelta(days=ahead)
            if day in self._special:
                spans = self._special[day]
            elif day in self._holidays:
                continue
            else:
                spans = self._week[DAYS[day.weekday()]]
            for start, _end in sorted(spans):
                opens = datetime.combine(day, start, self._zone)
                if opens.timestamp() > at:
                    return opens.timestamp()
        return None

    def holiday_name(self, at: float) -> str | None:
        return self._holidays.get(datetime.fromtimestamp(at, self._zone).date())
