"""The compute-record JSON Schema (`schema/compute-record-v1.json`, versions 1 and 2; a
version 2 record's obligations block is `schema/obligations.schema.json`, referenced by its
$id), and validation against it that names the first field in error."""
from __future__ import annotations

import json
from importlib import resources
from typing import Any

from ..boundary.errors import InputError


def _read(name: str) -> dict:
    return json.loads(resources.files("flopcount").joinpath(f"schema/{name}").read_text("utf-8"))


def schema() -> dict:
    return _read("compute-record-v1.json")


def _registry():
    from referencing import Registry, Resource
    obligations = _read("obligations.schema.json")
    return Registry().with_resource(obligations["$id"], Resource.from_contents(obligations))


def validate(record: Any, source: str) -> None:
    """Raise InputError naming the first schema violation's field."""
    import jsonschema
    validator = jsonschema.Draft202012Validator(schema(), registry=_registry())
    errors = sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        message = error.message if len(error.message) <= 200 else error.message[:100] + " … " + error.message[-60:]
        raise InputError(f"does not match the compute-record schema: {message}", source=source, field=where)
