"""Issue 30, tried as a new user would: what `flopcount record` writes.

Point 3/4 in records: a record's threshold rows carry the verdict engine's notes (another
method's interval across the line with the reconciling utilisation; the Annex A.2 near-line
note, Guidelines C(2025) 5045 Annex A.2 accepting an estimate within 30%), the same notes
`estimate --json` gives, re-derived by `record --check`. Point 6 in records: the HTML run
chart draws one line per run. Point 7: no e-notation in a chart or a record.

The plans (examples/plans, worked in tests/test_new_user_verdicts.py):
- OurLab-70B: full = 449,226,473,472 FLOP/token × 15T = 6.738×10^24, eu-systemic-risk BELOW
  at ×0.674; hardware 4,096 H100 × 60 days = 5,898,240 h × 3,600 s × 989.4e12 FLOP/s
  × U 0.3–0.5 = 6.3×10^24–1.05×10^25, over 10^25; agreement at U = 6.738e24 / 2.1009e25 = 32%.
- OurLab-7B: full = 42,864,476,160 FLOP/token × 2T = 8.57×10^22, eu-gpai BELOW at ×0.857
  (> 0.7: the near-line note); hardware 86,016 h → 9.2×10^22–1.5×10^23, across 10^23; U = 28%.
"""
from __future__ import annotations

import copy
import json
import re
import warnings

import pytest

from flopcount.records import record as records
from flopcount.cli import main

from conftest import ROOT

PLANS = ROOT / "examples" / "plans"
CONFIGS = ROOT / "examples" / "configs"
E_NOTATION = re.compile(r"\d[eE][+-]?\d")


def row(data: dict, threshold: str) -> dict:
    return next(t for t in data["thresholds"] if t["id"] == threshold)


def write_record(capsys, plan: str, out) -> dict:
    assert main(["record", "--plan", str(PLANS / plan), "-o", str(out)]) == 0
    capsys.readouterr()
    return json.loads(out.with_name(out.name + ".json").read_text())


def estimate_json(capsys, plan: str) -> dict:
    assert main(["estimate", str(PLANS / plan), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("plan", ["ourlab-70b.yaml", "ourlab-7b.yaml"])
def test_point3_record_carries_notes(plan, tmp_path, capsys):
    """The record's rows carry exactly the notes `estimate --json` gives for the same plan
    (one engine), and `record --check` re-derives them from the record's phases."""
    out = tmp_path / plan.removesuffix(".yaml")
    data = write_record(capsys, plan, out)
    est = estimate_json(capsys, plan)
    assert [(t["id"], t["status"], t["notes"]) for t in data["thresholds"]] == \
        [(t["id"], t["status"], t["notes"]) for t in est["thresholds"]]
    if plan == "ourlab-70b.yaml":
        sr = row(data, "eu-systemic-risk")
        assert sr["status"] == "below"
        [note] = sr["notes"]
        assert note.startswith("hardware 8.4×10^24 (6.3×10^24–1.1×10^25) reaches over the line 1.0×10^25")
        assert "full (6.7×10^24) stays below" in note
        assert "the methods agree at utilisation 32% (hardware central = full)" in note
        assert not row(data, "eu-gpai")["notes"]  # 6.7e24 crosses 10^23 and so does all of hardware's interval
    else:
        gpai = row(data, "eu-gpai")
        assert gpai["status"] == "below"
        hardware, near = gpai["notes"]
        assert hardware.startswith("hardware 1.2×10^23 (9.2×10^22–1.5×10^23) reaches over the line 1.0×10^23")
        assert "utilisation 28%" in hardware
        assert near.startswith("×0.86 of the line: the ±30% an estimate may be off (Guidelines Annex A.2)")
        assert "indicative (Guidelines §2.1)" in near
        assert not row(data, "eu-systemic-risk")["notes"]
    assert main(["record", "--check", str(out) + ".json"]) == 0
    assert "OK" in capsys.readouterr().out

    # Markdown and HTML: the notes under the threshold table, before the next section
    md = out.with_name(out.name + ".md").read_text()
    table = md.split("## Thresholds", 1)[1].split("## Training time", 1)[0]
    noted = [t for t in data["thresholds"] if t["notes"]]
    for t in noted:
        for note in t["notes"]:
            assert f"- **{t['id']}**: {note}" in table
    html = out.with_name(out.name + ".html").read_text()
    section = html.split("<h2>Thresholds</h2>", 1)[1].split("<h2>Training time</h2>", 1)[0]
    notes_html = section.split("<ul id='threshold-notes'>", 1)[1]
    assert notes_html.count("<li>") == sum(len(t["notes"]) for t in noted)
    assert "1.0×10<sup>25</sup>" in notes_html if plan == "ourlab-70b.yaml" else "1.0×10<sup>23</sup>" in notes_html


def test_point3_record_check_rederives_notes(tmp_path, capsys):
    """--check compares each row's notes with what the engine gives from the record's own
    phases: a changed or dropped note is a problem; a record written before notes (no
    `notes` key) still validates, and passes where its phases give no note."""
    data = write_record(capsys, "ourlab-7b.yaml", tmp_path / "r7")
    assert records.check(data, "r7.json") == []

    edited = copy.deepcopy(data)
    row(edited, "eu-gpai")["notes"] = row(edited, "eu-gpai")["notes"][1:]
    [problem] = records.check(edited, "r7.json")
    assert problem.startswith("thresholds[0].notes:") and "the record's phases give" in problem

    dropped = copy.deepcopy(data)
    for t in dropped["thresholds"]:
        del t["notes"]
    records.validate(dropped, "old.json")  # an old record is still a valid record
    [problem] = records.check(dropped, "old.json")
    assert problem.startswith("thresholds[0].notes: missing; the record's phases give 2")

    # the hardware estimate moved under the line: the hardware note no longer follows
    moved = copy.deepcopy(data)
    hw = moved["phases"][0]["estimates"]["hardware"]
    hw["high"] = str(10**23)
    problems = records.check(moved, "r7.json")
    assert any(p.startswith("thresholds[0].notes:") for p in problems)

    far = write_record(capsys, "gpt3-175b.yaml", tmp_path / "gpt3")
    assert all(t["notes"] == [] for t in far["thresholds"])
    for t in far["thresholds"]:
        del t["notes"]
    assert records.check(far, "old.json") == []
    from flopcount.records.report import to_html, to_markdown
    assert "Notes on the thresholds" not in to_markdown(far) and "threshold-notes" not in to_html(far)


def test_bundled_records_carry_notes_and_check():
    """examples/records is what examples/make_records.py writes today: each record checks,
    and the OurLab plans' records carry the notes."""
    for plan in sorted(PLANS.glob("*.yaml")):
        path = ROOT / "examples" / "records" / f"{plan.stem}.json"
        data = json.loads(path.read_text())
        assert records.check(data, str(path)) == [], plan.stem
        assert all("notes" in t for t in data["thresholds"]), plan.stem
    assert row(json.loads((ROOT / "examples" / "records" / "ourlab-70b.json").read_text()),
               "eu-systemic-risk")["notes"]
    assert len(row(json.loads((ROOT / "examples" / "records" / "ourlab-7b.json").read_text()), "eu-gpai")["notes"]) == 2


def two_run_ledger(path, steps: int = 8) -> None:
    """One model, two runs ("first", "second"), `steps` steps each, one SQLite ledger,
    written by the monitor as a training script would (1e18 FLOP and 4,096 tokens a step)."""
    from flopcount.run import ComputeMonitor, ThresholdWarning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThresholdWarning)
        for run in ("first", "second"):
            monitor = ComputeMonitor("two-runs", run=run, ledger=path, flush_every=2, flush_seconds=None,
                                     handle_signals=False)
            for _ in range(steps):
                monitor.step(10**18, tokens=4096)
            monitor.close()


def saved_figures(monkeypatch) -> list:
    """Every matplotlib Figure saved from now on (the figures a command draws)."""
    from matplotlib.figure import Figure
    saved, original = [], Figure.savefig

    def keep(self, *args, **kwargs):
        saved.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    return saved


def test_point6_record_run_chart_one_line_per_run(tmp_path, monkeypatch, capsys):
    """`flopcount record --ledger` on a ledger with two 8-step runs of one model: the HTML
    record's run chart has one line per run, each running forward in steps (1..8), the
    second starting from the first's total (model total, earlier runs included): 8e18 and
    16e18 FLOP at their ends."""
    from matplotlib.lines import Line2D
    ledger = tmp_path / "L.db"
    two_run_ledger(ledger)
    saved = saved_figures(monkeypatch)
    assert main(["record", "--ledger", str(ledger), "-o", str(tmp_path / "rec")]) == 0
    capsys.readouterr()
    data = json.loads((tmp_path / "rec.json").read_text())
    assert int(data["totals"]["training"]["total"]) == 16 * 10**18  # 2 runs × 8 steps × 1e18
    [run_fig] = [f for f in saved if "recorded compute" in f.axes[0].get_title()]
    lines = {a.get_gid(): a for a in run_fig.findobj(Line2D) if (a.get_gid() or "").startswith("run")}
    assert set(lines) == {"run:first", "run:second"}
    for gid, line in lines.items():
        steps = list(line.get_xdata())
        assert steps == sorted(steps) and steps[-1] == 8, gid  # never back in time
    assert list(lines["run:first"].get_ydata())[-1] == 8e18
    assert list(lines["run:second"].get_ydata())[-1] == 16e18
    html = (tmp_path / "rec.html").read_text()
    assert html.count("<img") == 2 and "one line per run" in html
    assert main(["record", "--check", str(tmp_path / "rec.json"), "--ledger", str(ledger)]) == 0


def test_point7_finetune_chart_no_e_notation(tmp_path, monkeypatch, capsys):
    """`flopcount plot finetune llama-3.1-8b.json --base-compute 7.2e23` (as docs/make_charts.py
    runs it): every text on the saved figure (title, legend, labels) writes numbers in the
    ×10^n form: 'base 7.2×10^23 FLOP', one third = 2.4×10^23, never '7.20e+23'."""
    from matplotlib.text import Text
    saved = saved_figures(monkeypatch)
    assert main(["plot", "finetune", str(CONFIGS / "llama-3.1-8b.json"), "--base-compute", "7.2e23",
                 "--lora-rank", "16", "-o", str(tmp_path / "finetune.png")]) == 0
    [fig] = saved
    texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
    assert not [t for t in texts if "e+" in t or E_NOTATION.search(t)], texts
    joined = "\n".join(texts)
    assert "base 7.2×$10^{23}$ FLOP" in joined and "one third of base compute (2.4×$10^{23}$ FLOP)" in joined
    assert "llama" in fig.axes[0].get_title().lower()


def test_point7_record_margins_without_e_notation(tmp_path, capsys):
    """A small run's margins: 10^20 FLOP is ×0.001 of 10^23, ×10^-5 of 10^25 and ×10^-6 of
    10^26; the Markdown and HTML records write them ×0.001, ×1.0×10^-5, ×1.0×10^-6 (the form
    of every FLOP figure), never 1e-05."""
    plan = tmp_path / "small.yaml"
    plan.write_text("flopcount_plan: 1\nmodel: {name: small, params: 1000000000}\n"
                    "phases: [{name: pre-training, kind: pre-training, flops: 100000000000000000000}]\n")
    assert main(["record", "--plan", str(plan), "-o", str(tmp_path / "small")]) == 0
    capsys.readouterr()
    md = (tmp_path / "small.md").read_text()
    assert "| eu-systemic-risk | > 1.0×10^25 | cumulative | BELOW | ×1.0×10^-5 |" in md
    for ext in (".md", ".html"):
        text = re.sub(r"base64,[A-Za-z0-9+/=]+", "", (tmp_path / f"small{ext}").read_text())
        assert not E_NOTATION.search(text), E_NOTATION.search(text)
