"""`alur serve` option mistakes end in one line and exit code 2, before anything listens."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from alur.cli import app

FLOW = "flow: main\nstart: bye\nnodes:\n  bye: {type: hangup}\n"


def project(root: Path, server: str = "") -> Path:
    (root / "flows").mkdir(parents=True)
    (root / "flows" / "main.yaml").write_text(FLOW)
    (root / "alur.yaml").write_text("default_flow: main\n" + server)
    return root


@pytest.mark.timeout(60)  # before ports were checked, the server started (on another port) and ran on
@pytest.mark.parametrize(
    ("args", "server", "words"),
    [
        (["--sip-port", "70000"], "", "error: --sip-port must be a port number 0..65535 (got 70000)"),
        (["--sip-port", "-1"], "", "error: --sip-port must be a port number 0..65535 (got -1)"),
        (
            [],
            "server: {sip_port: 70000}\n",
            "error: alur.yaml: server.sip_port must be a port number 0..65535",
        ),
    ],
)
def test_ports_out_of_range_are_refused(tmp_path: Path, args: list[str], server: str, words: str) -> None:
    root = project(tmp_path / "p", server)
    result = CliRunner().invoke(
        app, ["serve", str(root), "--sip-host", "127.0.0.1", "--db", str(tmp_path / "x.db"), *args]
    )
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.db").exists()
