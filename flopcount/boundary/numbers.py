"""Reading and writing the big numbers this tool is about.

Counts (parameters, tokens, FLOP) are exact Python ints: FLOP totals reach 1e26 and int64
overflows at 9.2e18. Human forms such as "2T", "300B", "1.5e12" and "7_000_000" are
accepted wherever a count is expected; they are parsed with `Decimal`, never through a
float, so "3.14e23" is exactly 314 followed by 21 zeros.

Convention used throughout flopcount: one multiply-add = 2 FLOP.
"""
from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from fractions import Fraction
from typing import Any

from ..data.assumptions import MAX_EXPONENT, MAX_NUMBER_TEXT
from .errors import InputError

#: Suffixes for counts. SI-style, case-insensitive; "B" (billion) and "G" are the same.
#: No "E" (exa): "1e" reads as a cut-off exponent as readily as 10^18, so it is refused.
SUFFIXES: dict[str, int] = {
    "k": 10**3,
    "m": 10**6,
    "b": 10**9,
    "g": 10**9,
    "t": 10**12,
    "p": 10**15,
}

_THOUSANDS_RE = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+$")

_COUNT_RE = re.compile(r"^\s*([+-]?[0-9][0-9_,]*(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]?)\s*$")


def _decimal(value: Any, field: str, source: str | None) -> Decimal:
    number = _read_decimal(value, field, source)
    if number and number.adjusted() > MAX_EXPONENT:
        shown = value if not isinstance(value, int) else f"{len(str(value))}-digit number"
        raise InputError(f"{shown!r} is out of range (10^{MAX_EXPONENT + 1} or more)", source=source, field=field)
    return number


def _read_decimal(value: Any, field: str, source: str | None) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise InputError(f"expected a number, got {value!r}", source=source, field=field)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"must be a finite number, got {value!r}", source=source, field=field)
        text = getattr(value, "text", None)  # strict.ExactFloat: the digits as written
        return Decimal(text) if text is not None else Decimal(repr(value))
    if isinstance(value, str):
        if len(value) > MAX_NUMBER_TEXT:
            raise InputError(f"a number written with {len(value)} characters is not read (at most "
                             f"{MAX_NUMBER_TEXT})", source=source, field=field)
        match = _COUNT_RE.match(value)
        if not match:
            raise InputError(
                f"cannot read {value!r} as a number (forms accepted: 1000, 1.5e12, 300B, 2T)",
                source=source, field=field)
        digits, suffix = match.groups()
        whole = digits.lstrip("+-").split(".")[0].split("e")[0].split("E")[0]
        if "," in whole and not _THOUSANDS_RE.match(whole):
            raise InputError(f"cannot read {value!r}: a comma is read only as a thousands separator "
                             "(1,000,000); for a decimal write a point (1.5T)", source=source, field=field)
        if len(whole.replace("_", "").replace(",", "")) > 1 and whole.startswith("0"):
            raise InputError(f"cannot read {value!r}: a leading zero (octal in YAML 1.1) is not guessed; "
                             "write the number without it", source=source, field=field)
        if suffix and suffix.lower() not in SUFFIXES:
            raise InputError(
                f"unknown suffix {suffix!r} in {value!r} (use K, M, B, T, P)", source=source, field=field)
        try:
            number = Decimal(digits.replace("_", "").replace(",", ""))
        except InvalidOperation:
            raise InputError(f"cannot read {value!r} as a number", source=source, field=field) from None
        return number * SUFFIXES[suffix.lower()] if suffix else number
    raise InputError(f"expected a number, got {type(value).__name__} {value!r}", source=source, field=field)


def parse_count(value: Any, field: str, source: str | None = None, *, allow_zero: bool = False) -> int:
    """A whole, non-negative count (tokens, parameters, steps, FLOP) as an exact int."""
    number = _decimal(value, field, source)
    if number < 0 or (number == 0 and not allow_zero):
        bound = "non-negative" if allow_zero else "positive"
        raise InputError(f"must be {bound}, got {value!r}", source=source, field=field)
    if number != number.to_integral_value():
        raise InputError(f"must be a whole number, got {value!r}", source=source, field=field)
    return int(number)


def parse_positive(value: Any, field: str, source: str | None = None) -> float:
    """A positive real quantity (hours, seconds, FLOP/s) as float64."""
    number = _decimal(value, field, source)
    if number <= 0:
        raise InputError(f"must be positive, got {value!r}", source=source, field=field)
    result = float(number)
    if not math.isfinite(result):
        raise InputError(f"is out of range: {value!r}", source=source, field=field)
    return result


def parse_fraction_range(value: Any, field: str, source: str | None = None) -> tuple[float, float]:
    """A utilisation: one value "0.4" or a range "0.3:0.5", each in (0, 1]."""
    if isinstance(value, str) and ":" in value:
        parts = value.split(":")
        if len(parts) != 2:
            raise InputError(f"expected LOW:HIGH, got {value!r}", source=source, field=field)
        low, high = (parse_positive(p, field, source) for p in parts)
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        low, high = (parse_positive(p, field, source) for p in value)
    else:
        low = high = parse_positive(value, field, source)
    if not (low <= high <= 1.0):
        raise InputError(f"must satisfy 0 < LOW <= HIGH <= 1, got {value!r}", source=source, field=field)
    return low, high


def to_int(value: Fraction | int) -> int:
    """Round an exact rational FLOP count to the nearest int (half away from zero)."""
    value = Fraction(value)
    return int(value.numerator * 2 + value.denominator) // (2 * value.denominator)


def exact_int(value: int | float | Fraction) -> int:
    """The integer a FLOP figure stands for: exact for ints and fractions; a float as the
    decimal it was written as (its shortest repr, 1.0000001e25 -> 10000001000000000000000000),
    never its binary expansion (10000001000000000245104640)."""
    if isinstance(value, float):
        from decimal import ROUND_HALF_UP, Decimal
        return int(Decimal(repr(value)).to_integral_value(ROUND_HALF_UP))
    return to_int(value)


def flop_text(value: int | float | Fraction | None) -> str | None:
    """FLOP as a decimal-integer string (the JSON type of FLOP in every flopcount output):
    an int or fraction exactly, a float as the decimal it was written as (`exact_int`), never
    its binary expansion: flop_text(1e25) is "1" followed by 25 zeros, not
    "10000000000000000905969664"."""
    if value is None:
        return None
    return str(exact_int(value))


def sig2(value: float | int | Fraction, unicode: bool = True) -> str:
    """Two significant figures, the form the Guidelines ask compute to be notified in,
    rounded in decimal from the exact value (half up), never through a binary float:
    1.05e25 FLOP is 1.1×10^25.

    >>> sig2(3.14e23)
    '3.1×10^23'
    >>> sig2(105 * 10**23)
    '1.1×10^25'
    """
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, Fraction):
        with localcontext() as ctx:
            ctx.prec = 60
            exact = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        exact = Decimal(value)
    if exact == 0:
        return "0"
    sign, exact = ("-" if exact < 0 else ""), abs(exact)
    exponent = exact.adjusted()
    mantissa = exact.scaleb(-exponent).quantize(Decimal("1.0"), rounding=ROUND_HALF_UP)
    if mantissa >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
        mantissa = mantissa.quantize(Decimal("1.0"))
    times = "×" if unicode else "x"
    return f"{sign}{mantissa}{times}10^{exponent}"


def multiple(value: float) -> str:
    """A compute as a multiple of a line (×0.857, ×67.4): three figures where plain decimals
    read well, else the ×10^n form FLOP are written in (1.7×10^-5), never e-notation, so a
    table does not mix 1.66e-05 with 1.0×10^23.

    >>> multiple(0.857), multiple(67.4), multiple(1.66e-05), multiple(2.5e6)
    ('0.857', '67.4', '1.7×10^-5', '2.5×10^6')
    """
    if not math.isfinite(value) or value == 0 or 1e-3 <= abs(value) < 999.5:
        return f"{value:.3g}"
    return sig2(value)


def sig2_plain(value: float | int) -> str:
    """Two significant figures written out, with thousands separators: energy in MWh as
    the Model Documentation Form asks. A float is read through its shortest repr, so
    1320.7040000000002 kWh is 1.3 MWh, not an artefact.

    >>> sig2_plain(28_957.3), sig2_plain(1.32), sig2_plain(0.001349)
    ('29,000', '1.3', '0.0013')
    """
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not exact.is_finite():
        return str(value)
    if exact == 0:
        return "0"
    step = Decimal(1).scaleb(exact.adjusted() - 1)
    rounded = exact.quantize(step, rounding=ROUND_HALF_UP)
    if rounded.adjusted() > exact.adjusted():  # 9.96 -> 10: still two figures
        step = step * 10
        rounded = exact.quantize(step, rounding=ROUND_HALF_UP)
    return f"{rounded:,.0f}" if step >= 1 else f"{rounded:,f}"


def human(value: float | int) -> str:
    """Short human form for counts: 7.0B, 15.6T."""
    value = float(value)
    for suffix, scale in (("P", 1e15), ("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"
