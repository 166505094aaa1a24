"""Build the transformers model a config.json describes, on the meta device.

Meta tensors carry shapes and dtypes but no data or memory, so a 405B model is built
and "run" in seconds. Routing in MoE models has no data on meta: the grouped-GEMM count
depends only on the total rows (tokens × top-k) — however tokens spread over experts —
which is what the analytic active-parameter count assumes. bf16 is used because
torch's CPU/meta grouped GEMM requires it; FLOP do not depend on precision.

The class is the config's `architectures[0]` (so multimodal and encoder-decoder models are
built whole), else the masked-LM class for encoders, else the causal-LM class. SDPA is
asked for and eager attention used where transformers has no SDPA path (gpt-oss's sinks).
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from ..boundary.errors import InputError
from ..boundary.fields import load_mapping

ENCODERS = {"bert"}  # built as masked-LM models when the config names no class
POSITION_LIMIT = {"gpt2": "n_positions", "bert": "max_position_embeddings"}
HF_ALIASES = {"RefinedWeb": "falcon", "RefinedWebModel": "falcon"}  # old Falcon configs' model_type


def config_path(path: str | Path) -> Path:
    path = Path(path)
    return path / "config.json" if path.is_dir() else path


def model_class(transformers: Any, data: dict, model_type: str) -> Any:
    """The class `architectures` names (if transformers has it), else the Auto class."""
    for name in data.get("architectures") or []:
        cls = getattr(transformers, name, None) if isinstance(name, str) else None
        if cls is not None:
            return cls
    return transformers.AutoModelForMaskedLM if model_type in ENCODERS else transformers.AutoModelForCausalLM


def build_from_mapping(data: dict, source: str, *, device: str = "meta", dtype: Any = None,
                       attn_implementation: str = "sdpa") -> Any:
    """The transformers model for a parsed config.json; every failure is an InputError."""
    import torch
    import transformers

    model_type = data.get("model_type")
    if not isinstance(model_type, str):
        raise InputError("measuring needs a HuggingFace config.json (with model_type); a flopcount spec "
                         "has no transformers model to run", source=source, field="model_type")
    fields = {k: v for k, v in data.items() if k not in ("model_type", "quantization_config")}
    model_type = HF_ALIASES.get(model_type, model_type)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            config = transformers.AutoConfig.for_model(model_type, **fields)
            cls = model_class(transformers, data, model_type)
            with torch.device(device):
                try:
                    model = _construct(cls, config, attn_implementation, dtype or torch.bfloat16)
                except ValueError as exc:
                    if "scaled_dot_product_attention" not in str(exc):
                        raise
                    model = _construct(cls, config, "eager", dtype or torch.bfloat16)
    except Exception as exc:  # transformers' validation raises many types; all mean "this config is bad"
        message = " ".join(str(exc).split())[:500]
        raise InputError(f"transformers {transformers.__version__} cannot build this model: {message}",
                         source=source, field="model_type") from None
    model.train()
    return model


def _construct(cls: Any, config: Any, attn: str, dtype: Any) -> Any:
    if hasattr(cls, "from_config"):
        return cls.from_config(config, attn_implementation=attn, dtype=dtype)
    return cls._from_config(config, attn_implementation=attn, dtype=dtype)


def build_spec(path: str | Path) -> Any:
    """The reader's spec for a config, or None where no reader knows its model_type."""
    from ..model.configs import spec_from_mapping
    from ..model.readers import READERS
    path = config_path(path)
    data = load_mapping(path)
    if data.get("model_type") in READERS or "flopcount_spec" in data:
        return spec_from_mapping(data, str(path))
    return None


def build(path: str | Path, seq_len: int, *, device: str = "meta", dtype: Any = None,
          attn_implementation: str = "sdpa") -> tuple[Any, Any]:
    """(transformers model, flopcount spec or None when no reader knows the family)."""
    from ..model.configs import spec_from_mapping
    from ..model.readers import READERS

    path = config_path(path)
    data = load_mapping(path)
    spec = None
    if data.get("model_type") in READERS or "flopcount_spec" in data:
        spec = spec_from_mapping(data, str(path))  # validates with clean errors first
    limit_field = POSITION_LIMIT.get(data.get("model_type", ""))
    if limit_field and spec is not None and spec.positions and seq_len > spec.positions:
        raise InputError(f"seq_len {seq_len} exceeds the model's {spec.positions} learned positions",
                         source=str(path), field=limit_field)
    model = build_from_mapping(data, str(path), device=device, dtype=dtype, attn_implementation=attn_implementation)
    return model, spec


def token_inputs(batch: int, seq_len: int, device: str = "meta") -> dict[str, Any]:
    import torch
    return {"input_ids": torch.zeros(batch, seq_len, dtype=torch.long, device=device)}


def sample_inputs(model: Any, batch: int, seq_len: int, *, target_len: int | None = None,
                  device: str = "meta") -> dict[str, Any]:
    """Inputs for one step: token ids; plus decoder ids for encoder-decoders; pixels for a
    pure vision model (its sequence is the image; seq_len is ignored)."""
    import torch
    config = model.config
    if getattr(config, "model_type", "") == "vit":
        size, channels = config.image_size, config.num_channels
        return {"pixel_values": torch.zeros(batch, channels, size, size, device=device, dtype=model.dtype)}
    inputs = token_inputs(batch, seq_len, device)
    if getattr(config, "is_encoder_decoder", False):
        inputs["decoder_input_ids"] = torch.zeros(batch, target_len or seq_len, dtype=torch.long, device=device)
    return inputs
