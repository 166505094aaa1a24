"""The layout shows the architecture (issue 25 items 9 and 10): layer folders, old import
paths kept by one table, small modules."""
from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from flopcount import _moved

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "flopcount"
#: The only modules at the top of the package: the API, `python -m flopcount`, the old-path table.
TOP_LEVEL = {"__init__.py", "__main__.py", "_moved.py"}
MODULE_LINES = 300      # "no module over ~300 lines" (issue 25)
FUNCTION_LINES = 65     # "no function over ~60"


@pytest.mark.parametrize("old, new", sorted(_moved.MOVED.items()))
def test_every_old_path_is_the_module_at_its_new_path(old, new):
    """Run in a fresh interpreter, so the old path is imported before anything else has it."""
    code = f"import importlib; a = importlib.import_module({old!r}); b = importlib.import_module({new!r}); " \
           "assert a is b, (a, b)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_the_old_estimate_path_leaves_the_function_in_place():
    import flopcount
    importlib.import_module("flopcount.estimate")
    assert callable(flopcount.estimate) and flopcount.estimate.__module__ == "flopcount.law.estimate"


def test_only_the_api_sits_at_the_top_of_the_package():
    assert {p.name for p in PACKAGE.glob("*.py")} == TOP_LEVEL


def _sources():
    for root in (PACKAGE, ROOT / "callbacks"):
        yield from sorted(root.rglob("*.py"))


def test_no_module_over_about_300_lines():
    long = {str(p.relative_to(ROOT)): n for p in _sources()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MODULE_LINES}
    assert not long, long


def test_no_function_over_about_60_lines():
    long = []
    for p in _sources():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if (n := node.end_lineno - node.lineno + 1) > FUNCTION_LINES:
                    long.append(f"{p.relative_to(ROOT)}::{node.name} ({n})")
    assert not long, long
