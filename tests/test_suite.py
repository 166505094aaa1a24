"""Model suites: the real Pythia suite from its published GPT-NeoX configs (tests/recipes/neox/,
SOURCES.md), checkpoints against `estimate` one by one, and bad input refused whole.

Pythia (github.com/EleutherAI/pythia README, "Models"): 8 sizes × {standard, deduped}, 154
checkpoints each (steps 0, 1, 2, 4, ..., 512, then every 1,000 to 143,000), 1,024 sequences ×
2,048 tokens a step, so a checkpoint at step s has seen s × 2,097,152 tokens.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import flopcount
from flopcount.cli import main
from flopcount.boundary.errors import InputError
from flopcount import estimate
from flopcount.law.summary import of_estimate
from flopcount.records.suite import OBLIGATIONS, load_suite, parse_checkpoints, table

HERE = Path(__file__).parent
ROOT = HERE.parent
NEOX = HERE / "recipes" / "neox"
SUITE = NEOX / "pythia-suite.yaml"
LLAMA_405B = ROOT / "examples" / "configs" / "llama-3.1-405b.json"


@pytest.fixture(scope="module")
def pythia():
    suite = load_suite(SUITE)
    return suite, table(suite)


def test_pythia_suite_rows_tokens_and_parameters(pythia):
    """16 models × 154 checkpoints = 2,464 rows; tokens = step × 1,024 × 2,048; the 1.4B's
    parameters are the model card's 1,414,647,808 (1,208,602,624 non-embedding) at every row."""
    suite, frame = pythia
    assert len(suite.models) == 16 and len(frame) == 2464
    assert (frame.groupby("model", observed=True).size() == 154).all()
    assert (frame["tokens"] == frame["step"] * 1024 * 2048).all()
    row = frame[(frame.model == "pythia-1.4b") & (frame.step == 143_000)].iloc[0]
    assert row.tokens == 299_892_736_000
    assert (row.params_total, row.params_non_embedding) == (1_414_647_808, 1_208_602_624)
    steps = frame[frame.model == "pythia-70m"].step.tolist()
    assert steps[:12] == [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000] and steps[-1] == 143_000


def test_each_checkpoint_is_what_estimate_gives_for_its_tokens(pythia):
    """Per-token FLOP × tokens, exactly: the last row of each model is `estimate`'s total of
    the full run, and a middle checkpoint (70M at step 64: 64 × 2,097,152 = 134,217,728
    tokens × 343,277,568 FLOP per token = 46,073,935,250,325,504 FLOP; 6ND: 6 × 70,426,624 ×
    134,217,728) equals `estimate` on a plan of that many tokens."""
    suite, frame = pythia
    for model in suite.models:
        last = frame[frame.model == model.name].iloc[-1]
        assert last.flop_full == model.result.phases[0].estimates["full"].total
        assert last.flop_6ND == model.result.phases[0].estimates["6ND"].total
        assert isinstance(last.flop_full, int)
    m70 = suite.models[0]
    row = frame[(frame.model == "pythia-70m") & (frame.step == 64)].iloc[0]
    assert row.flop_full == 134_217_728 * 343_277_568 == 46_073_935_250_325_504
    assert row.flop_6ND == 6 * 70_426_624 * 134_217_728
    plan = m70.plan
    again = estimate(replace(plan, phases=(replace(plan.phases[0], tokens=134_217_728),)))
    assert again.phases[0].estimates["full"].total == row.flop_full


def test_deduped_and_standard_runs_are_identical_in_compute(pythia):
    _, frame = pythia
    for size in ("70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b", "12b"):
        a = frame[frame.model == f"pythia-{size}"].drop(columns="model").reset_index(drop=True)
        b = frame[frame.model == f"pythia-{size}-deduped"].drop(columns="model").reset_index(drop=True)
        assert a.equals(b), size


def test_pythia_is_below_every_line(pythia):
    """The largest, 12B: 74,034,708,480 FLOP per token × 299,892,736,000 tokens = 2.2×10^22,
    below the GPAI criterion's 10^23."""
    _, frame = pythia
    over = [c for c in frame.columns if c.startswith("over_")]
    assert over and not frame[over].to_numpy().any()
    assert set(frame["status_eu-gpai"].unique()) == {"below"}
    assert frame[frame.model == "pythia-12b"].flop_per_token_full.iloc[0] == 74_034_708_480
    # so no checkpoint is a GPAI model: the law engine's summary at every row
    assert set(frame.eu_gpai) == {"no"} and set(frame.eu_open_source_exemption) == {"n/a_not_gpai"}
    assert not frame.ca_sb53_applies.any() and not frame.ny_raise_applies.any()


def test_suite_release_and_provider_are_each_models_facts(pythia):
    """The suite file's release: and provider: (EleutherAI, US; Apache-2.0, weights public)
    are every model's plan facts, the law engine's input."""
    suite, _ = pythia
    for model in suite.models:
        facts = model.plan.facts
        assert (facts.provider.name, facts.provider.established) == ("EleutherAI", "US")
        assert (facts.release.licence, facts.release.weights_public) == ("Apache-2.0", True)
        assert model.plan.modalities == frozenset({"text"})


def test_statuses_are_the_engines_at_every_checkpoint():
    """Llama 3.1 405B (examples/configs) at T = 8,192, 2,048 sequences a step: 2,625,424,588,800
    FLOP per token × 16,777,216 tokens = 4.4047×10^19 FLOP per step. 10^23 is passed after
    2,271 steps, 10^25 after 227,030: with a checkpoint every 10,000 steps the first over the
    GPAI line is step 10,000 and the first over the systemic-risk line 230,000. Every row's
    statuses equal `estimate` run on that checkpoint alone (the bisection asks the engine
    only O(log n) times)."""
    data = {"flopcount_suite": 1, "name": "sweep", "release": {"modalities": ["text"]},
            "models": [{"name": "l405", "config": str(LLAMA_405B), "tokens_per_step": 16_777_216,
                        "steps": 1_000_000, "seq_len": 8192}], "checkpoints": {"every": 10_000}}
    suite = load_suite(data)
    frame = table(suite)
    assert suite.models[0].result.phases[0].estimates["full"].per_token == 2_625_424_588_800
    assert frame[frame["over_eu-gpai"]].step.iloc[0] == 10_000
    assert frame[frame["over_eu-systemic-risk"]].step.iloc[0] == 230_000
    plan = suite.models[0].plan
    for i in range(0, 100, 7):
        row = frame.iloc[i]
        one = estimate(replace(plan, phases=(replace(plan.phases[0], tokens=int(row.tokens)),)))
        assert {f"status_{e.threshold.id}": e.status for e in one.evaluations} == \
            {c: row[c] for c in frame.columns if c.startswith("status_")}


def _obligations(result, as_of) -> tuple:
    o = of_estimate(result, as_of).to_json()
    eu = o["eu"]
    return (eu["gpai"], eu["systemic_risk"], eu["open_source_exemption"], eu["notify"]["status"], eu["notify"]["by"],
            o["ca_sb53"]["applies"], o["ny_raise"]["applies"])


def test_obligations_are_the_law_engines_at_every_checkpoint(monkeypatch):
    """The Llama 3.1 405B-style sweep above, released openly (Apache-2.0, weights public) by
    a provider established in DE, its run started 2025-09-01, judged as of 2026-01-01. Each
    checkpoint is a model on the market: at steps 10,000..220,000 it is a GPAI model below
    10^25 (the exemption turns on facts not given: not_stated; nothing to notify), from
    230,000 it is presumed to have systemic risk (exemption lost; notify by 2025-09-15, two
    weeks after the run that crosses 10^25 started, Art. 52(1)). Every row equals `of_estimate` of
    `estimate` on that checkpoint alone, and the engine is asked twice, once per stretch of
    equal statuses, not 100 times."""
    data = {"flopcount_suite": 1, "name": "sweep", "release": {"modalities": ["text"], "licence": "Apache-2.0",
                                                                "weights_public": True},
            "provider": {"name": "OurLab", "established": "DE"},
            "models": [{"name": "l405", "config": str(LLAMA_405B), "tokens_per_step": 16_777_216,
                        "steps": 1_000_000, "seq_len": 8192}], "checkpoints": {"every": 10_000}}
    suite = load_suite(data)
    plan = suite.models[0].plan
    plan = replace(plan, phases=(replace(plan.phases[0], start=dt.date(2025, 9, 1)),))
    suite = replace(suite, models=(replace(suite.models[0], result=estimate(plan)),))
    import flopcount.records.suite_statuses as module   # where the table asks the law engine
    calls = []
    monkeypatch.setattr(module, "of_estimate", lambda r, a: calls.append(r) or of_estimate(r, a))
    as_of = dt.date(2026, 1, 1)
    frame = table(suite, as_of=as_of)
    assert len(calls) == 2 and len(frame) == 100
    assert set(frame.as_of) == {"2026-01-01"}
    got = [tuple(row) for row in frame[list(OBLIGATIONS)].itertuples(index=False, name=None)]
    for i, row in enumerate(frame.itertuples()):
        one = estimate(replace(plan, phases=(replace(plan.phases[0], tokens=int(row.tokens)),)))
        assert got[i] == _obligations(one, as_of), row.step
    first = frame[frame.step == 220_000][list(OBLIGATIONS)].iloc[0].tolist()
    after = frame[frame.step == 230_000][list(OBLIGATIONS)].iloc[0].tolist()
    assert first == ["presumed", "no", "not_stated", "not_applicable", None, False, False]
    assert after == ["presumed", "presumed", "lost_systemic", "due", "2025-09-15", False, False]


def test_suite_facts_are_checked_in_the_suite_file():
    data = {"flopcount_suite": 1, "name": "x", "release": {"weights_public": "often"},
            "models": [{"name": "l405", "config": str(LLAMA_405B), "tokens_per_step": 1, "steps": 1}],
            "checkpoints": {"steps": [1]}}
    with pytest.raises(InputError, match="weights_public") as err:
        load_suite(data)
    assert err.value.source == "suite" and err.value.field == "release.weights_public"
    with pytest.raises(InputError, match="established"):
        load_suite({**data, "release": {}, "provider": {"established": "Atlantis"}})


def test_folder_takes_each_recipe_with_its_own_save_steps(tmp_path):
    for name in ("pythia-70m.yml", "pythia-160m.yml"):
        shutil.copy(NEOX / "pythia" / name, tmp_path / name)
    frame = table(load_suite(tmp_path, gpus=32, vocab_size=50277))
    assert len(frame) == 2 * 154
    frame = table(load_suite(tmp_path, gpus=32, vocab_size=50277, checkpoints="0,every:71500"))
    assert frame[frame.model == "pythia-70m"].step.tolist() == [0, 71_500, 143_000]


def test_checkpoint_spec():
    c = parse_checkpoints("0,1,2,every:1000,to:3000")
    assert list(c.resolve(143_000, "x", "checkpoints")) == [0, 1, 2, 1000, 2000, 3000]
    with pytest.raises(InputError, match="past the run's last step"):
        parse_checkpoints("150000").resolve(143_000, "x", "checkpoints")
    for bad in ("every:0", "x:3", "1.5", "to:5"):
        with pytest.raises(InputError):
            parse_checkpoints(bad)


def test_cli_summary_and_outputs(tmp_path, capsys):
    """80 columns; the table written as CSV and JSON with exact FLOP (the 12B's last row:
    74,034,708,480 × 299,892,736,000 = 22,202,471,285,029,601,280,000)."""
    assert main(["suite", str(SUITE), "-o", str(tmp_path), "--format", "csv", "--as-of", "2026-01-01"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines() if str(tmp_path) not in line) <= 80  # a path stays whole
    assert "not available" not in out and "as of 2026-01-01" in out
    assert "all 16 models: EU AI Act: provider original, GPAI no," in out  # law.summary.one_line, last checkpoint
    assert "pythia-12b-deduped" in out and out.splitlines()[-1].strip() == str(tmp_path / "pythia.csv")
    assert "22202471285029601280000" in (tmp_path / "pythia.csv").read_text()
    assert main(["suite", str(SUITE), "-o", str(tmp_path), "--format", "json"]) == 0
    rows = json.loads((tmp_path / "pythia.json").read_text())["rows"]
    assert len(rows) == 2464 and rows[-1]["flop_full"] == "22202471285029601280000"
    assert (rows[-1]["eu_gpai"], rows[-1]["eu_notify_by"], rows[-1]["ny_raise_applies"]) == ("no", None, False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html", "pythia.csv", "pythia.json", "records"]


def _refused(args: list[str], out_dir: Path) -> str:
    proc = subprocess.run([sys.executable, "-m", "flopcount", "suite", *args, "-o", str(out_dir)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not out_dir.exists()  # nothing half-written
    return proc.stderr


def _suite_file(tmp_path: Path, edit) -> Path:
    text = SUITE.read_text()
    path = NEOX / f".test-suite-{tmp_path.name}.yaml"   # beside the recipes, so their paths resolve
    path.write_text(edit(text))
    return path


@pytest.mark.parametrize("edit, needles", [
    (lambda t: t.replace("{name: pythia-12b, recipe: gpt-neox/12B.yml", "{name: pythia-12b, recipe: pythia/pythia-12b.yml"),
     ("pythia-12b.yml", "malformed YAML at line 21", "models[14]")),
    (lambda t: t.replace("name: pythia-160m-deduped,", "name: pythia-160m,"),
     ("two models named 'pythia-160m'", "models[3].name")),
    (lambda t: t.replace("{name: pythia-1b, recipe: pythia/pythia-1b.yml, gpus: 64}",
                         "{name: pythia-1b, recipe: pythia/pythia-1b.yml, gpus: 64, checkpoints: {steps: [143001]}}"),
     ("past the run's last step 143,000", "models[6].checkpoints")),
])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, edit, needles):
    """An unreadable model among sixteen (the pythia repo's own malformed pythia-12b.yml), two
    models with one name, a checkpoint past the run's last step."""
    path = _suite_file(tmp_path, edit)
    try:
        err = _refused([str(path)], tmp_path / "out")
    finally:
        path.unlink()
    for needle in needles:
        assert needle in err, err


def test_importing_flopcount_does_not_import_pandas():
    code = "import sys, flopcount; assert 'pandas' not in sys.modules; f = flopcount.suite; print(f.__module__)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout.strip() == "flopcount.records.suite", proc.stderr
    import flopcount.records.suite  # noqa: F401  (now flopcount.records.suite names the module: still callable)
    assert len(flopcount.suite(SUITE, checkpoints="143000")) == 16


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (.ci/run installs it)")
def test_suite_page_renders_in_headless_chromium(tmp_path):
    """-o DIR: the table, index.html and one record per model (json, md, html) with its
    checkpoint table as an annex CSV; the page loads in a real browser with its chart image
    decoded and the suite table (one row per model) present. OLMo 2 (tests/recipes/olmo)."""
    suite_file = HERE / "recipes" / "olmo" / "olmo-2-1124-suite.yaml"
    out = tmp_path / "page"
    assert main(["suite", str(suite_file), "-o", str(out)]) == 0
    records = sorted(p.name for p in (out / "records").iterdir())
    assert len(records) == 11 * 4 and "OLMo-2-1124-7B.json" in records
    assert "OLMo-2-1124-7B.checkpoints.csv" in records
    data = json.loads((out / "records" / "OLMo-2-1124-7B.json").read_text())
    assert data["thresholds"]  # the record names the model by its config (OLMo2-7B-stage2-seed42): see report
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000"]
    index = (out / "index.html").as_uri()
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", index], capture_output=True, text=True, timeout=120).stdout
    assert 'data-images-loaded="1"' in dom and "id=\"chart\"" in dom
    assert dom.count("<tr>") == 12 and "OLMo-2-1124-13B-stage2-ingredient4" in dom
    assert "<th>eu_systemic_risk</th>" in dom and "<th>eu_notify_by</th>" in dom
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1200,1400", index],
                   capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 20_000


# --- Hugging Face model ids with revisions, from the local cache only --------------------

PYTHIA_14B = ROOT / "examples" / "configs" / "pythia-1.4b.json"
PER_STEP = 1024 * 2048   # Pythia: 1,024 sequences × 2,048 tokens a step


def _hf_cache(root: Path, refs: dict[str, str], model: str = "EleutherAI/pythia-1.4b",
              config: Path = PYTHIA_14B) -> Path:
    """A hub cache as huggingface_hub lays it out: refs/<revision> holds a snapshot's commit
    hash, snapshots/<hash>/config.json links into blobs/."""
    repo = root / ("models--" + model.replace("/", "--"))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "blobs").mkdir(exist_ok=True)
    blob = repo / "blobs" / f"blob-{config.stem}"
    blob.write_bytes(config.read_bytes())
    for revision, sha in refs.items():
        (repo / "refs" / revision).write_text(sha)
        snap = repo / "snapshots" / sha
        snap.mkdir(parents=True, exist_ok=True)
        if not (snap / "config.json").exists():
            (snap / "config.json").symlink_to(Path("..") / ".." / "blobs" / blob.name)
    return root


@pytest.fixture
def hf_cache(tmp_path, monkeypatch):
    """A fake cache with two Pythia 1.4B revisions; HF_HUB_CACHE points at it and any network
    connection fails the test (nothing is fetched)."""
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("flopcount tried the network")
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    cache = _hf_cache(tmp_path / "hub", {"step1000": "a" * 40, "step143000": "b" * 40, "main": "b" * 40})
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    return cache


def test_model_id_list_groups_revisions_into_one_model(hf_cache, tmp_path):
    """Two revisions of one id are one model with two checkpoints, read from the cache: tokens
    = step × 2,097,152 (1,000 → 2,097,152,000), the model card's 1,414,647,808 parameters, and
    the last row equals `estimate` of the run as a config entry gives it."""
    ids = tmp_path / "pythia.txt"
    ids.write_text("# Pythia 1.4B, two checkpoints\nEleutherAI/pythia-1.4b@step1000\n"
                   "EleutherAI/pythia-1.4b@step143000\n")
    suite = load_suite(ids, tokens_per_step=PER_STEP, steps=143_000, seq_len=2048)
    frame = table(suite, as_of="2026-01-01")
    assert [m.name for m in suite.models] == ["pythia-1.4b"]
    assert frame.step.tolist() == [1000, 143_000]
    assert frame.tokens.tolist() == [2_097_152_000, 299_892_736_000]
    assert set(frame.params_total) == {1_414_647_808}
    assert any("local Hugging Face cache" in n and "step1000, step143000" in n for n in suite.models[0].notes)
    plain = load_suite({"flopcount_suite": 1, "models": [
        {"name": "pythia-1.4b", "config": str(PYTHIA_14B), "seq_len": 2048, "tokens_per_step": PER_STEP,
         "steps": 143_000, "checkpoints": {"steps": [1000, 143_000]}}]})
    assert frame.flop_full.tolist() == table(plain, as_of="2026-01-01").flop_full.tolist()


def test_suite_file_hf_entries(hf_cache, tmp_path):
    """`hf:` in a suite file: one revision or a list; run facts as a config entry's; a
    revision that names no step (main) takes the suite's checkpoints."""
    data = {"flopcount_suite": 1, "checkpoints": {"steps": [500]}, "models": [
        {"hf": ["EleutherAI/pythia-1.4b@step1000", "EleutherAI/pythia-1.4b@step143000"],
         "tokens_per_step": PER_STEP, "steps": 143_000, "seq_len": 2048},
        {"name": "pythia-1.4b-main", "hf": "EleutherAI/pythia-1.4b@main", "tokens_per_step": PER_STEP,
         "steps": 143_000, "seq_len": 2048}]}
    frame = table(load_suite(data), as_of="2026-01-01")
    assert frame.model.tolist() == ["pythia-1.4b", "pythia-1.4b", "pythia-1.4b-main"]
    assert frame.step.tolist() == [1000, 143_000, 500]
    del data["checkpoints"]
    with pytest.raises(InputError, match=r"revision main of EleutherAI/pythia-1.4b names no step"):
        load_suite(data)


def test_missing_revision_is_one_line_exit_2(hf_cache, tmp_path):
    """A revision not in the cache: exit 2, one line naming the id, the revision and where
    it looked; nothing written."""
    ids = tmp_path / "ids.txt"
    ids.write_text("EleutherAI/pythia-1.4b@step1000\nEleutherAI/pythia-1.4b@step3000\n")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "flopcount", "suite", str(ids), "--tokens-per-step", str(PER_STEP),
                           "--steps", "143000", "-o", str(out)], capture_output=True, text=True, cwd=ROOT,
                          env={**__import__("os").environ, "HF_HUB_CACHE": str(hf_cache)})
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "EleutherAI/pythia-1.4b@step3000 is not in the local Hugging Face cache" in proc.stderr
    assert str(hf_cache / "models--EleutherAI--pythia-1.4b" / "refs" / "step3000") in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize("data, needle", [
    ({"hf": "EleutherAI/pythia-1.4b@step1000"}, "give tokens_per_step and steps"),
    ({"hf": ["EleutherAI/pythia-1.4b@step1000", "EleutherAI/pythia-70m@step1000"], "tokens_per_step": 1,
      "steps": 2000}, "one model id per model"),
    ({"hf": "EleutherAI/pythia-1.4b@step200000", "tokens_per_step": PER_STEP, "steps": 143_000},
     "step 200,000 is past the run's last step 143,000"),
    ({"hf": ["EleutherAI/pythia-1.4b@step1000", "EleutherAI/pythia-1.4b@other"], "tokens_per_step": PER_STEP,
      "steps": 143_000}, "@other has another config.json"),
])
def test_hf_entry_refusals(hf_cache, data, needle):
    _hf_cache(hf_cache, {"step200000": "c" * 40})
    _hf_cache(hf_cache, {"other": "d" * 40}, config=LLAMA_405B)
    with pytest.raises(InputError, match=needle.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        load_suite({"flopcount_suite": 1, "models": [data]})


def test_progress_bar_only_on_a_terminal(tmp_path, hf_cache, capsys):
    """No TTY: the suite writes nothing to stderr and its stdout is the same as before; on a
    terminal (a stream that says it is one) a tqdm bar goes to that stream."""
    import io

    from flopcount.records.suite import progress
    ids = tmp_path / "ids.txt"
    ids.write_text("EleutherAI/pythia-1.4b@step1000\n")
    assert main(["suite", str(ids), "--tokens-per-step", str(PER_STEP), "--steps", "143000",
                 "--as-of", "2026-01-01", "-o", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out.startswith("Suite ids: 1 models, 1 checkpoints")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True
    term = Terminal()
    assert list(progress(range(3), total=3, desc="models", unit="model", stream=term, delay=0)) == [0, 1, 2]
    assert "models" in term.getvalue()
    quiet = io.StringIO()
    assert list(progress(range(3), total=3, desc="models", unit="model", stream=quiet, delay=0)) == [0, 1, 2]
    assert quiet.getvalue() == ""
