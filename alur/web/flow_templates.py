"""Starting points for a new flow in the flow designer: YAML files in `templates/` (greeting,
authentication, menu and queue; opening hours; callback offer; survey).

Each template names the queue `support` and the calendar `office`; opened for a project, those become
the project's first queue and calendar, so the template checks clean when the project has them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

FOLDER = Path(__file__).parent / "templates"
QUEUE, CALENDAR = "support", "office"


def template_files() -> list[Path]:
    return sorted(FOLDER.glob("*.yaml"))


def fitted(text: str, queue: str | None, calendar: str | None) -> str:
    """The template's text with its queue and calendar replaced by the project's (when it has one)."""
    if queue:
        text = re.sub(rf"(?m)^(\s*queue:\s*){QUEUE}\s*$", rf"\g<1>{queue}", text)
    if calendar:
        text = re.sub(rf"(?m)^(\s*calendar:\s*){CALENDAR}\s*$", rf"\g<1>{calendar}", text)
    return text


def templates(queues: list[str], calendars: list[str]) -> list[dict[str, Any]]:
    """Every template for a project with these queues and calendars: id, flow name, description, text."""
    queue = QUEUE if QUEUE in queues else (sorted(queues) or [None])[0]
    calendar = CALENDAR if CALENDAR in calendars else (sorted(calendars) or [None])[0]
    out = []
    for path in template_files():
        text = fitted(path.read_text(encoding="utf-8"), queue, calendar)
        data = yaml.safe_load(text)
        out.append({
            "id": path.stem.split("_", 1)[1], "flow": data["flow"],
            "description": data.get("description", ""), "source": text,
        })  # fmt: skip
    return out
