"""Attention and Transformer layers (scaled_dot_product_attention, MultiheadAttention, multi_head_attention_forward,
TransformerEncoder/Decoder(Layer), Transformer): against PyTorch with identical weights (values, gradients of
inputs and parameters, state_dict keys, repr, warnings, errors, a few training steps) and, without it, against a
NumPy reference written here and central differences."""
import math
import warnings

import numpy as np
import pytest

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from helpers import assert_same_error, finite_difference_check, state_dict_from_torch, tensor

TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-9, atol=1e-11)}


# ---------------------------------------------------------------------------- helpers
def _pair(torch, arrays, requires_grad=True):
    """The same arrays as torchless and torch tensors (floating ones requiring grad)."""
    def grad(a):
        return requires_grad and a.dtype.kind == "f"

    ours = [None if a is None else tensor(a, requires_grad=grad(a)) for a in arrays]
    theirs = [None if a is None else torch.tensor(a, requires_grad=grad(a)) for a in arrays]
    return ours, theirs


def _assert_close(actual, expected, tol, equal_nan=False):
    assert tuple(actual.shape) == tuple(expected.shape)
    assert actual.dtype.name == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), equal_nan=equal_nan, **tol)


def _backward_both(torch, actual, expected, rng):
    """Back-propagates the same random output gradients through both results (lists of tensors)."""
    grads = [rng.standard_normal(tuple(e.shape)) for e in expected]
    sum((a * tensor(g.astype(a.dtype.numpy))).sum() for a, g in zip(actual, grads)).backward()
    sum((e * torch.tensor(g, dtype=e.dtype)).sum() for e, g in zip(expected, grads)).backward()


def _assert_grads(actual_leaves, expected_leaves, tol):
    """Every leaf has the same gradient in both libraries (or none in both, if unused)."""
    for a, e in zip(actual_leaves, expected_leaves):
        if e is not None and e.requires_grad:
            assert (a.grad is None) == (e.grad is None)
            if e.grad is not None:
                np.testing.assert_allclose(a.grad.numpy(), e.grad.numpy(), **tol)


def _assert_parameter_grads(actual_module, expected_module, tol):
    expected = dict(expected_module.named_parameters())
    actual = dict(actual_module.named_parameters())
    assert list(actual) == list(expected)
    for name, parameter in actual.items():
        assert (parameter.grad is None) == (expected[name].grad is None), name
        if parameter.grad is not None:
            np.testing.assert_allclose(parameter.grad.numpy(), expected[name].grad.numpy(), **tol, err_msg=name)


def _twins(torch, name, *args, dtype="float32", **kwargs):
    """The same layer in both libraries, torch's (seeded) weights copied into torchless's."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = getattr(torch.nn, name)(*args, dtype=getattr(torch, dtype), **kwargs)
        actual = getattr(nn, name)(*args, dtype=getattr(torchless, dtype), **kwargs)
    actual.load_state_dict(state_dict_from_torch(expected))
    return actual, expected


def _masks(kind, shape, rng, dtype, allowed_value):
    """A random bool mask (never masking a whole row out) or a float one, of ``shape``, as an array.

    ``allowed_value`` is the bool value that lets an element take part (True for sdpa, False for MHA).
    """
    if kind is None:
        return None
    keep = rng.random(shape) > 0.3
    keep[..., 0] = True
    if kind == "bool":
        return keep if allowed_value else ~keep
    return np.where(keep, rng.standard_normal(shape), -np.inf).astype(dtype)


# ---------------------------------------------------------------------------- sdpa: NumPy reference
def _numpy_sdpa(q, k, v, mask=None, is_causal=False, scale=None, enable_gqa=False):
    """softmax(Q K^T * scale + mask) V in float64 NumPy; bool masks mark allowed elements, fully masked rows give 0."""
    if enable_gqa:
        k = np.repeat(k, q.shape[-3] // k.shape[-3], axis=-3)
        v = np.repeat(v, q.shape[-3] // v.shape[-3], axis=-3)
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = np.matmul(q, np.swapaxes(k, -1, -2)) * scale
    if is_causal:
        scores = np.where(np.tril(np.ones(scores.shape[-2:], bool)), scores, -np.inf)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf) if mask.dtype == bool else scores + mask
    top = scores.max(-1, keepdims=True)
    dead = np.isneginf(top)
    weights = np.exp(scores - np.where(dead, 0, top))
    weights = np.where(dead, 0, weights / np.where(dead, 1, weights.sum(-1, keepdims=True)))
    return np.matmul(weights, v)


SDPA_SHAPES = [  # query, key, value
    ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)),
    ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)),
    ((3, 4, 8), (3, 6, 8), (3, 6, 5)),
    ((4, 8), (5, 8), (5, 3)),
    ((2, 2, 3, 4, 6), (2, 2, 3, 5, 6), (2, 2, 3, 5, 6)),
    ((2, 3, 4, 8), (1, 3, 5, 8), (3, 5, 8)),  # key and value broadcast over the batch
]


@pytest.mark.parametrize("mask_kind", [None, "bool", "float"])
@pytest.mark.parametrize("shapes", SDPA_SHAPES)
def test_sdpa_matches_numpy_reference(shapes, mask_kind):
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal(s) for s in shapes)
    mask = _masks(mask_kind, (shapes[0][-2], shapes[1][-2]), rng, np.float64, True)
    actual = F.scaled_dot_product_attention(tensor(q), tensor(k), tensor(v),
                                            attn_mask=None if mask is None else tensor(mask))
    np.testing.assert_allclose(actual.numpy(), _numpy_sdpa(q, k, v, mask), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("target_len, source_len", [(4, 4), (5, 3), (3, 6)])
def test_sdpa_causal_and_scale_match_numpy_reference(target_len, source_len):
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal((2, 2, n, 4)) for n in (target_len, source_len, source_len))
    for scale in (None, 0.7, -0.4):
        actual = F.scaled_dot_product_attention(tensor(q), tensor(k), tensor(v), is_causal=True, scale=scale)
        np.testing.assert_allclose(actual.numpy(), _numpy_sdpa(q, k, v, is_causal=True, scale=scale), rtol=1e-12,
                                   atol=1e-12)


def test_sdpa_grouped_query_attention_matches_numpy_reference():
    rng = np.random.default_rng(2)
    q, k, v = rng.standard_normal((2, 6, 4, 8)), rng.standard_normal((2, 2, 5, 8)), rng.standard_normal((2, 3, 5, 4))
    actual = F.scaled_dot_product_attention(tensor(q), tensor(k), tensor(v), enable_gqa=True)
    np.testing.assert_allclose(actual.numpy(), _numpy_sdpa(q, k, v, enable_gqa=True), rtol=1e-12, atol=1e-12)


def test_sdpa_fully_masked_row_is_zero_with_zero_gradient():
    rng = np.random.default_rng(3)
    q, k, v = (tensor(rng.standard_normal(s), requires_grad=True) for s in ((3, 4), (5, 4), (5, 2)))
    mask = np.ones((3, 5), bool)
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=tensor(mask))
    assert np.array_equal(out.detach().numpy()[1], np.zeros(2))
    assert np.all(np.isfinite(out.detach().numpy()))
    out.sum().backward()
    assert np.array_equal(q.grad.numpy()[1], np.zeros(4))
    assert np.all(np.isfinite(k.grad.numpy())) and np.all(np.isfinite(v.grad.numpy()))


@pytest.mark.parametrize("is_causal", [False, True])
def test_sdpa_gradients_match_finite_differences(is_causal):
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3), (3, 5))]

    def fn(q, k, v, mask=None):
        if is_causal:
            return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.6)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)

    finite_difference_check(fn, arrays[:3] if is_causal else arrays, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------------------- sdpa: against PyTorch
SDPA_CASES = [  # shapes index, mask kind, mask shape (None: (L, S)), keyword arguments
    (0, None, None, {}),
    (0, "bool", None, {}),
    (0, "float", None, {}),
    (0, "bool", (2, 1, 4, 5), {}),
    (0, "float", (3, 4, 5), {}),
    (0, None, None, {"is_causal": True}),
    (0, None, None, {"scale": 0.3}),
    (1, "bool", (1, 5), {}),
    (1, None, None, {"is_causal": True, "scale": -0.5}),
    (2, "float", None, {}),
    (3, "bool", None, {}),
    (4, "bool", (3, 4, 5), {}),
    (5, "float", None, {}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("index, mask_kind, mask_shape, kwargs", SDPA_CASES)
def test_sdpa_matches_torch_forward_and_backward(index, mask_kind, mask_shape, kwargs, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    shapes = SDPA_SHAPES[index]
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    mask = _masks(mask_kind, mask_shape or (shapes[0][-2], shapes[1][-2]), rng, dtype, True)
    ours, theirs = _pair(torch, arrays)
    ours_mask, theirs_mask = _pair(torch, [mask], requires_grad=False)
    actual = F.scaled_dot_product_attention(*ours, attn_mask=ours_mask[0], **kwargs)
    expected = torch.nn.functional.scaled_dot_product_attention(*theirs, attn_mask=theirs_mask[0], **kwargs)
    _assert_close(actual, expected, TOL[dtype])
    _backward_both(torch, [actual], [expected], rng)
    _assert_grads(ours, theirs, TOL[dtype])


def test_sdpa_float_mask_gradient_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    arrays = [rng.standard_normal(s) for s in ((2, 4, 3), (2, 5, 3), (2, 5, 2), (4, 5))]
    ours, theirs = _pair(torch, arrays)
    actual = F.scaled_dot_product_attention(*ours[:3], attn_mask=ours[3])
    expected = torch.nn.functional.scaled_dot_product_attention(*theirs[:3], attn_mask=theirs[3])
    _backward_both(torch, [actual], [expected], rng)
    _assert_grads(ours, theirs, TOL["float64"])


@pytest.mark.parametrize("kv_heads", [(2, 2), (1, 3), (2, 3)])
def test_sdpa_grouped_query_attention_matches_torch(kv_heads):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(s) for s in ((2, 6, 4, 8), (2, kv_heads[0], 5, 8), (2, kv_heads[1], 5, 8))]
    ours, theirs = _pair(torch, arrays)
    actual = F.scaled_dot_product_attention(*ours, enable_gqa=True)
    expected = torch.nn.functional.scaled_dot_product_attention(*theirs, enable_gqa=True)
    _assert_close(actual, expected, TOL["float64"])
    _backward_both(torch, [actual], [expected], rng)
    _assert_grads(ours, theirs, TOL["float64"])


def test_sdpa_fully_masked_rows_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    for shapes in ((((1, 2, 3, 4),) * 3), ((3, 4), (3, 4), (3, 4))):
        arrays = [rng.standard_normal(s) for s in shapes]
        mask = np.array([[True, False, True], [False, False, False], [True, True, True]])
        ours, theirs = _pair(torch, arrays)
        actual = F.scaled_dot_product_attention(*ours, attn_mask=tensor(mask))
        expected = torch.nn.functional.scaled_dot_product_attention(*theirs, attn_mask=torch.tensor(mask))
        _assert_close(actual, expected, TOL["float64"])
        _backward_both(torch, [actual], [expected], rng)
        _assert_grads(ours, theirs, TOL["float64"])


def test_sdpa_causal_with_mask_where_torch_fused_kernel_takes_both():
    """On 4-D inputs of one head size PyTorch's CPU kernel applies is_causal and the mask together."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    arrays = [rng.standard_normal((2, 2, 4, 8)), rng.standard_normal((2, 2, 5, 8)), rng.standard_normal((2, 2, 5, 8))]
    mask = _masks("bool", (4, 5), rng, np.float64, True)
    actual = F.scaled_dot_product_attention(*[tensor(a) for a in arrays], attn_mask=tensor(mask), is_causal=True)
    expected = torch.nn.functional.scaled_dot_product_attention(*[torch.tensor(a) for a in arrays],
                                                                attn_mask=torch.tensor(mask), is_causal=True)
    _assert_close(actual, expected, TOL["float64"])
    causal = np.tril(np.ones((4, 5), bool))
    np.testing.assert_allclose(actual.numpy(), _numpy_sdpa(*arrays, mask & causal), rtol=1e-12, atol=1e-12)


def test_sdpa_dropout_drops_and_rescales_weights():
    """With V the identity, the output is the (dropped out) attention weights themselves."""
    rng = np.random.default_rng(10)
    q, k = rng.standard_normal((64, 16, 4)), rng.standard_normal((64, 16, 4))
    v = np.broadcast_to(np.eye(16), (64, 16, 16))
    weights = _numpy_sdpa(q, k, v)
    torchless.manual_seed(0)
    out = F.scaled_dot_product_attention(tensor(q), tensor(k), tensor(v), dropout_p=0.25).numpy()
    dropped = out == 0
    assert 0.2 < dropped.mean() < 0.3
    np.testing.assert_allclose(out[~dropped], weights[~dropped] / 0.75, rtol=1e-12)
    torchless.manual_seed(0)
    again = F.scaled_dot_product_attention(tensor(q), tensor(k), tensor(v), dropout_p=0.25).numpy()
    assert np.array_equal(out, again)
    assert np.array_equal(F.scaled_dot_product_attention(tensor(q), tensor(k), tensor(v), dropout_p=1.0).numpy(),
                          np.zeros((64, 16, 16)))


def _sdpa_error_cases(lib):
    r = lambda *s, dtype=lib.float32: lib.ones(*s, dtype=dtype)  # noqa: E731
    b = lambda *s: lib.ones(*s, dtype=lib.bool)  # noqa: E731
    f = lib.nn.functional.scaled_dot_product_attention
    q, k, v = r(2, 3, 4, 8), r(2, 3, 5, 8), r(2, 3, 5, 6)
    return [
        lambda: f(q, k, v, attn_mask=b(4, 5), is_causal=True),
        lambda: f(q, k.double(), v),
        lambda: f(q, k, v.double()),
        lambda: f(r(8), r(8), r(8)),
        lambda: f(q, k, v, attn_mask=r(4, 5, dtype=lib.float64)),
        lambda: f(q, k, v, attn_mask=lib.zeros(4, 5, dtype=lib.int64)),
        lambda: f(q, k, v, attn_mask=b(3, 5)),
        lambda: f(q, k, v, attn_mask=b(2, 4, 5)),
        lambda: f(q, k, v, attn_mask=b(1, 2, 3, 4, 5)),
        lambda: f(q, r(2, 3, 5, 7), v),
        lambda: f(q, k, r(2, 3, 6, 6)),
        lambda: f(r(4, 8), r(5, 7), r(5, 6)),
        lambda: f(q, r(3, 3, 5, 8), r(3, 3, 5, 6)),
        lambda: f(r(2, 6, 4, 8), r(2, 4, 5, 8), r(2, 4, 5, 8), enable_gqa=True),
        lambda: f(r(2, 6, 4, 8), r(2, 2, 5, 8), r(2, 2, 5, 8)),
        lambda: f(r(4, 8), r(5, 8), r(5, 8), enable_gqa=True),
        lambda: f(q, k, v, dropout_p=1.5),
        lambda: f(q, r(2, 3, 5, 7), v, dropout_p=1.5),
        lambda: f(q, k, r(2, 3, 5, 8), dropout_p=-0.5),
        lambda: f(q, k, r(2, 3, 5, 8), attn_mask=b(5)),
        lambda: f(q, k, r(2, 3, 5, 8), attn_mask=lib.tensor(True)),
        lambda: f(1, k, v),
        lambda: f(q, k, [1.0]),
        lambda: f(q, k, v, attn_mask=1.0),
        lambda: f(q, k, v, dropout_p="a"),
        lambda: f(q, k, v, is_causal=1),
        lambda: f(q, k, v, enable_gqa=1),
        lambda: f(q, k, v, None, 0.0, False, 0.5),
        lambda: f(q, k, v, foo=1),
        lambda: f(q.long(), k.long(), r(2, 3, 5, 6, dtype=lib.int64), dropout_p=0.5),
        lambda: f(r(4, 8, dtype=lib.int64), r(5, 8, dtype=lib.int64), r(5, 6, dtype=lib.int64)),
    ]


@pytest.mark.parametrize("case", range(len(_sdpa_error_cases(torchless))))
def test_sdpa_errors_match_torch(case):
    torch = pytest.importorskip("torch")
    assert_same_error(_sdpa_error_cases(torch)[case], _sdpa_error_cases(torchless)[case])


def test_sdpa_accepts_what_torch_accepts():
    """Calls PyTorch takes (1-D masks off its fused kernel, negative dropout there, int arguments) work here too."""
    torch = pytest.importorskip("torch")
    cases = [((3, 4, 8), (3, 5, 8), (3, 5, 6), {"attn_mask": (5,)}), ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6),
             {"dropout_p": -0.5}), ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), {"dropout_p": 0, "scale": 1}),
             ((2, 3, 4, 8), (1, 3, 5, 8), (1, 3, 5, 8), {"attn_mask": (5,)}), ((2, 3, 0, 8), (2, 3, 5, 8),
             (2, 3, 5, 6), {}), ((2, 3, 4, 8), (2, 3, 0, 8), (2, 3, 0, 6), {"is_causal": True})]
    rng = np.random.default_rng(11)
    for q, k, v, kwargs in cases:
        arrays = [rng.standard_normal(s).astype(np.float32) for s in (q, k, v)]
        extra = {key: value for key, value in kwargs.items() if key != "attn_mask"}
        mask = (rng.random(kwargs["attn_mask"]) > 0.3) if "attn_mask" in kwargs else None
        actual = F.scaled_dot_product_attention(*[tensor(a) for a in arrays],
                                                attn_mask=None if mask is None else tensor(mask), **extra)
        expected = torch.nn.functional.scaled_dot_product_attention(
            *[torch.tensor(a) for a in arrays], attn_mask=None if mask is None else torch.tensor(mask), **extra)
        _assert_close(actual, expected, TOL["float32"])


# ---------------------------------------------------------------------------- MultiheadAttention
MHA_CONFIGS = [  # constructor keyword arguments, batched, self-attention
    ({}, True, True),
    ({}, True, False),
    ({"batch_first": True}, True, True),
    ({"batch_first": True}, True, False),
    ({}, False, False),
    ({"batch_first": True}, False, True),
    ({"kdim": 3, "vdim": 5}, True, False),
    ({"kdim": 3, "vdim": 5, "batch_first": True}, False, False),
    ({"add_bias_kv": True}, True, False),
    ({"add_zero_attn": True}, True, True),
    ({"add_bias_kv": True, "add_zero_attn": True, "bias": False}, True, False),
    ({"bias": False, "batch_first": True}, True, True),
]
MHA_MASKS = [  # key_padding_mask kind, attn_mask kind, attn_mask 3-D, is_causal
    (None, None, False, False),
    ("bool", None, False, False),
    ("float", "float", False, False),
    (None, "bool", True, False),
    ("bool", "bool", False, False),
    (None, "causal", False, True),
    ("bool", "causal", False, True),
]
L, S, N, E, HEADS = 4, 5, 3, 8, 2


def _mha_inputs(rng, kwargs, batched, self_attention, dtype):
    batch = (N,) if batched else ()
    target, source = (L, L) if self_attention else (L, S)

    def shape(length, features):
        if not batched:
            return (length, features)
        return (N, length, features) if kwargs.get("batch_first") else (length, N, features)

    query = rng.standard_normal(shape(target, E)).astype(dtype)
    if self_attention:
        return [query], batch, target, source
    key = rng.standard_normal(shape(source, kwargs.get("kdim", E))).astype(dtype)
    value = rng.standard_normal(shape(source, kwargs.get("vdim", E))).astype(dtype)
    return [query, key, value], batch, target, source


def _mha_masks(rng, masks, batch, target, source, dtype):
    padding_kind, attn_kind, three_d, is_causal = masks
    padding = _masks(padding_kind, batch + (source,), rng, dtype, False)
    if attn_kind == "causal":
        attn = np.triu(np.full((target, source), -np.inf), 1).astype(dtype)
    elif three_d:  # (N * num_heads, L, S), or (num_heads, L, S) unbatched
        attn = _masks(attn_kind, ((batch[0] if batch else 1) * HEADS, target, source), rng, dtype, False)
    else:
        attn = _masks(attn_kind, (target, source), rng, dtype, False)
    return padding, attn, is_causal


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("masks", MHA_MASKS)
@pytest.mark.parametrize("kwargs, batched, self_attention", MHA_CONFIGS)
def test_multihead_attention_matches_torch(kwargs, batched, self_attention, masks, dtype):
    torch = pytest.importorskip("torch")
    if masks[3] and not self_attention:
        masks = masks[:2] + (False, False)  # the causal hint is for square masks
    actual_layer, expected_layer = _twins(torch, "MultiheadAttention", E, HEADS, dtype=dtype, **kwargs)
    rng = np.random.default_rng(12)
    arrays, batch, target, source = _mha_inputs(rng, kwargs, batched, self_attention, dtype)
    padding, attn, is_causal = _mha_masks(rng, masks, batch, target, source, dtype)
    ours, theirs = _pair(torch, arrays)
    (ours_padding, ours_attn), (theirs_padding, theirs_attn) = _pair(torch, [padding, attn], requires_grad=False)
    for need_weights, average in ((True, True), (True, False), (False, True)):
        for module in (actual_layer, expected_layer):
            module.zero_grad()
        for leaf in ours + theirs:
            leaf.grad = None

        def call(layer, inputs, key_padding_mask, attn_mask):
            query, key, value = inputs if len(inputs) == 3 else inputs * 3
            return layer(query, key, value, key_padding_mask=key_padding_mask, need_weights=need_weights,
                         attn_mask=attn_mask, average_attn_weights=average, is_causal=is_causal)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            actual = call(actual_layer, ours, ours_padding, ours_attn)
            expected = call(expected_layer, theirs, theirs_padding, theirs_attn)
        _assert_close(actual[0], expected[0], TOL[dtype])
        assert (actual[1] is None) == (expected[1] is None)
        outputs = [0]
        if expected[1] is not None:
            _assert_close(actual[1], expected[1], TOL[dtype])
            outputs.append(1)
        _backward_both(torch, [actual[i] for i in outputs], [expected[i] for i in outputs], rng)
        _assert_grads(ours, theirs, TOL[dtype])
        _assert_parameter_grads(actual_layer, expected_layer, TOL[dtype])


@pytest.mark.parametrize("kwargs", [{}, {"kdim": 3, "vdim": 5}, {"add_bias_kv": True, "bias": False},
                                    {"batch_first": True, "dropout": 0.1}])
def test_multihead_attention_parameters_and_repr_match_torch(kwargs):
    torch = pytest.importorskip("torch")
    expected = torch.nn.MultiheadAttention(E, HEADS, **kwargs)
    actual = nn.MultiheadAttention(E, HEADS, **kwargs)
    assert repr(actual) == repr(expected)
    assert type(actual.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(actual.out_proj, nn.Linear)
    expected_shapes = {k: tuple(v.shape) for k, v in expected.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in actual.state_dict().items()} == expected_shapes
    assert [n for n, _ in actual.named_parameters()] == [n for n, _ in expected.named_parameters()]
    for name in ("embed_dim", "kdim", "vdim", "num_heads", "head_dim", "dropout", "batch_first", "_qkv_same_embed_dim",
                 "add_zero_attn"):
        assert getattr(actual, name) == getattr(expected, name), name
    for name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "bias_k",
                 "bias_v"):
        assert (getattr(actual, name) is None) == (getattr(expected, name) is None), name


def test_multihead_attention_initialisation_follows_torch_scheme():
    torchless.manual_seed(0)
    layer = nn.MultiheadAttention(64, 4, add_bias_kv=True)
    weight = layer.in_proj_weight.detach().numpy()
    bound = math.sqrt(6 / (64 + 3 * 64))  # xavier-uniform of a (3E, E) matrix
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.95 * bound
    assert abs(weight.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.array_equal(layer.in_proj_bias.detach().numpy(), np.zeros(192))
    assert np.array_equal(layer.out_proj.bias.detach().numpy(), np.zeros(64))
    bias_k = layer.bias_k.detach().numpy()
    assert bias_k.shape == (1, 1, 64) and abs(bias_k.std() - math.sqrt(2 / 128)) < 0.4 * math.sqrt(2 / 128)
    separate = nn.MultiheadAttention(6, 2, kdim=4, vdim=10)
    k_weight = separate.k_proj_weight.detach().numpy()
    assert k_weight.shape == (6, 4) and np.abs(k_weight).max() <= math.sqrt(6 / 10)
    assert nn.MultiheadAttention(4, 2, dtype=torchless.float64).in_proj_weight.dtype == torchless.float64


def test_multihead_attention_fully_masked_query_matches_torch():
    """A query that may attend to nothing: NaN when the weights are returned, zeros otherwise (as in PyTorch)."""
    torch = pytest.importorskip("torch")
    actual_layer, expected_layer = _twins(torch, "MultiheadAttention", E, HEADS, dtype="float64", batch_first=True)
    rng = np.random.default_rng(13)
    x = rng.standard_normal((2, 4, E))
    padding = np.array([[True] * 4, [False, False, True, True]])
    for need_weights in (True, False):
        actual = actual_layer(tensor(x), tensor(x), tensor(x), key_padding_mask=tensor(padding),
                              need_weights=need_weights)
        expected = expected_layer(torch.tensor(x), torch.tensor(x), torch.tensor(x),
                                  key_padding_mask=torch.tensor(padding), need_weights=need_weights)
        _assert_close(actual[0], expected[0], TOL["float64"], equal_nan=True)
        assert np.isnan(actual[0].detach().numpy()[0]).all() == need_weights


def test_multihead_attention_dropout_in_training_only():
    torchless.manual_seed(0)
    layer = nn.MultiheadAttention(E, HEADS, dropout=0.5)
    x = tensor(np.random.default_rng(14).standard_normal((L, N, E)).astype(np.float32))
    _, weights = layer(x, x, x, average_attn_weights=False)
    dropped = weights.detach().numpy() == 0
    assert 0.3 < dropped.mean() < 0.7
    layer.eval()
    _, weights = layer(x, x, x, average_attn_weights=False)
    np.testing.assert_allclose(weights.detach().numpy().sum(-1), 1, rtol=1e-5)


def test_multi_head_attention_forward_static_kv_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(15)
    arrays = [rng.standard_normal(s) for s in ((L, N, E), (S, N, 3), (S, N, 5), (E, E), (E, 3), (E, 5), (3 * E,),
                                               (E, E), (E,), (N * HEADS, 6, E // HEADS), (N * HEADS, 6, E // HEADS))]
    def call(lib, t, static):
        q, k, v, wq, wk, wv, b_in, w_out, b_out, sk, sv = t
        return lib.nn.functional.multi_head_attention_forward(
            q, k, v, E, HEADS, None, b_in, None, None, False, 0.0, w_out, b_out, use_separate_proj_weight=True,
            q_proj_weight=wq, k_proj_weight=wk, v_proj_weight=wv, static_k=sk if static else None,
            static_v=sv if static else None, average_attn_weights=False)

    for static in (False, True):
        ours, theirs = _pair(torch, arrays)
        actual, expected = call(torchless, ours, static), call(torch, theirs, static)
        _assert_close(actual[0], expected[0], TOL["float64"])
        _assert_close(actual[1], expected[1], TOL["float64"])
        _backward_both(torch, list(actual), list(expected), rng)
        _assert_grads(ours, theirs, TOL["float64"])


def _mha_error_cases(lib):
    r = lambda *s: lib.ones(*s)  # noqa: E731
    b = lambda *s: lib.zeros(*s, dtype=lib.bool)  # noqa: E731
    lib.manual_seed(0)
    m = lib.nn.MultiheadAttention(E, HEADS)
    separate = lib.nn.MultiheadAttention(E, HEADS, kdim=4, vdim=6)
    x = r(5, 3, E)
    u = r(5, E)
    return [
        lambda: lib.nn.MultiheadAttention(10, 3),
        lambda: lib.nn.MultiheadAttention(0, 3),
        lambda: lib.nn.MultiheadAttention(8, -1),
        lambda: m(r(E), r(E), r(E)),
        lambda: m(r(1, 5, 3, E), x, x),
        lambda: m(x, r(5, E), x),
        lambda: m(x, x, x, key_padding_mask=b(3, 5, 1)),
        lambda: m(x, x, x, key_padding_mask=b(3, 4)),
        lambda: m(x, x, x, key_padding_mask=b(2, 5)),
        lambda: m(x, x, x, key_padding_mask=lib.zeros(3, 5, dtype=lib.int64)),
        lambda: m(x, x, x, attn_mask=b(1, 1, 5, 5)),
        lambda: m(x, x, x, attn_mask=b(5, 4)),
        lambda: m(x, x, x, attn_mask=b(3, 5, 5)),
        lambda: m(x, x, x, attn_mask=lib.zeros(5, 5, dtype=lib.int64)),
        lambda: m(x, x, x, is_causal=True),
        lambda: m(r(5, 3, 6), r(5, 3, 6), r(5, 3, 6)),
        lambda: m(x, r(5, 3, E), r(4, 3, E)),
        lambda: m(x, r(5, 3, 6), r(5, 3, 6)),
        lambda: m(u, u, u, attn_mask=lib.zeros(3, 5, 5)),
        lambda: m(u, u, u, key_padding_mask=lib.zeros(1, 5)),
        lambda: m(u, u, u, attn_mask=lib.zeros(1, 1, 5, 5)),
        lambda: m(x, r(5, 2, E), r(5, 2, E)),
        lambda: m(x.double(), x.double(), x.double()),
        lambda: m(x, x, x, attn_mask=lib.zeros(5, 5, dtype=lib.float64)),
        lambda: separate(x, r(7, 3, 5), r(7, 3, 6)),
        lambda: separate(x, r(7, 3, 4), r(6, 3, 6)),
        lambda: lib.nn.functional.multi_head_attention_forward(
            x, x, x, E, HEADS, None, None, None, None, False, 0.0, r(E, E), None),
        lambda: lib.nn.functional.multi_head_attention_forward(
            x, x, x, E, HEADS, r(3 * E, E), None, r(1, 1, E), None, False, 0.0, r(E, E), None),
        lambda: lib.nn.functional.multi_head_attention_forward(
            x, x, x, E, 3, r(3 * E, E), None, None, None, False, 0.0, r(E, E), None),
        lambda: lib.nn.functional.multi_head_attention_forward(
            x, x, x, E, HEADS, r(3 * E, E), None, None, None, False, 0.0, r(E, E), None, static_k=r(5, 5, 4)),
        lambda: lib.nn.functional.multi_head_attention_forward(
            x, x, x, E, HEADS, r(3 * E, E), None, None, None, False, 0.0, r(E, E), None, need_weights=False,
            attn_mask=r(1, 5, 5, 5)),
    ]


@pytest.mark.parametrize("case", range(len(_mha_error_cases(torchless))))
def test_multihead_attention_errors_match_torch(case):
    torch = pytest.importorskip("torch")
    assert_same_error(_mha_error_cases(torch)[case], _mha_error_cases(torchless)[case])


def test_mismatched_mask_types_warn_like_torch():
    torch = pytest.importorskip("torch")
    messages = []
    for lib in (torch, torchless):
        lib.manual_seed(0)
        layer = lib.nn.MultiheadAttention(E, HEADS)
        x = lib.ones(5, 3, E)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layer(x, x, x, attn_mask=lib.zeros(5, 5, dtype=lib.bool), key_padding_mask=lib.zeros(3, 5))
        messages.append([str(w.message) for w in caught])
    assert messages[0] == messages[1] and messages[0]


def test_merge_masks_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(16)
    padding, attn2, attn3 = rng.standard_normal((N, L)), rng.standard_normal((L, L)), rng.standard_normal((N * HEADS,
                                                                                                             L, L))
    query = rng.standard_normal((N, L, E))
    for masks in ((None, padding), (attn2, None), (attn2, padding), (attn3, padding), (None, None)):
        results = []
        for lib in (torch, torchless):
            layer = lib.nn.MultiheadAttention(E, HEADS, batch_first=True)
            as_tensor = [None if m is None else lib.tensor(m) for m in masks]
            results.append(layer.merge_masks(*as_tensor, lib.tensor(query)))
        assert results[0][1] == results[1][1]
        if results[0][0] is None:
            assert results[1][0] is None
        else:
            np.testing.assert_allclose(results[1][0].numpy(), results[0][0].numpy(), rtol=1e-12)


# ---------------------------------------------------------------------------- Transformer layers
LAYER_CONFIGS = [  # constructor keyword arguments, batched
    ({}, True),
    ({"batch_first": True}, True),
    ({"norm_first": True}, True),
    ({"norm_first": True, "batch_first": True, "activation": "gelu"}, True),
    ({"activation": "gelu", "layer_norm_eps": 1e-3}, False),
    ({"bias": False}, True),
    ({"activation": "module_gelu", "batch_first": True}, False),
    ({"activation": "callable"}, True),
]
LAYER_MASKS = [  # attention mask kind, key padding mask kind, is_causal hint
    (None, None, None),
    ("causal", None, None),
    ("causal", "bool", True),
    ("float", "float", None),
    ("bool", "bool", None),
    (None, "bool", None),
]
D_MODEL, NHEAD, FF = 8, 2, 16


def _activation(lib, kwargs):
    kwargs = dict(kwargs)
    choice = kwargs.get("activation")
    if choice == "module_gelu":
        kwargs["activation"] = lib.nn.GELU(approximate="tanh")
    elif choice == "callable":
        kwargs["activation"] = lib.nn.functional.silu
    return kwargs


def _layer_twins(torch, name, args, kwargs, dtype):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = getattr(torch.nn, name)(*args, dtype=getattr(torch, dtype), **_activation(torch, kwargs))
        actual = getattr(nn, name)(*args, dtype=getattr(torchless, dtype), **_activation(torchless, kwargs))
    actual.load_state_dict(state_dict_from_torch(expected))
    return actual, expected


def _sequence(rng, length, batched, batch_first, dtype):
    if not batched:
        return rng.standard_normal((length, D_MODEL)).astype(dtype)
    return rng.standard_normal((N, length, D_MODEL) if batch_first else (length, N, D_MODEL)).astype(dtype)


def _square_mask(kind, length, rng, dtype):
    if kind == "causal":
        return np.triu(np.full((length, length), -np.inf), 1).astype(dtype)
    return _masks(kind, (length, length), rng, dtype, False)


def _compare_modules(torch, actual_module, expected_module, call, arrays, masks, rng, dtype, train=True):
    """``call(module, inputs, masks)`` on both twins: outputs, then input and parameter gradients."""
    ours, theirs = _pair(torch, arrays)
    ours_masks, theirs_masks = _pair(torch, masks, requires_grad=False)
    if not train:
        actual_module.eval()
        expected_module.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        actual, expected = call(actual_module, ours, ours_masks), call(expected_module, theirs, theirs_masks)
    _assert_close(actual, expected, TOL[dtype])
    _backward_both(torch, [actual], [expected], rng)
    _assert_grads(ours, theirs, TOL[dtype])
    _assert_parameter_grads(actual_module, expected_module, TOL[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("masks", LAYER_MASKS)
@pytest.mark.parametrize("kwargs, batched", LAYER_CONFIGS)
def test_encoder_layer_matches_torch(kwargs, batched, masks, dtype):
    torch = pytest.importorskip("torch")
    actual_layer, expected_layer = _layer_twins(torch, "TransformerEncoderLayer", (D_MODEL, NHEAD, FF),
                                                dict(kwargs, dropout=0.0), dtype)
    rng = np.random.default_rng(17)
    length = 5
    src = _sequence(rng, length, batched, kwargs.get("batch_first"), dtype)
    attn_kind, padding_kind, hint = masks
    mask = _square_mask(attn_kind, length, rng, dtype)
    padding = _masks(padding_kind, ((N,) if batched else ()) + (length,), rng, dtype, False)

    def call(layer, inputs, masks):
        return layer(inputs[0], src_mask=masks[0], src_key_padding_mask=masks[1], is_causal=bool(hint))

    _compare_modules(torch, actual_layer, expected_layer, call, [src], [mask, padding], rng, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("masks", LAYER_MASKS)
@pytest.mark.parametrize("kwargs, batched", LAYER_CONFIGS)
def test_decoder_layer_matches_torch(kwargs, batched, masks, dtype):
    torch = pytest.importorskip("torch")
    actual_layer, expected_layer = _layer_twins(torch, "TransformerDecoderLayer", (D_MODEL, NHEAD, FF),
                                                dict(kwargs, dropout=0.0), dtype)
    rng = np.random.default_rng(18)
    target, source = 4, 6
    batch_first = kwargs.get("batch_first")
    tgt, memory = (_sequence(rng, n, batched, batch_first, dtype) for n in (target, source))
    attn_kind, padding_kind, hint = masks
    tgt_mask = _square_mask(attn_kind, target, rng, dtype)
    memory_mask = None if attn_kind in (None, "causal") else _masks(attn_kind, (target, source), rng, dtype, False)
    batch = (N,) if batched else ()
    tgt_padding = _masks(padding_kind, batch + (target,), rng, dtype, False)
    memory_padding = _masks(padding_kind, batch + (source,), rng, dtype, False)

    def call(layer, inputs, masks):
        return layer(inputs[0], inputs[1], tgt_mask=masks[0], memory_mask=masks[1], tgt_key_padding_mask=masks[2],
                     memory_key_padding_mask=masks[3], tgt_is_causal=bool(hint))

    _compare_modules(torch, actual_layer, expected_layer, call, [tgt, memory],
                     [tgt_mask, memory_mask, tgt_padding, memory_padding], rng, dtype)


STACK_CASES = [  # batch_first, norm_first, with final norm, masks, is_causal argument
    (False, False, True, ("causal", None), None),
    (True, False, False, ("causal", "bool"), None),
    (True, True, True, (None, "bool"), None),
    (False, True, False, ("float", "float"), False),
    (True, False, True, ("causal", None), True),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batch_first, norm_first, final_norm, masks, is_causal", STACK_CASES)
def test_encoder_and_decoder_stacks_match_torch(batch_first, norm_first, final_norm, masks, is_causal, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(19)
    length, source = 5, 6
    stacks = []
    for lib in (torch, torchless):
        lib.manual_seed(0)
        kwargs = dict(dropout=0.0, batch_first=batch_first, norm_first=norm_first, dtype=getattr(lib, dtype))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            norm = lambda: lib.nn.LayerNorm(D_MODEL, dtype=getattr(lib, dtype)) if final_norm else None  # noqa: E731
            encoder = lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(D_MODEL, NHEAD, FF, **kwargs), 2,
                                                norm())
            decoder = lib.nn.TransformerDecoder(lib.nn.TransformerDecoderLayer(D_MODEL, NHEAD, FF, **kwargs), 2,
                                                norm())
        stacks.append((encoder, decoder))
    (expected_encoder, expected_decoder), (actual_encoder, actual_decoder) = stacks
    actual_encoder.load_state_dict(state_dict_from_torch(expected_encoder))
    actual_decoder.load_state_dict(state_dict_from_torch(expected_decoder))
    src = _sequence(rng, length, True, batch_first, dtype)
    mask = _square_mask(masks[0], length, rng, dtype)
    padding = _masks(masks[1], (N, length), rng, dtype, False)

    def encode(encoder, inputs, masks):
        return encoder(inputs[0], mask=masks[0], src_key_padding_mask=masks[1], is_causal=is_causal)

    _compare_modules(torch, actual_encoder, expected_encoder, encode, [src], [mask, padding], rng, dtype)
    tgt, memory = _sequence(rng, length, True, batch_first, dtype), _sequence(rng, source, True, batch_first, dtype)

    def decode(decoder, inputs, masks):
        return decoder(inputs[0], inputs[1], tgt_mask=masks[0], tgt_key_padding_mask=masks[1],
                       tgt_is_causal=is_causal)

    _compare_modules(torch, actual_decoder, expected_decoder, decode, [tgt, memory], [mask, padding], rng, dtype)


@pytest.mark.parametrize("kwargs", [{}, {"batch_first": True, "norm_first": True, "activation": "gelu"},
                                    {"bias": False, "layer_norm_eps": 1e-4}])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_transformer_matches_torch(kwargs, dtype):
    torch = pytest.importorskip("torch")
    actual_model, expected_model = _layer_twins(torch, "Transformer", (D_MODEL, NHEAD, 2, 2, FF),
                                                dict(kwargs, dropout=0.0), dtype)
    rng = np.random.default_rng(20)
    batch_first = kwargs.get("batch_first")
    src, tgt = _sequence(rng, 6, True, batch_first, dtype), _sequence(rng, 4, True, batch_first, dtype)
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=getattr(torchless, dtype)).numpy()
    src_padding = _masks("bool", (N, 6), rng, dtype, False)

    def call(model, inputs, masks):
        return model(inputs[0], inputs[1], tgt_mask=masks[0], src_key_padding_mask=masks[1],
                     memory_key_padding_mask=masks[1])

    _compare_modules(torch, actual_model, expected_model, call, [src, tgt], [tgt_mask, src_padding], rng, dtype)


def test_layers_in_eval_mode_with_dropout_match_torch():
    torch = pytest.importorskip("torch")
    actual_model, expected_model = _layer_twins(torch, "Transformer", (D_MODEL, NHEAD, 1, 1, FF),
                                                {"dropout": 0.3}, "float64")
    rng = np.random.default_rng(21)
    src, tgt = _sequence(rng, 5, True, False, "float64"), _sequence(rng, 3, True, False, "float64")
    _compare_modules(torch, actual_model, expected_model, lambda m, x, _: m(x[0], x[1]), [src, tgt], [], rng,
                     "float64", train=False)


def test_causal_hint_overrides_mask_as_in_torch():
    """With is_causal=True, need_weights=False and no padding mask, PyTorch uses the causal mask, not the one given."""
    torch = pytest.importorskip("torch")
    actual_layer, expected_layer = _layer_twins(torch, "TransformerEncoderLayer", (D_MODEL, NHEAD, FF),
                                                {"dropout": 0.0}, "float64")
    rng = np.random.default_rng(22)
    src, mask = _sequence(rng, 5, True, False, "float64"), rng.standard_normal((5, 5))
    _compare_modules(torch, actual_layer, expected_layer, lambda m, x, k: m(x[0], src_mask=k[0], is_causal=True),
                     [src], [mask], rng, "float64")
    # with a padding mask the hint is dropped and the mask given is used
    padding = _masks("bool", (N, 5), rng, np.float64, False)
    _compare_modules(torch, actual_layer, expected_layer,
                     lambda m, x, k: m(x[0], src_mask=k[0], src_key_padding_mask=k[1], is_causal=True), [src],
                     [mask, padding], rng, "float64")


@pytest.mark.parametrize("mask_check, padding", [
    (True, [[False, False, False, True, True], [False] * 5]),
    (True, [[True, False, False, False, True], [False, False, True, True, True]]),  # not left-aligned
    (False, [[True, False, False, False, True], [False, False, True, True, True]]),
    (True, [[True] * 5, [False, True, True, True, True]]),
])
def test_encoder_inference_with_padding_matches_torch_nested_tensor_path(mask_check, padding):
    """In inference PyTorch packs a batch_first padded batch into a nested tensor: padded positions come back 0."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(23)
    models = []
    for lib in (torch, torchless):
        lib.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer = lib.nn.TransformerEncoderLayer(D_MODEL, NHEAD, FF, dropout=0.1, batch_first=True,
                                                   dtype=lib.float64)
            models.append(lib.nn.TransformerEncoder(layer, 2, lib.nn.LayerNorm(D_MODEL, dtype=lib.float64),
                                                    mask_check=mask_check).eval())
    expected_model, actual_model = models
    actual_model.load_state_dict(state_dict_from_torch(expected_model))
    src, padding = rng.standard_normal((2, 5, D_MODEL)), np.array(padding)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            expected = expected_model(torch.tensor(src), src_key_padding_mask=torch.tensor(padding))
        with torchless.no_grad():
            actual = actual_model(tensor(src), src_key_padding_mask=tensor(padding))
    _assert_close(actual, expected, TOL["float64"])


@pytest.mark.parametrize("layer_kwargs, encoder_kwargs", [
    ({}, {}), ({"batch_first": True}, {}), ({"batch_first": True}, {"enable_nested_tensor": False}),
    ({"batch_first": True, "norm_first": True}, {}), ({"batch_first": True, "bias": False}, {}),
    ({"batch_first": True, "activation": "callable"}, {}), ({"batch_first": True, "layer_norm_eps": 1e-3}, {}),
])
def test_encoder_nested_tensor_warnings_match_torch(layer_kwargs, encoder_kwargs):
    torch = pytest.importorskip("torch")
    messages = []
    for lib in (torch, torchless):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            nhead = 1 if layer_kwargs.get("layer_norm_eps") else NHEAD
            layer = lib.nn.TransformerEncoderLayer(D_MODEL, nhead, FF, **_activation(lib, layer_kwargs))
            encoder = lib.nn.TransformerEncoder(layer, 2, **encoder_kwargs)
        messages.append([str(w.message) for w in caught])
        assert encoder.use_nested_tensor == (not messages[-1] and encoder.enable_nested_tensor)
    assert messages[0] == messages[1]


@pytest.mark.parametrize("name, args", [
    ("TransformerEncoderLayer", (D_MODEL, NHEAD, FF)), ("TransformerDecoderLayer", (D_MODEL, NHEAD, FF)),
    ("Transformer", (D_MODEL, NHEAD, 2, 1, FF)),
])
@pytest.mark.parametrize("kwargs", [{}, {"activation": "gelu", "norm_first": True, "bias": False},
                                    {"activation": "module_gelu", "batch_first": True}])
def test_state_dict_keys_and_repr_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = getattr(torch.nn, name)(*args, **_activation(torch, kwargs))
        actual = getattr(nn, name)(*args, **_activation(torchless, kwargs))
    assert repr(actual) == repr(expected)
    assert {k: tuple(v.shape) for k, v in actual.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in expected.state_dict().items()}
    assert list(actual.state_dict()) == list(expected.state_dict())
    assert [n for n, _ in actual.named_parameters()] == [n for n, _ in expected.named_parameters()]
    if name == "TransformerEncoderLayer":
        assert actual.activation_relu_or_gelu == expected.activation_relu_or_gelu


def test_clones_are_independent_copies():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(D_MODEL, NHEAD, FF), 3)
    first, second = encoder.layers[0].linear1.weight, encoder.layers[1].linear1.weight
    assert first is not second
    assert np.array_equal(first.detach().numpy(), second.detach().numpy())
    with torchless.no_grad():
        first.add_(1.0)
    assert not np.array_equal(first.detach().numpy(), second.detach().numpy())
    assert len(list(encoder.parameters())) == 3 * len(list(encoder.layers[0].parameters()))


def test_transformer_initialises_matrices_xavier_uniform():
    torchless.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = nn.Transformer(16, 2, 1, 1, 64, dtype=torchless.float64)
    weight = model.encoder.layers[0].linear1.weight.detach().numpy()  # (64, 16): xavier, not Linear's own init
    assert weight.dtype == np.float64
    bound = math.sqrt(6 / (16 + 64))
    assert bound * 0.9 < np.abs(weight).max() <= bound
    assert np.array_equal(model.encoder.layers[0].self_attn.in_proj_bias.detach().numpy(), np.zeros(48))
    assert np.array_equal(model.decoder.norm.weight.detach().numpy(), np.ones(16))
    assert all(p.dtype == torchless.float64 for p in model.parameters())


@pytest.mark.parametrize("size, dtype", [(1, None), (4, None), (5, "float64"), (3, "bool")])
def test_generate_square_subsequent_mask_matches_torch(size, dtype):
    torch = pytest.importorskip("torch")
    expected = torch.nn.Transformer.generate_square_subsequent_mask(size, dtype=dtype and getattr(torch, dtype))
    actual = nn.Transformer.generate_square_subsequent_mask(size, dtype=dtype and getattr(torchless, dtype))
    assert actual.dtype.name == str(expected.dtype).replace("torch.", "")
    assert np.array_equal(actual.numpy(), expected.numpy())


def _transformer_error_cases(lib):
    r = lambda *s: lib.ones(*s)  # noqa: E731
    lib.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = lib.nn.Transformer(D_MODEL, NHEAD, 1, 1, FF)
        first = lib.nn.Transformer(D_MODEL, NHEAD, 1, 1, FF, batch_first=True)
    return [
        lambda: model(r(5, 2, D_MODEL), r(4, 3, D_MODEL)),
        lambda: first(r(2, 5, D_MODEL), r(3, 4, D_MODEL)),
        lambda: model(r(5, 2, D_MODEL), r(4, 2, 6)),
        lambda: lib.nn.TransformerEncoderLayer(D_MODEL, NHEAD, activation="tanh"),
        lambda: lib.nn.TransformerDecoderLayer(D_MODEL, NHEAD, activation="swish"),
        lambda: lib.nn.TransformerEncoderLayer(10, 3),
        lambda: lib.nn.TransformerEncoderLayer(D_MODEL, NHEAD, dropout=1.5),
        lambda: model.encoder(r(5, 2, D_MODEL), src_key_padding_mask=lib.zeros(2, 5, dtype=lib.int64)),
        lambda: model.encoder.layers[0](r(5, 2, D_MODEL), src_mask=lib.zeros(5, 5, dtype=lib.int32)),
        lambda: model.decoder(r(4, 2, D_MODEL), r(5, 2, D_MODEL), tgt_mask=r(3, 3)),
    ]


@pytest.mark.parametrize("case", range(len(_transformer_error_cases(torchless))))
def test_transformer_errors_match_torch(case):
    torch = pytest.importorskip("torch")
    assert_same_error(_transformer_error_cases(torch)[case], _transformer_error_cases(torchless)[case])


# ---------------------------------------------------------------------------- training
def _train(lib, model, head, inputs, targets, steps):
    optimizer = lib.optim.Adam(list(model.parameters()) + list(head.parameters()), lr=1e-2)
    mask = lib.nn.Transformer.generate_square_subsequent_mask(inputs.shape[1])
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = lib.nn.functional.mse_loss(head(model(inputs, mask=mask, is_causal=True)), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_encoder_training_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(24)
    inputs, targets = rng.standard_normal((4, 6, 16)).astype(np.float32), rng.standard_normal((4, 6, 1))
    runs = []
    for lib in (torch, torchless):
        lib.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer = lib.nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True, activation="gelu")
            model = lib.nn.TransformerEncoder(layer, 2, lib.nn.LayerNorm(16))
        runs.append((lib, model, lib.nn.Linear(16, 1)))
    (_, expected_model, expected_head), (_, actual_model, actual_head) = runs
    actual_model.load_state_dict(state_dict_from_torch(expected_model))
    actual_head.load_state_dict(state_dict_from_torch(expected_head))
    expected = _train(torch, expected_model, expected_head, torch.tensor(inputs),
                      torch.tensor(targets, dtype=torch.float32), 6)
    actual = _train(torchless, actual_model, actual_head, tensor(inputs), tensor(targets.astype(np.float32)), 6)
    np.testing.assert_allclose(actual, expected, rtol=1e-4)
    assert actual[-1] < actual[0]
    for name, parameter in actual_model.state_dict().items():
        actual_value, expected_value = parameter.numpy(), expected_model.state_dict()[name].numpy()
        if name.endswith("in_proj_bias"):
            # The key bias adds the same q.b_k to every score of a row, which the softmax ignores: its gradient is
            # rounding noise, which Adam scales up to full steps. Only the query and value biases are comparable.
            actual_value, expected_value = np.delete(actual_value, np.s_[16:32]), np.delete(expected_value,
                                                                                            np.s_[16:32])
        np.testing.assert_allclose(actual_value, expected_value, rtol=1e-3, atol=1e-4, err_msg=name)


def test_float64_end_to_end():
    rng = np.random.default_rng(25)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = nn.Transformer(D_MODEL, NHEAD, 1, 1, FF, dropout=0.0, dtype=torchless.float64)
    src = tensor(rng.standard_normal((5, 2, D_MODEL)), requires_grad=True)
    tgt = tensor(rng.standard_normal((3, 2, D_MODEL)))
    out = model(src, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(3, dtype=torchless.float64))
    assert out.dtype == torchless.float64 and out.shape == (3, 2, D_MODEL)
    out.sum().backward()
    assert src.grad.dtype == torchless.float64
    assert all(p.grad is not None and p.grad.dtype == torchless.float64 for p in model.parameters())

