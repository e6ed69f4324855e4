"""Attention: ``scaled_dot_product_attention`` (softmax(Q K^T * scale + mask) V) and the multi-head
composition behind ``nn.MultiheadAttention`` (``multi_head_attention_forward``), with PyTorch's checks.

Both are composed from differentiable tensor ops (matmul, softmax, dropout, linear, ...), so autograd
needs no attention-specific backward.
"""
import math
import warnings

import numpy as np

from ... import _creation, _dtype, _parser_errors
from ..._functions import cat
from ...backends.cuda import _sdp_enabled as _SDP_ENABLED
from ..._ops._util import broadcast_error
from ..._ops.arithmetic import MulScalar
from ..._tensor import Tensor
from ..._written_call import written_keywords
from ...autograd import grad as autograd_grad
from ...autograd._graph_backward import gradients_without_derivative
from ...autograd import forward_ad
from ...autograd.grad_mode import enable_grad
from ...autograd.graph import Node, records
from ._args import REQUIRED, _tp_name, is_float_arg, missing_arguments
from .activation import SafeSoftmax, softmax
from .dropout import dropout
from .linear import linear
from .padding import pad

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


# ---------------------------------------------------------------------------- scaled_dot_product_attention
def _check_sdpa_arguments(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa):
    """The TypeErrors of PyTorch's argument parser, in the order of its signature. They name the position of an
    argument the call passed by position (read back from the call as written; where that cannot be read, query,
    key and value are taken as passed by position, the others by keyword: the usual call)."""
    fn = "scaled_dot_product_attention"
    arguments = [("query", query, "Tensor", False), ("key", key, "Tensor", False), ("value", value, "Tensor", False),
                 ("attn_mask", attn_mask, "Tensor", True), ("dropout_p", dropout_p, "float", False),
                 ("is_causal", is_causal, "bool", False), ("scale", scale, "float", True),
                 ("enable_gqa", enable_gqa, "bool", False)]
    accepts = {"Tensor": lambda arg: isinstance(arg, Tensor), "float": is_float_arg,
               "bool": lambda arg: arg.__class__ is bool}
    for position, (name, arg, kind, optional) in enumerate(arguments, start=1):
        if not (accepts[kind](arg) or (optional and arg is None)):
            if arg is REQUIRED:  # (the parser names it and every required one after it, given or not)
                raise missing_arguments(fn, ["query", "key", "value"][position - 1:])
            raise TypeError(f"{fn}(): argument '{name}'{_written_position(name, position)} must be {kind}, not "
                            f"{_tp_name(arg)}")


def _written_position(name, position):
    """" (position n)" where the failing call passed ``name`` by position (scale and enable_gqa are keyword-only)."""
    keywords = written_keywords()
    if keywords is None:  # (unreadable: the usual call)
        by_position = name in ("query", "key", "value")
    else:
        by_position = name not in keywords and name not in ("scale", "enable_gqa")
    return f" (position {position})" if by_position else ""


def _validate_sdpa_input(query, key, value, attn_mask):
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_dtype.cpp_name(query.dtype)} key.dtype: {_dtype.cpp_name(key.dtype)} and value.dtype: "
                           f"{_dtype.cpp_name(value.dtype)} instead.")
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{query.dim()} key.dim: {key.dim()} and value.dim: {value.dim()} instead.")
    if attn_mask is not None and attn_mask.dtype not in (_dtype.bool, _dtype.float32, query.dtype):
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {_dtype.cpp_name(attn_mask.dtype)} and  query.dtype: "
                           f"{_dtype.cpp_name(query.dtype)} instead.")


def _fits(size, target):
    return size == target or size == 1


def _fused_cpu_kernel_applies(query, key, value, attn_mask, dropout_p, enable_gqa):
    """Whether PyTorch's CPU dispatcher picks its fused (flash) kernel rather than the composite one.

    The two compute the same numbers, but not the same errors: the fused kernel takes ``is_causal``
    together with a mask (applying both), refuses a negative ``dropout_p``, and its shape test reads
    ``attn_mask.size(-2)``, failing on a mask of fewer than two dims. The tests run in PyTorch's order.
    """
    if dropout_p > 0 or not query.dim() == key.dim() == value.dim() == 4:
        return False
    if not query.size(0) == key.size(0) == value.size(0):
        return False
    q_heads, k_heads, v_heads = query.size(1), key.size(1), value.size(1)
    if enable_gqa:
        if k_heads != v_heads or q_heads % k_heads != 0:
            return False
    elif not q_heads == k_heads == v_heads:
        return False
    if attn_mask is not None:
        if attn_mask.requires_grad:
            return False
        if not (_fits(attn_mask.size(-2), query.size(2)) and _fits(attn_mask.size(-1), key.size(2))):
            return False
        if attn_mask.dim() == 4:
            if not (_fits(attn_mask.size(0), query.size(0)) and _fits(attn_mask.size(1), q_heads)):
                return False
        elif attn_mask.dim() != 2:
            return False
    if not query.size(-1) == key.size(-1) == value.size(-1):
        return False
    return query.size(2) > 0 and key.size(2) > 0 and value.size(2) > 0


def _additive_mask(attn_mask, dtype):
    """A bool mask (True = take part) as 0 / -inf in ``dtype``; a float mask as it is."""
    if attn_mask is None or attn_mask.dtype != _dtype.bool:
        return attn_mask
    return _creation.zeros(tuple(attn_mask.shape), dtype=dtype).masked_fill_(attn_mask.logical_not(), float("-inf"))


def _causal_bias(target_len, source_len, dtype):
    """0 on and below the main diagonal of an (L, S) matrix, -inf above: the top-left aligned causal mask."""
    allowed = _creation.ones((target_len, source_len), dtype=_dtype.bool).tril()
    return _additive_mask(allowed, dtype)


def _repeat_heads(query, key, value):
    """Grouped-query attention: each of the H_kv key/value heads serves H_q / H_kv consecutive query heads."""
    q_heads, k_heads, v_heads = query.size(-3), key.size(-3), value.size(-3)
    if q_heads == k_heads == v_heads:
        return key, value
    if q_heads % k_heads != 0 or q_heads % v_heads != 0:
        raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
    return key.repeat_interleave(q_heads // k_heads, -3), value.repeat_interleave(q_heads // v_heads, -3)


def _add_in_place_shape(scores, bias):
    """PyTorch adds the mask to the scores in place: it must broadcast to their shape without enlarging it."""
    error = broadcast_error(tuple(scores.shape), tuple(bias.shape))
    if error is not None:
        raise error
    target = tuple(scores.shape)
    ndim = max(len(target), bias.dim())
    padded = (1,) * (ndim - bias.dim()) + tuple(bias.shape)
    full = (1,) * (ndim - len(target)) + target
    broadcast = tuple(b if t == 1 else t for t, b in zip(full, padded))
    if broadcast != target:
        raise RuntimeError(f"output with shape {list(target)} doesn't match the broadcast shape {list(broadcast)}")


def scaled_dot_product_attention(query=REQUIRED, key=REQUIRED, value=REQUIRED, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, *more, scale=None, enable_gqa=False):
    r"""softmax(Q K^T * scale + mask) V, over any number of leading batch dimensions (broadcast).

    Args:
        query: :math:`(N, ..., H_q, L, E)`
        key: :math:`(N, ..., H, S, E)`
        value: :math:`(N, ..., H, S, E_v)`
        attn_mask: broadcastable to the attention weights :math:`(N, ..., H_q, L, S)`. A bool mask marks with
            True the elements that take part in attention; a float mask (of query's dtype, or float32) is added
            to the scores.
        dropout_p: dropout probability on the attention weights, applied whenever > 0 (pass 0.0 in eval).
        is_causal: attend only to positions at or before one's own: the lower triangle of the (L, S)
            matrix, aligned to its top-left corner. An error if ``attn_mask`` is set too (except where PyTorch's
            fused CPU kernel applies, which takes both).
        scale: the factor applied to :math:`Q K^T` (keyword only); default :math:`1 / \sqrt{E}`.
        enable_gqa: grouped-query attention: :math:`H` must divide :math:`H_q`, each key/value head serving
            :math:`H_q / H` consecutive query heads.

    Returns:
        :math:`(N, ..., H_q, L, E_v)`. A row whose scores are all masked out gives zeros.
    """
    # (the required arguments' defaults and ``more`` only give PyTorch's parser's TypeErrors for a call missing
    # some or with too many, at no cost to the others)
    if more:
        raise _parser_errors.too_many_positional("scaled_dot_product_attention", 6, 3, 6 + len(more))
    _check_sdpa_arguments(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)
    dropout_p, scale = float(dropout_p), None if scale is None else float(scale)  # (a 0-d tensor will do)
    _validate_sdpa_input(query, key, value, attn_mask)
    if query.size(-2) == 0 or 0 in value.shape:
        return _nothing_to_attend(query, key, value)
    fused = _SDP_ENABLED["flash"] and _fused_cpu_kernel_applies(query, key, value, attn_mask, dropout_p, enable_gqa)
    if not (fused or _SDP_ENABLED["math"]):  # (torch.nn.attention.sdpa_kernel left no backend taking the call)
        raise RuntimeError("No available kernel.  Aborting execution." if _SDP_ENABLED["flash"] else
                           "No viable backend for scaled_dot_product_attention was found. This is likely due to "
                           "turning off both the math kernel and the fused kernels.")
    if fused and dropout_p != 0:
        raise RuntimeError("scaled_dot_product_attention_flash_attention: Currently do not support dropout > 0")
    if is_causal and attn_mask is not None and not fused:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")

    def attend(query, key, value):
        return _composite_attention(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)

    if fused and records(query, key, value) and not forward_ad.state.vmap_levels:  # (vmap: the composite's rules)
        needs = (query.requires_grad, key.requires_grad, value.requires_grad)
        return _FlashAttentionForCpu.apply(query, key, value, attend=attend, needs=needs)
    return attend(query, key, value)


def _nothing_to_attend(query, key, value):
    """PyTorch's result when there is no query or the value is empty, before any other check: zeros of the
    output's shape (query's, with value's last size), made to depend on every input (times 0, so a NaN input
    still shows) so that backward gives each a zero gradient."""
    zeros = _creation.zeros(tuple(query.shape[:-1]) + (value.size(-1),), dtype=query.dtype)
    return zeros + (query.sum() + key.sum() + value.sum()) * 0


class _FlashAttentionForCpu(Node):
    """The output of PyTorch's fused CPU attention kernel: one node (ScaledDotProductFlashAttentionForCpuBackward0,
    of query, key and value), whose gradients are those of the composite ops computing the same numbers, and
    whose backward has no derivative (a gradient of its gradient is PyTorch's error)."""

    def forward(self, query, key, value, attend=None, needs=None):
        # the composite's graph, of inputs of its own, kept for the gradients (computed once)
        self.inputs = [Tensor._wrap(array).requires_grad_(needed) for array, needed in zip((query, key, value), needs)]
        self.output = attend(*self.inputs)
        return self.output._data

    def backward(self, grad):
        wanted = [tensor for tensor in self.inputs if tensor.requires_grad]
        with enable_grad():  # (retained: the node's own graph may be)
            grads = iter(autograd_grad(self.output, wanted, Tensor._wrap(grad), retain_graph=True,
                                       allow_unused=True))
        return tuple(None if not needed else _zeros_if_none(next(grads), array)
                     for array, needed in zip((tensor._data for tensor in self.inputs), self.needs_input_grad))

    def backward_graph(self, grad):
        return gradients_without_derivative(
            self, grad,
            (RuntimeError, "derivative for aten::_scaled_dot_product_flash_attention_for_cpu_backward is not "
                           "implemented"))

    jvp = forward_ad.unsupported_jvp

    def forward_ad_name(self):
        return "_scaled_dot_product_flash_attention_for_cpu"

    def name(self):
        return "ScaledDotProductFlashAttentionForCpuBackward0"


def _zeros_if_none(gradient, array):
    return np.zeros_like(array) if gradient is None else gradient._data


def _composite_attention(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa):
    """softmax(Q K^T * scale + mask) V by differentiable ops, the arguments checked."""
    if query.dtype == _dtype.float16:
        # PyTorch's CPU kernels attend in float32 and round the result once (its math kernel by a copy to half)
        upcast = (query.float(), key.float(), value.float())
        return _composite_attention(*upcast, attn_mask, dropout_p, is_causal, scale, enable_gqa).to(query.dtype)
    bias = _additive_mask(attn_mask, query.dtype)
    if is_causal:
        causal = _causal_bias(query.size(-2), key.size(-2), query.dtype)
        bias = causal if bias is None else bias + causal
    if enable_gqa:
        key, value = _repeat_heads(query, key, value)
    if scale is not None:
        scale_factor = scale
    else:  # (an empty head dimension scales empty products by inf, as PyTorch's C++ division does)
        scale_factor = 1.0 / math.sqrt(query.size(-1)) if query.size(-1) else math.inf
    # PyTorch's math kernel scales both operands by the factor's square root (the query's negated for a negative
    # factor): Scalar products (MulBackward1), rounded as its
    root = math.sqrt(abs(scale_factor))
    scores = query._binary(-root if scale_factor < 0 else root, MulScalar).matmul(
        key.transpose(-2, -1)._binary(root, MulScalar))
    if bias is not None:
        _add_in_place_shape(scores, bias)
        # PyTorch adds in place: the scores keep their dtype (half scores with a float32 mask stay half)
        scores = scores + bias if bias.dtype == scores.dtype else (scores + bias).to(scores.dtype)
    weights = SafeSoftmax.apply(scores, axis=-1)
    if dropout_p > 0:
        if dropout_p > 1:  # PyTorch's native dropout: a RuntimeError, where F.dropout's is a ValueError
            raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p:g}")
        weights = dropout(weights, dropout_p, True)
    return weights.matmul(value)


# ---------------------------------------------------------------------------- masks of MultiheadAttention
def _none_or_dtype(input):
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torchless.Tensor")


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask (True = masked out) as a float mask of ``target_type``, 0 or -inf; a float mask as it is."""
    if mask is None:
        return None
    is_float = mask.is_floating_point()
    if mask.dtype != _dtype.bool and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                      "instead.", stacklevel=2)
    if is_float:
        return mask
    return _creation.zeros(tuple(mask.shape), dtype=target_type).masked_fill_(mask, float("-inf"))


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the input is batched (3-D) or not (2-D), after checking the other arguments' ranks against it."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                 f"found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                                     f"but found {attn_mask.dim()}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query "
                         "tensor")


# ---------------------------------------------------------------------------- input projections
def _in_projection_packed(q, k, v, w, b=None):
    """q, k and v projected by the three row blocks of the packed weight ``w`` (3E, E) and bias ``b`` (3E)."""
    embed_dim = q.size(-1)
    if k is v:
        if q is k:  # self-attention: one product
            return tuple(p.contiguous() for p in linear(q, w, b).chunk(3, dim=-1))
        w_q, w_kv = w.split([embed_dim, embed_dim * 2])
        b_q, b_kv = (None, None) if b is None else b.split([embed_dim, embed_dim * 2])
        return (linear(q, w_q, b_q),) + tuple(p.contiguous() for p in linear(k, w_kv, b_kv).chunk(2, dim=-1))
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None):
    """q (.., E_q), k (.., E_k) and v (.., E_v) each projected to E_q by its own weight and bias."""
    e_q, e_k, e_v = q.size(-1), k.size(-1), v.size(-1)
    for kind, weight, expected in (("query", w_q, (e_q, e_q)), ("key", w_k, (e_q, e_k)), ("value", w_v, (e_q, e_v))):
        if tuple(weight.shape) != expected:
            raise AssertionError(f"expecting {kind} weights shape of {expected}, but got {weight.shape}")
    for kind, bias in (("query", b_q), ("key", b_k), ("value", b_v)):
        if bias is not None and tuple(bias.shape) != (e_q,):
            raise AssertionError(f"expecting {kind} bias shape of {(e_q,)}, but got {bias.shape}")
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _project(query, key, value, in_proj_weight, in_proj_bias, use_separate_proj_weight, q_proj_weight,
             k_proj_weight, v_proj_weight):
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        return _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    for name, weight in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
        if weight is None:
            raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is None")
    biases = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
    return _in_projection(query, key, value, q_proj_weight, k_proj_weight, v_proj_weight, *biases)


# ---------------------------------------------------------------------------- multi_head_attention_forward
def _check_attn_mask_shape(attn_mask, bsz, num_heads, tgt_len, src_len):
    """Checks a 2-D (L, S) or 3-D (N * num_heads, L, S) attention mask; returns it 3-D."""
    if attn_mask.dim() == 2:
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                               f"{(tgt_len, src_len)}.")
        return attn_mask.unsqueeze(0)
    if attn_mask.dim() == 3:
        if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                               f"{(bsz * num_heads, tgt_len, src_len)}.")
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")


def _heads(x, length, bsz, num_heads, head_dim):
    """(S, N, E) to (N * num_heads, S, head_dim)."""
    return x.view(length, bsz * num_heads, head_dim).transpose(0, 1)


def _static(static, name, bsz, num_heads, head_dim):
    if static.size(0) != bsz * num_heads:
        raise AssertionError(f"expecting {name}.size(0) of {bsz * num_heads}, but got {static.size(0)}")
    if static.size(2) != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.size(2)}")
    return static


def _merge_key_padding_mask(attn_mask, key_padding_mask, bsz, num_heads, src_len):
    if key_padding_mask.shape[0] != bsz:
        raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got {key_padding_mask.shape[0]}")
    if key_padding_mask.shape[1] != src_len:
        raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                             f"{key_padding_mask.shape[1]}")
    key_padding_mask = (key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)
                        .reshape(bsz * num_heads, 1, src_len))
    return key_padding_mask if attn_mask is None else attn_mask + key_padding_mask


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    r"""The computation of :class:`torchless.nn.MultiheadAttention` (sequence-first), as a function.

    Shape:
        - query: :math:`(L, N, E)` or unbatched :math:`(L, E)`; key: :math:`(S, N, E_k)` or :math:`(S, E_k)`;
          value: :math:`(S, N, E_v)` or :math:`(S, E_v)` (:math:`E_k = E_v = E` unless
          ``use_separate_proj_weight``)
        - key_padding_mask: :math:`(N, S)` or :math:`(S)`; True (bool) marks keys to ignore, a float mask is added
        - attn_mask: :math:`(L, S)` or :math:`(N \cdot \text{num\_heads}, L, S)`; True (bool) forbids attending,
          a float mask is added to the scores
        - static_k, static_v: :math:`(N \cdot \text{num\_heads}, S, E / \text{num\_heads})`, used in place of the
          projected keys and values
        - output: :math:`(L, N, E)` or :math:`(L, E)`; weights (if ``need_weights``): :math:`(N, L, S)` averaged over
          heads, or :math:`(N, \text{num\_heads}, L, S)` (without :math:`N` if unbatched)
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:  # computed as a batch of one
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask",
                                       query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint alone, computed by scaled_dot_product_attention
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
    elif key.shape != value.shape:
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    q, k, v = _project(query, key, value, in_proj_weight, in_proj_bias, use_separate_proj_weight, q_proj_weight,
                       k_proj_weight, v_proj_weight)
    if attn_mask is not None:
        attn_mask = _check_attn_mask_shape(attn_mask, bsz, num_heads, tgt_len, src_len)

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    q = _heads(q, tgt_len, bsz, num_heads, head_dim)
    k = _heads(k, k.shape[0], bsz, num_heads, head_dim) if static_k is None else \
        _static(static_k, "static_k", bsz, num_heads, head_dim)
    v = _heads(v, v.shape[0], bsz, num_heads, head_dim) if static_v is None else \
        _static(static_v, "static_v", bsz, num_heads, head_dim)
    if add_zero_attn:  # one more key and value, of zeros, that every query may attend to
        zeros = (bsz * num_heads, 1, head_dim)
        k = cat([k, _creation.zeros(zeros, dtype=k.dtype)], dim=1)
        v = cat([v, _creation.zeros(zeros, dtype=v.dtype)], dim=1)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    src_len = k.size(1)
    if key_padding_mask is not None:
        attn_mask = _merge_key_padding_mask(attn_mask, key_padding_mask, bsz, num_heads, src_len)
    if not training:
        dropout_p = 0.0

    if need_weights:
        q_scaled = q * math.sqrt(1.0 / float(q.shape[2]))
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        if attn_mask is not None:
            scores = attn_mask.baddbmm(q_scaled, k.transpose(-2, -1))
        else:
            scores = q_scaled.bmm(k.transpose(-2, -1))
        with np.errstate(invalid="ignore"):  # a fully masked row is NaN here, silently, as in PyTorch
            weights = softmax(scores, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        attn_output = weights.bmm(v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        attn_output = linear(attn_output, out_proj_weight, out_proj_bias)
        attn_output = attn_output.view(tgt_len, bsz, attn_output.size(1))
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            attn_output, weights = attn_output.squeeze(1), weights.squeeze(0)
        return attn_output, weights

    if attn_mask is not None:
        if attn_mask.size(0) == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    attn_output = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    attn_output = attn_output.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    attn_output = linear(attn_output, out_proj_weight, out_proj_bias)
    attn_output = attn_output.view(tgt_len, bsz, attn_output.size(1))
    if not is_batched:
        attn_output = attn_output.squeeze(1)
    return attn_output, None
