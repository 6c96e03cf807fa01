"""Load one flow file: header, then each node on its own, so every error names its node and line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from alur.config.messages import describe_validation_error
from alur.config.yamlsrc import Problem, key_line, line_at, plain
from alur.flow.model import NODE_ID, Flow, FlowFile, NodeBase
from alur.flow.nodes import NODE_TYPES
from alur.flow.validator import call_languages, check_flow, check_goto_loops, check_prompt_languages


class FlowSource:
    """Where a flow's parts are in its file, for locating later (graph-level) problems."""

    def __init__(self, display: str, data: Any) -> None:
        self.display = display
        self.data = data
        self.declared: set[str] = set()  # node ids written in the file, loaded or not
        self.complete = False  # every node loaded without error

    def node_data(self, node: str) -> Any:
        nodes = self.data.get("nodes") if isinstance(self.data, dict) else None
        return nodes.get(node) if isinstance(nodes, dict) else None

    def line(self, node: str | None = None, field: str | None = None) -> int | None:
        if node is None:
            return key_line(self.data, field, 1) if field else 1
        nodes = self.data.get("nodes")
        base = key_line(nodes, node, 1)
        if not field:
            return base
        parts = tuple(
            int(p) if p.isdigit() and not field.startswith("options") else p for p in field.split(".")
        )
        return line_at(self.node_data(node), parts, base)


_UNION_TAGS = frozenset(
    {
        "str",
        "int",
        "float",
        "bool",
        "none",
        "list",
        "dict",
        "PromptSpec",
        "MenuOption",
        "Condition",
        "SplitBranch",
    }
    | {model.__name__ for model in NODE_TYPES.values()}
)


def _field_path(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop pydantic's union-branch labels ('str', 'MenuOption', 'function-after[...]') from a location."""
    return tuple(p for p in loc if not (isinstance(p, str) and (p in _UNION_TAGS or "[" in p)))


def load_flow(data: Any, display: str, problems: list[Problem]) -> tuple[Flow | None, FlowSource]:
    source = FlowSource(display, data)
    if not isinstance(data, dict):
        problems.append(
            Problem(
                display,
                1,
                "a flow file must be a mapping with 'flow', 'start' and 'nodes'",
                code="invalid_flow",
            )
        )
        return None, source
    try:
        header = FlowFile.model_validate(plain(data))
    except ValidationError as error:
        for item in error.errors():
            loc = tuple(item["loc"])
            where = ".".join(str(p) for p in loc)
            msg = (
                "required field is missing"
                if item["type"] == "missing"
                else (
                    "unknown field (check its spelling)" if item["type"] == "extra_forbidden" else item["msg"]
                )
            )
            problems.append(Problem(display, line_at(data, loc, 1), f"{where}: {msg}", code="invalid_flow"))
        return None, source
    raw_nodes = data["nodes"]
    nodes: dict[str, NodeBase] = {}
    ok = True
    for node_id, node_data in raw_nodes.items():
        node_id = str(node_id)
        line = key_line(raw_nodes, node_id, 1)
        node = _load_node(node_id, node_data, display, line, problems)
        if node is None:
            ok = False
        else:
            nodes[node_id] = node
    if not raw_nodes:
        problems.append(
            Problem(display, key_line(data, "nodes", 1), "the flow has no nodes", code="invalid_flow")
        )
        ok = False
    if header.start not in raw_nodes:
        problems.append(
            Problem(
                display,
                key_line(data, "start", 1),
                f"start node '{header.start}' does not exist (nodes: {sorted(str(k) for k in raw_nodes)})",
                code="dangling_target",
            )
        )
        ok = False
    flow = Flow(
        header.flow, header.version, header.description, header.language, header.start, nodes, display
    )
    source.declared = {str(k) for k in raw_nodes}
    source.complete = ok
    return flow, source


def _load_node(
    node_id: str, data: Any, display: str, line: int | None, problems: list[Problem]
) -> NodeBase | None:
    if not re.match(NODE_ID, node_id):
        problems.append(
            Problem(
                display,
                line,
                "node ids must start with a letter and use letters, digits, '_' or '-'",
                node_id,
                "invalid_node",
            )
        )
    if not isinstance(data, dict):
        problems.append(
            Problem(display, line, "a node must be a mapping with a 'type'", node_id, "invalid_node")
        )
        return None
    kind = data.get("type")
    if kind is None:
        problems.append(
            Problem(
                display,
                line,
                f"node has no 'type' (one of: {', '.join(NODE_TYPES)})",
                node_id,
                "unknown_node_type",
            )
        )
        return None
    model = NODE_TYPES.get(str(kind))
    if model is None:
        problems.append(
            Problem(
                display,
                key_line(data, "type", line),
                f"unknown node type '{kind}' (known: {', '.join(NODE_TYPES)})",
                node_id,
                "unknown_node_type",
            )
        )
        return None
    try:
        node = model.model_validate(plain(data))
    except ValidationError as error:
        # errors of one field's union branches (text, or a map of texts) become one message
        by_loc: dict[tuple[Any, ...], list[str]] = {}
        for item in error.errors():
            loc = _field_path(tuple(item["loc"]))
            message = describe_validation_error(item)
            if message not in by_loc.setdefault(loc, []):
                by_loc[loc].append(message)
        for loc, messages in by_loc.items():
            where = ".".join(str(p) for p in loc)
            msg = messages[0] if len(messages) == 1 else _union_message(messages)
            text = f"{where}: {msg}" if where else msg
            problems.append(Problem(display, line_at(data, loc, line), text, node_id, "invalid_field"))
        return None
    bad = False
    for field, message in node.prepare():
        parts = tuple(int(p) if p.isdigit() else p for p in field.split("."))
        problems.append(
            Problem(display, line_at(data, parts, line), f"{field}: {message}", node_id, "invalid_expression")
        )
        bad = True
    return None if bad else node


def _union_message(messages: list[str]) -> str:
    kinds = []
    got = ""
    for message in messages:
        head, _, tail = message.partition(" (got ")
        kinds.append(head.removeprefix("Input should be ").removeprefix("a valid "))
        got = got or (f" (got {tail}" if tail else "")
    return "expected " + " or ".join(dict.fromkeys(kinds)) + got


def check_project_flows(
    sources: list[tuple[Flow, FlowSource]],
    flows: dict[str, Flow],
    queues: set[str],
    calendars: set[str],
    root: Path,
    prompts_dir: str,
) -> list[Problem]:
    """Graph and cross-file checks for every flow, plus recorded prompt files that are missing."""
    problems: list[Problem] = []
    languages = call_languages(flows.values())
    for flow, source in sources:
        findings = check_flow(flow, source.declared, source.complete, flows, queues, calendars)
        for finding in findings + check_prompt_languages(flow, languages):
            problems.append(
                Problem(
                    source.display,
                    source.line(finding.node, finding.field),
                    finding.message,
                    finding.node,
                    finding.code,
                )
            )
        for node_id, node in flow.nodes.items():
            moh = getattr(node, "music_on_hold", None) if node.type == "queue" else None
            if moh and not _prompt_exists(root, prompts_dir, moh):
                problems.append(
                    Problem(
                        source.display,
                        source.line(node_id, "music_on_hold"),
                        f"music_on_hold: file '{moh}' not found (looked in {prompts_dir}/ and the project "
                        "directory; leave it out for the default music)",
                        node_id,
                        "missing_prompt",
                    )
                )
        for node_id, node in flow.nodes.items():
            for field, spec in node.prompts():
                for name in spec.files():
                    if not _prompt_exists(root, prompts_dir, name):
                        problems.append(
                            Problem(
                                source.display,
                                source.line(node_id, field),
                                f"{field}: prompt file '{name}' not found (looked in "
                                f"{prompts_dir}/ and the project directory)",
                                node_id,
                                "missing_prompt",
                            )
                        )
    by_flow = {flow.name: source for flow, source in sources}
    declared = {name: source.declared for name, source in by_flow.items()}
    for finding in check_goto_loops(flows, declared):
        source = by_flow[finding.flow]
        problems.append(
            Problem(
                source.display,
                source.line(finding.node, finding.field),
                finding.message,
                finding.node,
                finding.code,
            )
        )
    return problems


def _prompt_exists(root: Path, prompts_dir: str, name: str) -> bool:
    candidate = Path(name)
    if candidate.is_absolute():
        return candidate.exists()
    return (root / prompts_dir / candidate).exists() or (root / candidate).exists()


def check_flow_text(project: Any, text: str, display: str) -> tuple[Flow | None, list[Problem]]:
    """Load and check one flow's YAML text against a loaded project, as `alur validate` checks its files.

    The flow may replace one of the project's flows (same name) or be new; other flows, queues and
    calendars are the project's. Returns the flow (None when it has problems) and every problem.
    """
    from alur.config.yamlsrc import YamlFileError, load_yaml_text

    problems: list[Problem] = []
    try:
        data = load_yaml_text(text, display)
    except YamlFileError as error:
        return None, [error.problem]
    flow, source = load_flow(data, display, problems)
    if flow is None:
        return None, problems
    flows = {**project.flows, flow.name: flow}
    problems += check_project_flows(
        [(flow, source)], flows, set(project.queues), set(project.calendars), project.root,
        project.settings.prompts_dir,
    )  # fmt: skip
    problems.sort(key=lambda p: p.line or 0)
    return (None if problems else flow), problems
