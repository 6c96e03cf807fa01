"""Check one queue's or one agent's YAML text against a loaded project, as `alur validate` checks the
files in `queues/` and `agents/`: the same models, the same cross-file checks, problems named by line.

Used when an admin edits a queue or an agent while the contact center runs: the record may replace the
project's record of that name or be new; everything else is the project's.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ValidationError

from alur.config.project import pydantic_problems
from alur.config.yamlsrc import Problem, YamlFileError, line_at, load_yaml_text, node_line, plain
from alur.routing.model import AgentConfig, QueueConfig
from alur.routing.references import listed_agent_problems, reference_problems

Kind = Literal["queue", "agent"]
MODELS: dict[str, type[QueueConfig] | type[AgentConfig]] = {"queue": QueueConfig, "agent": AgentConfig}


def check_routing_text(
    project: Any, kind: Kind, text: str, display: str
) -> tuple[QueueConfig | AgentConfig | None, list[Problem]]:
    """The record (None when it has problems) and every problem, each naming `display` and a line."""
    try:
        data = load_yaml_text(text, display)
    except YamlFileError as error:
        return None, [error.problem]
    if not isinstance(data, dict):
        problem = Problem(display, 1, f"expected one {kind} as a mapping of settings", code="invalid_field")
        return None, [problem]
    try:
        record = MODELS[kind].model_validate(plain(data))
    except ValidationError as error:
        return None, pydantic_problems(error, data, display, node_line(data, 1))
    queues: dict[str, QueueConfig] = dict(project.queues)
    agents: dict[str, AgentConfig] = dict(project.agents)
    if isinstance(record, QueueConfig):
        queues[record.name] = record
    else:
        agents[record.id] = record
    queue_list, agent_list = list(queues.values()), list(agents.values())
    mine = (
        list(queues).index(record.name) if isinstance(record, QueueConfig) else list(agents).index(record.id)
    )
    problems = []
    for found in [
        *reference_problems(queue_list, agent_list),
        *listed_agent_problems(queue_list, agent_list),
    ]:
        if found.kind == kind and found.index == mine:
            line = line_at(data, found.field, node_line(data, 1))
            problems.append(Problem(display, line, found.message, code=found.code))
    if isinstance(record, QueueConfig) and record.callback.calendar not in (None, *project.calendars):
        known = ", ".join(sorted(project.calendars)) or "none"
        line = line_at(data, ("callback", "calendar"), node_line(data, 1))
        message = f"queue '{record.name}': callback calendar '{record.callback.calendar}' is not defined"
        problems.append(Problem(display, line, f"{message} (calendars: {known})", code="unknown_calendar"))
    return (None if problems else record), problems
