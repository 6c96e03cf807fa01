"""The pure layers must stay pure: the simulator and tests rely on them having no I/O."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "alur"
PURE = ["core", "flow", "routing", "metrics"]
FORBIDDEN = (
    "alur.telephony",
    "alur.store",
    "alur.api",
    "alur.web",
    "alur.sim",
    "alur.integrations",
    "asyncio",
    "socket",
    "sqlite3",
    "sqlalchemy",
    "psycopg",
    "httpx",
    "starlette",
    "fastapi",
    "uvloop",
)


def imports_of(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("layer", PURE)
def test_pure_layer_imports_no_io(layer: str) -> None:
    offenders = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in imports_of(path):
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN):
                offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert offenders == []


def test_checker_sees_a_forbidden_import(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import asyncio\nfrom alur.store import db\n")
    assert imports_of(bad) == ["asyncio", "alur.store"]
