"""`record --check` re-derives every derived field from the record's inputs (and its
ledger) with the builders `build` uses, and names the first field that differs.

Each mutation below changes ONE derived field of a record that passes; the first problem
`check` returns must name that field by its JSON path."""
from __future__ import annotations

import copy
import json
import textwrap

import pytest

from flopcount.inputs.plan import load_plan
from flopcount.records.record import build, check

from conftest import ROOT
from test_record import trained_ledger  # noqa: F401  (a real tiny CPU training run's ledger)

RECORDS = ROOT / "examples" / "records"


def _load(name: str) -> dict:
    return json.loads((RECORDS / f"{name}.json").read_text())


def _get(record: dict, path: str):
    node = record
    for part in path.replace("[", ".").replace("]", "").split("."):
        node = node[int(part)] if part.isdigit() else node[part]
    return node


def _set(record: dict, path: str, value) -> None:
    parts = path.replace("[", ".").replace("]", "").split(".")
    node = _get(record, ".".join(parts[:-1])) if len(parts) > 1 else record
    node[int(parts[-1]) if parts[-1].isdigit() else parts[-1]] = value


def _first_problem(record: dict, path: str, value, ledger=None) -> str:
    edited = copy.deepcopy(record)
    parent, _, key = path.rpartition(".")
    assert (_get(edited, parent) if parent else edited).get(key) != value, path
    _set(edited, path, value)
    problems = check(edited, "r.json", ledger)
    assert problems, f"{path} changed to {value!r} passes check"
    return problems[0]


# (record, JSON path of a derived field, a changed value). llama-3.1-405b: thresholds[0]
# eu-gpai crossed, [1] eu-systemic-risk crossed with a notification date; finetune: a
# modification below one third (EU rows not applicable); ourlab-7b: eu-gpai below with notes.
DERIVED = [
    # statuses, dates, duties and every other field of a threshold row (the verdict engine's)
    ("llama-3.1-405b", "thresholds[1].notify_by", "2025-09-16"),
    ("llama-3.1-405b", "thresholds[1].duty", "none"),
    ("llama-3.1-405b", "thresholds[1].status", "straddles"),
    ("llama-3.1-405b", "thresholds[0].status", "below"),
    ("llama-3.1-405b", "thresholds[0].margin", 393.0),
    ("llama-3.1-405b", "thresholds[0].compared", "39373906614681600000000001"),
    ("llama-3.1-405b", "thresholds[0].basis", "cumulative compute"),
    ("llama-3.1-405b", "thresholds[0].provision", "Art. 51"),
    ("llama-3.1-405b", "thresholds[0].legal_status", "in force"),
    ("llama-3.1-405b", "thresholds[0].title", "GPAI"),
    ("llama-3.1-405b", "thresholds[0].line", "100000000000000000000001"),
    ("llama-3.1-405b", "thresholds[0].line_exact", "1e23"),
    ("llama-3.1-405b", "thresholds[0].quantity", "cumulative"),
    ("llama-3.1-405b", "thresholds[2].notify_by", "2025-08-16"),
    ("llama-3.1-405b", "thresholds[2].crossed_at", {"phase": "pre-training", "steps": [1, 2], "date": "2024-02-01"}),
    ("llama-3.1-405b", "thresholds[0].notes", ["a note the engine does not give"]),
    ("llama-3.1-405b", "thresholds[0].bound", "upper"),
    ("finetune-llama-3.1-8b", "thresholds[1].status", "crossed"),
    ("finetune-llama-3.1-8b", "thresholds[2].status", "crossed"),
    ("ourlab-7b", "thresholds[0].notes", []),
    # totals and their notified forms
    ("llama-3.1-405b", "totals.training.notified_form", "3.8×10^25"),
    ("llama-3.1-405b", "totals.training.total", "39373906614681600000000001"),
    ("llama-3.1-405b", "totals.cumulative.low", "1"),
    ("llama-3.1-405b", "totals.lineage_cumulative.high", "1"),
    ("finetune-llama-3.1-8b", "totals.lineage_cumulative.total", "1984664603849654272000"),
    # lineage: the one-third rule
    ("finetune-llama-3.1-8b", "lineage.modification_rule.status", "crossed"),
    ("finetune-llama-3.1-8b", "lineage.modification_rule.becomes_provider", True),
    ("finetune-llama-3.1-8b", "lineage.modification_rule.line", "1"),
    ("finetune-llama-3.1-8b", "lineage.modification_rule.modification_compute", "1"),
    # phases: what follows from the kind and the estimates
    ("llama-3.1-405b", "phases[0].counts_in.cumulative", False),
    ("llama-3.1-405b", "phases[0].primary", "6ND"),
    # parameters, from the architecture the record carries
    ("llama-3.1-405b", "model.parameters.total", 405853388801),
    ("llama-3.1-405b", "model.parameters.active", 1),
    ("llama-3.1-405b", "model.parameters.embedding", 1),
    ("llama-3.1-405b", "model.parameters.notified_form", "4.0×10^11"),
    ("llama-3.1-405b", "model.parameters.source", "a guess"),
    # hardware: the accelerator table's name and peak at the row's precision
    ("llama-3.1-405b", "hardware[0].peak_flops", 1.0e15),
    ("llama-3.1-405b", "hardware[0].name", "H100"),
    ("llama-3.1-405b", "hardware[0].accelerator_hours", 1.0),
    # training time and energy
    ("llama-3.1-405b", "training_time.wall_clock_hours", 2567.0),
    ("llama-3.1-405b", "training_time.accelerator_hours", 1.0),
    ("llama-3.1-405b", "training_time.start", "2024-01-14"),
    ("llama-3.1-405b", "training_time.end", "2024-05-01"),
    ("llama-3.1-405b", "energy.kwh.total", 28927921.0),
    ("llama-3.1-405b", "energy.method", "measured"),
    ("llama-3.1-405b", "energy.assumptions", []),
    # methods, the open-source note, the record's own notes stay as given
    ("llama-3.1-405b", "methods[0].description", "a count"),
    ("llama-3.1-405b", "open_source.note", "exempt"),
    ("open-70b", "open_source.note", "exempt"),
    # the obligations block: the law engine's answer for the record's phases and facts
    ("llama-3.1-405b", "obligations.eu.gpai", "no"),
    ("open-70b", "obligations.eu.open_source_exemption", "not_available_licence"),
    ("llama-3.1-405b", "obligations.eu.duties.art53_1a.status", "exempt"),
    ("llama-3.1-405b", "obligations.eu.duties.art53_1a.due", "2026-08-02"),
    ("llama-3.1-405b", "obligations.eu.duties.art53_1a.overdue", True),
    ("llama-3.1-405b", "obligations.eu.notify.by", "2025-09-01"),
    ("open-70b", "obligations.ca_sb53.tier", "large_frontier_developer"),
    ("open-70b", "obligations.ny_raise.applies", True),
    ("open-70b", "obligations.as_of", "2027-01-01"),
    ("open-70b", "open_source.exemption", "not_available_licence"),
    # the documentation form's derived answers
    ("llama-3.1-405b", "documentation_form.parameters", "4.0×10^11"),
    ("llama-3.1-405b", "documentation_form.compute.flop", "3.8×10^25"),
    ("llama-3.1-405b", "documentation_form.compute.order_of_magnitude", "10^24"),
    ("llama-3.1-405b", "documentation_form.compute.methods", ["6ND"]),
    ("llama-3.1-405b", "documentation_form.compute.uncertainty.within_accepted", False),
    ("llama-3.1-405b", "documentation_form.training_time.range", "1–3 months"),
    ("llama-3.1-405b", "documentation_form.training_time.wall_clock_days", 100.0),
    ("llama-3.1-405b", "documentation_form.energy.mwh", "2,900"),
    ("llama-3.1-405b", "documentation_form.inference.flop", "1"),
    ("llama-3.1-405b", "documentation_form.inference.flop_per_token", "1.0×10^12"),
    ("llama-3.1-405b", "documentation_form.inference.task", "a task"),
    ("llama-3.1-405b", "documentation_form.source", "a form"),
]


@pytest.mark.parametrize("name, path, value", DERIVED, ids=[f"{n}:{p}" for n, p, _ in DERIVED])
def test_a_changed_derived_field_is_named_first(name, path, value):
    first = _first_problem(_load(name), path, value)
    assert first.startswith(f"{path}:"), first


def test_the_message_says_what_the_inputs_give():
    """thresholds[1].notify_by: what the record says, then what its inputs give."""
    first = _first_problem(_load("llama-3.1-405b"), "thresholds[1].notify_by", "2025-09-16")
    assert first == "thresholds[1].notify_by: '2025-09-16' but the record's inputs give '2025-08-16'"
    first = _first_problem(_load("finetune-llama-3.1-8b"), "thresholds[1].status", "crossed")
    assert "not the provider" in first


@pytest.mark.parametrize("path", sorted(RECORDS.glob("*.json")), ids=lambda p: p.stem)
def test_every_example_record_checks(path):
    assert check(json.loads(path.read_text()), str(path)) == []


def test_a_changed_input_shows_in_what_follows_from_it():
    """A phase's start date is an input: the notification date follows from it."""
    problems = check({**_load("llama-3.1-405b")} | {"phases": [
        {**_load("llama-3.1-405b")["phases"][0], "start": "2025-09-01"}]}, "r.json")
    assert any(p.startswith("thresholds[1].notify_by:") for p in problems), problems
    assert problems[0].startswith("training_time.start:"), problems


def test_an_upper_bound_record(tmp_path):
    """A phase whose tokens are a maximum: eu-gpai 'at most', bound 'upper'. The bound is
    re-derived; dropping it from the row, or the phase's bound, fails."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(textwrap.dedent(f"""\
        flopcount_plan: 1
        name: capped
        model: {{name: capped, config: {ROOT / 'examples' / 'configs' / 'llama-2-7b.json'}}}
        seq_len: 4096
        phases:
          - {{name: pre-training, kind: pre-training, tokens: 10T, upper_bound: true}}
        """))
    record = build(plan=load_plan(plan))
    gpai = next(i for i, t in enumerate(record["thresholds"]) if t["id"] == "eu-gpai")
    assert record["thresholds"][gpai]["status"] == "at most" and check(record, "r.json") == []
    dropped = copy.deepcopy(record)
    del dropped["thresholds"][gpai]["bound"]
    assert check(dropped, "r.json") == [f"thresholds[{gpai}].bound: None but the record's phases give 'upper'"]
    assert _first_problem(record, f"thresholds[{gpai}].status", "crossed").endswith("can stop early)")
    no_bound = copy.deepcopy(record)
    del no_bound["phases"][0]["bound"]
    assert check(no_bound, "r.json")[0].startswith(f"thresholds[{gpai}].status: 'at most' but the totals say")


def test_old_records_still_read():
    """A record written before threshold notes, bounds and the hardware row's
    utilization_source: without them it passes where the engine gives no note (and no
    bound); where it does give notes, check says they are missing and asks for the record
    to be written again."""
    old = _load("llama-3.1-405b")
    for t in old["thresholds"]:
        del t["notes"]
    del old["hardware"][0]["utilization_source"]
    assert "bound" not in json.dumps(old) and check(old, "old.json") == []
    old = _load("ourlab-7b")
    for t in old["thresholds"]:
        del t["notes"]
    for h in old["hardware"]:
        del h["utilization_source"]
    [problem] = check(old, "old.json")
    assert problem.startswith("thresholds[0].notes: missing; the record's phases give 2") and "write it again" in problem


@pytest.fixture()
def ledger_record(trained_ledger, tmp_path):  # noqa: F811
    """A record from a plan and the real ledger of a tiny CPU training run (its phase
    'pre-training' measured, energy from the ledger's counter)."""
    path, _ = trained_ledger
    plan = tmp_path / "plan.yaml"
    plan.write_text(textwrap.dedent(f"""\
        flopcount_plan: 1
        name: tiny-llama
        model: {{name: tiny-llama, config: {ROOT / 'examples' / 'configs' / 'llama-2-7b.json'}}}
        seq_len: 4096
        phases:
          - name: pre-training
            kind: pre-training
            tokens: 1M
            hardware: {{accelerator: h100-sxm, gpus: 1, hours: 16, precision: bf16}}
        """))
    return build(plan=load_plan(plan), ledger_path=path), path


LEDGER_DERIVED = [
    ("phases[0].steps", 8),
    ("phases[0].wall_clock_hours", 1.0),
    ("phases[0].accelerator_hours", 1.0),
    ("phases[0].estimates.measured.total", "1"),
    ("phases[0].start", "2020-01-01T00:00:00+00:00"),
    ("phases[0].recomputed_flop", "1"),
    ("totals.training.total", "1"),
    ("energy.kwh.total", 1.0),
    ("energy.method", "estimated"),
    ("hardware[0].devices", 8),
    ("training_time.end", "2099-01-01T00:00:00+00:00"),
]


def test_a_plan_and_ledger_record_checks_field_by_field(ledger_record):
    record, path = ledger_record
    assert record["phases"][0]["primary"] == "measured" and record["energy"]["method"] == "measured"
    assert check(record, "r.json") == [] and check(record, "r.json", path) == []
    for field, value in LEDGER_DERIVED:
        first = _first_problem(record, field, value, path)
        assert first.startswith(f"{field}:"), (field, first)
    first = _first_problem(record, "phases[0].steps", 8, path)
    assert "but the ledger gives 9" in first, first


def test_a_ledger_only_record_rederives_from_its_rows(trained_ledger):  # noqa: F811
    """Without a plan, the phase's tokens and the parameter count are the ledger's too."""
    path, _ = trained_ledger
    record = build(ledger_path=path)
    assert check(record, "r.json") == []
    for field, value in [("phases[0].tokens", 1), ("model.parameters.total", 1), ("phases[0].steps", 1),
                         ("energy.kwh.total", 1.0)]:
        first = _first_problem(record, field, value)
        assert first.startswith(f"{field}:"), first
        assert "the ledger gives" in first or not field.startswith("phases"), first
