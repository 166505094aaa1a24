"""Defaults and conventions that are judgement calls, each with where it comes from."""
from __future__ import annotations

#: Hardware method utilisation (MFU) when none is given: an interval, not a point.
UTILIZATION_LOW = 0.30      # Epoch AI default for LLM training runs
UTILIZATION_HIGH = 0.50     # Commission Guidelines C(2025) 5045, Annex A.2 worked examples
UTILIZATION_SOURCE = ("30% (Epoch AI's default for LLMs, epoch.ai/blog/estimating-training-compute) to "
                      "50% (Commission Guidelines C(2025) 5045, Annex A.2 worked examples)")

#: Precision assumed for the hardware method when none is given.
DEFAULT_PRECISION = "bf16"  # the usual training precision of current LLMs

#: Estimates are acceptable within this relative error: Commission Guidelines C(2025) 5045,
#: Annex A.2 (any method accurate "within 30%" in the provider's best judgement).
ACCEPTED_ERROR = 0.30

#: Compute is notified in FLOP with this many significant figures (Guidelines §2.3.2).
REPORT_SIGNIFICANT_FIGURES = 2

#: Why the attention convention defaults to "windowed" (flopcount.model.blocks.ATTENTION_CONVENTIONS[0]):
#: the compute that counts is the compute executed (AI Act Art. 3(67)), and kernels compute
#: T² query-key pairs per head on global layers, masked or not (as torch's FlopCounterMode
#: and torchtitan count), and the window on sliding-window layers. "causal" counts only the
#: pairs a causal mask keeps (Megatron, the Llama 3 paper), which is how the example plans
#: reproduce published figures. Stated wherever the default is used.
DEFAULT_ATTENTION_REASON = ("the pairs kernels execute, T² per head on global layers as FlopCounterMode counts "
                            "and the window on sliding ones; causal, which the example plans use, counts only the "
                            "pairs the mask keeps")

#: Sequence length assumed when a plan or command gives tokens but no seq_len.
DEFAULT_SEQ_LEN = 2048  # GPT-3's context (Brown et al. 2020); stated in every output that uses it

#: Side in pixels of the image a Qwen-VL vision tower is counted for when the config gives
#: none: Qwen-VL reads native resolutions (processor min/max pixels), so any value is an
#: assumption; 448 px = 32 x 32 patches of 14 px = 256 language tokens, Gemma 3's count per
#: image. Stated in every output that uses it.
QWEN_VL_IMAGE_SIZE = 448

#: Compute-optimal tokens per parameter (Hoffmann et al. 2022, "Chinchilla").
CHINCHILLA_TOKENS_PER_PARAM = 20

#: Power usage effectiveness (facility energy / IT energy) for energy estimates.
PUE_LOW = 1.10   # Google fleet-wide trailing-twelve-month PUE, 2023 environmental report
PUE_HIGH = 1.58  # Uptime Institute Global Data Center Survey 2023, industry average
PUE_SOURCE = "1.10 (Google fleet, 2023) to 1.58 (Uptime Institute survey, 2023 average)"

#: Input limits for numbers (flopcount.boundary.numbers). Longest number text read: far beyond any
#: count (10^26 has 27 digits), short enough that a pathological input (`1e10000000`,
#: thousands of digits) cannot stall decimal parsing.
MAX_NUMBER_TEXT = 64
#: Largest power of ten a number may reach: 10^40 FLOP is 10^14 times the largest line in
#: force (data.thresholds); beyond it a typo, or an attack (int(10^10^7) takes minutes).
MAX_EXPONENT = 39

#: Tokens one measured step may hold (batch × sequence length). Meta tensors of the
#: inputs and activations must stay within int64 byte counts (torch refuses storage
#: above 2^63 bytes); 2^36 ≈ 6.9×10^10 tokens is ~4,000 × the largest published batches
#: (Llama 3.1 405B: 16M tokens per step), so no real step is refused.
MAX_MEASURED_TOKENS = 2**36

#: Layer counts read from a config (and any per-layer step or interval). Readers build
#: per-layer lists, so an unbounded count ("300B" layers) would exhaust memory; the
#: deepest published LLMs have ~100-200 layers (Llama 3.1 405B: 126), so 10^5 refuses
#: no real model.
MAX_LAYERS = 100_000

#: Hours in a day, for --gpus × --days (wall-clock days of continuous training).
HOURS_PER_DAY = 24

#: Shortest HMAC secret accepted for signing ledger rows: 16 bytes. HMAC's security
#: strength is that of its key, capped at 2L (NIST SP 800-107 Rev. 1 §5.3.4), so 16
#: random bytes give 128 bits; shorter (or guessable) secrets give less.
MIN_HMAC_SECRET_BYTES = 16

# The measured first step against the analytic count of the same batch: flopcount's own
# tolerance, not a legal figure. Measured and full analytic counts agree to ~1e-8 on every
# bundled architecture (rotary and router matmuls are the difference, benchmarks/accuracy);
# a gap of a whole percent means work the counter did not see (issue 31: a Triton kernel
# hiding the LM head is 5-25% of a step).
CROSS_CHECK_TOLERANCE = 0.01
