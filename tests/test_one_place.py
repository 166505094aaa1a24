"""Each legal constant and rule in one place (issue 25 item 1): the numbers and dates of the
law live in `flopcount/data/`, the rules that read them in `flopcount/law/`; nothing else
writes a line, a legal date or a rule of its own.

The scan reads code, not prose: docstrings and comments may explain the law in words and
numbers, but no expression outside `data/` may contain a legal figure.
"""
from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from flopcount.boundary.numbers import exact_int
from flopcount.data import obligations, thresholds

ROOT = Path(__file__).resolve().parents[1]
CODE = [p for root in (ROOT / "flopcount", ROOT / "callbacks") for p in sorted(root.rglob("*.py"))
        if "data" not in p.relative_to(ROOT).parts]
#: Every FLOP line and fallback base of the data tables.
LINES = {t.flop for t in thresholds.THRESHOLDS if t.flop} | set(thresholds.MODIFICATION_FALLBACK_BASE.values())
#: Every legal date of the data tables, as written in ISO form.
DATES = ({thresholds.CHAPTER_V_APPLIES, thresholds.LEGACY_COMPLIANCE, obligations.ENFORCEMENT_DATE.isoformat()}
         | {d for t in thresholds.THRESHOLDS for d in (t.adopted, t.applies_from) if d})


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _literal(node: ast.AST):
    """The number an expression of literals stands for (1e25, 10**25, 10 ** 25), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        base, exp = _literal(node.left), _literal(node.right)
        if isinstance(base, int) and isinstance(exp, int) and 0 <= exp < 40:
            return base ** exp
    return None


def findings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs, out = _docstrings(tree), []
    for node in ast.walk(tree):
        value = _literal(node)
        if value is not None and exact_int(value) in LINES:
            out.append(f"{path.relative_to(ROOT)}:{node.lineno}: the legal line {value:.0e} written in code")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            out += [f"{path.relative_to(ROOT)}:{node.lineno}: the legal date {d} written in code"
                    for d in DATES if d in node.value]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and _literal(node.right) == 3:
            out.append(f"{path.relative_to(ROOT)}:{node.lineno}: a division by 3 (the one-third rule is "
                       "data.thresholds.MODIFICATION_FRACTION, applied by law.lines.modification_line)")
        if isinstance(node, ast.Attribute) and node.attr == "jurisdiction" and "law" not in path.parts:
            out.append(f"{path.relative_to(ROOT)}:{node.lineno}: who a line binds is decided outside the law "
                       "package (law.lines.binds)")
        if isinstance(node, ast.Attribute) and node.attr == "notify_days" and "law" not in path.parts \
                and isinstance(getattr(node, "ctx", None), ast.Load) and _in_arithmetic(tree, node):
            out.append(f"{path.relative_to(ROOT)}:{node.lineno}: a notification date computed outside the law "
                       "package (law.lines.notify_by)")
    return out


def _in_arithmetic(tree: ast.AST, target: ast.AST) -> bool:
    """`target` is an operand of +/- or a timedelta(days=...) argument."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and target in (node.left, node.right):
            return True
        if isinstance(node, ast.keyword) and node.arg == "days" and node.value is target:
            return True
    return False


# Code that may divide by three for reasons of its own (not the one-third rule): the
# published architectures' FFN sizes (torchtitan's and Megatron's 2/3 × 4 × hidden).
NOT_THE_RULE = {"flopcount/importers/torchtitan_registry.py", "flopcount/importers/megatron_model.py"}


def test_no_legal_figure_or_rule_outside_data_and_law():
    found = [f for p in CODE for f in findings(p) if not (str(p.relative_to(ROOT)) in NOT_THE_RULE
                                                           and "division by 3" in f)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("source, needle", [
    ("x = 10**25\n", "legal line"),
    ("x = 1e23\n", "legal line"),
    ("x = f'before 2025-08-02'\n", "legal date"),
    ("line = base / 3\n", "division by 3"),
    ("eu = t.jurisdiction == 'EU'\n", "who a line binds"),
    ("when = today + dt.timedelta(days=t.notify_days)\n", "notification date"),
])
def test_the_scan_finds_each_kind(tmp_path, source, needle):
    """The scan is not vacuous: each kind of duplicate it forbids is found in a file that has one."""
    path = tmp_path / "flopcount" / "run" / "x.py"
    path.parent.mkdir(parents=True)
    path.write_text(source)
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert any(needle in f for f in findings(path))
    finally:
        ROOT = saved


def test_the_monitor_and_the_verdicts_date_notification_alike():
    """The monitor's "notify by" is law.lines.notify_by, the verdicts' too: before Chapter V
    applied, both count from 2 August 2025 (Art. 113(b))."""
    from flopcount.law.lines import notify_by
    applies = dt.date.fromisoformat(thresholds.CHAPTER_V_APPLIES)
    assert notify_by(dt.date(2025, 1, 1), 14) == applies + dt.timedelta(days=14)
    assert notify_by(dt.date(2026, 3, 1), 14) == dt.date(2026, 3, 15)
