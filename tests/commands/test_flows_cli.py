"""`alur validate`, `alur graph`, `alur test-flow` run as a user runs them (a real subprocess)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = ROOT / "examples" / "support"


def alur(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alur.cli", *args], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    project = tmp_path / "support"
    shutil.copytree(SUPPORT, project)
    main = project / "flows" / "main.yaml"
    text = main.read_text()
    text = text.replace(
        '"1": {next: billing_queue, label: Billing,', '"1": {next: billing_q, label: Billing,'
    )
    text = text.replace("  english:\n    type: set", "  english:\n    type: sett")
    main.write_text(text)
    return project


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_validate_ok():
    done = alur("validate", str(SUPPORT))
    assert done.returncode == 0, done.stderr
    assert "2 flow(s)" in done.stdout and "3 queue(s)" in done.stdout


def test_validate_broken_flow_lists_every_problem(broken):
    done = alur("validate", str(broken))
    out = done.stdout + done.stderr
    assert done.returncode == 1
    assert "Traceback" not in out
    menu_line = line_of(broken / "flows" / "main.yaml", "next: billing_q,")
    type_line = line_of(broken / "flows" / "main.yaml", "type: sett")
    assert (
        f"flows/main.yaml:{menu_line} node 'main_menu': option '1' goes to 'billing_q', which does not "
        "exist (did you mean 'billing_queue'?)"
    ) in out
    assert f"flows/main.yaml:{type_line} node 'english': unknown node type 'sett'" in out
    assert "2 problem(s)" in out


@pytest.mark.parametrize("content", ["flow: main\nnodes: [\n", "\x00\x01", "nodes: 5\n"])
def test_validate_garbage_never_tracebacks(broken, content):
    (broken / "flows" / "main.yaml").write_text(content)
    done = alur("validate", str(broken))
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert "flows/main.yaml" in done.stdout


def test_validate_missing_project(tmp_path):
    done = alur("validate", str(tmp_path / "nothing"))
    assert done.returncode == 1 and "project directory not found" in done.stdout


def test_graph_mermaid_to_stdout_and_file(tmp_path):
    done = alur("graph", str(SUPPORT), "main")
    assert done.returncode == 0
    assert done.stdout.startswith("flowchart TD")
    assert 'n_main_menu -->|"1: Billing"| n_billing_queue' in done.stdout
    out = tmp_path / "main.mmd"
    assert alur("graph", str(SUPPORT), "main", "--out", str(out)).returncode == 0
    assert out.read_text() == done.stdout


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")
def test_graph_renders_svg_and_png(tmp_path):
    svg, png = tmp_path / "main.svg", tmp_path / "main.png"
    done = alur("graph", str(SUPPORT), "main", "--svg", str(svg), "--png", str(png))
    assert done.returncode == 0, done.stderr
    text = svg.read_text()
    assert "<svg" in text and "main_menu" in text and "billing_queue" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_graph_dot_text_and_unknown_flow():
    done = alur("graph", str(SUPPORT), "after_hours", "--dot")
    assert done.returncode == 0 and done.stdout.startswith('digraph "after_hours"')
    done = alur("graph", str(SUPPORT), "nope")
    assert done.returncode == 1 and "flow 'nope' does not exist" in done.stdout


def test_graph_of_broken_project_reports_problems(broken):
    done = alur("graph", str(broken), "main")
    assert done.returncode == 1 and "unknown node type 'sett'" in done.stdout


def test_test_flow_passes_on_example():
    done = alur("test-flow", str(SUPPORT))
    assert done.returncode == 0, done.stdout
    assert "17 passed, 0 failed" in done.stdout


def test_test_flow_failure_shows_expected_and_actual_path(tmp_path):
    project = tmp_path / "support"
    shutil.copytree(SUPPORT, project)
    (project / "tests" / "main.yaml").write_text("""\
cases:
  - name: wrong expectation
    at: "2026-11-24T10:00:00+07:00"
    caller: ["1", "100002#", "4321", "1"]
    expect:
      path: [office_hours, welcome, main_menu]
      queue: {name: support}
      ended: voicemail
  - name: right
    at: "2026-11-24T10:00:00+07:00"
    caller: [hangup]
    expect: {ended: caller_hangup}
""")
    done = alur("test-flow", str(project))
    assert done.returncode == 1
    out = done.stdout
    assert "FAIL tests/main.yaml :: wrong expectation" in out
    assert "expected: office_hours -> welcome -> main_menu" in out
    assert (
        "actual:   office_hours -> welcome -> choose_language -> english -> login -> greet_customer -> "
        "vip_check -> main_menu -> billing_queue"
    ) in out
    assert "queue name: expected 'support', got 'billing'" in out
    assert "ended: expected 'voicemail', got 'answered'" in out
    assert "PASS tests/main.yaml :: right" in out
    assert "1 passed, 1 failed" in out
    only = alur("test-flow", str(project), "--case", "right")
    assert only.returncode == 0 and "1 passed, 0 failed" in only.stdout


def test_test_flow_bad_test_file(tmp_path):
    project = tmp_path / "support"
    shutil.copytree(SUPPORT, project)
    (project / "tests" / "main.yaml").write_text(
        "cases:\n  - name: x\n    caller: [press 1]\n    expekt: {}\n"
    )
    done = alur("test-flow", str(project))
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert "tests/main.yaml:3: caller:" in done.stdout
    assert "tests/main.yaml:4: expekt: unknown field" in done.stdout
    (project / "tests" / "main.yaml").write_text("cases: []\n")
    done = alur("test-flow", str(project), "--case", "missing")
    assert done.returncode == 1 and "no test cases found" in done.stdout


def test_markup_in_user_text_is_printed_literally(tmp_path):
    project = tmp_path / "support"
    shutil.copytree(SUPPORT, project)
    (project / "tests" / "main.yaml").write_text(
        'cases:\n  - name: "[bold]tricky[/bold] name"\n    at: "2026-11-29T21:00:00+07:00"\n'
    )
    done = alur("test-flow", str(project))
    assert "[bold]tricky[/bold] name" in done.stdout


def test_graph_output_errors(tmp_path):
    done = alur("graph", str(SUPPORT), "main", "--out", str(tmp_path / "missing" / "x.mmd"))
    assert done.returncode == 1 and "cannot write" in done.stdout
    done = alur("graph", str(SUPPORT), "main", "--svg", str(tmp_path / "missing" / "x.svg"))
    assert done.returncode == 1 and "Graphviz could not render" in done.stdout


def test_test_flow_junit_report(tmp_path):
    import xml.etree.ElementTree as ET

    project = tmp_path / "support"
    shutil.copytree(SUPPORT, project)
    (project / "tests" / "extra.yaml").write_text(
        'cases:\n  - name: wrong\n    at: "2026-11-29T21:00:00+07:00"\n    expect: {ended: answered}\n'
    )
    report = tmp_path / "flows.xml"
    done = alur("test-flow", str(project), "--junit", str(report))
    assert done.returncode == 1
    suite = ET.parse(report).getroot()
    assert suite.get("tests") == "18" and suite.get("failures") == "1"
    failed = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["wrong"]
    assert "ended: expected 'answered', got 'voicemail'" in failed[0].find("failure").text
