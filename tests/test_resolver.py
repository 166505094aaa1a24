"""The one input resolver (issue 25 item 4): every command reads a path the same way."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from flopcount.cli import main
from flopcount import estimate
from flopcount.importers.resolve import Request, plan_of

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "examples/configs/llama-3.1-8b.json"
RECIPE = ROOT / "tests/recipes/torchtitan/llama3_8b.toml"
PLAN = ROOT / "examples/plans/gpt3-175b.yaml"


def _cli_json(capsys, *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("path, flags", [
    (CONFIG, {"tokens": "15T"}),
    (RECIPE, {"gpus": "64"}),
    (PLAN, {}),
])
def test_library_and_estimate_command_read_a_path_alike(path, flags, capsys):
    """`plan_of` (the library) and `flopcount estimate` make one plan of each kind of path:
    a model config completed by --tokens, a recipe by --gpus, a run plan as written."""
    ours = estimate(plan_of(str(path), **flags)).training.total
    argv = [a for k, v in flags.items() for a in ("--" + k.replace("_", "-"), v)]
    out = _cli_json(capsys, "estimate", str(path), *argv, "--json")
    assert int(out["compute"]["training"]["total"]) == int(ours)


def test_request_takes_only_what_it_knows():
    """A command's own options (plot's chart name, record's --output) never reach the plan."""
    ns = argparse.Namespace(tokens="1T", output="x.json", chart="methods", method=None)
    assert Request.of(ns) == Request(tokens="1T")
    assert Request.of(ns, path="a.json").path == "a.json"


def test_flags_complete_a_config_the_same_from_record(tmp_path, capsys):
    """`record --plan config.json --tokens` builds its record from the same plan estimate reads."""
    est = _cli_json(capsys, "estimate", str(CONFIG), "--tokens", "1T", "--json")
    assert main(["record", "--plan", str(CONFIG), "--tokens", "1T", "-o", str(tmp_path / "r")]) == 0
    capsys.readouterr()
    record = json.loads((tmp_path / "r.json").read_text())
    assert int(record["totals"]["training"]["total"]) == int(est["compute"]["training"]["total"])


def test_one_line_for_a_file_nobody_reads_from_every_command(tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("just words\n")
    lines = []
    for argv in (["estimate", str(bad)], ["record", "--plan", str(bad), "-o", str(tmp_path / "r")],
                 ["plot", "methods", str(bad), "-o", str(tmp_path / "m.png")], ["obligations", str(bad)]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1, err
        lines.append(err[0])
    assert len(set(lines)) == 1, lines
