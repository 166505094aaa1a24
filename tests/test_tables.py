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
