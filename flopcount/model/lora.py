"""LoRA adapters over a `ModelSpec`: which matrices a recipe's target names adapt, how many
adapter weights that is, and what autograd skips in the first layer.

Targets arrive as the recipe wrote them — PEFT's transformers module names, Megatron's,
flopcount's own matrix names, fused names, groups — and are mapped here, in one place, onto
the blocks' matrices (`flopcount.data.lora_targets`). A fused projection (Megatron's
linear_qkv, transformers' qkv_proj) gets one adapter over its fused output, as every
framework builds it. `flopcount.model.formulas.training_flops` uses the counts.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .blocks import FLOP_PER_MAC, Attention, LatentAttention, MLP, MoE, Seq
from ..data.lora_targets import ALL_LINEAR, FUSED, FUSED_MLP, MODULE_PARENTS, MODULES, REGEX, TARGET_NAMES
from ..boundary.errors import InputError
from .spec import ModelSpec

#: flopcount's own names for the matrices of a Llama-shaped layer (error messages list them)
LORA_TARGETS = ("q", "k", "v", "o", "gate", "up", "down")
#: groups are resolved against the model's own layers (`block_adapters`: all-linear on a
#: DeepSeek-V3 is q_a, q_b, kv_a, kv_b, o, ..., not a Llama list), so each expands to itself
#: wherever a caller expands groups before the model is known
LORA_GROUPS = {"attention": ("attention",), "mlp": ("mlp",), "all-linear": ("all-linear",)}


def config_model_type(source: str) -> str | None:
    """The `model_type` of the Hugging Face config.json a spec was read from (its `source`),
    or None when the spec came from elsewhere (a flopcount spec file, a mapping, no file):
    LoRA names are then taken as written, unchecked against the model's modules."""
    path = Path(source) if source else None
    if path is None or path.suffix != ".json" or not path.is_file():
        return None
    try:
        value = json.loads(path.read_text()).get("model_type")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _layer_blocks(spec: ModelSpec) -> list[tuple[int, object]]:
    return [(g.count, blk) for g in spec.language.layers for blk in g.blocks]


@dataclass(frozen=True)
class LoraAdapter:
    """One adapter in one block: A (n_in × r) then B (r × n_out) beside the matrices it
    adapts — one matrix, or several stacked on their output side (a fused projection)."""

    parts: tuple[str, ...]
    n_in: int
    n_out: int


def lora_names(targets: tuple[str, ...]) -> tuple[str, ...]:
    """Targets as any framework writes them (`data.lora_targets`) -> flopcount's names:
    block matrices, fused matrices (`FUSED`) or groups, in order, without repeats."""
    out: list[str] = []
    for t in targets:
        row = TARGET_NAMES.get(t)
        out.extend(row.targets if row else ("all-linear",) if t in ALL_LINEAR else (t,))
    return tuple(dict.fromkeys(out))


def _group(blk: object, name: str) -> bool:
    """Whether a group name covers this block's matrices."""
    return (name == "all-linear" or name == "attention" and isinstance(blk, (Attention, LatentAttention))
            or name == "mlp" and isinstance(blk, MLP))


def block_adapters(blk: object, names: tuple[str, ...]) -> list[LoraAdapter]:
    """The adapters `names` (from `lora_names`) put in one block. A fused name applies to a
    block that has all its required parts and adapts those plus the optional ones it has
    (`gate_up` on a plain MLP is its up projection, as Megatron's linear_fc1 is); fused parts
    must read the same input. A matrix adapted twice is refused."""
    shapes = blk.lora()  # type: ignore[attr-defined]
    adapters = []
    for name in names:
        if name in LORA_GROUPS:
            adapters += [LoraAdapter((m,), *shapes[m]) for m in shapes if _group(blk, name)]
        elif name in FUSED:
            required, optional = FUSED[name]
            if all(p in shapes for p in required):
                parts = tuple(p for p in optional + required if p in shapes)
                if len({shapes[p][0] for p in parts}) > 1:
                    raise InputError(f"fused LoRA target {name!r} stacks {', '.join(parts)}, whose inputs differ "
                                     f"in width here", field="lora.targets")
                adapters.append(LoraAdapter(parts, shapes[parts[0]][0], sum(shapes[p][1] for p in parts)))
        elif name in shapes:
            adapters.append(LoraAdapter((name,), *shapes[name]))
    parts = [p for a in adapters for p in a.parts]
    twice = sorted({p for p in parts if parts.count(p) > 1})
    if twice:
        raise InputError(f"LoRA targets adapt {', '.join(twice)} twice (a fused name and its parts, or a "
                         "group and a member); name each matrix once", field="lora.targets")
    return adapters


def regex_names(pattern: str, names) -> tuple[str, ...]:
    """The module names a PEFT regex selects: full match on the name or on its path in a
    decoder layer (`MODULE_PARENTS`), as PEFT matches full module names."""
    compiled = re.compile(pattern)
    return tuple(n for n in names if any(compiled.fullmatch(full) for full in
                                         (n, *(f"model.layers.0.{p}.{n}" for p in MODULE_PARENTS))))


def _architecture(spec: ModelSpec, targets: tuple[str, ...]) -> tuple[str, ...]:
    """Targets checked against the modules transformers builds for the spec's model_type
    (`MODULES`), where its config.json is known: a transformers name the model lacks is
    refused (PEFT would find nothing), "all-linear" becomes the modules PEFT wraps, a regex
    the modules it matches. Elsewhere a regex matches the transformers names flopcount knows
    (one that matches a fused name and its parts then adapts a matrix twice: refused)."""
    model_type = config_model_type(spec.source)
    present = MODULES.get(model_type or "")
    known = present or tuple(n for n, row in TARGET_NAMES.items() if row.framework.startswith("Hugging Face"))
    out: list[str] = []
    for t in targets:
        row = TARGET_NAMES.get(t)
        if present is not None and row is not None and row.framework.startswith("Hugging Face") and t not in present:
            fused = "fused module" if set(row.targets) & set(FUSED) else "module"
            raise InputError(f"{fused} {t!r} is not in {spec.name} ({model_type}), whose layers have "
                             f"{', '.join(present)}", field="lora.targets")
        if t.startswith(REGEX):
            matched = regex_names(t[len(REGEX):], known)
            if not matched:
                raise InputError(f"regex {t[len(REGEX):]!r} matches none of {spec.name}'s modules "
                                 f"({', '.join(known)})", field="lora.targets")
            out.extend(matched)
        else:
            out.extend(present if present is not None and t in ALL_LINEAR else (t,))
    return tuple(dict.fromkeys(out))


def lora_targets(spec: ModelSpec, targets: tuple[str, ...]) -> tuple[str, ...]:
    """The flopcount names (matrices, fused matrices, groups) `targets` mean for this model,
    checked: every name must adapt something; MLP-side names are refused on a model with MoE
    layers, where the same module names also cover shared (PEFT) or every routed
    (Megatron linear_fc1/fc2) expert, which is not modelled."""
    names = lora_names(_architecture(spec, targets))
    blocks = [blk for _, blk in _layer_blocks(spec)]
    known = sorted({m for blk in blocks for m in blk.lora()})  # type: ignore[attr-defined]
    mlp_side = {"gate", "up", "down", "mlp", "all-linear", *FUSED_MLP}
    if any(isinstance(blk, MoE) for blk in blocks) and mlp_side & set(names):
        raise InputError(f"{', '.join(targets)} on {spec.name}: in its mixture-of-experts layers these names also "
                         "adapt the shared experts (PEFT, transformers module names) or every routed expert "
                         "(Megatron linear_fc1/linear_fc2), which flopcount does not model; target the attention "
                         "matrices, or describe the run with trainable: {weights: N}", field="lora.targets")
    for target in targets:
        if not any(block_adapters(blk, lora_names(_architecture(spec, (target,)))) for blk in blocks):
            if target == "gate" and "up" in known:
                raise InputError(f"{spec.name} has no gate projection (plain MLP)", field="lora.targets")
            raise InputError(f"unknown LoRA target {target!r} for {spec.name}; its layers have {', '.join(known)} "
                             f"(fused: {', '.join(FUSED)}; groups: {', '.join(LORA_GROUPS)}; or a framework's "
                             "module name, flopcount.data.lora_targets)", field="lora.targets")
    return names


def lora_weights(spec: ModelSpec, rank: int, targets: tuple[str, ...]) -> int:
    """Adapter weights A (r × d_in) + B (d_out × r) over every adapter the targets put in the
    language model's layers. Targets: the blocks' matrix names (q, k, v, o, gate, up, down;
    q_a, q_b, kv_a, kv_b for latent attention; in_proj ... for Mamba), fused matrices (qkv,
    gate_up: one adapter over the stacked output, as Megatron's linear_qkv / linear_fc1 and
    transformers' qkv_proj / gate_up_proj get), groups resolved against the model's own
    layers (all-linear: every matrix of every layer; attention; mlp), or any framework's
    module name in `flopcount.data.lora_targets` (`lora_targets` checks them). MoE layers
    take no adapters (refused)."""
    names = lora_targets(spec, targets)
    return sum(count * rank * (a.n_in + a.n_out) for count, blk in _layer_blocks(spec)
               for a in block_adapters(blk, names))


#: what each matrix reads inside a block, in dataflow order: "x" is the block's input,
#: "core" the attention scores and values (their backward runs whole, as a fused SDPA
#: kernel computes dQ, dK and dV together, when any of its inputs needs a gradient); the
#: last entry is the block's output. Latent attention: arXiv:2405.04434 §2.1 (q_a → norm →
#: q_b; kv_a → norm → kv_b, kv_a's rope part entering the keys directly).
FLOW = {Attention: {"q": ("x",), "k": ("x",), "v": ("x",), "core": ("q", "k", "v"), "o": ("core",)},
        LatentAttention: {"q": ("x",), "q_a": ("x",), "q_b": ("q_a",), "kv_a": ("x",), "kv_b": ("kv_a",),
                          "core": ("q", "q_b", "kv_a", "kv_b"), "o": ("core",)},
        MLP: {"gate": ("x",), "up": ("x",), "down": ("gate", "up")}}


def _block_savings(blk: object, adapters: list[LoraAdapter], x_grad: bool, seq: Seq, rank: int) -> tuple[int, bool]:
    """Backward FLOP autograd skips in one block of layer 0, and whether its output needs
    a gradient. A matrix whose input needs none gets no input gradient (mac·in·out), nor
    does its adapter's A (mac·in·r); the output needs one once the input does or an
    adapter on the way trains."""
    flow, shapes = FLOW[type(blk)], blk.lora()  # type: ignore[attr-defined]
    mac = FLOP_PER_MAC * seq.tokens
    adapted = {p for a in adapters for p in a.parts}
    grad, saved = {"x": x_grad}, 0
    for node, inputs in flow.items():
        needs = any(grad.get(i, False) for i in inputs)
        if node == "core" and not needs:
            saved += 2 * blk.flops(seq).attention  # type: ignore[attr-defined]
        elif node in shapes and not needs:
            saved += mac * shapes[node][0] * shapes[node][1]
        grad[node] = needs or node in adapted
    saved += sum(mac * a.n_in * rank for a in adapters if not any(grad[i] for i in flow[a.parts[0]]))
    return saved, grad[next(reversed(flow))]


def first_layer_savings(spec: ModelSpec, seq_len: int, attention: str, rank: int, targets: tuple[str, ...]) -> int:
    """Activation-gradient FLOP autograd skips in layer 0 of a LoRA fine-tune.

    The layer's input (frozen embeddings) needs no gradient, so the matrices reading it get
    no input gradient, nor do their adapters' A matrices; what follows needs input gradients
    only once something before it trains (`FLOW`). A fused adapter has one A over the fused
    input. Checked op by op against the measured count (tests/test_measure.py: every Llama
    target set; tests/test_lora_targets.py: fused Phi-3 projections and DeepSeek-V3's latent
    attention). Needs a first layer of one attention block (standard or latent) and one MLP
    or MoE; a MoE whose input needs no gradient is refused (its expert gradients are not
    modelled).
    """
    first = [blk for blk in spec.language.layers[0].blocks if blk.lora() or isinstance(blk, MoE)]
    kinds = [type(blk) for blk in first]
    if len(first) != 2 or kinds[0] not in (Attention, LatentAttention) or kinds[1] not in (MLP, MoE):
        raise InputError(f"exact LoRA counts need a first layer of attention + MLP; {spec.name}'s is "
                         f"{', '.join(blk.kind for blk in spec.language.layers[0].blocks)}", field="lora")
    seq, names = Seq(seq_len, attention), lora_targets(spec, targets)
    saved, grad = _block_savings(first[0], block_adapters(first[0], names), False, seq, rank)
    if isinstance(first[1], MoE):
        if not grad:
            raise InputError(f"{spec.name}: LoRA with nothing trained before its first MoE layer is not modelled",
                             field="lora")
        return saved
    return saved + _block_savings(first[1], block_adapters(first[1], names), grad, seq, rank)[0]


