"""A torchtitan registry file as literals (`ast`, never imported): the module-level flavour
dicts, the recipe functions, and every value either a literal or `Computed` with its source
text. `torchtitan_registry` turns what is read here into a run plan."""
from __future__ import annotations

import ast
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..data.recipes import TORCHTITAN_ARGS

SELECT = "::"
MAX_BYTES = 1_000_000  # a registry is a few hundred lines; a larger .py is not read
#: calls whose keyword arguments are read as a mapping (nested config classes, recipe sections)
NESTED = {"MoEArgs", "Llama3TransformerBlock.Config", "DeepSeekV3TransformerBlock.Config", "FeedForward.Config",
          "GQAttention.Config", "Attention.Config", "MoE.Config", "RoPE.Config", "Trainer.Config",
          "TrainingConfig", "ParallelismConfig", "ActivationCheckpointConfig"}
RECIPE_CLASS = "Trainer.Config"


@dataclass(frozen=True)
class Computed:
    """A value the file computes (its source text): reported, never evaluated."""

    expr: str

    def __repr__(self) -> str:
        return f"computed `{self.expr}`"


@dataclass(frozen=True)
class Flavour:
    """`model_registry("8B")` in a recipe: the flavour it names."""

    name: str


@dataclass(frozen=True)
class Registry:
    flavours: dict[str, tuple[str, str, dict]]   # flavour -> (registry variable, args class, kwargs)
    recipes: dict[str, dict | str]              # function -> Trainer.Config kwargs, or why it is not read
    built: dict[str, str] = dataclasses.field(default_factory=dict)  # flavour -> why it is not read


def split(path: Path) -> tuple[Path, str | None]:
    """`dir/__init__.py::8B` -> (dir/__init__.py, "8B")."""
    text = str(path)
    if SELECT in text:
        file, name = text.split(SELECT, 1)
        return Path(file), name
    return path, None


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None


def value(node: ast.AST) -> Any:
    """A literal, a known call's keyword arguments as a dict, or Computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)
            and type(node.operand.value) in (int, float)):
        return -node.operand.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [value(e) for e in node.elts]
    if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys):
        return {k.value: value(v) for k, v in zip(node.keys, node.values)}  # type: ignore[union-attr]
    if isinstance(node, ast.Call):
        name = _dotted(node.func)
        if name == "model_registry" and len(node.args) == 1 and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and not node.keywords:
            return Flavour(node.args[0].value)
        if (name in NESTED or name in TORCHTITAN_ARGS) and not node.args and all(k.arg for k in node.keywords):
            return {k.arg: value(k.value) for k in node.keywords}
    return Computed(ast.unparse(node))


def parse(path: Path) -> ast.Module | None:
    try:
        if not path.is_file() or path.suffix.lower() != ".py" or path.stat().st_size > MAX_BYTES:
            return None
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None


def registry(tree: ast.Module) -> Registry:
    flavours: dict[str, tuple[str, str, dict]] = {}
    recipes: dict[str, dict | str] = {}
    functions = {s.name for s in tree.body if isinstance(s, ast.FunctionDef)}
    built = {k.value: f"flavour {k.value!r} is built by the function {v.id}() (local variables, helper calls), not "
                      "written as one literal"
             for s in tree.body if isinstance(s, ast.Assign) and isinstance(s.value, ast.Dict)
             for k, v in zip(s.value.keys, s.value.values)
             if isinstance(k, ast.Constant) and isinstance(k.value, str) and isinstance(v, ast.Name) and v.id in functions}
    for stmt in tree.body:
        target, node = None, None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target, node = stmt.targets[0].id, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            target, node = stmt.target.id, stmt.value
        if target is not None and isinstance(node, ast.Dict) and node.keys:
            entries = list(zip(node.keys, node.values))
            if all(isinstance(k, ast.Constant) and isinstance(k.value, str) and isinstance(v, ast.Call)
                   and _dotted(v.func) in TORCHTITAN_ARGS for k, v in entries):
                for k, v in entries:
                    flavours[k.value] = (target, _dotted(v.func), value(v))  # type: ignore[union-attr,index]
        if isinstance(stmt, ast.FunctionDef):
            body = [s for s in stmt.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
            call = body[0].value if len(body) == 1 and isinstance(body[0], ast.Return) else None
            if isinstance(call, ast.Call) and _dotted(call.func) == RECIPE_CLASS:
                recipes[stmt.name] = value(call)
            elif any(isinstance(n, ast.Call) and _dotted(n.func) == RECIPE_CLASS for n in ast.walk(stmt)) or \
                    (stmt.returns is not None and _dotted(stmt.returns) == RECIPE_CLASS):
                recipes[stmt.name] = ("its body is statements (it builds on another recipe function or sets "
                                      "fields one by one), not one `return Trainer.Config(...)` literal")
    return Registry(flavours, recipes, built)
