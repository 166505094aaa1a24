"""Facts about training frameworks that importers need and recipes do not hold, each with
its source: model flavours named by a recipe, the defaults a framework fills in.

Flavours are written as the HuggingFace config.json fields of the same model, so the
architecture readers count them; each was transcribed from the framework file cited.
"""
from __future__ import annotations

TORCHTITAN_SOURCE = "github.com/pytorch/torchtitan @ 4a950ea (v0.2.2, the last TOML-configured release)"

#: torchtitan `TransformerModelArgs` (llama3) FFN width: 4·dim → ·2/3 → ·ffn_dim_multiplier →
#: rounded up to multiple_of (torchtitan/models/llama3/model/model.py FeedForward); written out.
_LLAMA3 = {"model_type": "llama", "vocab_size": 128256, "tie_word_embeddings": False}
_QWEN3 = {"model_type": "qwen3", "vocab_size": 151936, "head_dim": 128, "num_key_value_heads": 8}

#: (model.name, model.flavor) -> config.json fields. Source: torchtitan/models/llama3/__init__.py
#: (`llama3_args`) and torchtitan/models/qwen3/__init__.py (`qwen3_args`) at TORCHTITAN_SOURCE.
TORCHTITAN_FLAVORS: dict[tuple[str, str], dict] = {
    ("llama3", "debugmodel"): {**_LLAMA3, "hidden_size": 256, "num_hidden_layers": 6, "num_attention_heads": 16,
                               "num_key_value_heads": 16, "intermediate_size": 768, "vocab_size": 2048},
    ("llama3", "8B"): {**_LLAMA3, "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
                       "num_key_value_heads": 8, "intermediate_size": 14336},
    ("llama3", "70B"): {**_LLAMA3, "hidden_size": 8192, "num_hidden_layers": 80, "num_attention_heads": 64,
                        "num_key_value_heads": 8, "intermediate_size": 28672},
    ("llama3", "405B"): {**_LLAMA3, "hidden_size": 16384, "num_hidden_layers": 126, "num_attention_heads": 128,
                         "num_key_value_heads": 8, "intermediate_size": 53248},
    ("qwen3", "0.6B"): {**_QWEN3, "hidden_size": 1024, "num_hidden_layers": 28, "num_attention_heads": 16,
                        "intermediate_size": 3072, "tie_word_embeddings": True},
    ("qwen3", "1.7B"): {**_QWEN3, "hidden_size": 2048, "num_hidden_layers": 28, "num_attention_heads": 16,
                        "intermediate_size": 6144, "tie_word_embeddings": True},
    ("qwen3", "4B"): {**_QWEN3, "hidden_size": 2560, "num_hidden_layers": 36, "num_attention_heads": 32,
                      "intermediate_size": 9728, "tie_word_embeddings": True},
    ("qwen3", "8B"): {**_QWEN3, "hidden_size": 4096, "num_hidden_layers": 36, "num_attention_heads": 32,
                      "intermediate_size": 12288, "tie_word_embeddings": False},
    ("qwen3", "14B"): {**_QWEN3, "hidden_size": 5120, "num_hidden_layers": 40, "num_attention_heads": 40,
                       "intermediate_size": 17408, "tie_word_embeddings": False},
    ("qwen3", "32B"): {**_QWEN3, "hidden_size": 5120, "num_hidden_layers": 64, "num_attention_heads": 64,
                       "intermediate_size": 25600, "tie_word_embeddings": False},
}

#: torchtitan JobConfig defaults used when a TOML leaves the key out (torchtitan/config/job_config.py).
TORCHTITAN_DEFAULTS = {"training.local_batch_size": 8, "training.seq_len": 2048, "training.global_batch_size": -1,
                       "parallelism.data_parallel_replicate_degree": 1, "parallelism.data_parallel_shard_degree": -1,
                       "parallelism.tensor_parallel_degree": 1, "parallelism.pipeline_parallel_degree": 1,
                       "parallelism.context_parallel_degree": 1, "activation_checkpoint.mode": "selective"}

#: torchtitan Python registries (read statically, torchtitan_registry.py): each model args class
#: a registry may name -> (config.json model_type, the class's defaults for fields a flavour leaves
#: out). The v0.2.x classes (`<model>_args = {flavour: XModelArgs(...)}` in models/<model>/__init__.py)
#: at 4a950ea: llama3/model/args.py TransformerModelArgs, qwen3/model/args.py Qwen3ModelArgs,
#: deepseek_v3/model/args.py DeepSeekV3ModelArgs with moe/moe.py MoEArgs. The nested
#: `XModel.Config(...)` classes of the Python config system (#2386, 9810191) are read with no
#: defaults: a field a flavour leaves out is refused by name, never guessed.
TORCHTITAN_REGISTRY_SOURCE = {"v0.2": "github.com/pytorch/torchtitan @ 4a950ea (models/*/model/args.py)",
                              "config": "github.com/pytorch/torchtitan @ 9810191 (#2386, models/*/__init__.py)"}
TORCHTITAN_ARGS: dict[str, tuple[str, dict]] = {
    "TransformerModelArgs": ("llama", {"dim": 4096, "n_layers": 32, "n_heads": 32, "n_kv_heads": None,
                                       "vocab_size": 128256, "multiple_of": 256, "ffn_dim_multiplier": None}),
    "Qwen3ModelArgs": ("qwen3", {"dim": 1024, "n_layers": 28, "n_heads": 16, "n_kv_heads": 8, "vocab_size": 151936,
                                 "head_dim": 128, "hidden_dim": 3072, "enable_weight_tying": False,
                                 "moe_enabled": False}),
    "DeepSeekV3ModelArgs": ("deepseek_v3", {"vocab_size": 102400, "dim": 2048, "inter_dim": 10944,
                                            "moe_inter_dim": 1408, "n_layers": 27, "n_dense_layers": 1,
                                            "n_heads": 16, "moe_args.num_experts": 8,
                                            "moe_args.num_shared_experts": 1, "moe_args.top_k": 1,
                                            "q_lora_rank": 0, "kv_lora_rank": 512, "qk_nope_head_dim": 128,
                                            "qk_rope_head_dim": 64, "v_head_dim": 128}),
    "Llama3Model.Config": ("llama", {}),
    "DeepSeekV3Model.Config": ("deepseek_v3", {}),
}

MEGATRON_SOURCE = "github.com/NVIDIA/Megatron-LM @ d98e8a6"

#: Megatron's defaults for arguments a launch script leaves out: megatron/training/arguments.py
#: (make-vocab-size-divisible-by, position-embedding-type), megatron/core/model_parallel_config.py
#: (parallel sizes), megatron/core/transformer/transformer_config.py (add_bias_linear: on unless
#: --disable-bias-linear; moe_router_topk; MLA's --kv-lora-rank, --qk-head-dim, --qk-pos-emb-head-dim,
#: --v-head-dim; --mtp-num-layers) at MEGATRON_SOURCE. ffn_hidden_size and kv_channels
#: default to formulas of the width, written in the importer beside Megatron's own lines.
MEGATRON_DEFAULTS = {"make_vocab_size_divisible_by": 128, "position_embedding_type": "learned_absolute",
                     "tensor_model_parallel_size": 1, "pipeline_model_parallel_size": 1, "context_parallel_size": 1,
                     "add_bias_linear": True, "moe_router_topk": 2, "kv_lora_rank": 32, "qk_head_dim": 128,
                     "qk_pos_emb_head_dim": 64, "v_head_dim": 128, "mtp_num_layers": 0}

MAXTEXT_SOURCE = "github.com/AI-Hypercomputer/maxtext @ e591f30"

#: MaxText base.yml values for keys a model file and run config leave out
#: (src/maxtext/configs/base.yml at MAXTEXT_SOURCE). The two mesh axes base.yml leaves to
#: auto-sharding (-1: "recommended ... to be auto-sharded"; every other ici_/dcn_ axis is 1) and
#: per_device_batch_size 12.0, as base.yml sets them (checked again at 000b810, 2026).
MAXTEXT_DEFAULTS = {"head_dim": 128, "vocab_size": 32000, "logits_via_embedding": False, "num_experts": 1,
                    "num_experts_per_tok": 1, "mlp_activations": ["silu", "linear"], "decoder_block": "llama2",
                    "max_target_length": 2048, "gradient_accumulation_steps": 1, "per_device_batch_size": 12.0,
                    "ici_fsdp_parallelism": -1, "dcn_data_parallelism": -1}
#: MaxText's own model (base.yml's base_* keys at MAXTEXT_SOURCE): what a run config or launch line
#: with no model_name (or model_name "default") trains, before global_parameter_scale scales it.
MAXTEXT_DEFAULT_MODEL = {"base_emb_dim": 2048, "base_num_query_heads": 16, "base_num_kv_heads": 16,
                         "base_mlp_dim": 7168, "base_num_decoder_layers": 16}
#: MaxText decoder blocks flopcount maps, to the config.json model_type of the same structure.
MAXTEXT_BLOCKS = {"llama2": "llama", "mistral": "llama", "mixtral": "mixtral"}

#: transformers `TrainingArguments` defaults (transformers/training_args.py, transformers 5.x):
#: what a Trainer-based recipe (TRL, LLaMA-Factory) runs with when it leaves the key out.
HF_TRAINING_ARGS_DEFAULTS = {"per_device_train_batch_size": 8, "gradient_accumulation_steps": 1,
                             "num_train_epochs": 3.0, "max_steps": -1}

AXOLOTL_SOURCE = "github.com/axolotl-ai-cloud/axolotl @ 067b021"
#: Axolotl schema defaults (src/axolotl/utils/schemas/config.py, training.py at AXOLOTL_SOURCE).
AXOLOTL_DEFAULTS = {"sequence_len": 512, "micro_batch_size": 1, "gradient_accumulation_steps": 1, "num_epochs": 1.0}

LLAMAFACTORY_SOURCE = "github.com/hiyouga/LLaMA-Factory @ ff6d4d1"
#: LLaMA-Factory: TrainingArguments' defaults plus its own (src/llamafactory/hparams/data_args.py
#: cutoff_len; finetuning_args.py finetuning_type, lora_target) at LLAMAFACTORY_SOURCE.
LLAMAFACTORY_DEFAULTS = {**HF_TRAINING_ARGS_DEFAULTS, "cutoff_len": 2048}
#: LLaMA-Factory's stage settings (src/llamafactory/hparams/finetuning_args.py RLHFArguments:
#: pref_loss, ppo_epochs, ppo_buffer_size; generating_args.py max_new_tokens; data_args.py
#: mix_strategy) at LLAMAFACTORY_SOURCE.
LLAMAFACTORY_STAGE_DEFAULTS = {**LLAMAFACTORY_DEFAULTS, "pref_loss": "sigmoid", "ppo_epochs": 4,
                               "ppo_buffer_size": 1, "max_new_tokens": 1024, "mix_strategy": "concat"}
#: LLaMA-Factory's pref_loss values that run no reference model: `use_ref_model = stage == "dpo" and
#: pref_loss not in ["orpo", "simpo"]` (finetuning_args.py __post_init__), the same in v1
#: (v1/trainers/dpo_trainer.py creates the reference only for "sigmoid") at LLAMAFACTORY_SOURCE.
LLAMAFACTORY_REFERENCE_FREE_LOSSES = ("orpo", "simpo")
#: mix_strategy values under which a run's samples can exceed the sum of its (max_samples-capped)
#: datasets: interleave_over oversamples until every dataset is exhausted (data/data_utils.py
#: merge_dataset, `all_exhausted`) at LLAMAFACTORY_SOURCE.
LLAMAFACTORY_OVERSAMPLING = ("interleave_over",)
#: LLaMA-Factory v1 schema (src/llamafactory/v1/config/training_args.py TrainingArguments,
#: model_args.py ModelArguments, plugins/model_plugins/peft.py LoraParams: r 8, target_modules
#: "all" = every linear layer but the output heads) at LLAMAFACTORY_SOURCE: what a v1 YAML runs with when it leaves
#: the key out. max_steps None: the run is num_train_epochs long; global_batch_size None: one micro
#: batch per device per step (core/utils/batching.py BatchGenerator).
LLAMAFACTORY_V1_DEFAULTS = {"micro_batch_size": 1, "cutoff_len": 2048, "num_train_epochs": 3, "max_steps": None,
                            "global_batch_size": None, "batching_strategy": "normal", "cp_size": 1,
                            "pref_loss": "sigmoid", "peft_config.r": 8, "peft_config.target_modules": "all"}

TRL_SOURCE = "github.com/huggingface/trl @ f2cd577 (July 2026)"
#: TRL config defaults per trainer (trl/trainer/{sft,dpo,grpo}_config.py and model_config.py at
#: TRL_SOURCE), over TrainingArguments'. GRPO's beta has been 0.0 (no reference model) since
#: TRL 0.19; older recipes that rely on 0.04 must state it.
#: TRL ModelConfig (trl/trainer/model_config.py): the LoRA rank when use_peft is set without lora_r.
_TRL_COMMON = {**HF_TRAINING_ARGS_DEFAULTS, "lora_r": 16}
TRL_DEFAULTS = {
    "sft": {**_TRL_COMMON, "max_length": 1024, "packing": False},
    "dpo": {**_TRL_COMMON, "max_length": 1024, "beta": 0.1, "precompute_ref_log_probs": False},
    "grpo": {**_TRL_COMMON, "num_generations": 8, "max_completion_length": 512, "beta": 0.0,
             "num_iterations": 1, "use_vllm": False, "vllm_importance_sampling_correction": True},
    "trainer": dict(_TRL_COMMON),
}

NEMO1_SOURCE = ("github.com/NVIDIA/NeMo nemo/collections/nlp/models/language_modeling/megatron_gpt_model.py "
                "(NeMo 1.x), the cfg.get defaults of model_provider_func")
#: NeMo 1.x Megatron GPT: what the model is built with when the config leaves a key out (NEMO1_SOURCE:
#: `activation=cfg.get('activation', 'gelu')`, `bias=cfg.get('bias', True)`,
#: `share_embeddings_and_output_weights=cfg.get(..., True)`, `position_embedding_type=cfg.get(...,
#: 'learned_absolute')`), and Lightning's num_nodes default 1.
NEMO1_DEFAULTS = {"model.activation": "gelu", "model.bias": True, "model.share_embeddings_and_output_weights": True,
                  "model.position_embedding_type": "learned_absolute", "trainer.num_nodes": 1}

#: Axolotl's `trl:` keys for GRPO (and GDPO, the same trainer): a key left out is not passed to
#: TRL's GRPOConfig (src/axolotl/core/trainers/grpo/__init__.py set_training_args_kwargs at
#: AXOLOTL_SOURCE), so TRL's default holds (TRL_DEFAULTS["grpo"], trl/trainer/grpo_config.py at
#: TRL_SOURCE). max_completion_length is passed even when unset (None: no cap), so it has no default.
AXOLOTL_GRPO_DEFAULTS = {**AXOLOTL_DEFAULTS, "trl.num_generations": 8, "trl.num_iterations": 1,
                         "trl.use_vllm": False, "trl.vllm_importance_sampling_correction": True}

#: What each preference stage of the fine-tuning frameworks runs per example: `sequences` the
#: policy trains on (a pair in two rows: 2; a pair concatenated in one row, or one completion: 1),
#: `reference` whether a frozen reference model runs a forward over them every step (LoRA runs
#: without adapters count the same: the base model's forward), `kl` KTO's no-grad policy forward
#: over one mismatched completion per example (the reference runs over it too). Each row cites the
#: code that runs it.
PREFERENCE_STAGES: dict[tuple[str, str], dict] = {
    ("Axolotl", "dpo"): {"name": "DPO", "sequences": 2, "reference": True, "kl": False, "source":
                         f"{AXOLOTL_SOURCE} src/axolotl/core/builders/rl.py (DPOStrategy: TRL DPOTrainer with "
                         "model_ref), src/axolotl/train.py setup_reference_model; trl/trainer/dpo_trainer.py"},
    ("Axolotl", "ipo"): {"name": "IPO", "sequences": 2, "reference": True, "kl": False, "source":
                         f"{AXOLOTL_SOURCE} src/axolotl/core/trainers/dpo/__init__.py (TRL DPOTrainer, "
                         "loss_type ipo)"},
    ("Axolotl", "orpo"): {"name": "ORPO", "sequences": 2, "reference": False, "kl": False, "source":
                          f"{AXOLOTL_SOURCE} src/axolotl/train.py (no reference for ORPO), core/builders/rl.py "
                          "(AxolotlORPOTrainer, TRL trl/experimental/orpo/orpo_trainer.py)"},
    ("Axolotl", "simpo"): {"name": "SimPO", "sequences": 2, "reference": False, "kl": False, "source":
                           f"{AXOLOTL_SOURCE} src/axolotl/core/builders/rl.py (AxolotlCPOTrainer, loss_type "
                           "simpo; no reference is passed to it: TRL trl/experimental/cpo/cpo_trainer.py)"},
    ("Axolotl", "kto"): {"name": "KTO", "sequences": 1, "reference": True, "kl": True, "source":
                         f"{AXOLOTL_SOURCE} src/axolotl/core/builders/rl.py (AxolotlKTOTrainer, TRL's default "
                         "loss_type kto); trl/trainer/kto_trainer.py (calculate_KL, KL_input_ids under no_grad)"},
    ("LLaMA-Factory", "dpo"): {"name": "DPO", "sequences": 2, "reference": True, "kl": False, "source":
                               f"{LLAMAFACTORY_SOURCE} src/llamafactory/train/dpo/trainer.py (concatenated_forward "
                               "over chosen + rejected rows, compute_reference_log_probs)"},
    ("LLaMA-Factory", "kto"): {"name": "KTO", "sequences": 1, "reference": True, "kl": True, "source":
                               f"{LLAMAFACTORY_SOURCE} src/llamafactory/train/kto/trainer.py (forward over "
                               "target, kl_ forward under no_grad, reference over both)"},
    ("LLaMA-Factory", "rm"): {"name": "reward model", "sequences": 2, "reference": False, "kl": False, "source":
                              f"{LLAMAFACTORY_SOURCE} src/llamafactory/train/rm/trainer.py (PairwiseTrainer: "
                              "chosen and rejected rows)"},
    ("LLaMA-Factory v1", "dpo"): {"name": "DPO", "sequences": 1, "reference": True, "kl": False, "source":
                                  f"{LLAMAFACTORY_SOURCE} src/llamafactory/v1/trainers/dpo_trainer.py and "
                                  "core/rendering/rendering.py (chosen and rejected in one row, token_type_ids "
                                  "1/2, block-diagonal mask; truncated to cutoff_len with the row)"},
    ("LLaMA-Factory v1", "rm"): {"name": "reward model", "sequences": 1, "reference": False, "kl": False, "source":
                                 f"{LLAMAFACTORY_SOURCE} src/llamafactory/v1/trainers/rm_trainer.py (pair in one "
                                 "row, model_class cls)"},
}
