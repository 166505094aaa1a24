"""JSON and YAML read so that no number or key is silently misread.

What the standard parsers would guess, and this refuses or keeps exact:
- a key given twice in one mapping (both parsers keep the last): an error naming the key;
- YAML 1.1's octal (`tokens: 0100` → 64) and base-60 (`gpu_hours: 1:30` → 90) integers
  and floats: read as text, which the number fields then refuse with a message;
- float literals beyond float64's 15–17 digits (`1.0000000000000001e20`): kept as an
  `ExactFloat`, a float that also carries its source text, so counts are taken from the
  digits written, not from the nearest double.
"""
from __future__ import annotations

import json
import re
from typing import Any

import yaml


class ExactFloat(float):
    """A float parsed from text, with the text kept for exact decimal reading."""

    text: str

    def __new__(cls, value: float, text: str | None = None) -> "ExactFloat":
        out = super().__new__(cls, value)
        out.text = repr(float(value)) if text is None else text
        return out

    def __reduce__(self) -> tuple:  # copy/deepcopy (transformers copies configs) keep the text
        return (ExactFloat, (float(self), self.text))


class DuplicateKey(ValueError):
    def __init__(self, key: Any, line: int | None = None) -> None:
        where = f" at line {line}" if line is not None else ""
        super().__init__(f"key {key!r} is given twice{where}; which one was meant is not guessed")
        self.key = key


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


def _json_float(text: str) -> float:
    return ExactFloat(float(text), text)


def loads_json(text: str, parse_constant: Any) -> Any:
    return json.loads(text, object_pairs_hook=_json_pairs, parse_float=_json_float, parse_constant=parse_constant)


# YAML 1.1 implicit int/float patterns without octal (leading 0) and base-60 forms; a
# scalar they no longer match stays a string.
_INT = re.compile(r"^(?:[-+]?0|[-+]?[1-9][0-9_]*|[-+]?0x[0-9a-fA-F_]+|[-+]?0b[01_]+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?"
                    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and never reads octal or base-60 numbers."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor`: SafeConstructor merges it; a key given here overrides it (YAML 1.1)
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                continue  # unhashable: SafeConstructor raises its own error
            if key in seen:
                raise DuplicateKey(key, key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A date that is not one (2025-13-01) is named with its line, like any malformed value."""
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(None, None, f"{node.value!r} is not a date ({exc})",
                                                    node.start_mark) from None

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        value = super().construct_yaml_float(node)
        return ExactFloat(value, node.value.replace("_", "")) if value == value and abs(value) != float("inf") \
            else value


StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
StrictLoader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
StrictLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
StrictLoader.add_constructor("tag:yaml.org,2002:float", StrictLoader.construct_yaml_float)
StrictLoader.add_constructor("tag:yaml.org,2002:map", StrictLoader.construct_yaml_map)
StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", StrictLoader.construct_yaml_timestamp)


def loads_yaml(text: str) -> Any:
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 — a SafeLoader subclass
