"""The package's modules import each other one way only.

Every import between the package's modules counts, including imports inside
functions and under ``if TYPE_CHECKING:``: a circle hidden that way still ties
the modules together (and breaks as soon as someone moves the import up). The
native module's imports of Python modules, made from Rust, count as well.
"""

from __future__ import annotations

import ast
import graphlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import mismatch_recruiter

PACKAGE = "mismatch_recruiter"
INSTALLED = Path(mismatch_recruiter.__file__).resolve().parent
NATIVE_SOURCE = Path(__file__).resolve().parents[1] / "src" / "lib.rs"
# The Rust side imports Python modules with `py.import("mismatch_recruiter.x")`.
RUST_IMPORT = re.compile(r'\.import\(\s*"(mismatch_recruiter(?:\.\w+)*)"\s*\)')


def module_of(path: Path, package: str) -> str:
    return package if path.name == "__init__.py" else f"{package}.{path.stem}"


def imported_modules(path: Path, package: str, submodules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports anywhere in its code."""
    found: set[str] = set()

    def add(target: str) -> None:
        if target == package or target.startswith(package + "."):
            # `import pkg.sub.attr` style names resolve to the module part.
            parts = target.split(".")
            while len(parts) > 1 and ".".join(parts) not in submodules:
                parts.pop()
            found.add(".".join(parts))

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                assert node.level == 1, f"{path}: the package has no subpackages"
                base = package + (f".{node.module}" if node.module else "")
            if base == package:
                # `from . import x`: the submodule x, or a name of __init__.
                for alias in node.names:
                    sub = f"{package}.{alias.name}"
                    add(sub if sub in submodules else package)
            else:
                add(base)
    return found


def import_graph(folder: Path, package: str, native_source: Path | None = None) -> dict[str, set[str]]:
    """module -> the package's modules it imports (without self-references)."""
    files = sorted(folder.glob("*.py"))
    submodules = {module_of(f, package) for f in files} | {f"{package}._native"}
    graph = {
        module_of(f, package): imported_modules(f, package, submodules) - {module_of(f, package)}
        for f in files
    }
    if native_source is not None:
        graph[f"{package}._native"] = set(RUST_IMPORT.findall(native_source.read_text(encoding="utf-8")))
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as err:
        cycle: list[str] = err.args[1]
        return cycle
    return None


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph(INSTALLED, PACKAGE, NATIVE_SOURCE)
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph) or [])}"
    # The scan sees the imports it is meant to judge (so an empty graph cannot pass).
    m = {
        name.removeprefix(PACKAGE + "."): {t.removeprefix(PACKAGE + ".") for t in targets}
        for name, targets in graph.items()
    }
    assert {"_base", "_models", "_convert"} <= m["_client"]
    assert m["_errors"] == {"_models"}
    assert m["_models"] == {"_convert"}
    assert m["_convert"] == set()
    assert {"_errors", "_native"} <= m["_base"]
    assert m["_native"] == {"_errors"}


def test_the_cycle_check_finds_hidden_circles(tmp_path: Path) -> None:
    """The layout this package had: a circle closed only by lazy imports."""
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "__init__.py").write_text("from ._base import Transport\nfrom ._generated import Client\n")
    (folder / "_base.py").write_text("from ._errors import DecodeError\n\nclass Transport: ...\n")
    (folder / "_errors.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ._generated import Problem\n\n"
        "class DecodeError(Exception):\n"
        "    def problem(self) -> 'Problem':\n"
        "        from ._generated import Problem\n        return Problem()\n"
    )
    (folder / "_generated.py").write_text(
        "from ._base import Transport\n\nclass Problem: ...\nclass Client(Transport): ...\n"
    )
    cycle = find_cycle(import_graph(folder, "pkg"))
    assert cycle is not None and {"pkg._base", "pkg._errors", "pkg._generated"} <= set(cycle)
    # And a module importing a name from the package itself closes a circle too.
    (folder / "_errors.py").write_text("from pkg import Transport\n")
    (folder / "_generated.py").write_text("class Problem: ...\nclass Client: ...\n")
    cycle = find_cycle(import_graph(folder, "pkg"))
    assert cycle is not None and {"pkg", "pkg._base", "pkg._errors"} <= set(cycle)


@pytest.mark.parametrize("module", sorted(p.stem for p in INSTALLED.glob("_*.py")))
def test_each_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    """Each module works when it is the first one imported, without ``__init__``
    having imported the others beforehand in an order that happens to work."""
    code = (
        "import importlib, sys, types\n"
        f"package = types.ModuleType({PACKAGE!r})\n"
        f"package.__path__ = [{str(INSTALLED)!r}]\n"
        f"sys.modules[{PACKAGE!r}] = package\n"
        f"importlib.import_module({PACKAGE + '.' + module!r})\n"
        f"loaded = sorted(m for m in sys.modules if m.startswith({PACKAGE + '.'!r}))\n"
        "print(' '.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert f"{PACKAGE}.{module}" in result.stdout.split()
