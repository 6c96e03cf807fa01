"""Layers: every package under `alur/` imports only the alur packages the matrix allows it.

Imports point downward only, from cli and commands to core. Every import counts: top-level, inside a
function and under `if TYPE_CHECKING:`. A new top-level package fails here until it is placed in the
matrix, and the pure layers (core, flow, routing, metrics) also import no I/O library.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "alur"

PURE = {"core", "flow", "routing", "metrics"}
#: what the running contact center (`service`) builds on
BELOW_SERVICE = PURE | {"config", "store", "media", "webrtc", "integrations"}
#: what an adapter of the service (SIP, HTTP, the simulator) may use: the service and below
ADAPTER = BELOW_SERVICE | {"service"}

#: package -> the alur packages it may import (besides itself and `alur`'s own `__version__`)
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "flow": {"core"},
    "routing": {"core"},
    "metrics": {"core"},
    "config": {"core", "flow", "routing", "metrics"},
    "store": {"core"},
    "media": {"core"},
    "webrtc": {"core", "media"},  # aiortc peer connections bridged to RTP streams
    "integrations": {"core", "config", "flow"},
    "service": BELOW_SERVICE,
    "testing": {"core", "config", "flow", "routing", "metrics", "media", "integrations"},
    "web": {"core", "config", "flow", "routing", "metrics"},
    "telephony": ADAPTER,
    "api": ADAPTER | {"web", "testing"},  # the flow designer runs the project's flow tests
    "sim": ADAPTER | {"testing"},
    "commands": ADAPTER | {"telephony", "api", "web", "sim", "testing"},
    "cli": ADAPTER | {"telephony", "api", "web", "sim", "testing", "commands"},
}
ROOT = "alur"  # `alur/__init__.py`: the version, importable by all, importing nothing

IO_LIBRARIES = (
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


def top_level_packages(package: pathlib.Path) -> set[str]:
    """The packages (folders holding Python) and modules directly under `alur/`."""
    found = {p.stem for p in package.glob("*.py") if p.name != "__init__.py"}
    found |= {d.name for d in package.iterdir() if d.is_dir() and any(d.rglob("*.py"))}
    return found


def package_of(path: pathlib.Path, package: pathlib.Path) -> str:
    parts = path.relative_to(package).parts
    return ROOT if parts == ("__init__.py",) else parts[0].removesuffix(".py")


def imported_modules(path: pathlib.Path, package: pathlib.Path) -> list[tuple[int, str]]:
    """(line, dotted module) of every import in the file, relative imports made absolute.

    `from alur import x` counts as importing `alur.x`, so importing a package through its parent is seen.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    here = (package.name, *path.relative_to(package).parts[:-1])
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else ()
            module = ".".join((*base, *([node.module] if node.module else [])))
            if module == package.name:
                found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, module))
    return sorted(found)


def root_names(package: pathlib.Path) -> set[str]:
    """Names defined in `alur/__init__.py` (such as `__version__`): importing them uses no package."""
    init = package / "__init__.py"
    if not init.exists():
        return set()
    names: set[str] = set()
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.AnnAssign)) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def alur_target(module: str, package: pathlib.Path, defined: set[str]) -> str | None:
    """The top-level alur package a module belongs to; ROOT for `alur` itself; None outside alur."""
    parts = module.split(".")
    if parts[0] != package.name:
        return None
    if len(parts) == 1 or parts[1] in defined:
        return ROOT
    return parts[1]


def violations(package: pathlib.Path, allowed: dict[str, set[str]]) -> list[str]:
    """Every import of an alur package that the importing package may not use, as `file:line` lines."""
    defined = root_names(package)
    found: list[str] = []
    for path in sorted(package.rglob("*.py")):
        owner = package_of(path, package)
        may = allowed.get(owner, set()) | {owner, ROOT}
        for line, module in imported_modules(path, package):
            target = alur_target(module, package, defined)
            if target is not None and target not in may:
                rel = path.relative_to(package.parent)
                only = sorted(may - {owner, ROOT})
                found.append(f"{rel}:{line} imports {module}: {owner} may import only {only}")
    return found


def test_every_package_is_in_the_matrix() -> None:
    unknown = sorted(top_level_packages(PACKAGE) - set(ALLOWED))
    assert unknown == [], f"add {unknown} to ALLOWED in tests/test_layers.py: which packages may it use?"


def test_every_import_points_down_the_matrix() -> None:
    assert violations(PACKAGE, ALLOWED) == []


def test_matrix_has_no_cycle() -> None:
    """Each package may use only packages strictly below it, so the matrix orders them all."""

    def below(name: str, seen: tuple[str, ...]) -> None:
        assert name not in seen, f"the matrix loops: {' -> '.join((*seen, name))}"
        for dep in ALLOWED[name]:
            below(dep, (*seen, name))

    for name in ALLOWED:
        below(name, ())


def test_adapters_do_not_use_each_other() -> None:
    adapters = {"telephony", "api", "sim"}
    for adapter in adapters:
        assert ALLOWED[adapter] & adapters == set(), adapter
        assert ALLOWED[adapter] <= ADAPTER | {"web", "testing"}, adapter


@pytest.mark.parametrize("layer", sorted(PURE))
def test_pure_layer_imports_no_io(layer: str) -> None:
    offenders = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for line, name in imported_modules(path, PACKAGE):
            if any(name == bad or name.startswith(bad + ".") for bad in IO_LIBRARIES):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}")
    assert offenders == []


def _tree(root: pathlib.Path, files: dict[str, str]) -> pathlib.Path:
    for name, text in files.items():
        path = root / "alur" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "alur"


def test_checker_sees_every_kind_of_upward_import(tmp_path: pathlib.Path) -> None:
    package = _tree(
        tmp_path,
        {
            "__init__.py": "__version__ = '0'\n",
            "core/clock.py": "",
            "flow/ok.py": "from alur.core.clock import now\nfrom alur import __version__\nimport json\n",
            "flow/bad.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from alur.config.project import Project\n"
                "def run():\n"
                "    import alur.telephony.sip\n"
                "from ..store import writer\n"
                "from alur import sim\n"
            ),
            "flow/nodes/deep.py": "from ...testing.channel import SimChannel\nfrom .. import ok\n",
        },
    )
    allowed = {"core": set(), "flow": {"core"}}
    assert violations(package, allowed) == [
        "alur/flow/bad.py:3 imports alur.config.project: flow may import only ['core']",
        "alur/flow/bad.py:5 imports alur.telephony.sip: flow may import only ['core']",
        "alur/flow/bad.py:6 imports alur.store: flow may import only ['core']",
        "alur/flow/bad.py:7 imports alur.sim: flow may import only ['core']",
        "alur/flow/nodes/deep.py:1 imports alur.testing.channel: flow may import only ['core']",
    ]


def test_checker_sees_an_unknown_package(tmp_path: pathlib.Path) -> None:
    package = _tree(tmp_path, {"core/a.py": "", "cli.py": "", "fresh/x.py": "", "data/README": ""})
    assert top_level_packages(package) - {"core", "cli"} == {"fresh"}
