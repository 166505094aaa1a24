"""Dynamic shapes: steps priced from the length polynomial equal the measured count."""
from __future__ import annotations

import random
import warnings

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
warnings.simplefilter("ignore")

from flopcount.measure import count_step  # noqa: E402
from flopcount.measure.lengths import LengthModel  # noqa: E402
from flopcount.measure.meter import StepMeter  # noqa: E402
from flopcount.measure.result import Measurement  # noqa: E402


def _model(kind: str, **extra):
    from transformers import AutoConfig, AutoModelForCausalLM
    torch.manual_seed(0)
    sizes = {"llama": dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                           num_key_value_heads=2, vocab_size=128),
             "gpt2": dict(n_embd=32, n_layer=2, n_head=4, vocab_size=128, n_positions=512),
             "mistral": dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                             num_key_value_heads=2, vocab_size=128, sliding_window=24)}[kind]
    return AutoModelForCausalLM.from_config(AutoConfig.for_model(kind, **sizes, **extra))


def _run(meter: StepMeter, model, batch) -> int:
    meter.begin(batch)
    model(**batch, labels=batch["input_ids"]).loss.backward()
    model.zero_grad(set_to_none=True)
    return meter.end().total


@pytest.mark.parametrize("kind", ["llama", "gpt2", "mistral"])
def test_every_length_equals_its_measured_count(kind):
    """Batch 2 × random length 8–64 (HF dynamic padding), 24 steps: each step's count —
    measured, cached or priced from the polynomial — equals a fresh op-level count of that
    very batch. (Mistral's 24-token window is a mask to SDPA, which computes all L² scores
    on CPU: still one polynomial; a break is exercised in `test_polynomial_by_hand`.)"""
    model = _model(kind)
    meter = StepMeter(model)
    rng = random.Random(0)
    lengths = [8, 13, 21, 30] + [rng.randint(8, 64) for _ in range(20)]
    for length in lengths:
        batch = {"input_ids": torch.randint(0, 128, (2, length))}
        counted = _run(meter, model, batch)
        assert counted == count_step(model, {**batch, "labels": batch["input_ids"]}).total, length
        model.zero_grad(set_to_none=True)
    assert meter.priced > 0
    assert meter.measured + meter.priced + meter.cache.hits == len(lengths)


def test_outside_the_verified_range_is_measured():
    """Verified on 8…30, a step at 40 is measured, not extrapolated; it then widens the range."""
    model = _model("llama")
    meter = StepMeter(model)
    for length in (8, 13, 21, 30):
        _run(meter, model, {"input_ids": torch.randint(0, 128, (2, length))})
    assert meter.measured == 4
    _run(meter, model, {"input_ids": torch.randint(0, 128, (2, 17))})
    assert (meter.measured, meter.priced) == (4, 1)
    _run(meter, model, {"input_ids": torch.randint(0, 128, (2, 40))})
    assert (meter.measured, meter.priced) == (5, 1)
    family = next(iter(meter.families.values()))
    assert (family.low, family.high) == (8, 40)


def test_polynomial_by_hand():
    """A made-up count 3L² + 5L + 7 (one op) is fitted from L = 1, 2, 3, verified at 4
    (3·16 + 20 + 7 = 75), priced at 2.5 → refused (not a length); a count off by one at
    L = 10 discards the fit."""
    def m(length: int, off: int = 0) -> Measurement:
        out = Measurement(backend="torch")
        out.add("forward", "m", "mm", 3 * length**2 + 5 * length + 7 + off)
        return out
    model = LengthModel()
    for length in (1, 2, 3):
        model.add(length, m(length))
    assert model.predict(2) is None                 # not verified yet
    model.add(4, m(4))
    assert model.verified and model.predict(3).total == 3 * 9 + 15 + 7
    model.add(10, m(10, off=1))
    assert not model.verified and model.refits == 1 and model.predict(3) is None


def test_packed_documents_are_priced_per_document(tmp_path):
    """A packed row of documents of 10, 20 and 34 tokens (position ids restarting at 0,
    or HF's cu_seq_lens_q) is priced as the three documents: the sum of each one's
    measured count run alone (attention over 10² + 20² + 34² pairs, not 64²), and
    differs from one 64-token sequence."""
    from flopcount.callbacks.pytorch import StepTracker
    from flopcount.model.configs import spec_from_mapping
    from flopcount.run import ComputeMonitor
    model = _model("llama")
    spec = spec_from_mapping(model.config.to_dict(), "tiny-llama")
    alone = 0
    for length in (10, 20, 34):
        ids = torch.randint(0, 128, (1, length))
        alone += count_step(model, {"input_ids": ids, "labels": ids}, spec=spec, attention="causal",
                            causal_model=True).total
    ids = torch.randint(0, 128, (1, 64))
    positions = torch.cat([torch.arange(10), torch.arange(20), torch.arange(34)])[None]
    whole = count_step(model, {"input_ids": ids, "labels": ids}, spec=spec, attention="causal",
                       causal_model=True).total
    for extra in ({"position_ids": positions}, {"cu_seq_lens_q": torch.tensor([0, 10, 30, 64])}):
        monitor = ComputeMonitor("packed", flush_seconds=None, handle_signals=False)
        tracker = StepTracker(model, monitor, spec=spec)
        with tracker.step({"input_ids": ids, **extra}):
            pass
        assert monitor.training == alone < whole
    monitor = ComputeMonitor("padded", flush_seconds=None, handle_signals=False)
    with StepTracker(model, monitor, spec=spec).step({"input_ids": ids}):
        pass
    assert monitor.training == whole


def test_varlen_batches_are_keyed_by_their_documents():
    """Varlen kernels run Σ Lᵢ²: two packed batches of one shape but different documents
    must not share a cached count, nor a length polynomial; dense SDPA batches do."""
    from flopcount.measure.cache import family, signature
    model = _model("llama")
    ids = torch.zeros(1, 64, dtype=torch.long)
    a = {"input_ids": ids, "cu_seq_lens_q": torch.tensor([0, 10, 64])}
    b = {"input_ids": ids, "cu_seq_lens_q": torch.tensor([0, 32, 64])}
    assert signature(model, a) != signature(model, b) and family(model, a) is None
    positions = {"input_ids": ids, "position_ids": torch.cat([torch.arange(10), torch.arange(54)])[None]}
    assert signature(model, positions) == signature(model, {"input_ids": ids, "position_ids": torch.arange(64)[None]})
    model.config._attn_implementation = "flash_attention_2"
    assert signature(model, positions) != signature(model, {"input_ids": ids, "position_ids": torch.arange(64)[None]})
