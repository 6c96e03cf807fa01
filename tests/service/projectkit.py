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
