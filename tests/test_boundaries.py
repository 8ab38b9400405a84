"""The house rule, enforced: ``gpuwise.core`` is Qt-free and never reaches up into the charts, UI or CLI; torch
loads only where measuring starts.

Checked twice: statically (every import statement in the source, parsed with ``ast``, wherever it sits, even
inside a function) and dynamically (importing every core module in a fresh interpreter and looking at
``sys.modules``, which also catches an indirect import through a third-party module).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORE = REPO / "gpuwise" / "core"
FORBIDDEN = ("PySide6", "pyqtgraph", "shiboken6", "gpuwise.charts", "gpuwise.ui", "gpuwise.cli")
# Modules whose whole point is torch: importing them loads it by design (only callers that measure do).
TORCH_BY_DESIGN = {"gpuwise.core.bench.torch_models"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(path: Path) -> list[tuple[int, str]]:
    """Every module named by an import statement or an import_module("...") call, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    names: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            names.append((node.lineno, mod))
            names += [(node.lineno, f"{mod}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if fname in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names.append((node.lineno, node.args[0].value))
    return names


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def _core_files() -> list[Path]:
    files = sorted(CORE.rglob("*.py"))
    assert len(files) >= 15, "the core package was not found"
    return files


def test_the_scanner_sees_relative_and_dynamic_imports(tmp_path: Path) -> None:
    # guard against a scanner that silently finds nothing
    names = {n for _l, n in _imported_names(CORE / "bench" / "train.py")}
    assert "gpuwise.core.bench.workloads" in names and "torch" in names
    assert _forbidden("PySide6.QtCore") and _forbidden("gpuwise.ui.app") and _forbidden("gpuwise.cli.commands.bench")
    assert not _forbidden("gpuwise.core.units") and not _forbidden("pyqtgraphx")


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_core_source_never_imports_qt_ui_or_cli(path: Path) -> None:
    bad = [f"line {line}: {name}" for line, name in _imported_names(path) if _forbidden(name)]
    assert bad == [], f"{path.relative_to(REPO)} imports {', '.join(bad)}"


def _top_level_imports(path: Path) -> list[str]:
    """Modules imported when the module itself is imported (not inside functions or TYPE_CHECKING blocks)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[str] = []

    def visit(stmts: list[ast.stmt]) -> None:
        for node in stmts:
            if isinstance(node, ast.Import):
                out.extend(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level:
                out.append(node.module or "")
            elif isinstance(node, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for h in node.handlers:
                    visit(h.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(tree.body)
    return out


@pytest.mark.parametrize(
    "path", [p for p in _core_files() if _module_name(p) not in TORCH_BY_DESIGN], ids=lambda p: str(p.relative_to(REPO))
)
def test_core_imports_torch_only_inside_functions(path: Path) -> None:
    top = [m for m in _top_level_imports(path) if m == "torch" or m.startswith("torch.")]
    assert top == [], f"{path.relative_to(REPO)} imports torch at module level"


def test_importing_every_core_module_loads_no_qt_ui_cli_and_no_torch_until_asked() -> None:
    """One fresh interpreter: first every module that must not need torch, then the torch ones, then the check."""
    light = [m for m in (_module_name(p) for p in _core_files()) if m not in TORCH_BY_DESIGN]
    code = (
        "import importlib, json, sys\n"
        f"for m in {light!r}: importlib.import_module(m)\n"
        "torch_early = 'torch' in sys.modules\n"
        f"for m in {sorted(TORCH_BY_DESIGN)!r}: importlib.import_module(m)\n"
        "print(json.dumps({'torch_early': torch_early, 'loaded': sorted(sys.modules)}))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120, check=False
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout.splitlines()[-1])
    loaded = set(data["loaded"])
    assert set(light) | TORCH_BY_DESIGN <= loaded
    assert "torch" in loaded  # the torch modules really were imported: the check below saw them
    assert sorted(m for m in loaded if _forbidden(m)) == []
    assert data["torch_early"] is False, "a core module imports torch at import time"
