"""Checks of a scenario against the project it runs on: names that must exist, so a typo is an error.

A misspelt menu node or call type would otherwise be ignored silently and the run would use defaults,
which is the worst kind of wrong for a capacity plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alur.sim.scenario import Scenario, ScenarioError

if TYPE_CHECKING:
    from alur.config.project import Project

ASKING = ("menu", "collect", "authenticate")


def check_scenario(project: Project, scenario: Scenario) -> None:
    """Raise ScenarioError (with file:line) for the first name the project does not have."""
    for i, entry in enumerate(scenario.channels):
        queue = project.queues.get(entry.queue)
        if queue is None or queue.channel == "voice":
            what = "which the project lacks" if queue is None else "a voice queue (calls come by 'arrivals')"
            raise ScenarioError(
                f"channels: queue {entry.queue!r} is {what}; give a chat, sms or email queue",
                location=scenario.where("channels", i, "queue"),
                code="unknown_queue",
                value=entry.queue,
            )
    nodes: dict[str, object] = {}
    call_types: set[str] = set()
    for flow in project.flows.values():
        for node_id, node in flow.nodes.items():
            nodes[f"{flow.name}.{node_id}"] = node
            nodes.setdefault(node_id, node)
            if getattr(node, "type", "") == "queue":
                call_types.add(getattr(node, "call_type", "") or "")
    for key, behaviour in scenario.ivr.nodes.items():
        node = nodes.get(key)
        if node is None or getattr(node, "type", "") not in ASKING:
            asking = sorted(k for k, n in nodes.items() if getattr(n, "type", "") in ASKING and "." not in k)
            raise ScenarioError(
                f"ivr.nodes: {key!r} is not a menu, collect or authenticate node of the project "
                f"(nodes that ask for digits: {asking})",
                location=scenario.where("ivr", "nodes", key),
                code="unknown_node",
                value=key,
            )
        options = list(getattr(node, "options", {}) or {})
        for digits in [*behaviour.choices, *behaviour.by_language.values()]:
            if options and digits not in options:
                raise ScenarioError(
                    f"ivr.nodes.{key}: {digits!r} is not an option of menu {key!r} (options: {options}); "
                    "use ivr.wrong_digits for invalid keys",
                    location=scenario.where("ivr", "nodes", key),
                    code="unknown_option",
                    value=digits,
                )
    known = {"default", *project.queues, *(t for t in call_types if t)}
    for key in scenario.handle_time:
        if key not in known:
            raise ScenarioError(
                f"handle_time: {key!r} is neither a queue nor a call_type of the project "
                f"(use one of {sorted(known)})",
                location=scenario.where("handle_time", key),
                code="unknown_call_type",
                value=key,
            )
    settings = project.settings
    for number in scenario.arrivals.dialed:
        if number not in settings.numbers and settings.default_flow is None:
            raise ScenarioError(
                f"arrivals.dialed: no flow answers {number!r} and the project has no default_flow "
                f"(numbers: {sorted(settings.numbers)})",
                location=scenario.where("arrivals", "dialed", number),
                code="unknown_number",
                value=number,
            )
    if not scenario.arrivals.dialed and settings.default_flow is None and not settings.numbers:
        raise ScenarioError(
            "the project has no numbers and no default_flow: no flow answers the calls",
            location=scenario.where("arrivals"),
            code="unknown_number",
        )
    source = scenario.agent_source()
    for i, roster in enumerate(scenario.rosters):
        for m in roster.memberships():
            if m.queue not in project.queues:
                raise ScenarioError(
                    f"roster {roster.name!r} serves queue {m.queue!r}, which the project lacks "
                    f"(queues: {sorted(project.queues)})",
                    location=scenario.where("rosters", i, "queues"),
                    code="unknown_queue",
                    value=m.queue,
                )
    if source == "scenario" and not scenario.rosters:
        raise ScenarioError(
            "agents: scenario, but the scenario has no rosters", location=scenario.where("agents")
        )
