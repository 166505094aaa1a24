"""Build the transformers model a config.json describes, on the meta device.

Meta tensors carry shapes and dtypes but no data or memory, so a 405B model is built
and "run" in seconds. Routing in MoE models has no data on meta: the grouped-GEMM count
depends only on the total rows (tokens × top-k) — however tokens spread over experts —
which is what the analytic active-parameter count assumes. bf16 is used because
torch's CPU/meta grouped GEMM requires it; FLOP do not depend on precision.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from ..configs import spec_from_mapping
from ..errors import InputError
from ..fields import load_mapping
from ..spec import ModelSpec

ENCODERS = {"bert"}  # built as masked-LM models; every other supported type as causal LM
POSITION_LIMIT = {"gpt2": "n_positions", "bert": "max_position_embeddings"}
HF_ALIASES = {"RefinedWeb": "falcon", "RefinedWebModel": "falcon"}  # old Falcon configs' model_type


def build(path: str | Path, seq_len: int, *, device: str = "meta", dtype: Any = None,
          attn_implementation: str = "sdpa") -> tuple[Any, ModelSpec]:
    """(transformers model, flopcount spec) for a HF config.json; errors are InputError."""
    import torch
    import transformers

    data = load_mapping(path)
    spec = spec_from_mapping(data, str(path))  # validates with clean errors first
    model_type = data.get("model_type")
    if model_type is None:
        raise InputError("measuring needs a HuggingFace config.json (with model_type); a flopcount spec "
                         "has no transformers model to run", source=str(path), field="model_type")
    limit_field = POSITION_LIMIT.get(model_type)
    if limit_field and spec.positions and seq_len > spec.positions:
        raise InputError(f"seq_len {seq_len} exceeds the model's {spec.positions} learned positions",
                         source=str(path), field=limit_field)
    fields = {k: v for k, v in data.items() if k != "model_type"}
    model_type = HF_ALIASES.get(model_type, model_type)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            config = transformers.AutoConfig.for_model(model_type, **fields)
            auto = transformers.AutoModelForMaskedLM if model_type in ENCODERS else transformers.AutoModelForCausalLM
            with torch.device(device):
                model = auto.from_config(config, attn_implementation=attn_implementation,
                                         dtype=dtype or torch.bfloat16)
    except Exception as exc:  # transformers' validation raises many types; all mean "this config is bad"
        message = " ".join(str(exc).split())[:500]
        raise InputError(f"transformers {transformers.__version__} cannot build this model: {message}",
                         source=str(path), field="model_type") from None
    model.train()
    return model, spec


def token_inputs(batch: int, seq_len: int, device: str = "meta") -> dict[str, Any]:
    import torch
    return {"input_ids": torch.zeros(batch, seq_len, dtype=torch.long, device=device)}
