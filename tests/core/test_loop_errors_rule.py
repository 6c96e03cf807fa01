"""The suite's own rule, checked: an async test that leaves an exception in the loop fails."""

import subprocess
import sys
from pathlib import Path

LEAKY = """
import asyncio

async def test_leaks_a_failed_callback():
    asyncio.get_running_loop().call_soon(lambda: 1 / 0)
    await asyncio.sleep(0.01)

async def test_clean():
    await asyncio.sleep(0)
"""


def test_an_exception_left_in_the_loop_fails_the_test(tmp_path: Path) -> None:
    (tmp_path / "test_leaky.py").write_text(LEAKY)
    conftest = Path(__file__).resolve().parents[1] / "conftest.py"
    (tmp_path / "conftest.py").write_text(conftest.read_text())
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "ERROR at teardown of test_leaks_a_failed_callback" in run.stdout
    assert "ZeroDivisionError" in run.stdout and "2 passed, 1 error" in run.stdout
