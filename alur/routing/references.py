"""Cross-file checks of routing configuration: names that must be unique and names that must exist.

Each queue and agent is checked on its own by its model (`alur.routing.model`); what needs all of
them at once is here. `reference_problems` lists every problem with the record and the field it is in,
so the project loader can name `file:line`; `check_references` raises the first one (for code that
builds a router from configuration it did not load from files).
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from alur.core.errors import ConfigError
from alur.routing.model import AgentConfig, QueueConfig

#: escalation actions that let a queue answer calls its own agents' skills do not reach
REMEDIES = frozenset({"widen_skill_level", "add_groups", "add_queues", "move_queue", "overflow"})


@dataclass(frozen=True, slots=True)
class ReferenceProblem:
    """One cross-file problem: which record (`kind`, position in the list given), which field (a key
    path into the record, for locating its line), and what is wrong. `other` is the position of the
    record it clashes with, for duplicates."""

    kind: Literal["queue", "agent"]
    index: int
    field: tuple[str | int, ...]
    message: str
    code: str
    value: Any
    other: int | None = None


def check_references(queues: Iterable[QueueConfig], agents: Iterable[AgentConfig]) -> None:
    """Raise `ConfigError` for the first cross-file problem (codes `duplicate_name`,
    `duplicate_extension`, `unknown_queue`, `unreachable_skill`), naming the offending value."""
    problems = reference_problems(list(queues), list(agents))
    if problems:
        first = problems[0]
        raise ConfigError(first.message, code=first.code, value=first.value)


def reference_problems(
    queues: Sequence[QueueConfig], agents: Sequence[AgentConfig], also_known: Iterable[str] = ()
) -> list[ReferenceProblem]:
    """Every cross-file problem, queues first. `also_known` are queue names whose files exist but did
    not load (already reported), so that agents serving them are not reported a second time."""
    found: list[ReferenceProblem] = []
    first_queue: dict[str, int] = {}
    for i, q in enumerate(queues):
        if q.name in first_queue:
            found.append(
                ReferenceProblem(
                    "queue",
                    i,
                    ("name",),
                    f"queue {q.name!r} is defined more than once",
                    "duplicate_name",
                    q.name,
                    first_queue[q.name],
                )
            )
        first_queue.setdefault(q.name, i)
    known = set(first_queue)
    listed = sorted(known)
    for i, q in enumerate(queues):
        found += _escalation_references(i, q, known)
    found += _agent_problems(agents, known | set(also_known), listed)
    found += _unreachable_skills(queues, agents)
    return found


def listed_agent_problems(
    queues: Sequence[QueueConfig], agents: Sequence[AgentConfig]
) -> list[ReferenceProblem]:
    """Agents named in strategy options (fixed_order `order`, weighted_random `weights`) that do not
    exist. A project check, not a router one: the simulator may staff a project's queues with other
    agents (a scenario's rosters), and a strategy passes over agents it does not list."""
    agent_ids = {a.id for a in agents}
    found = []
    for index, q in enumerate(queues):
        for field, agent in _agents_named(q):
            if agent not in agent_ids:
                found.append(
                    ReferenceProblem(
                        "queue",
                        index,
                        field,
                        f"queue {q.name!r} strategy {q.strategy} option '{field[1]}' names agent {agent!r}, "
                        f"which does not exist{_hint(agent, agent_ids)}",
                        "unknown_agent",
                        agent,
                    )
                )
    return found


def _escalation_references(index: int, q: QueueConfig, known: set[str]) -> list[ReferenceProblem]:
    """Escalation steps naming queues that do not exist."""
    found = []
    for i, step in enumerate(q.escalation):
        named: list[tuple[tuple[str | int, ...], str]] = [
            (("escalation", i, "queues", j), name) for j, name in enumerate(step.queues)
        ]
        if step.action == "move_queue" and step.target:
            named.append((("escalation", i, "target"), step.target))
        for field, name in named:
            if name not in known:
                found.append(
                    ReferenceProblem(
                        "queue",
                        index,
                        field,
                        f"queue {q.name!r} escalation step {i + 1} ({step.action}) names queue {name!r}, "
                        f"which does not exist{_hint(name, known)} (queues: {sorted(known)})",
                        "unknown_queue",
                        name,
                    )
                )
    return found


def _agents_named(q: QueueConfig) -> list[tuple[tuple[str | int, ...], str]]:
    """(field, agent id) for each agent a strategy option lists: fixed_order `order`, weighted_random
    `weights` (the strategies themselves have checked the options' shapes)."""
    options = q.strategy_options
    order, weights = options.get("order"), options.get("weights")
    if q.strategy == "fixed_order" and isinstance(order, list):
        return [(("strategy_options", "order", i), str(a)) for i, a in enumerate(order)]
    if q.strategy == "weighted_random" and isinstance(weights, dict):
        return [(("strategy_options", "weights", a), str(a)) for a in weights]
    return []


def _agent_problems(
    agents: Sequence[AgentConfig], known: set[str], listed: list[str]
) -> list[ReferenceProblem]:
    """Duplicate ids, SIP users two agents would share, and queues served that do not exist."""
    found = []
    first_id: dict[str, int] = {}
    for i, a in enumerate(agents):
        if a.id in first_id:
            found.append(
                ReferenceProblem(
                    "agent",
                    i,
                    ("id",),
                    f"agent {a.id!r} is defined more than once",
                    "duplicate_name",
                    a.id,
                    first_id[a.id],
                )
            )
        first_id.setdefault(a.id, i)
    # a phone registers as the agent's extension, else its id: one SIP user must mean one agent
    users = {a.id: (i, "id") for i, a in enumerate(agents) if not a.extension}
    for i, a in enumerate(agents):
        if a.extension is None:
            continue
        if a.extension in users and users[a.extension][0] != i:
            other, what = users[a.extension]
            found.append(
                ReferenceProblem(
                    "agent",
                    i,
                    ("extension",),
                    f"agent {a.id!r} has extension {a.extension!r}, already the {what} of agent "
                    f"{agents[other].id!r} (a phone registering as {a.extension!r} must be one agent)",
                    "duplicate_extension",
                    a.extension,
                    other,
                )
            )
        users.setdefault(a.extension, (i, "extension"))
    for i, a in enumerate(agents):
        for j, m in enumerate(a.queues):
            if m.queue not in known:
                found.append(
                    ReferenceProblem(
                        "agent",
                        i,
                        ("queues", j, "queue"),
                        f"agent {a.id!r} serves queue {m.queue!r}, which does not exist"
                        f"{_hint(m.queue, known)} (queues: {listed})",
                        "unknown_queue",
                        m.queue,
                    )
                )
    return found


def _unreachable_skills(
    queues: Sequence[QueueConfig], agents: Sequence[AgentConfig]
) -> list[ReferenceProblem]:
    """A queue whose required skill level no serving agent reaches would never answer a call, unless
    its escalation ladder widens, borrows agents or sends callers elsewhere."""
    found = []
    serving_of: dict[str, list[AgentConfig]] = defaultdict(list)  # one pass: 10,000 agents, many queues
    for a in agents:
        for m in a.queues:
            serving_of[m.queue].append(a)
    for i, q in enumerate(queues):
        serving = serving_of.get(q.name, [])
        if not serving or any(step.action in REMEDIES for step in q.escalation):
            continue
        for skill, level in q.required_skills.items():
            best = max(a.skills.get(skill, 0) for a in serving)
            if best < level:
                got = sorted({s for a in serving for s in a.skills})
                found.append(
                    ReferenceProblem(
                        "queue",
                        i,
                        ("required_skills", skill),
                        f"queue {q.name!r} needs skill {skill!r} at level {level}, but no agent serving it "
                        f"has it (best level {best}; their skills: {got}); lower the level, add such an "
                        "agent, or add an escalation step",
                        "unreachable_skill",
                        skill,
                    )
                )
    return found


def _hint(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
