"""The packages along the data flow: imports sit at the top of modules, where the layers
contract of import-linter sees them, except the few that a layer needs lazy."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "metrics"

LAZY_ALLOWED = {
    # `tablero --ayuda` and `tablero cargas` start without pandas: subcommands import the engine
    # and presentation inside run() (test_cli.py checks the startup).
    "cli",
    # metrics.ui.auth draws with metrics.ui itself; metrics.ui reaches it inside functions.
    "ui/__init__.py",
}


def _lazy_project_imports(path: Path, root: Path = SRC) -> list[str]:
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("metrics"):
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.module}")
    return found


def _allowed(path: Path) -> bool:
    rel = path.relative_to(SRC).as_posix()
    return rel.split("/")[0] == "cli" or rel in LAZY_ALLOWED


def test_project_imports_are_at_the_top_of_modules() -> None:
    lazy = [
        hit
        for p in sorted(SRC.rglob("*.py"))
        if not _allowed(p)
        for hit in _lazy_project_imports(p)
    ]
    assert not lazy, lazy


def test_ui_imports_only_its_auth_module_lazily() -> None:
    lazy = _lazy_project_imports(SRC / "ui" / "__init__.py")
    assert lazy and all(hit.endswith("metrics.ui.auth") for hit in lazy), lazy


def test_the_scan_finds_an_import_inside_a_function(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from metrics.errors import TableroError\n", encoding="utf-8")
    assert _lazy_project_imports(probe, tmp_path) == ["probe.py:2 metrics.errors"]


def test_every_project_import_names_a_module_that_exists() -> None:
    """import-linter and mypy pass over an import of a module that is gone (a function that
    imports `metrics.demo`, moved to tablero_demo, fails only when it runs): this test does not."""
    missing = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.split(".")[0] in {"metrics", "tablero_demo"} and (
                    importlib.util.find_spec(name) is None
                ):
                    missing.append(f"{path.relative_to(SRC)}:{node.lineno} {name}")
    assert not missing, missing
