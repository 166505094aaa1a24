"""HuggingFace `config.json` readers, one per `model_type`, registered with `@reader`.

Field defaults follow the transformers config classes, so a minimal config.json counts the
same model transformers would build; fields whose transformers default is tied to one model
size (e.g. Mistral's `num_key_value_heads = 8`) are required instead of guessed. A reader
returns a `ModelSpec` built from `flopcount.model.blocks`; adding a family is a reader here plus,
at most, one new block kind.
"""
from __future__ import annotations

from .registry import (LAYER_TYPES, READERS, Reader, head_dim, kv_heads, language_model, layer_types,  # noqa: F401
                       reader, runs, top_k)
from . import decoders, moe, ssm, encoders, multimodal  # noqa: E402,F401  (registration)
