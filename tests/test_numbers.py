from __future__ import annotations

import pytest

from flopcount.boundary.errors import InputError
from flopcount.boundary.numbers import parse_count, parse_fraction_range, sig2, to_int


@pytest.mark.parametrize("text,value", [
    ("2T", 2 * 10**12), ("300B", 300 * 10**9), ("1.5e12", 1_500_000_000_000), ("7_000", 7000),
    ("15.6T", 15_600_000_000_000), ("4.2M", 4_200_000), (3.14e23, 314 * 10**21), ("1,000", 1000),
    (10**26, 10**26), ("2e25", 2 * 10**25),
])
def test_count_forms_are_exact(text, value):
    result = parse_count(text, "tokens")
    assert result == value and isinstance(result, int)


@pytest.mark.parametrize("bad", ["2X", "-5", "nan", "inf", float("nan"), float("inf"), True, None, "1.5", "",
                                 [1], "T2", "0"])
def test_bad_counts_name_the_field(bad):
    with pytest.raises(InputError) as info:
        parse_count(bad, "tokens", "plan.yaml")
    assert str(info.value).startswith("plan.yaml: tokens: ")


def test_utilization_ranges():
    assert parse_fraction_range("0.3:0.5", "u") == (0.3, 0.5)
    assert parse_fraction_range(0.4, "u") == (0.4, 0.4)
    for bad in ("0.5:0.3", "1.2", "0:0.5", "a:b", "0.1:0.2:0.3"):
        with pytest.raises(InputError):
            parse_fraction_range(bad, "u")


def test_two_significant_figures():
    assert sig2(3.14e23) == "3.1×10^23"
    assert sig2(2.25e25) == "2.2×10^25" or sig2(2.25e25) == "2.3×10^25"
    assert sig2(9.96e24) == "1.0×10^25"
    assert sig2(10**26) == "1.0×10^26"


def test_to_int_rounds_half_up_exactly():
    from fractions import Fraction
    assert to_int(Fraction(5, 2)) == 3 and to_int(Fraction(7, 3)) == 2
    big = 10**26 + 1
    assert to_int(Fraction(big * 3, 3)) == big  # no float on the way


def test_a_float_flop_figure_is_the_decimal_written():
    """Issue 26 item 5: 1.0000001e25 given in a plan printed as 10,000,001,000,000,000,245,104,640
    (the binary float's expansion); what was written is 10,000,001 × 10^18."""
    from flopcount.boundary.numbers import exact_int
    assert exact_int(1.0000001e25) == 10_000_001 * 10**18
    assert exact_int(2**80) == 2**80 and exact_int(0.5) == 1


def test_estimate_prints_the_figure_given(tmp_path, capsys):
    from flopcount.cli import main
    plan = tmp_path / "p.yaml"
    plan.write_text("flopcount_plan: 1\nmodel: {params: 7000000000}\n"
                    "phases:\n  - {kind: pre-training, flops: 1.0000001e25, start: 2026-01-01}\n")
    assert main(["estimate", str(plan)]) == 0
    out = capsys.readouterr().out
    assert "10,000,001,000,000,000,000,000,000 FLOP is over the line" in out and "245,104,640" not in out


def test_yaml_merge_keys_merge_and_duplicates_are_still_refused():
    """`<<: *anchor` (NeMo-RL's recipes) merges as YAML 1.1 says, a key given beside it
    overrides the merged one; a key given twice in the mapping itself is still refused."""
    from flopcount.boundary.errors import InputError
    from flopcount.boundary.strict import loads_yaml
    assert loads_yaml("a: &A {x: 1, y: 2}\nb:\n  <<: *A\n  y: 3\n") == {"a": {"x": 1, "y": 2}, "b": {"x": 1, "y": 3}}
    with pytest.raises((InputError, ValueError), match="given twice"):
        loads_yaml("b:\n  <<: {x: 1}\n  y: 3\n  y: 4\n")


def test_a_yaml_date_that_is_not_one_is_named_with_its_line():
    from flopcount.boundary.errors import InputError
    from flopcount.boundary.fields import load_mapping
    import tempfile, pathlib
    with tempfile.TemporaryDirectory() as d:
        path = pathlib.Path(d) / "plan.yaml"
        path.write_text("flopcount_plan: 1\nphases:\n  - {name: a, start: 2025-13-01}\n")
        with pytest.raises(InputError, match=r"line 3 column \d+: '2025-13-01' is not a date"):
            load_mapping(path)
