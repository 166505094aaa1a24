"""State-space readers: Mamba and FalconMamba (transformers' MambaForCausalLM layout)."""
from __future__ import annotations

import math

from ..blocks import Mamba, Norm
from ..fields import Fields
from ..spec import ModelSpec
from . import language_model, reader


@reader("mamba", "falcon_mamba")
def _mamba(f: Fields, name: str) -> ModelSpec:
    # modeling_mamba / modeling_falcon_mamba: each layer is an RMSNorm and a Mamba mixer
    # (FalconMamba adds weightless RMS norms on B, C and Δ); final norm_f; the LM head is
    # tied to the embedding by default. intermediate = expand · hidden; time_step_rank
    # "auto" = ceil(hidden / 16) (MambaConfig).
    d = f.count("hidden_size", 768)
    inner = f.count("intermediate_size", f.count("expand", 2) * d)
    rank = f.raw("time_step_rank", "auto")
    dt_rank = math.ceil(d / 16) if rank == "auto" else f.count("time_step_rank")
    mixer = Mamba(d, inner, f.count("state_size", 16), f.count("conv_kernel", 4), dt_rank,
                  bias=f.flag("use_bias", False), conv_bias=f.flag("use_conv_bias", True))
    layers = [(mixer, Norm(d, "rms"))] * f.count("num_hidden_layers", 32)
    return language_model(f, name, vocab=f.count("vocab_size", 50280), width=d, layers=layers,
                          tied=f.flag("tie_word_embeddings", True))
