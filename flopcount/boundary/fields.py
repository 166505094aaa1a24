"""Typed, validated access to fields of a parsed file (JSON/YAML mapping).

Validation happens here, at the boundary, so every error names the file and the dotted
field path; code past this point trusts its types.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from ..data.assumptions import MAX_LAYERS
from .errors import InputError
from .numbers import parse_count, parse_fraction_range, parse_positive
from .strict import DuplicateKey, loads_json, loads_yaml

_MISSING: Any = object()


def load_mapping(path: str | Path) -> dict:
    """Parse a JSON or YAML file safely (never pickle, never yaml.load) into a mapping."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", source=source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read file ({exc.__class__.__name__}: {exc})", source=source) from None
    try:
        if path.suffix.lower() == ".json":
            data = loads_json(text, _reject_constant)
        else:
            data = loads_yaml(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                         source=source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"malformed YAML{where}: {problem}", source=source) from None
    except DuplicateKey as exc:
        raise InputError(str(exc), source=source) from None
    except (ValueError, OverflowError) as exc:  # PyYAML's constructors: e.g. a date 2024-13-01
        raise InputError(f"malformed YAML: {exc}", source=source) from None
    except RecursionError:
        raise InputError("file nests too deeply to parse", source=source) from None
    if not isinstance(data, dict):
        raise InputError(f"expected a mapping at the top level, got {type(data).__name__}", source=source)
    return data


def _reject_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a number this tool accepts", name, 0)


class Fields:
    """A mapping read from `source`, addressed by dotted `prefix` in error messages."""

    def __init__(self, data: Mapping[str, Any], source: str | None, prefix: str = ""):
        if not isinstance(data, Mapping):
            raise InputError(f"expected a mapping, got {type(data).__name__}", source=source,
                             field=prefix or None)
        self.data, self.source, self.prefix = data, source, prefix

    def path(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def error(self, name: str | None, message: str) -> InputError:
        return InputError(message, source=self.source, field=self.path(name) if name else (self.prefix or None))

    def has(self, name: str) -> bool:
        return name in self.data and self.data[name] is not None

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        if not self.has(name):
            if default is _MISSING:
                raise self.error(name, "required field is missing")
            return default
        return self.data[name]

    def count(self, name: str, default: Any = _MISSING, *, allow_zero: bool = False) -> int:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        number = parse_count(value, self.path(name), self.source, allow_zero=allow_zero)
        if "layer" in name.lower() and number > MAX_LAYERS:  # readers build per-layer lists
            raise InputError(f"{number:,} is more layers than any model has (at most {MAX_LAYERS:,} are read)",
                             source=self.source, field=self.path(name))
        return number

    def positive(self, name: str, default: Any = _MISSING) -> float:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        return parse_positive(value, self.path(name), self.source)

    def fraction_range(self, name: str, default: Any = _MISSING) -> tuple[float, float]:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        return parse_fraction_range(value, self.path(name), self.source)

    def flag(self, name: str, default: Any = _MISSING) -> bool:
        value = self.raw(name, default)
        if not isinstance(value, bool):
            raise self.error(name, f"must be true or false, got {value!r}")
        return value

    def text(self, name: str, default: Any = _MISSING) -> str:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str) or not value.strip():
            raise self.error(name, f"must be a non-empty string, got {value!r}")
        return value

    def date(self, name: str) -> "dt.date | None":
        """A calendar date (YAML's own, or YYYY-MM-DD text); None when the field is absent."""
        value = self.raw(name, None)
        if value is None or isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.error(name, f"must be a date YYYY-MM-DD, got {value!r}") from None

    def choice(self, name: str, options: Iterable[str], default: Any = _MISSING) -> str:
        options = tuple(options)
        value = self.raw(name, default)
        if not isinstance(value, str) or value.lower() not in options:
            raise self.error(name, f"must be one of {', '.join(options)}; got {value!r}")
        return value.lower()

    def int_list(self, name: str, default: Any = _MISSING) -> list[int]:
        value = self.raw(name, default)
        if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
            raise self.error(name, f"must be a list of integers, got {value!r}")
        return value

    def sub(self, name: str) -> "Fields":
        return Fields(self.raw(name), self.source, self.path(name))

    def items(self, name: str) -> list["Fields"]:
        value = self.raw(name)
        if not isinstance(value, list) or not value:
            raise self.error(name, "must be a non-empty list")
        return [Fields(item, self.source, f"{self.path(name)}[{i}]") for i, item in enumerate(value)]

    def only(self, allowed: Iterable[str]) -> None:
        """Reject unknown keys: a typo ("token:" for "tokens:") must not silently drop data."""
        allowed = set(allowed)
        for key in self.data:
            if key not in allowed:
                raise self.error(str(key), f"unknown field (known: {', '.join(sorted(allowed))})")

