"""Imports point down the pipeline: a module imports only from its own layer or lower."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "searchlib"
LAYERS = {
    "errors": 0, "model": 0, "text": 1, "ingest": 2, "analysis": 2, "store": 3, "query": 4,
    "api": 5, "api_opensearch": 5, "engine": 5, "__init__": 5, "web": 6, "cli": 7, "__main__": 7,
}


def _layer_of(module: str) -> str:
    return module.split(".")[1] if "." in module else "__init__"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_imports_point_down_the_pipeline() -> None:
    problems = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(relative.parts)
        own = _layer_of(module)
        for imported in _imports(path):
            if imported == "click" and own != "cli":
                problems.append(f"{module} imports click (only cli may)")
            if not imported.startswith("searchlib.") and imported != "searchlib":
                continue
            target = _layer_of(imported)
            if LAYERS[target] > LAYERS[own]:
                problems.append(f"{module} imports {imported} (a higher layer)")
            if {own, target} == {"ingest", "analysis"}:
                problems.append(f"{module} imports {imported} (ingest and analysis are separate)")
    assert problems == []


def test_import_searchlib_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, searchlib; "
        "heavy = [m for m in ('whoosh', 'lxml', 'pymorphy3', 'trafilatura') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
