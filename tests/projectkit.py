"""A tiny contact center for the service tests: two queues, three agents with no shifts."""

from __future__ import annotations

from pathlib import Path

from alur.config.project import Project, load_project

FILES = {
    "alur.yaml": "name: kit\ntimezone: UTC\nnumbers:\n  '100': main\n",
    "flows/main.yaml": (
        "flow: main\nstart: q\nnodes:\n"
        "  q:\n    type: queue\n    queue: sales\n    fail: bye\n"
        "  bye:\n    type: hangup\n"
    ),
    "queues/sales.yaml": "name: sales\nstrategy: longest_idle\nring_timeout: 20\nwrap_up: 30\n",
    "queues/care.yaml": "name: care\nstrategy: fewest_calls\nring_timeout: 20\nwrap_up: 0\n",
    "agents/agents.yaml": (
        "agents:\n"
        "  - {id: ana, queues: [sales]}\n"
        "  - {id: budi, queues: [sales, care]}\n"
        "  - {id: citra, queues: [care]}\n"
    ),
}


def tiny_project(root: Path) -> Project:
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return load_project(root)


def busy_project(root: Path, *, agents: int) -> Project:
    """Two queues with wrap-up, escalation (priority, then another queue) and `agents` agents."""
    tiny_project(root)
    (root / "queues/sales.yaml").write_text(
        "name: sales\nstrategy: longest_idle\nring_timeout: 15\nwrap_up: 20\nmax_wait: 900\n"
        "escalation:\n  - {after: 60, action: raise_priority, by: 3}\n"
        "  - {after: 240, action: move_queue, target: care}\n"
    )
    (root / "queues/care.yaml").write_text(
        "name: care\nstrategy: fewest_calls\nring_timeout: 15\nwrap_up: 10\n"
    )
    lines = ["agents:"]
    for i in range(agents):
        queues = "[sales]" if i % 3 == 0 else "[care]" if i % 3 == 1 else "[sales, care]"
        lines.append(f"  - {{id: agent{i}, queues: {queues}}}")
    (root / "agents/agents.yaml").write_text("\n".join(lines) + "\n")
    return load_project(root)
