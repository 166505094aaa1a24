"""One error type for bad input, so the CLI can print it cleanly and exit 2.

Every message names where the bad value came from (file) and which value (field), because
a compliance number built on a misread config is worse than no number.
"""
from __future__ import annotations


class InputError(ValueError):
    """Bad user input: malformed file, missing/negative/NaN field, unknown id."""

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None):
        self.message = message
        self.source = source
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.source, self.field) if part)
        return f"{where}: {self.message}" if where else self.message

    def at(self, source: str | None = None, field_prefix: str | None = None) -> "InputError":
        """The same error re-anchored in an enclosing file / field (e.g. a plan's phase)."""
        field = self.field
        if field_prefix:
            field = f"{field_prefix}.{field}" if field else field_prefix
        return InputError(self.message, source=self.source or source, field=field)
