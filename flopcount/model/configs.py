"""Model config files -> `ModelSpec`.

Formats: a HuggingFace `config.json` (one reader per `model_type`, `flopcount.model.readers`),
flopcount's own spec file — version 1, the flat fields of a uniform transformer, or
version 2, towers of layer groups of blocks as `ModelSpec.to_dict()` writes them — and,
for an architecture no reader knows, the model transformers builds from the config on the
meta device (`flopcount.measure.fallback`, needs the `measure` extra).
"""
from __future__ import annotations

from dataclasses import fields as dataclass_fields, replace
from pathlib import Path
from typing import Callable

from .blocks import BLOCKS, Block
from ..boundary.errors import InputError
from ..boundary.fields import Fields, load_mapping
from .readers import READERS, head_dim
from .spec import TOWER_INPUTS, Layers, ModelSpec, Tower, decoder

#: Builds a spec for a `model_type` no reader knows: (config mapping, source, label) -> spec.
Fallback = Callable[[dict, "str | None", str], ModelSpec]

MLP_KINDS = ("gated", "plain")  # gated: SwiGLU/GeGLU, 3 matrices; plain: up + down
NORM_KINDS = ("rms", "layer")
NATIVE_KEY = "flopcount_spec"
NATIVE_FIELDS = {
    NATIVE_KEY: "format version (1)",
    "name": "model name",
    "n_layers": "transformer blocks",
    "d_model": "residual width",
    "n_heads": "query heads",
    "n_kv_heads": "key/value heads (default n_heads)",
    "head_dim": "per-head width (default d_model / n_heads)",
    "d_ff": "dense MLP hidden width",
    "vocab_size": "vocabulary size",
    "mlp": "gated (3 matrices) or plain (2)",
    "norm": "rms or layer",
    "tied_embeddings": "output head shares the embedding matrix",
    "causal": "decoder (true) or encoder (false)",
    "positions": "learned position embedding rows",
    "n_experts": "routed experts per MoE layer",
    "top_k": "experts per token",
    "d_ff_expert": "hidden width of one expert",
    "moe_layers": "number of MoE layers (default all when n_experts > 0)",
    "shared_expert_d_ff": "always-on shared expert width",
}
V2_FIELDS = ("flopcount_spec", "name", "causal", "image_tokens", "fixed_seq_len", "towers")


def _native_v1(f: Fields) -> ModelSpec:
    """flopcount's flat format: the fields of `NATIVE_FIELDS`, biases off."""
    f.only(NATIVE_FIELDS)
    d, heads = f.count("d_model"), f.count("n_heads")
    layers = f.count("n_layers")
    experts = f.count("n_experts", 0, allow_zero=True)
    kv = f.count("n_kv_heads", heads)
    if heads % kv:
        raise f.error("n_kv_heads", f"{kv} key/value heads do not divide {heads} query heads")
    top_k = f.count("top_k", 2 if experts else 0, allow_zero=True)
    moe_layers = f.count("moe_layers", layers if experts else 0, allow_zero=True)
    if moe_layers > layers:
        raise f.error("moe_layers", f"{moe_layers} exceeds n_layers {layers}")
    if experts and not 0 < top_k <= experts:
        raise f.error("top_k", f"must be between 1 and n_experts ({experts}), got {top_k}")
    return decoder(
        name=f.text("name", Path(f.source or "model").stem), n_layers=layers, d_model=d, n_heads=heads,
        n_kv_heads=kv, head_dim=head_dim(f, d, heads), d_ff=f.count("d_ff", 4 * d),
        vocab_size=f.count("vocab_size"), mlp=f.choice("mlp", MLP_KINDS, "gated"),
        norm=f.choice("norm", NORM_KINDS, "rms"), tied_embeddings=f.flag("tied_embeddings", False),
        causal=f.flag("causal", True), positions=f.count("positions", 0, allow_zero=True),
        n_experts=experts, top_k=top_k,
        d_ff_expert=f.count("d_ff_expert", f.count("d_ff", 4 * d) if experts else 0, allow_zero=True),
        moe_layers=moe_layers, shared_expert_d_ff=f.count("shared_expert_d_ff", 0, allow_zero=True),
        source=f.source or "")


def _block(f: Fields) -> Block:
    """One block of a version-2 spec: {kind: ..., its fields}; ints, bools, null windows."""
    kind = f.choice("kind", BLOCKS)
    cls = BLOCKS[kind]
    known = {fd.name: fd for fd in dataclass_fields(cls)}  # type: ignore[arg-type]
    f.only(["kind", *known])
    values = {}
    for name, fd in known.items():
        if not f.has(name):
            continue
        if fd.type in ("bool", "bool | None"):
            values[name] = f.flag(name)
        elif fd.type in ("str",):
            values[name] = f.text(name)
        else:
            values[name] = f.count(name, allow_zero=True)
    try:
        return cls(**values)
    except TypeError as exc:  # a required field missing
        raise f.error(None, f"incomplete {kind} block: {exc}") from None
    except ValueError as exc:  # a string field outside its choices
        raise f.error(None, f"{kind} block: {exc}") from None


def _native_v2(f: Fields) -> ModelSpec:
    """Towers of layer groups of blocks — exactly what `ModelSpec.to_dict()` writes."""
    f.only(V2_FIELDS)
    towers = []
    for t in f.items("towers"):
        t.only(("name", "input", "image_tokens", "stem", "layers", "head"))
        groups = []
        for g in (t.items("layers") if t.raw("layers", []) else []):
            g.only(("repeat", "blocks"))
            groups.append(Layers(g.count("repeat"), tuple(_block(b) for b in g.items("blocks"))))
        towers.append(Tower(
            t.text("name"), tuple(_block(b) for b in (t.items("stem") if t.raw("stem", []) else [])), tuple(groups),
            tuple(_block(b) for b in (t.items("head") if t.raw("head", []) else [])),
            input=t.choice("input", TOWER_INPUTS, "text"), image_tokens=t.count("image_tokens", 0, allow_zero=True)))
    if not any(t.input != "image" for t in towers):
        raise f.error("towers", "needs at least one tower whose input is text or target")
    return ModelSpec(f.text("name", Path(f.source or "model").stem), tuple(towers), causal=f.flag("causal", True),
                     source=f.source or "", image_tokens=f.count("image_tokens", 0, allow_zero=True),
                     fixed_seq_len=f.count("fixed_seq_len", 0, allow_zero=True))


def spec_from_mapping(data: dict, source: str | None = None, name: str | None = None, *,
                      fallback: Fallback | None = None) -> ModelSpec:
    """A `ModelSpec` from an already-parsed config mapping (HF config.json or native).

    An HF `model_type` without a reader goes to `fallback` when one is given, else is
    refused with the list of architectures flopcount reads."""
    f = Fields(data, source)
    if NATIVE_KEY in data:
        version = f.count(NATIVE_KEY)
        if version not in (1, 2):
            raise f.error(NATIVE_KEY, f"unsupported version {version}; this flopcount reads versions 1 and 2")
        spec = _native_v1(f) if version == 1 else _native_v2(f)
        return replace(spec, origin="spec-file")
    if "model_type" not in data:
        raise f.error("model_type", "missing: not a HuggingFace config.json (no model_type) nor a "
                      f"flopcount spec (no {NATIVE_KEY}). " + _alternatives())
    model_type = data["model_type"]
    if not isinstance(model_type, str):
        raise f.error("model_type", f"must be a string, got {model_type!r}")
    label = name or _label(source, model_type)
    if model_type in READERS:
        spec = READERS[model_type](f, label)
    elif fallback is None:
        raise f.error("model_type", f"unsupported architecture {model_type!r}. " + _alternatives())
    else:
        spec = fallback(data, source, label)
    return _quantized(f, spec)


def _quantized(f: Fields, spec: ModelSpec) -> ModelSpec:
    """State how a `quantization_config` is counted: weights stored in few bits are
    dequantized for every matmul (QLoRA, GPTQ/AWQ fine-tuning, DeepSeek's fp8 blocks), so the
    step's FLOP are the same matmuls at the compute precision; only the hardware method's
    peak depends on the precision (`--precision`)."""
    sub, text = f.raw("quantization_config", None), f.raw("text_config", None)
    if sub is None and isinstance(text, dict):
        sub = text.get("quantization_config")
    if sub is None:
        return spec
    if not isinstance(sub, dict):
        raise f.error("quantization_config", f"must be a mapping, got {sub!r}")
    method = sub.get("quant_method") or sub.get("quant_algo") or "unnamed method"
    bits = next((f"{sub[k]}-bit " for k in ("bits", "weight_bits") if isinstance(sub.get(k), int)), "")
    note = (f"quantization_config ({method}): {bits}weights are stored quantized and dequantized for each matmul, so "
            "FLOP are the same matmuls at the compute precision (1 multiply-add = 2 FLOP whatever the bit width); "
            "only the hardware method's peak depends on the precision (--precision)")
    return replace(spec, notes=spec.notes + (note,))


def _label(source: str | None, model_type: str) -> str:
    """A model's display name: its folder for `.../NAME/config.json`, else the file stem."""
    if not source:
        return model_type
    path = Path(source)
    return path.parent.name or path.stem if path.name == "config.json" else path.stem


def _alternatives() -> str:
    return (f"Supported model_type values: {', '.join(sorted(READERS, key=str.lower))}. For another architecture, "
            "install flopcount[measure] (transformers builds it on the meta device), write a flopcount spec file "
            f"({NATIVE_KEY}: 1 or 2), or give the parameter count directly with --params N --tokens D.")


#: What a folder stands for, in order: a model snapshot's config.json, else a PEFT
#: adapter's adapter_config.json (an adapter as saved or downloaded holds no config.json).
FOLDER_FILES = ("config.json", "adapter_config.json")


def config_file(path: str | Path, names: tuple[str, ...] = FOLDER_FILES) -> Path:
    """The file a path means: itself, or for a folder the first of `names` it holds."""
    path = Path(path)
    if not path.is_dir():
        return path
    found = next((path / n for n in names if (path / n).is_file()), None)
    if found is None:
        raise InputError(f"a folder without {' or '.join(names)}", source=str(path))
    return found


def load_spec(path: str | Path, name: str | None = None, *, fallback: Fallback | None = None) -> ModelSpec:
    """Read a model config: an HF config.json, a snapshot folder holding one, or a
    flopcount spec file (JSON or YAML)."""
    path = config_file(path, ("config.json",))
    return spec_from_mapping(load_mapping(path), str(path), name, fallback=fallback)


__all__ = ["READERS", "config_file", "load_spec", "spec_from_mapping"]
