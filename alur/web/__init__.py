"""The web pages (log-in, wallboard, agent desktop, supervisor console): plain HTML, CSS and JavaScript
files shipped in the package and served by the HTTP API on its own port. No build step, no CDN: the
pages talk to the API with the token the person logged in with (kept in the tab's sessionStorage)."""

from __future__ import annotations

from pathlib import Path

#: the folder of the pages' files (package data)
STATIC = Path(__file__).parent / "static"

#: the page each role lands on after logging in
HOME = {"agent": "agent.html", "supervisor": "supervisor.html", "admin": "supervisor.html"}
