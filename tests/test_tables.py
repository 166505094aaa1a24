"""The data tables: complete, sourced, and consistent."""
from __future__ import annotations

from flopcount.data.accelerators import ACCELERATORS, PRECISIONS
from flopcount.data.thresholds import THRESHOLDS
from flopcount.hardware import find_accelerator


def test_accelerators_have_sources_and_dense_peaks():
    for acc in ACCELERATORS:
        assert acc.source and acc.peak
        assert set(acc.peak) <= set(PRECISIONS)
        assert all(v > 0 for v in acc.peak.values())
        assert find_accelerator(acc.id) is acc
        for alias in acc.aliases:
            assert find_accelerator(alias.upper()) is acc
    # Dense, not 2:4-sparse, figures (sparse would be 1979e12 / 624e12).
    assert find_accelerator("h100-sxm").peak["bf16"] < 1e15
    assert find_accelerator("a100").peak["bf16"] == 312e12
    assert find_accelerator("H100 PCIe").peak["bf16"] == 756.5e12


def test_thresholds_have_sources_dates_and_strict_lines():
    ids = {t.id for t in THRESHOLDS}
    assert ids == {"eu-gpai", "eu-systemic-risk", "eu-modification", "us-eo-14110", "ca-sb53", "ny-raise"}
    for t in THRESHOLDS:
        assert t.source and t.adopted and t.provision and t.jurisdiction
        assert t.quantity in ("training", "cumulative", "modification", "training_lineage")
    by_id = {t.id: t for t in THRESHOLDS}
    assert by_id["eu-systemic-risk"].flop == 10**25 and by_id["eu-systemic-risk"].notify_days == 14
    assert by_id["us-eo-14110"].status == "revoked"
    # SB 53: Stats. 2025, ch. 138, operative 1 Jan 2026; measured on the original run plus
    # later training (§22757.11), not on the EU's cumulative quantity
    assert by_id["ca-sb53"].applies_from == "2026-01-01" and by_id["ca-sb53"].quantity == "training_lineage"
    assert by_id["ny-raise"].verified is False


#: Issue 28's accelerators: (id, precision, datasheet figure in TFLOP/s as printed, sparse?) —
#: each dense peak worked from the vendor's line (sparse figures halved, module docstring).
DATASHEET_LINES = (
    ("tpu-v3", "bf16", 123, False),     # cloud.google.com/tpu/docs/v3: "123 teraflops (bf16)"
    ("h800", "bf16", 1979, True),       # H800 datasheet: BF16 Tensor Core 1,979 TFLOPS* (with sparsity)
    ("h800", "fp8", 3958, True),        # FP8 Tensor Core 3,958 TFLOPS* (with sparsity)
    ("h800", "fp64", 1, False),         # FP64 1 TFLOPS
    ("a800", "bf16", 312, False),       # A800 (A100 compute): BF16 Tensor Core 312 TFLOPS dense
    ("a800-pcie", "tf32", 156, False),  # TF32 Tensor Core 156 TFLOPS dense
    ("v100s", "fp16", 130, False),      # V100S PCIe: tensor performance 130 TFLOPS
    ("v100s", "fp32", 16.4, False),     # single precision 16.4 TFLOPS
    ("ascend-910", "fp16", 256, False),  # Huawei: 256 TFLOPS FP16
)


def test_issue_28_accelerators_against_their_datasheet_lines():
    for acc_id, precision, printed, sparse in DATASHEET_LINES:
        acc = find_accelerator(acc_id)
        assert acc.peak[precision] == printed * 1e12 / (2 if sparse else 1), (acc_id, precision)
        assert acc.source and (acc.verified or acc.note)  # unverified rows say why
    assert find_accelerator("H800 SXM").id == "h800" and find_accelerator("TPU v3").id == "tpu-v3"


def test_unknown_accelerator_names_the_nearest():
    import pytest

    from flopcount.errors import InputError
    with pytest.raises(InputError, match="nearest: h800"):
        find_accelerator("H810")


def test_device_names_of_the_new_rows():
    from flopcount.data.accelerators import DEVICE_NAME_PATTERNS
    import re

    def match(name: str) -> str:
        return next((acc for pattern, acc in DEVICE_NAME_PATTERNS if re.search(pattern, name.lower())), "")
    assert match("NVIDIA H800") == "h800" and match("NVIDIA A800-SXM4-80GB") == "a800"
    assert match("NVIDIA A800 80GB PCIe") == "a800-pcie" and match("Tesla V100S-PCIE-32GB") == "v100s"
