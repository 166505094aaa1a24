"""The accelerator table's sources (issue 28, "Hardware that real runs used").

A row is verified only when its figures were tied to a line of the vendor's own document
(datasheet, product page, whitepaper, vendor docs) read when the row was checked; a third
party's copy of a vendor table never verifies a row. Each vendor figure asserted below is
quoted beside it, so a changed table fails here, and the worked examples redo the hardware
method (C = N × L × H × U, Commission Guidelines Annex A.2) by hand.
"""
from __future__ import annotations

import json
import math

import pytest

from flopcount import InputError
from flopcount.cli import main
from flopcount.data.accelerators import ACCELERATORS, Accelerator

try:  # hardware.py is moving into a subpackage; either place will do
    from flopcount.count.hardware import HardwareUse, find_accelerator, hardware_flops
except ModuleNotFoundError:
    from flopcount.hardware import HardwareUse, find_accelerator, hardware_flops

T = 1e12

#: Where a verified row's source must point: the vendor's own site or document, by vendor.
VENDOR_DOCUMENTS = {
    "NVIDIA": ("nvidia.com", "NVIDIA H100 Tensor Core GPU Architecture whitepaper"),
    "AMD": ("amd.com",),  # www.amd.com datasheets, rocm.blogs.amd.com, rocm.docs.amd.com
    "Google": ("cloud.google.com",),
    "AWS": ("awsdocs-neuron", "AWS Neuron docs"),
    "Intel": ("intel.com", "habana.ai"),
    "Huawei": ("huawei.com", "hiascend.com"),
}
#: Words that mark a figure as someone else's copy, not the vendor's text.
SECOND_HAND = ("as reproduced", "as reported", "as listed", "as quoted", "as commonly quoted", "Lightning")

#: Rows whose figures no vendor text read here backs (each note says what is missing). A row
#: leaves this set only with a vendor line read and quoted in VENDOR_LINES below.
UNVERIFIED = {"b200", "gb200", "v100s", "h800", "a800", "a800-pcie", "ascend-910", "h20", "l20", "b300", "gb300",
              "mi250x", "mi250x-gcd", "tpu-v2", "gaudi2", "gaudi3"}


def _row(acc_id: str) -> Accelerator:
    return next(a for a in ACCELERATORS if a.id == acc_id)


def test_every_row_has_a_source_and_every_unverified_row_says_what_is_missing():
    for acc in ACCELERATORS:
        assert acc.source.strip(), acc.id
        if not acc.verified:
            assert "Missing:" in acc.note, acc.id
    assert {a.id for a in ACCELERATORS if not a.verified} == UNVERIFIED


def test_verified_rows_cite_the_vendors_own_document():
    for acc in ACCELERATORS:
        if acc.verified:
            assert any(doc in acc.source for doc in VENDOR_DOCUMENTS[acc.vendor]), (acc.id, acc.source)
            assert not any(word in acc.source for word in SECOND_HAND), (acc.id, acc.source)


#: (id, precision, figure as the vendor prints it, in TFLOP/s) — read in the vendor's text.
VENDOR_LINES = (
    # Google, cloud.google.com/tpu/docs/v3, "Key specifications": "Peak compute per chip | 123 teraflops (bf16)"
    ("tpu-v3", "bf16", 123),
    # Google, cloud.google.com/tpu/docs/v4 (read in its es-419 version): "Procesamiento máximo por chip
    # 275 teraflops (bf16 o int8)", i.e. peak compute per chip 275 teraflops (bf16 or int8)
    ("tpu-v4", "bf16", 275),
    ("tpu-v4", "int8", 275),
    # Google, cloud.google.com/tpu/docs/v5p (read in its pt-br version): "Pico de computação por chip
    # (bf16) | 459 TFLOPs", i.e. peak compute per chip (bf16) 459 TFLOPs
    ("tpu-v5p", "bf16", 459),
    # AMD, rocm.docs.amd.com .../gpu-arch/mi300.html, "Peak-performance capabilities of the MI300X":
    # Matrix FP64 163.4, Matrix FP32 163.4, TF32 653.7, Matrix FP16 1307.4, Matrix BF16 1307.4,
    # Matrix FP8 2614.9, Matrix INT8 2614.9 (Peak TFLOPS, dense: the page lists no sparse figure)
    ("mi300x", "fp64", 163.4),
    ("mi300x", "fp32", 163.4),
    ("mi300x", "tf32", 653.7),
    ("mi300x", "fp16", 1307.4),
    ("mi300x", "bf16", 1307.4),
    ("mi300x", "fp8", 2614.9),
    ("mi300x", "int8", 2614.9),
)


def test_peaks_match_the_vendor_lines_read():
    for acc_id, precision, printed in VENDOR_LINES:
        acc = _row(acc_id)
        assert acc.verified, acc_id
        assert math.isclose(acc.peak[precision], printed * T, rel_tol=1e-12), (acc_id, precision)


def test_mi250x_figures_follow_from_amds_per_cu_rates_but_stay_unverified():
    # AMD ROCm "MI250 microarchitecture": matrix FP16/BF16/INT8 1024 and matrix FP64/FP32 256
    # FLOPS/clock/CU, peak clock 1.7 GHz, and for the 208-CU MI250 "Matrix FP16 ... 362.1",
    # "Matrix FP64 ... 90.5" (TFLOPS). The same rates at the MI250X's 220 CUs give its row:
    assert round(1024 * 208 * 1.7e9 / T, 1) == 362.1 and round(256 * 208 * 1.7e9 / T, 1) == 90.5
    mi250x = _row("mi250x")
    assert round(1024 * 220 * 1.7e9 / T, 1) * T == mi250x.peak["bf16"] == 383.0 * T
    assert round(256 * 220 * 1.7e9 / T, 1) * T == mi250x.peak["fp64"] == 95.7 * T
    # a derivation, not AMD's MI250X line: still unverified, and one GCD is half a module
    assert not mi250x.verified and "Missing:" in mi250x.note
    assert _row("mi250x-gcd").peak["bf16"] * 2 == mi250x.peak["bf16"]


@pytest.mark.parametrize("typed, nearest", [
    ("h100-sxm5-80g", "h100-sxm"),
    ("a800sxm", "a800"),
    ("mi355", "mi355x"),
    # a later, different chip: named as the nearest row, never silently taken for it
    ("Ascend 910B", "ascend-910"),
])
def test_an_unknown_name_lists_the_nearest_rows(typed, nearest):
    with pytest.raises(InputError, match=r"nearest: [^;]*\b" + nearest + r"\b"):
        find_accelerator(typed)


def test_the_cli_names_the_nearest_row_too(capsys):
    assert main(["estimate", "--accelerator", "a800sxm", "--gpus", "8", "--days", "1"]) == 2
    assert "nearest: a800" in capsys.readouterr().err


@pytest.mark.parametrize("typed, acc_id", [
    ("H800 SXM5", "h800"), ("NVIDIA H800", "h800"), ("A800 SXM4", "a800"), ("A800 PCIe", "a800-pcie"),
    ("V100S PCIe", "v100s"), ("Ascend 910", "ascend-910"), ("TPU v5p", "tpu-v5p"), ("TPU v3", "tpu-v3"),
    ("trn1", "trainium"), ("trn2", "trainium2"), ("MI355X", "mi355x"), ("AMD MI250X", "mi250x"),
])
def test_names_people_type_resolve(typed, acc_id):
    assert find_accelerator(typed).id == acc_id


def _cli_hardware(args: list[str], capsys) -> dict:
    assert main(["estimate", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["compute"]["training"]


def test_worked_example_h800(capsys):
    """1,024 H800s × 30 days × 40 %: 1,024 × 30 × 24 = 737,280 device-hours; × 3,600 =
    2,654,208,000 device-seconds; × 989.5×10^12 FLOP/s (dense bf16: the datasheet's 1,979 with
    sparsity, halved) = 2.626338816×10^24 FLOP at full use; × 0.4 = 1.0505355264×10^24 FLOP.
    The H800 row is unverified (no NVIDIA text read), so this checks the arithmetic, not the peak."""
    by_hand = 1024 * 30 * 24 * 3600 * 989.5e12 * 0.4
    assert by_hand == pytest.approx(1.0505355264e24, rel=1e-12)
    use = HardwareUse(find_accelerator("H800 SXM5"), hours=1024 * 30 * 24, precision="bf16",
                      utilization=(0.4, 0.4))
    assert hardware_flops(use).total == pytest.approx(by_hand, rel=1e-12)
    out = _cli_hardware(["--accelerator", "h800", "--gpus", "1024", "--days", "30", "--utilization", "0.4"], capsys)
    assert int(out["total"]) == pytest.approx(by_hand, rel=1e-12)


def test_worked_example_tpu_v3_a_verified_row(capsys):
    """A v3 Pod, 1,024 chips × 7 days × 50 %: 1,024 × 7 × 24 = 172,032 chip-hours; × 3,600 =
    619,315,200 chip-seconds; × 123×10^12 FLOP/s (Google: "Peak compute per chip 123 teraflops
    (bf16)") = 7.61757696×10^22 FLOP; × 0.5 = 3.80878848×10^22 FLOP."""
    by_hand = 1024 * 7 * 24 * 3600 * 123e12 * 0.5
    assert by_hand == pytest.approx(3.80878848e22, rel=1e-12)
    use = HardwareUse(find_accelerator("TPU v3"), hours=1024 * 7 * 24, precision="bf16", utilization=(0.5, 0.5))
    assert hardware_flops(use).total == pytest.approx(by_hand, rel=1e-12)
    out = _cli_hardware(["--accelerator", "tpu-v3", "--gpus", "1024", "--days", "7", "--utilization", "0.5"], capsys)
    assert int(out["total"]) == pytest.approx(by_hand, rel=1e-12)
