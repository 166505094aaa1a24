"""Verdicts against the texts: a scenario table of plans, each with the verdict, the
notification duty and deadline, and the provision behind it (the README shows the same
table: `python tests/test_verdicts.py` prints it).

Sources: AI Act Art. 51(2) (strictly greater than 1e25 cumulative), Art. 52(1) (two weeks
after met or known to be met), Art. 111(3) and Art. 113(b) (Chapter V from 2 Aug 2025;
older models comply by 2 Aug 2027); Commission Guidelines C(2025) 5045 §2.1 (GPAI
criterion: > 1e23 training compute and generates text/audio/images/video), §2.3 (estimate
before the large run), §3.2 (modifier becomes provider above one third of the original's
training compute; fallbacks 1e25/3 for a systemic-risk base, 1e23/3 otherwise; ¶62–63
below it no duty; ¶70 a systemic-risk base's modification above it is presumed systemic),
Annex A.1 (what counts in training and cumulative compute); SB 53 §22757.11 (original run
plus later fine-tuning, RL and other modifications).
"""
from __future__ import annotations

import pytest

from flopcount import estimate
from flopcount.inputs.plan import plan_from_mapping

E25, E24, E23 = 10**25, 10**24, 10**23
H100_HOURS = 7_000_000  # × 3600 s × 989.4e12 FLOP/s × U 0.3–0.5 = 7.5e24 – 1.2e25: straddles 1e25


def plan(*phases: dict, base: dict | None = None, **extra) -> dict:
    data = {"flopcount_plan": 1, "model": {"params": 70 * 10**9}, "phases": list(phases), **extra}
    if base is not None:
        data["base_model"] = base
    return data


def phase(kind: str, flops: int | None = None, start: str | None = None, **more) -> dict:
    out = {"kind": kind, **more}
    if flops is not None:
        out["flops"] = flops
    if start:
        out["start"] = start
    return out


# (scenario, plan, expected statuses by threshold id, notify_by, provision the verdict rests on)
SCENARIOS = [
    ("exactly 1e25", plan(phase("pre-training", E25, "2026-02-01")),
     {"eu-gpai": "crossed", "eu-systemic-risk": "below"}, None, "Art. 51(2): greater than"),
    ("one FLOP over 1e25", plan(phase("pre-training", E25 + 1, "2026-02-01")),
     {"eu-systemic-risk": "crossed"}, "2026-02-15", "Art. 52(1): two weeks from the run's start"),
    ("hardware interval straddling 1e25",
     plan(phase("pre-training", start="2026-03-02",
                hardware={"accelerator": "h100-sxm", "gpu_hours": H100_HOURS, "utilization": "0.3:0.5"})),
     {"eu-systemic-risk": "straddles"}, "2026-03-16", "Art. 52(1): 'will be met' read conservatively"),
    ("1e21 fine-tune of a 3.8e25 systemic-risk base",
     plan(phase("fine-tuning", 10**21, "2026-04-01"),
          base={"name": "base", "training_compute": 38 * E24, "systemic_risk": True}),
     {"eu-modification": "below", "eu-gpai": "not applicable", "eu-systemic-risk": "not applicable"}, None,
     "Guidelines §3.2 ¶62–63: not the provider"),
    ("3.4e24 fine-tune, systemic-risk base, compute unknown",
     plan(phase("fine-tuning", 34 * 10**23, "2026-04-01"),
          base={"name": "base", "training_compute": "unknown", "systemic_risk": True}),
     {"eu-modification": "crossed", "eu-gpai": "presumed", "eu-systemic-risk": "presumed"}, "2026-04-15",
     "Guidelines §3.2.2 ¶70: presumed systemic, notify"),
    ("1e24 fine-tune, systemic-risk base, compute unknown",
     plan(phase("fine-tuning", E24, "2026-04-01"),
          base={"name": "base", "training_compute": "unknown", "systemic_risk": True}),
     {"eu-modification": "below", "eu-systemic-risk": "not applicable"}, None, "§3.2 fallback 1e25/3"),
    ("2.5e23 fine-tune of a 6e23 GPAI base",
     plan(phase("fine-tuning", 25 * 10**22), base={"name": "base", "training_compute": 6 * E23}),
     {"eu-modification": "crossed", "eu-gpai": "presumed", "eu-systemic-risk": "below"}, None,
     "§3.2: provider of a modified GPAI model"),
    ("exactly one third of 3e24+2 (floor 1e24)",
     plan(phase("fine-tuning", E24), base={"name": "base", "training_compute": 3 * E24 + 2}),
     {"eu-modification": "below"}, None, "§3.2: more than one third, compared exactly"),
    ("one FLOP over one third of 3e24+2",
     plan(phase("fine-tuning", E24 + 1), base={"name": "base", "training_compute": 3 * E24 + 2}),
     {"eu-modification": "crossed"}, None, "§3.2: 3·(1e24+1) > 3e24+2"),
    ("exactly one third of 3e24",
     plan(phase("fine-tuning", E24), base={"name": "base", "training_compute": 3 * E24}),
     {"eu-modification": "below"}, None, "§3.2: strictly more"),
    ("non-public synthetic data from another model",
     plan(phase("pre-training", 9 * E24, "2026-01-05"), phase("synthetic-data", 2 * E24, "2025-12-01", public=False)),
     {"eu-gpai": "crossed", "eu-systemic-risk": "crossed"}, "2026-01-19", "Annex A.1: counts in cumulative"),
    ("public synthetic data",
     plan(phase("pre-training", 9 * E24), phase("synthetic-data", 2 * E24, public=True)),
     {"eu-systemic-risk": "below"}, None, "Annex A.1: need not be included"),
    ("merged weights, small own training",
     plan(phase("merged-weights", 12 * E24), phase("fine-tuning", 5 * 10**22, "2026-06-01")),
     {"eu-gpai": "presumed", "eu-systemic-risk": "crossed"}, "2026-06-15",
     "Annex A.1 merged weights; Art. 51: a systemic-risk model is a GPAI model"),
    ("distillation: the teacher's training excluded",
     plan(phase("distillation-teacher", 5 * E25), phase("pre-training", 5 * E24)),
     {"eu-gpai": "crossed", "eu-systemic-risk": "below"}, None, "Annex A.1: teacher need not be included"),
    ("historical: trained 2024, on the market before 2 Aug 2025",
     plan(phase("pre-training", 38 * E24, "2024-01-15"), placed_on_market="2024-07-23"),
     {"eu-systemic-risk": "crossed"}, "2025-08-16", "Art. 52(1) from 2 Aug 2025; Art. 111(3)"),
    ("5e23 classifier (generates no text, audio, images or video)",
     plan(phase("pre-training", 5 * E23), modalities=["other"]),
     {"eu-gpai": "below"}, None, "Guidelines §2.1: modality"),
    ("SB 53: 2e24 fine-tune of a 9.9e25 base",
     plan(phase("fine-tuning", 2 * E24), base={"name": "base", "training_compute": 99 * E24, "systemic_risk": True}),
     {"eu-modification": "below", "eu-systemic-risk": "not applicable", "ca-sb53": "crossed"}, None,
     "SB 53 §22757.11: original run plus modifications"),
    ("evaluation compute excluded",
     plan(phase("pre-training", 99 * 10**23), phase("evaluation", E24)),
     {"eu-systemic-risk": "below"}, None, "Annex A.1: evaluations need not be included"),
    ("the run that crosses starts later",
     plan(phase("pre-training", 8 * E24, "2026-01-10"), phase("continued-pre-training", 3 * E24, "2026-05-01")),
     {"eu-systemic-risk": "crossed"}, "2026-05-15", "Guidelines §2.3: at the latest the crossing run's start"),
]


def verdicts(data: dict):
    return {e.threshold.id: e for e in estimate(plan_from_mapping(data, "scenario.yaml")).evaluations}


@pytest.mark.parametrize("name,data,expected,notify,provision", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_scenario(name, data, expected, notify, provision):
    got = verdicts(data)
    assert {k: got[k].status for k in expected} == expected
    systemic = got["eu-systemic-risk"]
    assert (systemic.notify_by.isoformat() if systemic.notify_by else None) == notify
    if notify is None:
        assert not any(e.notify_by for e in got.values())


@pytest.mark.parametrize("name,data,expected,notify,provision", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_table_never_contradicts_itself(name, data, expected, notify, provision):
    """Systemic risk implies GPAI; a modifier that is not the provider has no EU verdict
    and no duty; a deadline is never computed from the day the estimate is made."""
    got = verdicts(data)
    if got["eu-systemic-risk"].met:
        assert got["eu-gpai"].met
    mod = got.get("eu-modification")
    if mod is not None and mod.status == "below":
        assert all(not e.applies for k, e in got.items() if k in ("eu-gpai", "eu-systemic-risk"))
    assert all(e.notify_by is None or e.notify_by.isoformat() == notify for e in got.values())


def test_deadline_unknown_without_dates():
    """No start date, no market date: no date is invented; the duty says what to give."""
    ev = verdicts(plan(phase("pre-training", 2 * E25)))["eu-systemic-risk"]
    assert ev.status == "crossed" and ev.notify_by is None and "start dates" in ev.duty


def test_placing_on_the_market_is_not_when_the_crossing_became_known():
    """Art. 52(1): notify within two weeks of the threshold being met or of it becoming
    known that it will be met — a date of the run (its start, at the latest), never the
    placing on the market, which comes after training. Without run dates the deadline is
    not stated (the line says so and keeps its verb), the market date only bounds it from
    above, and a model placed before 2 Aug 2025 keeps its Art. 111(3) note."""
    ev = verdicts(plan(phase("pre-training", 2 * E25), placed_on_market="2026-06-01"))["eu-systemic-risk"]
    assert ev.status == "crossed" and ev.notify_by is None
    assert ev.duty.startswith("notify the Commission within 14 days of when it became known")
    assert "not stated" in ev.duty and "on the market by 2026-06-01, so it was known before then" in ev.duty
    legacy = verdicts(plan(phase("pre-training", 2 * E25), placed_on_market="2025-03-01"))["eu-systemic-risk"]
    assert legacy.notify_by is None and "the other obligations by 2027-08-02 (Art. 111(3))" in legacy.duty
    dated = verdicts(plan(phase("pre-training", 2 * E25, "2026-02-01"), placed_on_market="2026-06-01"))
    assert str(dated["eu-systemic-risk"].notify_by) == "2026-02-15"  # the run's start + 14 days


def test_legacy_notification_shows_both_readings():
    """Issue 26 item 5: for a model placed on the market before 2 Aug 2025 the notification
    duty is contested — due from 2 Aug 2025 when Chapter V applied (Art. 52(1) with
    Art. 113(b)), or with the other obligations by 2 Aug 2027 (Art. 111(3)). Both readings
    are said, with their provisions; the earlier date is kept as notify_by (conservative);
    the New York row cites the law as amended in 2026, not the replaced bill."""
    rows = verdicts(plan(phase("pre-training", 2 * E25, "2024-01-15"), placed_on_market="2024-07-23"))
    ev = rows["eu-systemic-risk"]
    assert str(ev.notify_by) == "2025-08-16"
    assert "two readings" in ev.duty and "Art. 113(b)" in ev.duty and "by 2027-08-02 (Art. 111(3))" in ev.duty
    ny = rows["ny-raise"].threshold
    assert "ch. 96 of 2026" in ny.instrument and "S6953" not in ny.provision


def test_straddling_one_third_is_conservative():
    """An interval across one third makes the modifier the provider, conservatively."""
    ev = verdicts(plan(phase("fine-tuning", start="2026-01-01",
                             hardware={"accelerator": "h100-sxm", "gpu_hours": 1_200_000, "utilization": "0.3:0.5"}),
                       base={"name": "b", "training_compute": 12 * E24}))["eu-modification"]
    # 1.2e6 h × 3600 s × 989.4e12 FLOP/s × (0.3 … 0.5) = 1.28e24 … 2.14e24, under 1.2e25 / 3 = 4e24
    assert ev.status == "below"
    ev = verdicts(plan(phase("fine-tuning", start="2026-01-01",
                             hardware={"accelerator": "h100-sxm", "gpu_hours": 3_000_000, "utilization": "0.3:0.5"}),
                       base={"name": "b", "training_compute": 12 * E24}))["eu-modification"]
    # 3.2e24 … 5.3e24 straddles 4e24: treated as crossing
    assert ev.status == "straddles" and "conservative" in ev.duty


def test_accuracy_check_flags_methods_apart():
    """Annex A.2's 30%: utilisation 0.1–0.5 is ±67% around 0.3 (flagged; 0.3–0.5 would be
    ±25%, accepted); 6·N·D = 6 · 70e9 · 1e12 = 4.2e23 against the hardware central
    1e6 h × 3600 s × 989.4e12 × 0.3 = 1.07e24 is +154% (flagged)."""
    hardware = {"accelerator": "h100-sxm", "gpu_hours": 1_000_000, "utilization": "0.1:0.5"}
    notes = estimate(plan_from_mapping(plan(phase("pre-training", hardware=hardware)), "p.yaml")).notes
    assert any("interval reaches beyond ±30%" in n for n in notes)
    narrow = dict(hardware, utilization="0.3:0.5")
    notes = estimate(plan_from_mapping(plan(phase("pre-training", hardware=narrow)), "p.yaml")).notes
    assert not any("30%" in n for n in notes)
    notes = estimate(plan_from_mapping(plan(phase("pre-training", tokens="1T", hardware=hardware)), "p.yaml")).notes
    assert any("hardware differs from 6ND by +154%" in n for n in notes)


def markdown() -> str:
    rows = ["| scenario | verdict | notify by | provision |", "|---|---|---|---|"]
    for name, data, expected, notify, provision in SCENARIOS:
        verdict = ", ".join(f"{k} {v.upper()}" for k, v in expected.items())
        rows.append(f"| {name} | {verdict} | {notify or '—'} | {provision} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown())


def test_modifier_of_a_non_gpai_base_is_not_presumed_gpai(tmp_path):
    """Issue 26 item 5: a modifier of a base stated not to be a GPAI model was shown "GPAI
    presumed". Guidelines §3.2's one-third rule is about modifying a GPAI model, so for such a
    base the modification row is not applicable and the modified model is judged on its own
    compute (§2.1): 2·10^22 is below 10^23. The record says the same, and `--check` agrees."""
    from flopcount.cli import main
    from flopcount.records.record import check
    import json as _json
    data = plan(phase("fine-tuning", 2 * 10**22, "2026-03-01"),
                base={"name": "small-base", "training_compute": 3 * 10**22, "systemic_risk": False, "gpai": False})
    rows = verdicts(data)
    assert rows["eu-modification"].status == "not applicable" and rows["eu-gpai"].status == "below"
    path = tmp_path / "mod.json"
    path.write_text(_json.dumps(data))
    assert main(["record", "--plan", str(path), "-o", str(tmp_path / "rec")]) == 0
    record = _json.loads((tmp_path / "rec.json").read_text())
    status = {t["id"]: t["status"] for t in record["thresholds"]}
    assert status["eu-gpai"] == "below" and status["eu-modification"] == "not applicable"
    assert check(record, "rec.json") == []
