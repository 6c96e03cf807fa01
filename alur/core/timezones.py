"""IANA time-zone names as a validated field type: calendars, shifts and scenarios all take one."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator


def check_time_zone(name: str) -> str:
    """Return `name` if it is a known IANA zone; otherwise say what was given and what is expected."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as 'Asia/Jakarta')") from None
    return name


TimeZoneName = Annotated[str, AfterValidator(check_time_zone)]
