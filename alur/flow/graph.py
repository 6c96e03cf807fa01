"""Flow diagrams: Mermaid text (for docs, GitHub, the flow viewer) and Graphviz DOT (for SVG/PNG)."""

from __future__ import annotations

from alur.flow.model import Flow, NodeBase
from alur.flow.nodes import GotoFlowNode, HoursNode, MenuNode, QueueNode

_MERMAID_SHAPES = {
    "menu": ("{", "}"),
    "branch": ("{", "}"),
    "hours": ("{", "}"),
    "split": ("{", "}"),
    "queue": ("[(", ")]"),
    "hangup": ("([", "])"),
    "deflect": ("([", "])"),
    "voicemail": ("([", "])"),
    "transfer": ("([", "])"),
    "ring_group": ("([", "])"),
    "goto_flow": ("[[", "]]"),
}
_DOT_SHAPES = {
    "menu": "diamond",
    "branch": "diamond",
    "hours": "diamond",
    "split": "diamond",
    "queue": "cylinder",
    "hangup": "oval",
    "deflect": "oval",
    "voicemail": "oval",
    "transfer": "oval",
    "ring_group": "oval",
    "goto_flow": "box3d",
}
_DOT_COLOURS = {
    "menu": "#fff2cc",
    "branch": "#fff2cc",
    "hours": "#fff2cc",
    "split": "#fff2cc",
    "queue": "#d9ead3",
    "hangup": "#f4cccc",
    "deflect": "#cfe2f3",
    "voicemail": "#f4cccc",
    "transfer": "#cfe2f3",
    "ring_group": "#cfe2f3",
    "goto_flow": "#ead1dc",
}


def summary(node: NodeBase) -> str:
    """A short second line for the node's box: what it does."""
    if isinstance(node, MenuNode):
        return "menu: " + " ".join(sorted(node.options))
    if isinstance(node, QueueNode):
        return f"queue: {node.queue}"
    if isinstance(node, HoursNode):
        return f"hours: {node.calendar}"
    if isinstance(node, GotoFlowNode):
        return f"flow: {node.flow}"
    for _, spec in node.prompts():
        text = spec.describe()
        return f"{node.type}: {text[:40]}{'...' if len(text) > 40 else ''}"
    return node.type


def edges(node: NodeBase) -> list[tuple[str, str | None]]:
    """Outgoing edges with readable labels (a menu option shows its label: '1: Billing')."""
    if isinstance(node, MenuNode):
        out = []
        for label, target in node.targets():
            option = node.options.get(label)
            name = getattr(option, "label", "") if option is not None else ""
            out.append((f"{label}: {name}" if name else label, target))
        return out
    return node.targets()


def _m(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", "<br/>")


def to_mermaid(flow: Flow) -> str:
    lines = ["flowchart TD", f'    start(("{_m(flow.name)}")) --> n_{flow.start}']
    external: set[str] = set()
    for node_id, node in flow.nodes.items():
        left, right = _MERMAID_SHAPES.get(node.type, ("[", "]"))
        lines.append(f'    n_{node_id}{left}"{_m(node_id)}<br/><small>{_m(summary(node))}</small>"{right}')
    for node_id, node in flow.nodes.items():
        for label, target in edges(node):
            if target is None:
                continue
            text = label.replace("|", "/").replace('"', "'")
            lines.append(f'    n_{node_id} -->|"{_m(text)}"| n_{target}')
        if isinstance(node, GotoFlowNode):
            external.add(node.flow)
            lines.append(f"    n_{node_id} --> flow_{node.flow}")
    for name in sorted(external):
        lines.append(f'    flow_{name}>"flow {_m(name)}"]')
    return "\n".join(lines) + "\n"


def _d(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(flow: Flow, version: int | str | None = None) -> str:
    """The flow in Graphviz's language, titled with `version` (default: the file's `version:`)."""
    title = f"{flow.name} (v{flow.version if version is None else version})"
    lines = [
        f'digraph "{_d(flow.name)}" {{',
        '    graph [rankdir=TB, fontname="Helvetica", label="' + _d(title) + '"];',
        '    node [fontname="Helvetica", fontsize=10, style=filled, fillcolor="#ffffff"];',
        '    edge [fontname="Helvetica", fontsize=9];',
        '    __start [shape=circle, label="start", fillcolor="#cccccc"];',
        f'    __start -> "{_d(flow.start)}";',
    ]
    external: set[str] = set()
    for node_id, node in flow.nodes.items():
        shape = _DOT_SHAPES.get(node.type, "box")
        colour = _DOT_COLOURS.get(node.type, "#ffffff")
        label = f"{node_id}\\n{_d(summary(node))}"
        lines.append(f'    "{_d(node_id)}" [shape={shape}, fillcolor="{colour}", label="{label}"];')
    for node_id, node in flow.nodes.items():
        for label, target in edges(node):
            if target is not None:
                lines.append(f'    "{_d(node_id)}" -> "{_d(target)}" [label="{_d(label)}"];')
        if isinstance(node, GotoFlowNode):
            external.add(node.flow)
            lines.append(f'    "{_d(node_id)}" -> "flow:{_d(node.flow)}";')
    for name in sorted(external):
        lines.append(f'    "flow:{_d(name)}" [shape=folder, fillcolor="#ead1dc", label="flow {_d(name)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
