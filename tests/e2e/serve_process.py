"""`alur serve` as a user runs it: a subprocess, started and read up to its banner."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path


async def start_serve(
    project: Path, port: int, db: Path, home: Path, *, http_port: int | None = None
) -> tuple[asyncio.subprocess.Process, str]:
    """Start `alur serve PROJECT` on SIP `port` (and HTTP `http_port`, or no HTTP API) with the event
    log in `db`; return once it says it is ready, with the banner it printed."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "alur.cli",
        "serve",
        str(project),
        "--sip-port",
        str(port),
        "--db",
        str(db),
        *(["--http-port", str(http_port)] if http_port else ["--no-http"]),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "XDG_CACHE_HOME": str(home / "cache")},
    )
    assert proc.stdout is not None and proc.stderr is not None
    banner = []
    while True:
        line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        assert line, (await proc.stderr.read()).decode()
        banner.append(line)
        if line.startswith("Press Ctrl-C"):
            return proc, "".join(banner)
