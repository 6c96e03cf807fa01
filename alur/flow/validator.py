"""Graph checks on loaded flows: dangling and missing targets, unreachable nodes, loops with no way
out, missing prompts, unknown queues, calendars and flows.

Pure: it returns `Finding`s (flow, node, field, message); the project loader turns them into
`file:line` problems.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from alur.flow.model import Flow, NodeBase
from alur.flow.nodes import BranchNode, GotoFlowNode, HoursNode, MenuNode, QueueNode, SetNode, SplitNode


@dataclass(frozen=True, slots=True)
class Finding:
    flow: str
    node: str | None
    field: str | None
    message: str
    code: str


def _hint(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def edge_fields(node: NodeBase) -> list[tuple[str, str, str | None]]:
    """(field path, how to name it in a message, target) for each outgoing edge."""
    out: list[tuple[str, str, str | None]] = []
    for i, (label, target) in enumerate(node.targets()):
        if isinstance(node, MenuNode) and label in node.options:
            out.append((f"options.{label}", f"option '{label}'", target))
        elif isinstance(node, BranchNode) and i < len(node.conditions):
            out.append((f"conditions.{i}.next", f"condition '{label}'", target))
        elif isinstance(node, SplitNode):
            out.append((f"branches.{i}.next", f"branch {label}", target))
        else:
            out.append((label, f"'{label}'", target))
    return out


def check_flow(
    flow: Flow,
    declared: set[str],
    complete: bool,
    flows: dict[str, Flow],
    queues: set[str],
    calendars: set[str],
) -> list[Finding]:
    """All problems of one flow; graph-wide checks only when every node loaded."""
    found: list[Finding] = []

    def add(node: str | None, field: str | None, message: str, code: str) -> None:
        found.append(Finding(flow.name, node, field, message, code))

    for node_id, node in flow.nodes.items():
        for field, name, target in edge_fields(node):
            if target is None:
                if isinstance(node, MenuNode) and field.startswith("options."):
                    add(node_id, field, f"{name} has no target", "missing_target")
                else:
                    add(
                        node_id,
                        field,
                        f"{name} is not set: where does the call go? (use a 'hangup' node to end the call)",
                        "missing_target",
                    )
            elif target not in declared:
                add(
                    node_id,
                    field,
                    f"{name} goes to '{target}', which does not exist{_hint(target, declared)}",
                    "dangling_target",
                )
        for message in node.missing_prompts():
            add(node_id, None, message, "missing_prompt")
        if isinstance(node, MenuNode) and not node.options:
            add(node_id, "options", "a menu needs at least one option", "missing_target")
        if isinstance(node, QueueNode) and node.queue not in queues:
            add(
                node_id,
                "queue",
                f"queue '{node.queue}' does not exist{_hint(node.queue, queues)} (queues: {sorted(queues)})",
                "unknown_queue",
            )
        if isinstance(node, HoursNode) and node.calendar not in calendars:
            add(
                node_id,
                "calendar",
                f"calendar '{node.calendar}' does not exist{_hint(node.calendar, calendars)}"
                f" (calendars: {sorted(calendars)})",
                "unknown_calendar",
            )
        if isinstance(node, GotoFlowNode):
            other = flows.get(node.flow)
            if other is None:
                add(
                    node_id,
                    "flow",
                    f"flow '{node.flow}' does not exist{_hint(node.flow, flows)} (flows: {sorted(flows)})",
                    "unknown_flow",
                )
            elif node.node is not None and node.node not in other.nodes:
                add(
                    node_id,
                    "node",
                    f"node '{node.node}' does not exist in flow '{node.flow}'",
                    "dangling_target",
                )
    if flow.start in flow.nodes:
        found += _graph_checks(flow, declared, complete)
    return found


def _edges(node: NodeBase, nodes: dict[str, NodeBase]) -> list[str]:
    return [t for _, t in node.targets() if t is not None and t in nodes]


def _graph_checks(flow: Flow, declared: set[str], complete: bool) -> list[Finding]:
    """Unreachable nodes (only when every node loaded) and loops with no way out (nodes that failed to
    load count as ways out, so a broken node does not cause a second, misleading report)."""
    nodes = flow.nodes
    broken = declared - set(nodes)
    found: list[Finding] = []
    reached = {flow.start}
    stack = [flow.start]
    while stack:
        for target in _edges(nodes[stack.pop()], nodes):
            if target not in reached:
                reached.add(target)
                stack.append(target)
    for node_id in nodes if complete else ():
        if node_id not in reached:
            found.append(
                Finding(
                    flow.name,
                    node_id,
                    None,
                    f"node is never reached from start '{flow.start}'",
                    "unreachable",
                )
            )
    # a way out: a node that can end the call, or one that leads to such a node
    incoming: dict[str, list[str]] = {n: [] for n in nodes}
    for node_id, node in nodes.items():
        for target in _edges(node, nodes):
            incoming[target].append(node_id)
    exits = {
        n
        for n, node in nodes.items()
        if node.can_end or any(t is None or t in broken for _, t in node.targets())
    }
    stack = list(exits)
    while stack:
        for source in incoming[stack.pop()]:
            if source not in exits:
                exits.add(source)
                stack.append(source)
    for node_id in nodes:
        if node_id not in exits:
            found.append(
                Finding(
                    flow.name,
                    node_id,
                    None,
                    "in a loop with no way out: "
                    f"{_cycle(node_id, nodes)} never reaches a node that ends the call "
                    "(hangup, queue, transfer, voicemail, ...)",
                    "no_exit",
                )
            )
            break  # one report per trapped region is enough
    return found


def _cycle(start: str, nodes: dict[str, NodeBase]) -> str:
    path = [start]
    seen = {start}
    current = start
    while True:
        targets = _edges(nodes[current], nodes)
        if not targets:
            break
        current = targets[0]
        path.append(current)
        if current in seen:
            break
        seen.add(current)
    return " -> ".join(path)


def call_languages(flows: Iterable[Flow]) -> dict[str, str]:
    """Languages a call can be in, each with where it comes from ('flow main', "node 'indonesian'")."""
    found: dict[str, str] = {}
    for flow in flows:
        found.setdefault(flow.language, f"flow '{flow.name}'")
        for node_id, node in flow.nodes.items():
            if isinstance(node, SetNode):
                value = node.vars.get("language")
                if isinstance(value, str) and "${" not in value:
                    found.setdefault(value, f"node '{node_id}' of flow '{flow.name}'")
    return found


def check_prompt_languages(flow: Flow, languages: dict[str, str]) -> list[Finding]:
    """Per-language prompts must have a text (or file) for every language a call can be in."""
    found: list[Finding] = []
    for node_id, node in flow.nodes.items():
        for field, spec in node.prompts():
            have = spec.languages()
            if not have or spec.language:
                continue
            for lang, origin in languages.items():
                if lang not in have:
                    found.append(
                        Finding(
                            flow.name,
                            node_id,
                            field,
                            f"{field} has no '{lang}' version, but calls can be in '{lang}' "
                            f"(set by {origin}); add it or give the prompt a fixed 'language'",
                            "missing_prompt",
                        )
                    )
    return found
