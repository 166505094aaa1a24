"""Issue 26: what the law asks of each model (flopcount obligations, flopcount.law).

Each scenario is a plan worked from the primary texts in its docstring, provision by
provision, and asserts the JSON interface (flopcount/schema/obligations.schema.json).
Compute is given as a bare parameter count so FLOP are exact: 6·N·D for training, 2·N·D
for generation (1 multiply-add = 2 FLOP). Texts: AI Act (EU) 2024/1689 Arts. 3, 51-55,
101, 111, 113, Recitals 104, 109, 112; Guidelines C(2025) 5045 §2.1, §2.3, §3.2, §4,
Annex A; Cal. Bus. & Prof. Code §22757.11-.13; N.Y. GBL §§1420-1428 (ch. 96 of 2026).
Not legal advice: the project's readings, tested as such.
"""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import ROOT
from flopcount.cli import main
from flopcount.law import result as law_result

SCHEMA = json.loads((ROOT / "flopcount" / "schema" / "obligations.schema.json").read_text())
EXAMPLE = str(ROOT / "examples" / "obligations" / "open-70b.yaml")
AS_OF = "2026-12-02"
OPEN = {"licence": "Apache-2.0", "weights_public": True, "architecture_public": True, "usage_info_public": True,
        "monetised": "none", "personal_data_for_access": False}


def plan(tmp_path: Path, params: str, tokens: str, *, release=None, provider=None, deploys=None, base=None,
         start="2026-03-01", extra_phases=()) -> str:
    data = {"flopcount_plan": 1, "name": "scenario", "model": {"name": "M", "params": params},
            "modalities": ["text"],
            "phases": [{"name": "train", "kind": "fine-tuning" if base else "pre-training", "tokens": tokens,
                        "start": start}, *extra_phases]}
    for key, value in (("release", release), ("provider", provider), ("deploys", deploys), ("base_model", base)):
        if value is not None:
            data[key] = value
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def obligations(path: str, capsys, *flags: str) -> dict:
    assert main(["obligations", path, "--json", "--as-of", AS_OF, *flags]) == 0
    out = json.loads(capsys.readouterr().out)
    jsonschema.validate(out, SCHEMA)
    return out


def statuses(eu: dict) -> dict[str, str]:
    return {k: d["status"] for k, d in eu["duties"].items()}


def test_open_7b_apache_swiss_provider(tmp_path, capsys):
    """Open 7B, Apache-2.0, from a Swiss provider, placed on the EU market 2026-09-01.
    Training 6·7e9·3e12 = 1.26e23 > 1e23 and it generates text: GPAI by the indicative
    criterion (Guidelines §2.1), not over 1e25 (Art. 51(2)). Apache-2.0 allows access,
    use, modification and distribution; not monetised; weights, architecture, usage
    public: Art. 53(2) lifts 53(1)(a),(b); Art. 54(6) lifts the authorised representative
    a Swiss (third-country) provider would owe (Art. 54(1)); 53(1)(c),(d) stay owed
    (Art. 53(2), Recital 104) from placing, overdue at 2026-12-02; no Art. 52/55."""
    eu = obligations(plan(tmp_path, "7B", "3T", release={**OPEN, "placed_on_market": "2026-09-01"},
                          provider={"name": "Lab", "established": "CH"}), capsys)["eu"]
    assert (eu["provider"], eu["gpai"], eu["systemic_risk"], eu["open_source_exemption"]) == \
        ("original", "presumed", "no", "applies")
    assert statuses(eu) == {"art53_1a": "exempt", "art53_1b": "exempt", "art53_1c": "due", "art53_1d": "due",
                            "art54": "exempt", "art55": "not_applicable"}
    assert eu["duties"]["art53_1c"]["due"] == "2026-09-01" and eu["duties"]["art53_1c"]["overdue"] is True
    assert eu["notify"] == {"status": "not_applicable", "by": None, "provision": "Art. 52(1)",
                            "why": "no systemic-risk presumption"}


def test_open_model_crossing_1e25(tmp_path, capsys):
    """Open 70B on 30T tokens: 6·7e10·3e13 = 1.26e25 > 1e25 cumulative (Art. 51(2)):
    presumed systemic risk, so the exemption is lost (Art. 53(2) last sentence, 54(6)
    "unless"; Recital 104): all of 53(1)(a)-(d), Art. 54 for a US provider, Art. 55.
    Notify within two weeks of it being known, at the latest the start of the crossing run
    2026-03-01: by 2026-03-15 (Art. 52(1); Recital 112). Not yet released and planned
    open: the Recital 112 warning."""
    eu = obligations(plan(tmp_path, "70B", "30T", release=OPEN, provider={"established": "US"}), capsys)["eu"]
    assert (eu["gpai"], eu["systemic_risk"], eu["open_source_exemption"]) == ("presumed", "presumed", "lost_systemic")
    assert statuses(eu) == {k: "due" for k in eu["duties"]}
    assert (eu["notify"]["status"], eu["notify"]["by"]) == ("due", "2026-03-15")
    assert any(w.startswith("Recital 112") for w in eu["warnings"])


@pytest.mark.parametrize("release, reason", [
    ({**OPEN, "licence": "CC-BY-NC-4.0"}, "non-commercial"),
    ({**OPEN, "licence": "OurLab-Research-1.0", "restrictions": ["research-only"]}, "research-only"),
    ({**OPEN, "licence": "llama3.1"}, "user-threshold"),
], ids=["non-commercial", "research-only", "user-threshold"])
def test_restrictive_licences_are_not_exempt(tmp_path, capsys, release, reason):
    """A GPAI model (7B × 3T = 1.26e23) whose licence limits usage: Art. 53(2) needs a
    licence that "allows for the access, usage, modification, and distribution"; the
    Guidelines §4 admit attribution and same-terms conditions only. Non-commercial,
    research-only and user-threshold terms (Llama 3.1's 700M monthly users, its §2) fail:
    53(1)(a),(b) are due, and a US provider owes an authorised representative (Art. 54(1);
    54(6) does not apply)."""
    eu = obligations(plan(tmp_path, "7B", "3T", release=release, provider={"established": "US"}), capsys)["eu"]
    assert eu["open_source_exemption"] == "not_available_licence"
    assert reason in eu["why"]["open_source_exemption"]
    assert statuses(eu) == {"art53_1a": "due", "art53_1b": "due", "art53_1c": "due", "art53_1d": "due",
                            "art54": "due", "art55": "not_applicable"}


def test_dual_licence_is_monetised(tmp_path, capsys):
    """Apache-2.0 weights, but a paid licence for commercial use (dual licensing):
    monetisation (Guidelines §4; Recital 103) takes the model out of Art. 53(2)."""
    eu = obligations(plan(tmp_path, "7B", "3T", release={**OPEN, "monetised": "dual-licence"}), capsys)["eu"]
    assert eu["open_source_exemption"] == "not_available_monetisation"
    assert eu["duties"]["art53_1a"]["status"] == "due"


def test_weights_not_yet_public(tmp_path, capsys):
    """Placed on the market 2026-10-01 with weights only from 2027-03-01: at placing the
    parameters are not "made publicly available" (Art. 53(2)); nothing is granted ahead
    of the fact: 53(1)(a),(b) due on placing, overdue at 2026-12-02."""
    release = {**OPEN, "weights_public": "2027-03-01", "placed_on_market": "2026-10-01"}
    eu = obligations(plan(tmp_path, "7B", "3T", release=release), capsys)["eu"]
    assert eu["open_source_exemption"] == "not_available_unpublished"
    assert eu["duties"]["art53_1a"] == {**eu["duties"]["art53_1a"], "status": "due", "due": "2026-10-01",
                                        "overdue": True}


def test_missing_facts_are_not_stated_never_exempt(tmp_path, capsys):
    """Apache-2.0 stated, but not whether it is monetised nor whether weights are public:
    the exemption is `not_stated`, naming the fields; 53(1)(a),(b) stay due (an exemption
    is never granted on an unstated fact); establishment not stated: Art. 54 `not_stated`;
    no placing date: due dates null."""
    eu = obligations(plan(tmp_path, "7B", "3T", release={"licence": "Apache-2.0"}), capsys)["eu"]
    assert eu["open_source_exemption"] == "not_stated"
    for field in ("release.monetised", "release.personal_data_for_access", "release.weights_public"):
        assert field in eu["why"]["open_source_exemption"]
    assert statuses(eu)["art53_1a"] == "due" and statuses(eu)["art54"] == "not_stated"
    assert eu["duties"]["art53_1a"]["due"] is None


def test_legacy_systemic_model_placed_in_2025(tmp_path, capsys):
    """Placed 2025-03-01, before Chapter V applied (2 Aug 2025, Art. 113(b)); 70B × 30T =
    1.26e25 > 1e25. Duties by 2027-08-02 (Art. 111(3)), not overdue at 2026-12-02. The
    notification admits two readings: two weeks after Chapter V applied (2025-08-16,
    Art. 52(1) with Art. 113(b)) or by 2027-08-02 (Art. 111(3)): `review`, both given,
    the earlier date shown."""
    eu = obligations(plan(tmp_path, "70B", "30T", start="2024-09-01",
                          release={"placed_on_market": "2025-03-01"}), capsys)["eu"]
    assert eu["notify"]["status"] == "review" and eu["notify"]["by"] == "2025-08-16"
    assert [r["provision"] for r in eu["notify"]["readings"]] == ["Art. 52(1), Art. 113(b)", "Art. 111(3)"]
    assert {d["due"] for d in eu["duties"].values() if d["status"] == "due"} == {"2027-08-02"}
    assert not any(d["overdue"] for d in eu["duties"].values())


def test_modifier_above_a_third_of_a_gpai_base(tmp_path, capsys):
    """Fine-tuning 6·7e10·6e12 = 2.52e24 > 6e24 / 3 = 2e24 (Guidelines §3.2): the modifier
    provides the modified model, a GPAI model as its base is (base_model.gpai). Cumulative
    6e24 + 2.52e24 = 8.52e24, not over 1e25. Its duties cover the modification (Recital
    109; Guidelines §3.2): due_modification_only; no Art. 52, 55."""
    base = {"name": "B", "training_compute": "6e24", "systemic_risk": False, "gpai": True}
    eu = obligations(plan(tmp_path, "70B", "6T", base=base), capsys)["eu"]
    assert (eu["provider"], eu["gpai"], eu["systemic_risk"]) == ("modifier", "yes", "no")
    assert [statuses(eu)[k] for k in ("art53_1a", "art53_1b", "art53_1c", "art53_1d", "art55")] == \
        ["due_modification_only"] * 4 + ["not_applicable"]


def test_modifier_below_a_third_owes_nothing(tmp_path, capsys):
    """Fine-tuning 6·7e10·2e12 = 8.4e23, not over 2e24 = 6e24 / 3: the modifier is not a
    provider (Guidelines §3.2): no Art. 52-55 duty, not even 53(1)(c),(d)."""
    base = {"name": "B", "training_compute": "6e24", "gpai": True}
    eu = obligations(plan(tmp_path, "70B", "2T", base=base, release=OPEN), capsys)["eu"]
    assert (eu["provider"], eu["open_source_exemption"]) == ("not_provider", "n/a_not_provider")
    assert set(statuses(eu).values()) == {"not_applicable"}


def test_modifier_of_a_non_gpai_base(tmp_path, capsys):
    """Base not a GPAI model (base_model.gpai: false): the modification rule concerns GPAI
    models (Guidelines §3.2), so the base's status does not carry over; the model is judged on
    its own (§2.1), its developer its provider ("original", not a modifier made provider by the
    rule). 6 × 7e9 × 3e12 = 1.26e23 > 1e23: a GPAI model on its own compute, as the eu-gpai row
    says; a 7B fine-tune of 0.3T tokens (1.26e22 FLOP) is not one."""
    base = {"name": "B", "training_compute": "3e23", "gpai": False}
    eu = obligations(plan(tmp_path, "7B", "3T", base=base), capsys)["eu"]
    assert (eu["provider"], eu["gpai"]) == ("original", "presumed")
    assert "judged on its own" in eu["why"]["provider"] and "judged on its own" in eu["why"]["gpai"]
    eu = obligations(plan(tmp_path, "7B", "0.3T", base=base), capsys)["eu"]
    assert (eu["provider"], eu["gpai"], eu["open_source_exemption"]) == ("original", "no", "n/a_not_gpai")
    assert set(statuses(eu).values()) == {"not_applicable"}
    assert set(statuses(eu).values()) == {"not_applicable"}


def test_us_provider_closed_model(tmp_path, capsys):
    """A US provider selling API access (paid licence): no exemption (Guidelines §4); a
    third-country provider appoints an authorised representative before placing (Art.
    54(1)), due 2026-06-01, overdue at 2026-12-02."""
    release = {"placed_on_market": "2026-06-01", "licence": "proprietary", "monetised": ["paid-licence"]}
    eu = obligations(plan(tmp_path, "7B", "3T", release=release, provider={"established": "US"}), capsys)["eu"]
    assert eu["open_source_exemption"] == "not_available_monetisation"
    assert eu["duties"]["art54"]["status"] == "due" and eu["duties"]["art54"]["overdue"] is True


def test_eu_provider_needs_no_representative(tmp_path, capsys):
    """Established in France, an EU member: Art. 54(1) binds third-country providers only."""
    eu = obligations(plan(tmp_path, "7B", "3T", provider={"established": "FR"}), capsys)["eu"]
    assert eu["duties"]["art54"]["status"] == "not_applicable"


def test_sb53_large_frontier_developer(tmp_path, capsys):
    """100B params on 200T tokens: 6·1e11·2e14 = 1.2e26 > 1e26 (§22757.11; GBL §1420):
    frontier model; revenue $2B > $500M in the preceding year: large frontier developer.
    CA: framework (§22757.12(a)) from the later of the crossing run's start (2026-03-01)
    and 1 Jan 2026; transparency report on deploying (2026-09-01, §22757.12(c)); incidents
    in 15 days (§22757.13(c)). NY: the same tiers, effective 1 Jan 2027: framework due
    2027-01-01; disclosure statement (§1428); 72-hour incidents (§1422)."""
    out = obligations(plan(tmp_path, "100B", "200T", provider={"established": "US", "annual_revenue_usd": "2e9"},
                           release={"placed_on_market": "2026-09-01"}, deploys=["EU", "CA", "NY"]), capsys)
    ca, ny = out["ca_sb53"], out["ny_raise"]
    assert (ca["applies"], ca["tier"], ny["applies"], ny["tier"]) == (True, "large_frontier_developer", True,
                                                                      "large_frontier_developer")
    assert ca["duties"]["framework"]["due"] == "2026-03-01" and ca["duties"]["transparency_report"]["due"] == "2026-09-01"
    assert ny["duties"]["framework"]["due"] == "2027-01-01" and ny["duties"]["disclosure_statement"]["status"] == "due"
    assert "72 hours" in ny["duties"]["incident_reports"]["why"] and "15 days" in ca["duties"]["incident_reports"]["why"]


def test_sb53_fine_tuner_two_readings(tmp_path, capsys):
    """Fine-tuning 6·7e10·4.76e13 ≈ 2.0e25 on a 9e25 base: base + modification 1.1e26 is
    over 1e26, the modification alone is not. §22757.11 counts "the original training run
    and ... subsequent fine-tuning ... the developer applies": whether a fine-tuner that
    did not train the base counts it admits two readings: tier `review`, both shown."""
    base = {"name": "B", "training_compute": "9e25", "gpai": True}
    ca = obligations(plan(tmp_path, "70B", "47.6T", base=base, deploys=["CA"]), capsys)["ca_sb53"]
    assert ca["tier"] == "review" and len(ca["readings"]) == 2
    assert {d["status"] for d in ca["duties"].values()} == {"review"}


def test_systemic_base_one_third_readings(tmp_path, capsys):
    """Base with systemic risk, 3e25 training: line 1e25. The fine-tune trains 6·7.5e10·2e13
    = 9e24 (not over) but also generates non-public synthetic data 2·7.5e10·1.5e13 =
    2.25e24: cumulative 1.125e25 (over). Guidelines §3.2.2 compare training compute; a
    reading on cumulative compute (Art. 51(2); Annex A.1) is open: provider `review`."""
    base = {"name": "B", "training_compute": "3e25", "systemic_risk": True, "gpai": True}
    synth = {"name": "synth", "kind": "synthetic-data", "public": False, "tokens": "15T"}
    eu = obligations(plan(tmp_path, "75B", "20T", base=base, extra_phases=[synth]), capsys)["eu"]
    assert eu["provider"] == "review" and len(eu["readings"]) == 2
    assert set(statuses(eu).values()) == {"review"}


def test_modifier_of_systemic_base_owes_art55_under_two_readings(tmp_path, capsys):
    """Fine-tune 6·7.5e10·3e13 = 1.35e25 > 1e25 (one third of a 3e25 systemic base): the
    modified model is presumed to have systemic risk (Guidelines §3.2.2): notify (Art.
    52(1)) by two weeks after the run's start; Art. 55 covers the modification (Recital
    109) or the whole model (Art. 55(1)(b)): `review`."""
    base = {"name": "B", "training_compute": "3e25", "systemic_risk": True, "gpai": True}
    eu = obligations(plan(tmp_path, "75B", "30T", base=base), capsys)["eu"]
    assert (eu["provider"], eu["systemic_risk"], eu["notify"]["by"]) == ("modifier", "presumed", "2026-03-15")
    assert eu["duties"]["art55"]["status"] == "review" and len(eu["duties"]["art55"]["readings"]) == 2


def test_suite_of_small_open_models(tmp_path, capsys):
    """A Pythia-like 160M model on 300B tokens: 6·1.6e8·3e11 = 2.88e20, far under 1e23: not
    GPAI by the indicative criterion (Guidelines §2.1): no Chapter V duty, nothing to be
    exempt from; SB 53/RAISE do not apply (not over 1e26)."""
    out = obligations(plan(tmp_path, "160M", "300B", release=OPEN, deploys=["EU", "CA", "NY"]), capsys)
    assert (out["eu"]["gpai"], out["eu"]["open_source_exemption"]) == ("no", "n/a_not_gpai")
    assert set(statuses(out["eu"]).values()) == {"not_applicable"}
    assert out["ca_sb53"]["tier"] == out["ny_raise"]["tier"] == "not_frontier"


def test_not_deployed_in_the_eu(tmp_path, capsys):
    """deploys: [CA] only: not placed on the Union market, so no AI Act duty."""
    eu = obligations(plan(tmp_path, "7B", "3T", deploys=["CA"]), capsys)["eu"]
    assert (eu["applies"], eu["provider"]) == (False, "not_provider")


def test_enforcement_warning_before_august_2026(tmp_path, capsys):
    """Before 2 Aug 2026 the Commission cannot yet fine (Art. 101 applies from then, Art. 113)."""
    path = plan(tmp_path, "7B", "3T")
    assert main(["obligations", path, "--json", "--as-of", "2026-01-10"]) == 0
    warnings = json.loads(capsys.readouterr().out)["eu"]["warnings"]
    assert any("2026-08-02" in w and "Art. 101" in w for w in warnings)


def test_bundled_example_plan_text_and_json(capsys):
    """The README's example: Apache-2.0 70B from a Swiss lab, 6.7e24 FLOP: exempt from
    53(1)(a),(b) and Art. 54 (54(6)); (c),(d) owed; the table fits 80 columns."""
    assert main(["obligations", EXAMPLE, "--as-of", AS_OF]) == 0
    text = capsys.readouterr().out
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "open-source exemption: applies" in text
    out = obligations(EXAMPLE, capsys)
    assert statuses(out["eu"])["art54"] == "exempt"


def test_schema_enums_match_the_engine():
    """The schema lists the same values as flopcount.law.result (one interface)."""
    eu = SCHEMA["properties"]["eu"]["properties"]
    assert eu["provider"]["enum"] == list(law_result.PROVIDER)
    assert eu["open_source_exemption"]["enum"] == list(law_result.EXEMPTION)
    assert SCHEMA["$defs"]["duty"]["properties"]["status"]["enum"] == list(law_result.DUTY)


@pytest.mark.parametrize("section, value, field", [
    ("provider", {"established": "XX"}, "provider.established"),
    ("release", {"placed_on_market": "02/03/2026"}, "release.placed_on_market"),
    ("release", {"monetised": "maybe"}, "release.monetised"),
    ("release", {"licence": 42}, "release.licence"),
    ("release", {"weights_public": "soon"}, "release.weights_public"),
    ("release", {"restrictions": ["whatever"]}, "release.restrictions"),
    ("deploys", ["XX"], "deploys"),
    ("base_model", {"name": "B", "training_compute": "1e24", "gpai": "yes"}, "base_model.gpai"),
], ids=["country", "date", "monetised", "licence-type", "weights", "restriction", "deploys", "gpai"])
def test_bad_input_one_line_exit_2(tmp_path, capsys, section, value, field):
    path = plan(tmp_path, "7B", "3T")
    data = yaml.safe_load(Path(path).read_text())
    data[section] = value
    Path(path).write_text(yaml.safe_dump(data))
    assert main(["obligations", path]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and path in err and field in err, err


def test_bad_as_of(capsys):
    assert main(["obligations", EXAMPLE, "--as-of", "12-02-2026"]) == 2
    assert "--as-of" in capsys.readouterr().err


def test_estimate_ends_with_the_eu_assessment_in_one_line(capsys, monkeypatch):
    """Issue 26 item 3: `estimate` prints a one-line summary of the assessment and `--json`
    carries it whole (`obligations`, the `flopcount obligations --json` object). The open 70B
    example: an original provider, GPAI presumed (> 10^23, Guidelines §2.1), below 10^25
    (Art. 51(2)), its facts meet Art. 53(2)'s conditions: the exemption applies."""
    import json

    from flopcount.cli import main
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    assert main(["estimate", "examples/obligations/open-70b.yaml"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert ("EU AI Act: provider original, GPAI presumed, systemic risk no, open-source exemption applies, "
            "notify not_applicable (each duty: flopcount obligations)") in text
    assert main(["estimate", "examples/obligations/open-70b.yaml", "--json"]) == 0
    eu = json.loads(capsys.readouterr().out)["obligations"]["eu"]
    assert (eu["provider"], eu["gpai"], eu["open_source_exemption"]) == ("original", "presumed", "applies")
