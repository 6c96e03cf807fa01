"""A flow's diagram as SVG for the flow designer, drawn on the server by Graphviz `dot` (no JavaScript
library in the page)."""

from __future__ import annotations

import shutil
import subprocess

from alur.core.errors import AlurError
from alur.flow.graph import to_dot
from alur.flow.model import Flow


def flow_svg(flow: Flow, version: int | None = None) -> str:
    """The flow drawn by `dot -Tsvg`, titled with `version` when given (blocking: run it in a thread)."""
    exe = shutil.which("dot")
    if exe is None:
        raise AlurError(
            "Graphviz 'dot' is not installed (Debian: apt-get install graphviz)", code="no_graphviz"
        )
    try:
        done = subprocess.run(
            [exe, "-Tsvg"], input=to_dot(flow, version).encode(), capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise AlurError(f"Graphviz failed: {error}", code="graphviz_failed") from None
    if done.returncode != 0:
        raise AlurError(
            f"Graphviz failed: {done.stderr.decode(errors='replace').strip()}", code="graphviz_failed"
        )
    text = done.stdout.decode()
    return text[text.find("<svg") :]  # without the XML prologue: it goes inline in the page
