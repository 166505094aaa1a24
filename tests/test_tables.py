"""The data tables: complete, sourced, and consistent."""
from __future__ import annotations

from flopcount.data.accelerators import ACCELERATORS, PRECISIONS
from flopcount.data.thresholds import THRESHOLDS
from flopcount.hardware.accelerators import find_accelerator


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


#: Issue 28's accelerators: (id, precision, vendor figure in TFLOP/s as printed, divided by) — each
#: dense peak worked from its source line: sparse figures halved (module docstring), system
#: figures divided by the GPU count (HGX: 8, NVL72: 72), a four-chip board by 4, a module by GCDs.
DATASHEET_LINES = (
    ("tpu-v3", "bf16", 123, 1),          # cloud.google.com/tpu/docs/v3: "123 teraflops (bf16)"
    ("h800", "bf16", 1979, 2),           # H800 datasheet: BF16 Tensor Core 1,979 TFLOPS* (with sparsity)
    ("h800", "fp8", 3958, 2),            # FP8 Tensor Core 3,958 TFLOPS* (with sparsity)
    ("h800", "fp64", 1, 1),              # FP64 1 TFLOPS
    ("a800", "bf16", 312, 1),            # A800 (A100 compute): BF16 Tensor Core 312 TFLOPS dense
    ("a800-pcie", "tf32", 156, 1),       # TF32 Tensor Core 156 TFLOPS dense
    ("v100s", "fp16", 130, 1),           # V100S PCIe: tensor performance 130 TFLOPS
    ("v100s", "fp32", 16.4, 1),          # single precision 16.4 TFLOPS
    ("ascend-910", "fp16", 256, 1),      # Huawei: 256 TFLOPS FP16
    # second batch
    ("tpu7x", "bf16", 2307, 1),          # docs.cloud.google.com/tpu/docs/tpu7x: peak per chip (BF16) 2307 TFLOPs
    ("tpu7x", "fp8", 4614, 1),           # peak compute per chip (FP8) 4614 TFLOPs
    ("tpu-v2", "bf16", 180, 4),          # Google I/O 2017: 180 teraflops per four-chip board
    ("trainium", "bf16", 190, 1),        # Neuron docs: 190 FP16/BF16/cFP8/TF32 TFLOPS per Trainium chip
    ("trainium", "fp32", 47.5, 1),       # 47.5 FP32 TFLOP
    ("trainium", "int8", 380, 1),        # 380 INT8 TOPS
    ("trainium2", "bf16", 667, 1),       # Neuron docs: 667 BF16/FP16/TF32 TFLOPS per Trainium2 chip
    ("trainium2", "fp8", 1299, 1),       # 1,299 FP8 TFLOPS (2,563 sparse is printed apart)
    ("trainium2", "fp32", 181, 1),       # 181 FP32 TFLOPS
    ("mi355x", "fp16", 2500, 1),         # ROCm Blogs MI355X table: Matrix FP16 2.5 PF
    ("mi355x", "bf16", 2500, 1),         # BF16 on the same MFMA shapes and cycles as FP16
    ("mi355x", "fp8", 5000, 1),          # Matrix FP8 5 PF
    ("mi355x", "fp4", 10000, 1),         # Matrix FP4 10 PF
    ("mi355x", "fp64", 78.6, 1),         # Matrix FP64 78.6 TF
    ("mi250x", "bf16", 383, 1),          # MI250X: 383 TFLOPS FP16/BF16 per OAM
    ("mi250x", "fp64", 95.7, 1),         # FP64 matrix 95.7 TFLOPS per OAM
    ("mi250x-gcd", "bf16", 383, 2),      # one of the OAM's two GCDs
    ("gaudi2", "bf16", 432, 1),          # Intel (as reproduced): 432 TFLOPS BF16 matrix
    ("gaudi3", "bf16", 1835, 1),         # Intel Vision 2024: 1835 TFLOPS BF16 matrix
    ("gaudi3", "fp8", 1835, 1),          # 1835 TFLOPS FP8 matrix
    ("h20", "fp16", 148, 1),             # H20: FP16 148 TFLOPS dense
    ("h20", "int8", 296, 1),             # INT8 296 TOPS
    ("h20", "fp64", 1, 1),               # FP64 1 TFLOPS
    ("l20", "fp32", 59.35, 1),           # L20: FP32 59.35 TFLOPS (11,776 cores x 2.52 GHz x 2)
    ("b300", "bf16", 36_000, 8 * 2),     # HGX B300: FP16/BF16 36 PF* (8 GPUs, with sparsity)
    ("b300", "fp8", 72_000, 8 * 2),      # FP8/FP6 72 PF* (8 GPUs, with sparsity)
    ("b300", "tf32", 18_000, 8 * 2),     # TF32 18 PF* (8 GPUs, with sparsity)
    ("b300", "fp64", 10, 8),             # FP64 10 TF (8 GPUs)
    ("gb300", "fp4", 1_080_000, 72),     # GB300 NVL72: FP4 1,080 PF dense (72 GPUs)
    ("gb300", "fp8", 360_000, 72),       # FP8 360 PF dense (72 GPUs)
    ("gb300", "bf16", 180_000, 72),      # FP16/BF16 180 PF dense (72 GPUs)
)

#: Rows of the second batch whose figures were read on the vendor's own page with the tools.
VERIFIED_SECOND_BATCH = {"tpu7x", "mi355x", "trainium", "trainium2"}
SECOND_BATCH = {"h20", "l20", "b300", "gb300", "tpu-v2", "tpu7x", "gaudi2", "gaudi3", "mi250x", "mi250x-gcd",
                "mi355x", "trainium", "trainium2"}


def test_issue_28_accelerators_against_their_datasheet_lines():
    import math
    for acc_id, precision, printed, divided_by in DATASHEET_LINES:
        acc = find_accelerator(acc_id)
        assert math.isclose(acc.peak[precision], printed * 1e12 / divided_by, rel_tol=1e-12), (acc_id, precision)
        assert acc.source and (acc.verified or acc.note)  # unverified rows say why
    assert find_accelerator("H800 SXM").id == "h800" and find_accelerator("TPU v3").id == "tpu-v3"
    assert {a.id for a in ACCELERATORS if a.id in SECOND_BATCH and a.verified} == VERIFIED_SECOND_BATCH
    # every new row has a test line, and no precision the sources disagree on was filled in
    assert SECOND_BATCH <= {line[0] for line in DATASHEET_LINES}
    assert "fp4" not in find_accelerator("b300").peak and "fp8" not in find_accelerator("gaudi2").peak
    assert set(find_accelerator("l20").peak) == {"fp32"}  # no Tensor Core figure found for the L20


def test_issue_28_names_people_type():
    # (spelling, id): vendor names, usual spellings and the instance families the chips come in
    for name, acc_id in (("NVIDIA H20", "h20"), ("H20-96GB", "h20"), ("NVIDIA L20", "l20"), ("HGX B300", "b300"),
                         ("NVIDIA GB300", "gb300"), ("GB300 NVL72", "gb300"), ("TPU v2", "tpu-v2"),
                         ("TPU v7", "tpu7x"), ("Google TPU7x", "tpu7x"), ("Ironwood", "tpu7x"),
                         ("Intel Gaudi 2", "gaudi2"), ("Gaudi3", "gaudi3"), ("HL-325L", "gaudi3"),
                         ("AMD Instinct MI250X", "mi250x"), ("AMD MI355X", "mi355x"), ("AWS Trainium", "trainium"),
                         ("Trn1", "trainium"), ("AWS Trainium2", "trainium2"), ("trn2", "trainium2")):
        assert find_accelerator(name).id == acc_id, name
    vendors = {a.id: a.vendor for a in ACCELERATORS}
    assert vendors["gaudi3"] == "Intel" and vendors["trainium2"] == "AWS" and vendors["tpu7x"] == "Google"
    assert vendors["mi355x"] == "AMD" and vendors["h20"] == "NVIDIA"


def test_accelerators_command_lists_the_new_rows(capsys):
    import json

    from flopcount.cli import main
    assert main(["accelerators", "--json"]) == 0
    rows = {a["id"]: a for a in json.loads(capsys.readouterr().out)}
    assert SECOND_BATCH <= set(rows)
    assert rows["tpu7x"]["peak_flops"]["fp8"] == 4614e12 and rows["tpu7x"]["verified"] is True
    assert rows["gaudi3"]["verified"] is False and "press" in rows["gaudi3"]["note"]
    assert main(["accelerators"]) == 0
    text = capsys.readouterr().out
    for acc_id in SECOND_BATCH:
        assert f"\n{acc_id} " in text or text.startswith(f"{acc_id} "), acc_id
    assert "Google TPU7x (Ironwood)" in text and "bf16 2307T" in text


def test_unknown_accelerator_names_the_nearest():
    import pytest

    from flopcount.boundary.errors import InputError
    with pytest.raises(InputError, match="nearest: h800"):
        find_accelerator("H810")


def test_device_names_of_the_new_rows():
    from flopcount.data.accelerators import DEVICE_NAME_PATTERNS
    import re

    def match(name: str) -> str:
        return next((acc for pattern, acc in DEVICE_NAME_PATTERNS if re.search(pattern, name.lower())), "")
    assert match("NVIDIA H800") == "h800" and match("NVIDIA A800-SXM4-80GB") == "a800"
    assert match("NVIDIA A800 80GB PCIe") == "a800-pcie" and match("Tesla V100S-PCIE-32GB") == "v100s"
    # second batch (spellings after the vendors' product names, unchecked on hardware here)
    assert match("NVIDIA H20") == "h20" and match("NVIDIA H200") == "h200" and match("NVIDIA L20") == "l20"
    assert match("NVIDIA B300 SXM6 AC") == "b300" and match("NVIDIA GB300") == "gb300"
    assert match("AMD Instinct MI355X") == "mi355x" and match("GAUDI2") == "gaudi2" and match("Intel Gaudi 3") == "gaudi3"
    # an MI250X is two devices (GCDs); "MI250X/MI250" could be either part, so no peak is assumed
    assert match("AMD Instinct MI250X") == "mi250x-gcd" and match("AMD Instinct MI250X/MI250") == ""
    from flopcount.hardware.detect import accelerator_id
    assert accelerator_id("AMD Instinct MI250X/MI250") is None and accelerator_id("NVIDIA-H20") == "h20"
