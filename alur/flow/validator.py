"""Graph checks on loaded flows: dangling and missing targets, unreachable nodes, loops with no way
out (within a flow, and across flows through goto_flow), missing prompts, unknown queues, calendars
and flows.

Pure: it returns `Finding`s (flow, node, field, message); the project loader turns them into
`file:line` problems.
"""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from alur.flow.model import Flow, NodeBase
from alur.flow.nodes import BranchNode, GotoFlowNode, HoursNode, MenuNode, QueueNode, SetNode, SplitNode

K = TypeVar("K", bound=Hashable)


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
    exits = _ways_out(flow, broken)
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


def _ways_out(flow: Flow, broken: set[str]) -> set[str]:
    """Nodes with a way out: one that can end the call (a goto_flow counts, see `check_goto_loops`),
    one with a target that failed to load, or one leading to such a node."""
    nodes = flow.nodes
    seeds = {n for n, node in nodes.items() if node.can_end or _has_broken_target(node, broken)}
    return _reaching(seeds, {n: _edges(node, nodes) for n, node in nodes.items()})


def _has_broken_target(node: NodeBase, broken: set[str]) -> bool:
    return any(t is None or t in broken for _, t in node.targets())


def _reaching(seeds: set[K], edges: Mapping[K, list[K]]) -> set[K]:
    """Every vertex from which some seed can be reached (the seeds included): a backward search."""
    incoming: dict[K, list[K]] = {}
    for source, targets in edges.items():
        for target in targets:
            incoming.setdefault(target, []).append(source)
    found = set(seeds)
    stack = list(seeds)
    while stack:
        for source in incoming.get(stack.pop(), ()):
            if source not in found:
                found.add(source)
                stack.append(source)
    return found


Place = tuple[str, str]  # (flow, node)


def check_goto_loops(flows: Mapping[str, Flow], declared: Mapping[str, set[str]]) -> list[Finding]:
    """goto_flow nodes whose flows only go to each other (A goto B goto A with no other exit): each
    flow on its own looks fine, as a goto_flow counts as a way out there. `declared` holds each flow's
    node ids as written, so that nodes that failed to load count as ways out (no second report)."""
    edges: dict[Place, list[Place]] = {}
    jumps: dict[Place, Place] = {}
    seeds: set[Place] = set()
    for name, flow in flows.items():
        nodes = flow.nodes
        broken = declared.get(name, set(nodes)) - set(nodes)
        local = _ways_out(flow, broken)  # a node without is reported by its own flow's check
        for node_id, node in nodes.items():
            place = (name, node_id)
            edges[place] = [(name, t) for t in _edges(node, nodes)]
            entry = _entry(node, flows)
            if entry is not None:
                jumps[place] = entry
                edges[place].append(entry)
            elif node.can_end or node_id not in local or _has_broken_target(node, broken):
                seeds.add(place)  # ends the call, or is already reported (bad goto, trapped, broken)
    out = _reaching(seeds, edges)
    found: list[Finding] = []
    covered: set[Place] = set()
    for place in jumps:
        if place in out or place in covered:
            continue
        path = _goto_path(place, edges, jumps)
        covered.update(path)
        found.append(
            Finding(
                place[0],
                place[1],
                "flow",
                "goto_flow loops with no way out: "
                f"{' -> '.join(f'{f}/{n}' for f, n in path)}: these flows only go to each other and never "
                "reach a node that ends the call (hangup, queue, transfer, voicemail, ...)",
                "no_exit",
            )
        )
    return found


def _entry(node: NodeBase, flows: Mapping[str, Flow]) -> Place | None:
    """Where a goto_flow node continues, when that node exists (else it is reported on its own)."""
    if not isinstance(node, GotoFlowNode) or node.flow not in flows:
        return None
    other = flows[node.flow]
    target = node.node or other.start
    return (other.name, target) if target in other.nodes else None


def _goto_path(start: Place, edges: Mapping[Place, list[Place]], jumps: Mapping[Place, Place]) -> list[Place]:
    """The goto_flow nodes a call passes from `start` until one repeats (each time the nearest)."""
    path, seen, current = [start], {start}, start
    while True:
        entry = jumps[current]
        queue, visited = deque([entry]), {entry}
        found: Place | None = None
        while queue and found is None:
            place = queue.popleft()
            if place in jumps:
                found = place
                break
            for target in edges[place]:
                if target not in visited:
                    visited.add(target)
                    queue.append(target)
        if found is None:  # pragma: no cover - a trapped goto always leads to another one
            return path
        path.append(found)
        if found in seen:
            return path
        seen.add(found)
        current = found


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
