"""Per-token training FLOP of each counting backend, side by side, and what each costs.

Part 1 — real CPU tensors, as a user would run them: each architecture from examples/configs
at full width but 1 layer (memory), one batch of SEQ tokens, fp32. Columns:
  ours      flopcount torch backend (FlopCounterMode formulas + CPU SDPA + grouped GEMM)
  plain     torch.utils.flop_counter.FlopCounterMode as shipped
  fvcore    FlopCountAnalysis as users read it (MACs, forward only) and ×2×3 (FLOP, fwd+bwd)
  analytic  flopcount's full formula — the reference
Part 2 — the meta device: full-size configs, ours against analytic and 6N (6 × active
parameters; at 1 layer 6N would mostly be embeddings, so it is shown at full size only),
and the time to count one training step.

    python -m benchmarks.backends [--quick]
"""
from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from flopcount.model.configs import load_spec, spec_from_mapping
from flopcount.model.formulas import training_flops
from flopcount.measure import count_step, measure_config
from flopcount.model.spec import count_parameters

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "examples" / "configs"
ARCHS = ["llama-2-7b", "mistral-7b", "mixtral-8x7b", "qwen1.5-moe-a2.7b", "gemma-7b", "falcon-7b", "phi-2",
         "pythia-1.4b", "bert-base-uncased"]
FULL_SIZE = ["llama-3.1-8b", "mixtral-8x7b", "gpt3-175b", "llama-3.1-405b"]


def one_layer(name: str) -> dict:
    data = json.loads((CONFIGS / f"{name}.json").read_text())
    for key in ("num_hidden_layers", "n_layer"):
        if key in data:
            data[key] = 1
    return data


def build(data: dict):
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForMaskedLM
    fields = {k: v for k, v in data.items() if k != "model_type"}
    auto = AutoModelForMaskedLM if data["model_type"] == "bert" else AutoModelForCausalLM
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return auto.from_config(AutoConfig.for_model(data["model_type"], **fields), dtype=torch.float32)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def plain_counter(model, inputs) -> int:
    with FlopCounterMode(display=False) as counter:
        model(**inputs).logits.float().sum().backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops()


def fvcore_raw(model, inputs) -> int | str:
    try:
        from flopcount.measure.fvcore_backend import _Positional
        from fvcore.nn import FlopCountAnalysis
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            analysis = FlopCountAnalysis(_Positional(model, tuple(inputs)), tuple(inputs.values()))
            analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
            return analysis.total()
    except Exception as exc:  # report, don't hide: fvcore's tracer fails on some models
        return f"failed ({type(exc).__name__})"


def part_one(archs: list[str], seq: int) -> list[dict]:
    rows = []
    torch.manual_seed(0)
    for name in archs:
        data = one_layer(name)
        spec = spec_from_mapping(data, name)
        model = build(data)
        inputs = {"input_ids": torch.randint(0, spec.vocab_size, (1, seq))}
        analytic = training_flops(spec, seq).total
        ours, t_ours = timed(lambda: count_step(model, inputs).total)
        model.zero_grad(set_to_none=True)
        plain, t_plain = timed(lambda: plain_counter(model, inputs))
        raw, t_fv = timed(lambda: fvcore_raw(model, inputs))
        (_, t_step) = timed(lambda: model(**inputs).logits.float().sum().backward())
        rows.append(dict(arch=name, analytic=analytic, ours=ours, plain=plain, fvcore_raw=raw,
                         fvcore_flop=raw * 6 if isinstance(raw, int) else raw,
                         t_step=t_step, t_ours=t_ours, t_plain=t_plain, t_fvcore=t_fv))
        del model
    return rows


def part_two(names: list[str], seq: int) -> list[dict]:
    rows = []
    for name in names:
        m, t = timed(lambda: measure_config(CONFIGS / f"{name}.json", seq))
        spec = load_spec(CONFIGS / f"{name}.json")
        analytic = training_flops(spec, seq).total
        rows.append(dict(arch=name, per_token=float(m.per_token()), ratio=m.total / analytic,
                         six_n=6 * count_parameters(spec).active * seq / analytic, seconds=t))
    return rows


def ratio(value, ref) -> str:
    return f"{value / ref:.3f}" if isinstance(value, int) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="one small architecture, short sequence (CI smoke)")
    parser.add_argument("--seq", type=int, default=128)
    args = parser.parse_args()
    archs, seq = (["pythia-1.4b"], 32) if args.quick else (ARCHS, args.seq)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    rows = part_one(archs, seq)
    print(f"Per-token training FLOP ÷ analytic full count (1-layer, full-width models, T={seq}, real CPU fp32)")
    print(f"{'architecture':<20}{'analytic/token':>16}{'ours':>8}{'plain FCM':>11}{'fvcore raw':>12}"
          f"{'fvcore×6':>10}   time: step | ours | plain | fvcore (s)")
    for r in rows:
        a = r["analytic"]
        print(f"{r['arch']:<20}{a / seq:>16,.0f}{ratio(r['ours'], a):>8}{ratio(r['plain'], a):>11}"
              f"{ratio(r['fvcore_raw'], a):>12}{ratio(r['fvcore_flop'], a):>10}"
              f"   {r['t_step']:.2f} | {r['t_ours']:.2f} | {r['t_plain']:.2f} | {r['t_fvcore']:.2f}")
    meta_seq = 64 if args.quick else 2048  # GPT-3 has 2048 learned positions
    full = part_two(FULL_SIZE[:1] if args.quick else FULL_SIZE, meta_seq)
    print(f"\nFull-size configs on the meta device, T={meta_seq} (one training step)")
    print(f"{'architecture':<20}{'ours FLOP/token':>22}{'ours/analytic':>15}{'6N/analytic':>13}{'time (s)':>10}")
    for r in full:
        print(f"{r['arch']:<20}{r['per_token']:>22,.0f}{r['ratio']:>15.4f}{r['six_n']:>13.3f}{r['seconds']:>10.2f}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / ("backends-quick.json" if args.quick else "backends.json")).write_text(
        json.dumps({"seq": seq, "real_cpu": rows, "meta": full}, indent=2, default=str))


if __name__ == "__main__":
    main()
