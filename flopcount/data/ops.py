"""Operator tables for the measured counters.

MOVE_OPS: aten ops that only move, view, allocate or index data; they do no arithmetic, so
an op missing a FLOP formula is reported as "not counted" only if it is *not* here.

ELEMENT_COST: FLOP per output element for composite element-wise kernels, counted only
when element-wise counting is opted in (`elementwise=True`). Convention: one FLOP per
elementary arithmetic operation per element; e.g. softmax = max, subtract, exp, sum,
divide = 5 (as in Chinchilla, Hoffmann et al. 2022, App. F, which counts softmax per
element). Simple point-wise ops (torch.Tag.pointwise: add, mul, silu, ...) count 1.
"""
from __future__ import annotations

MOVE_OPS = frozenset({
    "view", "_unsafe_view", "reshape", "transpose", "t", "permute", "expand", "detach", "clone", "copy_",
    "_to_copy", "empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided", "zeros", "zeros_like",
    "new_zeros", "ones", "ones_like", "new_ones", "full", "full_like", "new_full", "fill_", "fill", "zero_",
    "slice", "slice_backward", "select", "select_backward", "index", "index_select", "gather", "cat", "stack",
    "split", "split_with_sizes", "unsqueeze", "squeeze", "embedding", "arange", "lift_fresh", "lift_fresh_copy",
    "alias", "as_strided", "contiguous", "_unsafe_index", "unbind", "narrow", "flatten", "scalar_tensor",
    "_local_scalar_dense", "item", "sym_size", "sym_stride", "sym_numel", "unfold", "repeat", "roll", "flip",
    "tril", "triu", "topk", "sort", "argsort", "histc", "bincount", "nonzero", "scatter", "index_put",
    "index_put_", "masked_fill", "masked_fill_", "where", "_safe_softmax_mask", "set_", "resize_", "view_as",
    "expand_as", "split_copy", "unsafe_split", "_reshape_alias", "diagonal", "movedim", "t_", "transpose_",
    "detach_", "_has_compatible_shallow_copy_type", "one_hot", "eq", "ne", "lt", "le", "gt", "ge",
    "logical_and", "logical_or", "logical_not", "bitwise_and", "bitwise_or", "bitwise_not", "any", "all",
    "isinf", "isnan", "_assert_async", "_foreach_zero_", "dropout", "native_dropout", "bernoulli_", "rand",
    "randn", "rand_like", "randn_like", "uniform_", "normal_", "floor_divide", "_unique2", "searchsorted",
})

ELEMENT_COST = {
    "_softmax": 5, "_log_softmax": 5, "_safe_softmax": 5, "_softmax_backward_data": 4,
    "_log_softmax_backward_data": 4, "native_layer_norm": 8, "native_layer_norm_backward": 16,
    "_fused_rms_norm": 6, "_fused_rms_norm_backward": 12, "native_batch_norm": 8,
    "_native_batch_norm_legit": 8, "_native_batch_norm_legit_no_training": 4, "native_batch_norm_backward": 16,
    "native_group_norm": 8, "native_group_norm_backward": 16, "sum": 1, "mean": 1, "var_mean": 3, "cumsum": 1,
    "max_pool2d_with_indices": 1, "avg_pool2d": 1, "_adaptive_avg_pool2d": 1, "embedding_dense_backward": 1,
    "mse_loss": 3, "nll_loss_forward": 1, "nll_loss_backward": 1, "norm": 2, "linalg_vector_norm": 2,
}

#: Ops fvcore counts in multiply-adds (1 per MAC); flopcount doubles them (1 MAC = 2 FLOP).
#: fvcore's other handlers (norms, pooling, upsampling) count per element and are kept
#: as they are, under the element-wise opt-in.
FVCORE_MAC_OPS = frozenset({  # the keys fvcore's matmul/conv handles report
    "addmm", "mm", "bmm", "matmul", "linear", "einsum", "conv", "_convolution", "baddbmm",
})

#: Op namespaces that move data between ranks or mark time, no arithmetic on the model's
#: work: collectives (c10d and its functional forms, as DTensor and FSDP2 issue them) and
#: the profiler's markers. Listed as not counted like any op without a formula, but never
#: taken for a custom kernel hiding a model's matmuls (`measure.check`).
NO_FLOP_NAMESPACES = frozenset({"c10d", "c10d_functional", "_c10d_functional", "_c10d_functional_autograd",
                                "_dtensor", "profiler", "record_stream"})
