"""Issue 26 item 4: the compute record carries the law engine's obligations (record
version 2) for the facts it states, `record --check` re-derives them from those facts
alone, and `record --open-source` grants nothing by itself.

The open-70b example (examples/obligations/open-70b.yaml): a Swiss lab's 70B model,
Apache-2.0, weights, architecture and usage information public, not monetised, in the
EU, CA and NY. Training 15T tokens on Llama 3.1 70B: over 10^23 and generating text, so
GPAI (Guidelines §2.1); below 10^25 (Art. 51(2)) and 10^26 (SB 53, RAISE).
"""
from __future__ import annotations

import copy
import datetime as dt
import json

import jsonschema
import pytest
import yaml

from conftest import ROOT
from flopcount.cli import main
from flopcount import estimate
from flopcount.law.summary import of_estimate
from flopcount.inputs.plan import load_plan
from flopcount.records.record import build, check
from flopcount.records.sections import OPEN_SOURCE_NOTE
from flopcount.records.report import to_html, to_markdown

OPEN_70B = ROOT / "examples" / "obligations" / "open-70b.yaml"
RECORDS = ROOT / "examples" / "records"
OBLIGATIONS_SCHEMA = json.loads((ROOT / "flopcount" / "schema" / "obligations.schema.json").read_text())
AS_OF = dt.date(2026, 12, 2)


def _plan(tmp_path, **release):
    """open-70b with its release facts replaced by `release` (none: no release: at all)."""
    data = yaml.safe_load(OPEN_70B.read_text())
    data["model"]["config"] = str(ROOT / "examples" / "configs" / "llama-3.1-70b.json")
    placed = data["release"]["placed_on_market"]
    if release:
        data["release"] = {"placed_on_market": placed, **release}
    else:
        del data["release"]
        data["placed_on_market"] = placed
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


OPEN = {"licence": "Apache-2.0", "weights_public": True, "architecture_public": True, "usage_info_public": True,
        "monetised": "none", "personal_data_for_access": False}


def test_the_block_is_what_flopcount_obligations_says():
    """One engine: the record's block equals `flopcount obligations --json` for the same
    plan and date (the record judged from its own phase rows, the command from the estimate)."""
    plan = load_plan(OPEN_70B)
    record = build(plan=plan, as_of=AS_OF)
    assert record["record_version"] == 2
    assert record["obligations"] == of_estimate(estimate(plan), AS_OF).to_json()
    jsonschema.validate(record["obligations"], OBLIGATIONS_SCHEMA)
    assert record["facts"]["as_of"] == "2026-12-02" and record["facts"]["deploys"] == ["EU", "CA", "NY"]
    assert record["facts"]["release"]["licence"] == "Apache-2.0"
    assert record["open_source"]["exemption"] == record["obligations"]["eu"]["open_source_exemption"] == "applies"
    assert check(record, "r.json") == []


def test_check_rederives_from_the_facts_alone():
    """The facts are the record's inputs: a non-commercial licence written into them
    changes what the engine gives (Art. 53(2): a licence limited to non-commercial use
    does not allow "usage"; Guidelines §4), and check names the block's fields that no
    longer follow, the exemption first."""
    record = json.loads((RECORDS / "open-70b.json").read_text())
    edited = copy.deepcopy(record)
    edited["facts"]["release"]["restrictions"] = ["non-commercial"]
    problems = check(edited, "r.json")
    assert problems[0].startswith("open_source.exemption: 'applies' but the record's inputs give "
                                  "'not_available_licence'"), problems
    assert any(p.startswith("obligations.eu.open_source_exemption:") for p in problems)
    assert any(p.startswith("obligations.eu.duties.art53_1a.status: 'exempt'") for p in problems)


def test_a_later_as_of_makes_a_duty_overdue():
    """as_of is an input: judged after a duty's due date, the duty is overdue."""
    record = json.loads((RECORDS / "llama-3.1-405b.json").read_text())
    due = record["obligations"]["eu"]["duties"]["art53_1a"]["due"]
    assert due == "2027-08-02" and not record["obligations"]["eu"]["duties"]["art53_1a"]["overdue"]
    later = copy.deepcopy(record)
    later["facts"]["as_of"] = "2027-09-01"
    problems = check(later, "r.json")
    assert "obligations.as_of: '2026-12-02' but the record's inputs give '2027-09-01'" in problems
    assert "obligations.eu.duties.art53_1a.overdue: False but the record's inputs give True" in problems


def test_bad_facts_are_named():
    record = json.loads((RECORDS / "open-70b.json").read_text())
    record["facts"]["release"]["monetised"] = ["sometimes"]
    [problem] = check(record, "r.json")
    assert "facts.release.monetised" in problem and "sometimes" in problem


def test_version_1_records_still_read_and_check():
    """A record written before the obligations block: version 1, no facts, the general
    open-source note; it validates and checks, and check's OK line says it has no block."""
    record = json.loads((RECORDS / "llama-3.1-405b.json").read_text())
    old = {k: v for k, v in record.items() if k not in ("facts", "obligations")}
    old["record_version"] = 1
    old["open_source"] = {"claims_exemption": False, "note": OPEN_SOURCE_NOTE}
    assert check(old, "old.json") == []
    half = copy.deepcopy(old)
    half["obligations"] = record["obligations"]  # a version 1 record with a block: the schema refuses
    with pytest.raises(Exception, match="compute-record schema"):
        check(half, "old.json")
    no_block = copy.deepcopy(record)
    del no_block["obligations"]
    with pytest.raises(Exception, match="compute-record schema"):
        check(no_block, "new.json")


def test_check_says_a_version_1_record_has_no_block(tmp_path, capsys):
    record = json.loads((RECORDS / "gpt3-175b.json").read_text())
    old = {k: v for k, v in record.items() if k not in ("facts", "obligations")}
    old["record_version"] = 1
    old["open_source"] = {"claims_exemption": False, "note": OPEN_SOURCE_NOTE}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    assert main(["record", "--check", str(path)]) == 0
    out = capsys.readouterr().out
    assert out == (f"{path}: OK (schema, arithmetic, derived fields; no ledger)\n"
                   f"{path}: record version 1: no obligations block (write the record again to add one)\n")


def test_open_source_with_a_non_commercial_licence_is_not_exempt(tmp_path):
    """--open-source claims the exemption; the engine answers on the release facts:
    CC-BY-NC-4.0 limits usage to non-commercial use, so not the free and open-source
    licence Art. 53(2) names (Guidelines §4): not_available_licence, Art. 53(1)(a) due."""
    plan = load_plan(_plan(tmp_path, **{**OPEN, "licence": "CC-BY-NC-4.0"}))
    record = build(plan=plan, open_source=True, as_of=AS_OF)
    assert record["open_source"]["claims_exemption"] is True
    assert record["open_source"]["exemption"] == "not_available_licence"
    assert record["obligations"]["eu"]["duties"]["art53_1a"]["status"] == "due"
    assert "exempt" not in record["open_source"]["note"].replace("not exempt", "")
    assert check(record, "r.json") == []


def test_open_source_without_release_facts_stops_in_one_line(tmp_path, capsys):
    """No release: facts: the flag grants nothing; exit 2, one line naming the facts."""
    code = main(["record", "--plan", str(_plan(tmp_path)), "--open-source", "-o", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    for name in ("licence", "weights_public", "architecture_public", "usage_info_public", "monetised",
                 "personal_data_for_access"):
        assert name in err
    assert "--open-source" in err and not list(tmp_path.glob("r.*"))
    # some facts given, the rest named
    code = main(["record", "--plan", str(_plan(tmp_path, licence="MIT", monetised="none")), "--open-source",
                 "-o", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "weights_public, architecture_public, usage_info_public, personal_data_for_access" in err
    assert "licence," not in err


def test_open_source_with_release_facts_writes_the_engines_answer(tmp_path, capsys):
    assert main(["record", "--plan", str(_plan(tmp_path, **OPEN)), "--open-source", "--as-of", "2026-12-02",
                 "-o", str(tmp_path / "r")]) == 0
    record = json.loads((tmp_path / "r.json").read_text())
    assert record["open_source"]["exemption"] == "applies" and record["facts"]["as_of"] == "2026-12-02"
    assert main(["record", "--check", str(tmp_path / "r.json")]) == 0


def test_reports_show_the_table_per_regime():
    """Markdown and HTML: duty, status, due, overdue, provision, per regime, with the
    cells `flopcount obligations` prints."""
    record = json.loads((RECORDS / "llama-3.1-405b.json").read_text())
    md = to_markdown(record)
    assert "## Obligations — EU AI Act, as of 2026-12-02: provider original, GPAI presumed" in md
    assert "| duty | status | due | overdue | provision |" in md
    assert "| notify | review | 2025-08-16 |  | Art. 52(1) |" in md
    assert "| art53_1a | due | 2027-08-02 |  | Art. 53(1)(a), Annex XI |" in md
    assert "## Obligations — California SB 53: does not apply" in md
    assert "## Obligations — New York RAISE Act: does not apply" in md
    html = to_html(record)
    assert "Obligations — EU AI Act" in html and "<td class=''>art55</td>" in html
    assert "exemption lost_systemic" in html


def test_example_records_carry_the_block():
    for path in sorted(RECORDS.glob("*.json")):
        record = json.loads(path.read_text())
        assert record["record_version"] == 2 and record["facts"]["as_of"] == "2026-12-02", path
