"""GPT-NeoX YAML configs (EleutherAI's trainer: Pythia, GPT-NeoX-20B) → a run plan.

Read, never executed, through the project's safe YAML loader. NeoX spells its keys with
dashes or underscores and treats them alike (`arguments.py` replaces "-" by "_"); so does
this importer, and a key given both ways is refused, since NeoX's last-wins order is not
the file's. Defaults are NeoX's own (`NEOX_DEFAULTS`, from `neox_args.py` / `deepspeed_args.py`
at the commit in `NEOX_SOURCE`).

The model becomes a `gpt_neox` config.json mapping (the structure `readers.decoders` counts):
layer norms with biases, biased attention and plain (non-gated) MLP, `no-weight-tying` for
an untied head, the MLP width as NeoX sizes it. Rotary positions (any `rotary-pct`) and the
GPT-J parallel residual (`gpt-j-residual`) change neither parameters nor matmul FLOP, so they
are read and stated, not modelled; what would change them (gated activations, RMSNorm,
grouped KV heads, experts, learned or relative position tables, local/sparse attention, a
tied GPT-J norm) is refused by name. The vocabulary is the tokenizer's, which the YAML
only names (`vocab-file`): `padded-vocab-size` if given, else `--vocab-size`, padded as NeoX
pads it (to a multiple of make-vocab-size-divisible-by × model-parallel-size).

Tokens = train-iters × global batch × seq-length, the global batch being `train_batch_size`
or micro-batch × gradient-accumulation × data-parallel size (devices / (pipe × model
parallel), from `--gpus`: the YAML holds no device count). Checkpoints (`save_steps`) are
NeoX's `is_save_iter`: `extra-save-iters`, multiples of `checkpoint-factor` (or its powers,
`checkpoint-scale: log`), and the last iteration. `finetune: true` (weights from `load`, iterations
and optimizer restarted) makes the phase fine-tuning.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..boundary.errors import InputError
from ..boundary.fields import load_mapping
from .base import Imported
from .recipe import Flags, Recipe, yaml_mapping

FRAMEWORK = "GPT-NeoX"
NEOX_SOURCE = "github.com/EleutherAI/gpt-neox @ ea7aefd (megatron/neox_arguments/neox_args.py, deepspeed_args.py)"
#: NeoX's defaults for the keys read here (NEOX_SOURCE); None: no default (required or derived)
NEOX_DEFAULTS: dict[str, Any] = {
    "pipe_parallel_size": 0, "model_parallel_size": 1, "make_vocab_size_divisible_by": 128,
    "pos_emb": "learned", "rotary_pct": 1.0, "gpt_j_residual": False, "gpt_j_tied": False,
    "no_weight_tying": False, "norm": "layernorm", "activation": "gelu", "intermediate_size": None,
    "expansion_factor": None, "mlp_multiple_of": 1, "num_kv_heads": None, "moe_num_experts": 1,
    "use_bias_in_attn_linear": True, "use_bias_in_mlp": True, "use_bias_in_norms": True,
    "use_qk_layernorm": False, "gradient_accumulation_steps": 1, "checkpoint_scale": "linear",
}
#: activations NeoX runs gated (megatron/model/activations.py): a different MLP shape
GATED = ("geglu", "reglu", "swiglu", "bilinear", "glu")
#: attention types with the dense causal T×T pattern `gpt_neox` counts
DENSE_ATTENTION = ("global", "flash")
#: position encodings without weights (rotary, ALiBi, sinusoidal, none)
WEIGHTLESS_POSITIONS = ("rotary", "alibi", "sinusoidal", "none")
CORE = ("num_layers", "hidden_size", "num_attention_heads", "seq_length")


def normalise(data: dict, source: str) -> dict:
    """Top-level keys with "-" read as "_", as NeoX does; a key spelt both ways is refused."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key).replace("-", "_")
        if name in out:
            raise InputError(f"given twice ({name.replace('_', '-')} and {name}): NeoX reads both as {name}; keep one",
                             source=source, field=str(key))
        out[name] = value
    return out


def sniff(path: Path) -> bool:
    data = yaml_mapping(path)
    if data is None:
        return False
    keys = {str(k).replace("-", "_") for k in data}
    return all(k in keys for k in CORE)


class _NeoX(Recipe):
    def __init__(self, path: Path):
        super().__init__(normalise(load_mapping(path), str(path)), str(path), FRAMEWORK, NEOX_DEFAULTS)

    def get(self, name: str) -> Any:
        return self.raw(name, NEOX_DEFAULTS.get(name))

    def on(self, name: str) -> bool:
        value = self.get(name)
        if not isinstance(value, bool):
            raise self.error(name, f"must be true or false, got {value!r}")
        return value

    def whole(self, name: str, default: int | None = None) -> int | None:
        """A whole number from the file (strictly parsed), else NeoX's default, else `default`."""
        if not self.has(name) or self.data[name] is None:
            self.read.add(name)
            value = NEOX_DEFAULTS.get(name)
            return default if value is None else value
        return self.count(name, allow_zero=True)


def _refuse(r: _NeoX, name: str, what: str) -> InputError:
    return r.error(name, f"{what} is not mapped onto the gpt_neox structure flopcount counts; give the model as a "
                   "config.json in a run plan")


def _architecture(r: _NeoX) -> None:
    """Refuse, by the key, what would change parameters or matmul FLOP beyond `gpt_neox`."""
    activation = r.get("activation")
    if activation in GATED:
        raise _refuse(r, "activation", f"a gated MLP ({activation})")
    if r.get("norm") not in ("layernorm", "te_layernorm") or not r.on("use_bias_in_norms"):
        raise _refuse(r, "norm" if r.get("norm") not in ("layernorm", "te_layernorm") else "use_bias_in_norms",
                      f"norm {r.get('norm')!r} (biased LayerNorm only)")
    if not r.on("use_bias_in_mlp"):
        raise _refuse(r, "use_bias_in_mlp", "an MLP without biases")
    if r.on("use_qk_layernorm"):
        raise _refuse(r, "use_qk_layernorm", "query/key LayerNorm")
    if r.on("gpt_j_tied"):
        raise _refuse(r, "gpt_j_tied", "a GPT-J block with one shared LayerNorm")
    if (r.whole("moe_num_experts") or 1) > 1:
        raise _refuse(r, "moe_num_experts", "a mixture of experts")
    if r.get("pos_emb") not in WEIGHTLESS_POSITIONS:
        raise _refuse(r, "pos_emb", f"{r.get('pos_emb')!r} positions (a learned or relative table adds weights)")
    config = r.raw("attention_config", None)
    if config is not None:
        if not isinstance(config, list) or not all(
                isinstance(e, list) and len(e) == 2 and isinstance(e[0], list) for e in config):
            raise r.error("attention_config", "must be a list of [[types], repeats] pairs")
        kinds = sorted({str(k) for types, _ in config for k in types} - set(DENSE_ATTENTION))
        if kinds:
            raise _refuse(r, "attention_config", f"attention type {', '.join(kinds)} (dense global/flash only)")


def _ffn(r: _NeoX, hidden: int) -> int:
    """NeoX's MLP width (megatron/model/transformer.py ParallelMLP): intermediate_size, else
    expansion_factor × hidden, else 4 × hidden; rounded up to a multiple of 2 × mlp_multiple_of."""
    if r.get("intermediate_size") is not None and r.get("expansion_factor") is not None:
        raise r.error("expansion_factor", "give intermediate-size or expansion-factor, not both (NeoX refuses both)")
    if r.get("intermediate_size") is not None:
        width = r.count("intermediate_size")
    elif r.get("expansion_factor") is not None:
        width = int(r.positive("expansion_factor") * hidden)
    else:
        width = 4 * hidden
    step = 2 * (r.whole("mlp_multiple_of") or 1)
    return -(-width // step) * step


def _vocab(r: _NeoX, flags: Flags, mp: int) -> tuple[int, str]:
    if r.get("padded_vocab_size") is not None:
        r.to("model.spec.vocab_size", "padded_vocab_size")
        return r.count("padded_vocab_size"), "padded-vocab-size as given"
    vocab = flags.count("vocab_size")
    if vocab is None:
        named = f" ({r.get('vocab_file')})" if r.get("vocab_file") else ""
        raise InputError(f"the vocabulary size comes from the tokenizer{named}, which the config only names: pass "
                         "--vocab-size (the tokenizer's size; flopcount pads it as NeoX does)", source=r.source,
                         field="--vocab-size")
    multiple = r.whole("make_vocab_size_divisible_by") * mp
    padded = -(-vocab // multiple) * multiple
    r.to("model.spec.vocab_size", "--vocab-size",
         f"padded to a multiple of make_vocab_size_divisible_by × model_parallel_size = {multiple}")
    return padded, f"--vocab-size {vocab:,} padded to {padded:,} (a multiple of {multiple})"


def _model(r: _NeoX, flags: Flags) -> tuple[dict, list[str]]:
    _architecture(r)
    layers, hidden, heads = r.count("num_layers"), r.count("hidden_size"), r.count("num_attention_heads")
    if hidden % heads:
        raise r.error("num_attention_heads", f"{heads} heads do not divide hidden-size {hidden} (NeoX refuses this)")
    kv = r.whole("num_kv_heads")
    if kv not in (None, heads):
        raise _refuse(r, "num_kv_heads", f"{kv} key/value heads for {heads} query heads (grouped-query attention)")
    mp = max(r.whole("model_parallel_size"), 1)
    vocab, vocab_note = _vocab(r, flags, mp)
    tied = not r.on("no_weight_tying")
    positions = r.get("pos_emb")
    rotary = r.positive("rotary_pct") if positions == "rotary" and r.has("rotary_pct") else \
        NEOX_DEFAULTS["rotary_pct"]
    parallel = r.on("gpt_j_residual")
    spec = {"model_type": "gpt_neox", "hidden_size": hidden, "num_hidden_layers": layers,
            "num_attention_heads": heads, "intermediate_size": _ffn(r, hidden), "vocab_size": vocab,
            "tie_word_embeddings": tied, "attention_bias": r.on("use_bias_in_attn_linear"),
            "use_parallel_residual": parallel, "rotary_pct": rotary,
            "max_position_embeddings": r.whole("max_position_embeddings", r.count("seq_length"))}
    r.to("model.spec", "num_layers, hidden_size, num_attention_heads, intermediate_size/expansion_factor, "
         f"no_weight_tying, use_bias_*, with NeoX's defaults ({NEOX_SOURCE})")
    notes = [f"{layers} layers × hidden {hidden} × {heads} heads, MLP {spec['intermediate_size']:,}, "
             f"{'tied' if tied else 'untied'} embeddings, vocabulary {vocab_note}",
             f"{positions} positions" + (f" on {rotary:g} of each head" if positions == "rotary" else "")
             + (", GPT-J parallel residual" if parallel else ", sequential residual")
             + ": neither changes parameters or matmul FLOP"]
    return spec, notes


def _global_batch(r: _NeoX, flags: Flags) -> tuple[int, str]:
    """NeoX's calculate_batch_parameters: train_batch_size, or micro × grad-acc × dp."""
    pp, mp = max(r.whole("pipe_parallel_size"), 1), max(r.whole("model_parallel_size"), 1)
    gpus = flags.count("gpus") or r.whole("global_num_gpus")
    if gpus is not None and gpus % (pp * mp):
        raise InputError(f"{gpus} devices is not a multiple of pipe × model parallel = {pp * mp}",
                         source=r.source, field="--gpus")
    dp = gpus // (pp * mp) if gpus is not None else None
    acc = r.whole("gradient_accumulation_steps")
    if r.has("gas") and r.raw("gas") != acc:
        raise r.error("gas", f"{r.raw('gas')!r} differs from gradient_accumulation_steps {acc} (NeoX reads only "
                      "the latter): give gradient_accumulation_steps")
    micro = r.whole("train_micro_batch_size_per_gpu")
    if r.get("train_batch_size") is not None:
        batch = r.count("train_batch_size")
        if micro is not None and dp is not None and batch != micro * acc * dp:
            raise r.error("train_batch_size", f"{batch} is not micro-batch {micro} × gradient accumulation {acc} × "
                          f"data-parallel {dp} (NeoX refuses this too)")
        r.to("phases[0].batch_size", "train_batch_size")
        return batch, f"train_batch_size {batch:,}"
    if micro is None:
        raise r.missing("batch size", "train_batch_size or train_micro_batch_size_per_gpu")
    if dp is None:
        raise InputError(f"train_micro_batch_size_per_gpu {micro} × gradient accumulation {acc} is per data-parallel "
                         "rank and the config holds no device count: pass --gpus N (devices in the run; data-parallel "
                         "size = N / (pipe × model parallel)) or give train_batch_size", source=r.source,
                         field="--gpus")
    r.to("phases[0].batch_size", "train_micro_batch_size_per_gpu", "gradient_accumulation_steps",
         "data-parallel size (--gpus / (pipe × model parallel))")
    return micro * acc * dp, (f"micro-batch {micro} × gradient accumulation {acc} × data-parallel {dp} "
                              f"({gpus} devices / pipe {pp} × model {mp})")


def save_steps(path: Path) -> list[int]:
    """The iterations NeoX saves a checkpoint at (megatron/training.py `is_save_iter`, plus
    step 0 when listed and the last iteration, which NeoX always saves), ascending."""
    r = _NeoX(path)
    if not r.has("train_iters"):
        raise r.missing("run length", "train-iters")
    last = r.count("train_iters")
    steps = {last}
    extra = r.raw("extra_save_iters", None)
    if extra is not None:
        if not isinstance(extra, list) or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s
                                                  for s in extra):
            raise r.error("extra_save_iters", "must be a list of whole numbers")
        steps |= {s for s in extra if s <= last}
    factor = r.raw("checkpoint_factor", None)
    if factor is not None:
        scale = r.get("checkpoint_scale")
        if scale == "linear":
            step = r.count("checkpoint_factor")
            steps |= set(range(step, last + 1, step))
        elif scale == "log":
            base = r.positive("checkpoint_factor")
            if base <= 1:
                raise r.error("checkpoint_factor", "must be above 1 with checkpoint-scale log")
            power = 1.0
            while int(power) <= last:
                steps.add(int(power))
                power *= base
        else:
            raise r.error("checkpoint_scale", f"must be linear or log, got {scale!r}")
    return sorted(steps)


def import_(path: Path, flags: Flags = Flags()) -> Imported:
    r = _NeoX(path)
    for key in CORE:
        if not r.has(key):
            raise r.missing(key.replace("_", "-"), key.replace("_", "-"))
    model, notes = _model(r, flags)
    seq = r.count("seq_length")
    if flags.seq_len is not None and flags.count("seq_len") != seq:
        raise InputError(f"--seq-len {flags.seq_len} contradicts seq-length {seq} in the config", source=str(path),
                         field="--seq-len")
    batch, how = _global_batch(r, flags)
    finetune = r.get("finetune") is True  # NeoX: load `load`'s weights, restart iterations and optimizer
    phase: dict[str, Any] = {"name": "training", "kind": flags.kind or ("fine-tuning" if finetune else "pre-training")}
    if finetune:
        r.read.update(("finetune", "load"))
        notes.append(f"finetune: true: read as fine-tuning of the checkpoint in load ({r.get('load')}), "
                     "counting this run's iterations only")
    if flags.tokens is not None:
        phase["tokens"] = flags.count("tokens")
        r.trace.pop("phases[0].batch_size", None)
        r.to("phases[0].tokens", "--tokens")
    elif r.has("train_iters"):
        phase.update(steps=r.count("train_iters"), batch_size=batch)
        r.to("phases[0].steps", "train_iters")
        notes.insert(0, f"global batch {batch:,} sequences ({how}) × {seq:,} tokens × {phase['steps']:,} iterations")
    else:
        raise r.missing("run length", "train-iters", "--tokens")
    r.to("seq_length", "seq_length")
    for key in ("checkpoint_factor", "checkpoint_scale", "extra_save_iters"):
        r.read.add(key)  # they decide the checkpoints (`save_steps`), not the run's total
    if r.get("checkpoint_activations") is True:
        notes.append("activation checkpointing re-runs forward work on the hardware; flopcount counts each forward "
                     "once (model FLOP)")
    return r.imported(path.stem, {"name": path.stem, "spec": model}, seq, [phase], notes)
