"""The parsers of every fused attention kernel: op name -> `Call`, in two tables (`FORWARD`,
`BACKWARD`) filled once per name by `_register`. Kernels, layouts and masks: see
`measure.attention`."""
from __future__ import annotations

from typing import Any, Callable

from .attention_call import Call, bhsd, bshd, thd


def _window(left: Any, right: Any) -> dict[str, int]:
    return {"left": -1 if left is None else int(left), "right": -1 if right is None else int(right)}


def _bound(schema_args: tuple[str, ...], args: tuple, kwargs: dict) -> dict[str, Any]:
    return dict(zip(schema_args, args)) | kwargs


# -- parsers: op name -> Call ------------------------------------------------------------------
Parser = Callable[[tuple, dict], Call]
_ATEN_CU = ("cum_seq_q", "cum_seq_k", "max_q", "max_k")
FORWARD: dict[str, Parser] = {}
BACKWARD: dict[str, Parser] = {}


def _register(table: dict[str, Parser], *names: str) -> Callable[[Parser], Parser]:
    def register(fn: Parser) -> Parser:
        for name in names:
            if name in FORWARD or name in BACKWARD:
                raise ValueError(f"attention kernel {name} registered twice")
            table[name] = fn
        return fn
    return register


@_register(FORWARD, "aten::_scaled_dot_product_flash_attention", "aten::_scaled_dot_product_flash_attention_for_cpu")
def _sdpa_flash(args: tuple, kwargs: dict) -> Call:
    b = _bound(("query", "key", "value", "dropout_p", "is_causal"), args, kwargs)
    return bhsd(b["query"], b["key"], b["value"], causal=bool(b.get("is_causal", False)))


@_register(FORWARD, "aten::_scaled_dot_product_efficient_attention", "aten::_scaled_dot_product_cudnn_attention")
def _sdpa_efficient(args: tuple, kwargs: dict) -> Call:
    b = _bound(("query", "key", "value", "attn_bias", "compute_log_sumexp", "dropout_p", "is_causal"), args, kwargs)
    return bhsd(b["query"], b["key"], b["value"], causal=bool(b.get("is_causal", False)))


@_register(FORWARD, "aten::_scaled_dot_product_fused_attention_overrideable")
def _sdpa_overrideable(args: tuple, kwargs: dict) -> Call:
    b = _bound(("query", "key", "value", "attn_bias", "dropout_p", "is_causal"), args, kwargs)
    return bhsd(b["query"], b["key"], b["value"], causal=bool(b.get("is_causal", False)))


@_register(BACKWARD, "aten::_scaled_dot_product_flash_attention_backward")
def _sdpa_flash_bw(args: tuple, kwargs: dict) -> Call:
    b = _bound(("grad_out", "query", "key", "value", "out", "logsumexp", *_ATEN_CU, "dropout_p", "is_causal"),
               args, kwargs)
    return bhsd(b["query"], b["key"], b["value"], causal=bool(b.get("is_causal", False)))


@_register(BACKWARD, "aten::_scaled_dot_product_cudnn_attention_backward")
def _sdpa_cudnn_bw(args: tuple, kwargs: dict) -> Call:
    b = _bound(("grad_out", "query", "key", "value", "out", "logsumexp", "philox_seed", "philox_offset",
                "attn_bias", *_ATEN_CU, "dropout_p", "is_causal"), args, kwargs)
    return bhsd(b["query"], b["key"], b["value"], causal=bool(b.get("is_causal", False)))


@_register(BACKWARD, "aten::_scaled_dot_product_efficient_attention_backward")
def _sdpa_efficient_bw(args: tuple, kwargs: dict) -> Call:
    b = _bound(("grad_out_", "query", "key", "value", "attn_bias", "out", "logsumexp", "philox_seed",
                "philox_offset", "dropout_p", "grad_input_mask", "is_causal"), args, kwargs)
    return bhsd(b["query"], b["key"], b["value"], causal=bool(b.get("is_causal", False)))


@_register(BACKWARD, "aten::_scaled_dot_product_flash_attention_for_cpu_backward")
def _sdpa_cpu_bw(args: tuple, kwargs: dict) -> Call:
    b = _bound(("grad_out", "query", "key", "value", "out", "logsumexp", "dropout_p", "is_causal"), args, kwargs)
    return bhsd(b["query"], b["key"], b["value"], causal=bool(b.get("is_causal", False)))


@_register(BACKWARD, "aten::_scaled_dot_product_fused_attention_overrideable_backward")
def _sdpa_overrideable_bw(args: tuple, kwargs: dict) -> Call:
    b = _bound(("grad_out", "query", "key", "value", "attn_bias", "grad_input_mask", "out", "logsumexp",
                "cum_seq_q", "cum_seq_k", "max_q", "max_k", "dropout_p", "is_causal"), args, kwargs)
    return bhsd(b["query"], b["key"], b["value"], causal=bool(b.get("is_causal", False)))


def _flash(b: dict[str, Any], cu: tuple[str, str, str, str], causal: str, left: str, right: str,
           bottom_right: bool) -> Call:
    """Dense (B, S, H, D) or, with cumulative lengths, packed (T, H, D) flash layouts."""
    mask = dict(causal=bool(b.get(causal, False)), bottom_right=bottom_right, **_window(b.get(left), b.get(right)))
    if b.get(cu[0]) is not None:
        return thd(b["q"], b["k"], b["v"], b[cu[0]], b.get(cu[1]), b[cu[2]], b[cu[3]], **mask)
    return bshd(b["q"], b["k"], b["v"], **mask)


@_register(FORWARD, "aten::_flash_attention_forward")
def _aten_flash(args: tuple, kwargs: dict) -> Call:
    b = _bound(("q", "k", "v", *_ATEN_CU, "dropout_p", "is_causal"), args, kwargs)
    return _flash(b, _ATEN_CU, "is_causal", "window_size_left", "window_size_right", False)


@_register(BACKWARD, "aten::_flash_attention_backward")
def _aten_flash_bw(args: tuple, kwargs: dict) -> Call:
    b = _bound(("grad_out", "q", "k", "v", "out", "logsumexp", *_ATEN_CU, "dropout_p", "is_causal"), args, kwargs)
    return _flash(b, _ATEN_CU, "is_causal", "window_size_left", "window_size_right", False)


def _efficient(b: dict[str, Any]) -> Call:
    kind = int(b.get("custom_mask_type", 0) or 0)
    window = b.get("window_size")
    mask = dict(causal=kind in (1, 2), bottom_right=kind == 2, left=-1 if window is None else int(window))
    if b.get("cu_seqlens_q") is not None:
        return thd(b["q"], b["k"], b["v"], b["cu_seqlens_q"], b.get("cu_seqlens_k"), b["max_seqlen_q"],
                   b["max_seqlen_k"], **mask)
    return bshd(b["q"], b["k"], b["v"], **mask)


@_register(FORWARD, "aten::_efficient_attention_forward")
def _aten_efficient(args: tuple, kwargs: dict) -> Call:
    return _efficient(_bound(("q", "k", "v", "bias", "cu_seqlens_q", "cu_seqlens_k", "max_seqlen_q",
                              "max_seqlen_k", "dropout_p", "custom_mask_type"), args, kwargs))


@_register(BACKWARD, "aten::_efficient_attention_backward")
def _aten_efficient_bw(args: tuple, kwargs: dict) -> Call:
    return _efficient(_bound(("grad_out", "q", "k", "v", "bias", "out", "cu_seqlens_q", "cu_seqlens_k",
                              "max_seqlen_q", "max_seqlen_k", "logsumexp", "dropout_p", "philox_seed",
                              "philox_offset", "custom_mask_type"), args, kwargs))


def _cudnn(b: dict[str, Any]) -> Call:
    causal = bool(b.get("is_causal", False))
    if b.get("cum_seq_q") is not None and b["q"].dim() == 3:
        return thd(b["q"], b["k"], b["v"], b["cum_seq_q"], b.get("cum_seq_k"), b["max_q"], b["max_k"], causal=causal)
    return bhsd(b["q"], b["k"], b["v"], causal=causal)


@_register(FORWARD, "aten::_cudnn_attention_forward")
def _aten_cudnn(args: tuple, kwargs: dict) -> Call:
    return _cudnn(_bound(("q", "k", "v", "attn_bias", *_ATEN_CU, "compute_log_sumexp", "dropout_p", "is_causal"),
                         args, kwargs))


@_register(BACKWARD, "aten::_cudnn_attention_backward")
def _aten_cudnn_bw(args: tuple, kwargs: dict) -> Call:
    return _cudnn(_bound(("grad_out", "q", "k", "v", "out", "logsumexp", "philox_seed", "philox_offset",
                          "attn_bias", *_ATEN_CU, "dropout_p", "is_causal"), args, kwargs))


_VARLEN = ("cu_seq_q", "cu_seq_k", "max_q", "max_k", "is_causal")


def _torch_varlen(b: dict[str, Any]) -> Call:
    window = b.get("window_size") or [-1, -1]
    return thd(b["q"], b["k"], b["v"], b["cu_seq_q"], b.get("cu_seq_k"), b["max_q"], b["max_k"],
               causal=bool(b.get("is_causal", False)), left=int(window[0]), right=int(window[1]))


@_register(FORWARD, "torch_attn::_varlen_attn")
def _varlen(args: tuple, kwargs: dict) -> Call:
    return _torch_varlen(_bound(("q", "k", "v", *_VARLEN), args, kwargs))


@_register(FORWARD, "torch_attn::_varlen_attn_out")
def _varlen_out(args: tuple, kwargs: dict) -> Call:
    return _torch_varlen(_bound(("out", "q", "k", "v", *_VARLEN), args, kwargs))


@_register(BACKWARD, "torch_attn::_varlen_attn_backward")
def _varlen_bw(args: tuple, kwargs: dict) -> Call:
    return _torch_varlen(_bound(("grad_out", "q", "k", "v", "out", "lse", *_VARLEN), args, kwargs))


_FA = ("dropout_p", "softmax_scale", "causal", "window_size_left", "window_size_right")
_FA_CU = ("cu_seqlens_q", "cu_seqlens_k", "max_seqlen_q", "max_seqlen_k")
_NAMESPACES = ("flash_attn", "flashattn")


def _fa(b: dict[str, Any]) -> Call:
    return _flash(b, _FA_CU, "causal", "window_size_left", "window_size_right", True)


@_register(FORWARD, *(f"{ns}::_flash_attn_forward" for ns in _NAMESPACES))
def _fa_forward(args: tuple, kwargs: dict) -> Call:
    return _fa(_bound(("q", "k", "v", *_FA), args, kwargs))


@_register(FORWARD, *(f"{ns}::_flash_attn_varlen_forward" for ns in _NAMESPACES))
def _fa_varlen(args: tuple, kwargs: dict) -> Call:
    return _fa(_bound(("q", "k", "v", *_FA_CU, *_FA), args, kwargs))


@_register(BACKWARD, *(f"{ns}::_flash_attn_backward" for ns in _NAMESPACES))
def _fa_backward(args: tuple, kwargs: dict) -> Call:
    return _fa(_bound(("dout", "q", "k", "v", "out", "softmax_lse", "dq", "dk", "dv", *_FA), args, kwargs))


@_register(BACKWARD, *(f"{ns}::_flash_attn_varlen_backward" for ns in _NAMESPACES))
def _fa_varlen_bw(args: tuple, kwargs: dict) -> Call:
    return _fa(_bound(("dout", "q", "k", "v", "out", "softmax_lse", "dq", "dk", "dv", *_FA_CU, *_FA), args, kwargs))
