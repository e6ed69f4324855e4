"""Session 30's parity regressions of the recurrent and attention layers (and their helpers) against PyTorch:
packing of unsorted batches, padding of inconsistent packed sequences, attention with nothing to attend."""
import numpy as np
import pytest

import torchless
from helpers import (assert_same_error, assert_same_error_as_written, assert_same_outcome, described,
                     outcome_named_as_torch)

torch = pytest.importorskip("torch")


def _both(fn):
    """``fn(lib)`` for torch and torchless after the same seed."""
    results = []
    for lib in (torch, torchless):
        lib.manual_seed(0)
        results.append(fn(lib))
    return results


def _assert_close(expected, actual, rtol=1e-6, atol=1e-7):
    if expected is None:
        assert actual is None
        return
    assert actual is not None
    assert tuple(actual.shape) == tuple(expected.shape)
    assert actual.dtype.name == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(actual.detach().numpy().astype(np.float64),
                               expected.detach().numpy().astype(np.float64), rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------- pack_padded_sequence
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths", [[2, 3], [5, 1, 2], [4, 1, 2], [4, 4, 4], [2, 3, 1, 1], [1, 2, 3]])
def test_unsorted_packing_takes_the_sequences_its_lengths_name(batch_first, lengths):
    """enforce_sorted=False selects the batch by the sorted indices first (PyTorch's index_select), so fewer
    lengths than sequences pack those sequences only, and more are an index error, not a length mismatch."""
    def pack(lib):
        padded = lib.arange(24.0, dtype=lib.float64).reshape(4, 3, 2).requires_grad_()
        packed = lib.nn.utils.rnn.pack_padded_sequence(padded, lengths, batch_first=batch_first,
                                                       enforce_sorted=False)
        (packed.data * packed.data).sum().backward()
        return (packed.data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices, padded.grad)

    assert_same_outcome(pack)


# ---------------------------------------------------------------------------- pad_packed_sequence
@pytest.mark.parametrize("rows", [7, 5, 3, 2, 0])
@pytest.mark.parametrize("batch_sizes", [[2, 2, 1], [3, 1, 1], [2]])
def test_padding_a_packed_sequence_with_more_or_fewer_rows_than_its_batch_sizes(rows, batch_sizes):
    """PyTorch's kernel pads the rows the batch sizes describe, ignores more, and fails on too few as the view of
    the run of steps where they end fails."""
    def pad(lib):
        packed = lib.nn.utils.rnn.PackedSequence(lib.arange(rows * 3.0).reshape(rows, 3), lib.tensor(batch_sizes))
        return lib.nn.utils.rnn.pad_packed_sequence(packed, padding_value=-1.0)

    assert_same_outcome(pad)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths", [[4, 1], [4, 3], [5, 5, 2]])
def test_lengths_past_the_padded_steps_fail_when_padded_again(batch_first, lengths):
    """A length beyond the padded steps packs fewer rows than its batch sizes count: padding them back fails."""
    def round_trip(lib):
        padded = lib.arange(6.0 * len(lengths)).reshape(3, len(lengths), 2)
        padded = padded.transpose(0, 1) if batch_first else padded
        packed = lib.nn.utils.rnn.pack_padded_sequence(padded, lengths, batch_first=batch_first)
        return lib.nn.utils.rnn.pad_packed_sequence(packed, batch_first=batch_first)

    assert_same_error(lambda: round_trip(torch), lambda: round_trip(torchless))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding", ["pad_sequence", "pad_packed_sequence"])
def test_padded_batches_are_written_into_slices_as_pytorchs(batch_first, padding):
    """The sequences are copied into slices of the padding (PyTorch's node: CopySlices), with the same values and
    first and second gradients."""
    def pad(lib):
        x = lib.randn(4, 3, 2, dtype=lib.float64, requires_grad=True)
        sequences = [x[:, 0], x[:1, 1], x[:3, 2]]
        if padding == "pad_sequence":
            out = lib.nn.utils.rnn.pad_sequence(sequences, batch_first=batch_first, padding_value=1.5)
        else:
            packed = lib.nn.utils.rnn.pack_sequence(sequences, enforce_sorted=False)
            out = lib.nn.utils.rnn.pad_packed_sequence(packed, batch_first, 1.5, total_length=6)[0]
        (grad,) = lib.autograd.grad((out ** 3).sum(), x, create_graph=True)
        (second,) = lib.autograd.grad((grad * grad.cos()).sum(), x)
        return out.grad_fn.name(), out, grad, second

    expected, actual = _both(pad)
    assert actual[0] == expected[0]
    for theirs, ours in zip(expected[1:], actual[1:], strict=True):
        _assert_close(theirs, ours, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_padding_a_packed_sequence_as_pytorchs_kernel_then_index_select(enforce_sorted, batch_first):
    """PyTorch pads time-major, transposes (a view) for batch_first, then index_selects an unsorted batch back into
    its order: the result's node and strides are those steps'."""
    def pad(lib):
        x = lib.arange(24.0, dtype=lib.float64).reshape(4, 3, 2).requires_grad_()
        packed = lib.nn.utils.rnn.pack_sequence([x[:, 0], x[:3, 2], x[:1, 1]], enforce_sorted=enforce_sorted)
        padded, lengths = lib.nn.utils.rnn.pad_packed_sequence(packed, batch_first, 1.5, total_length=6)
        return padded.grad_fn.name(), padded.stride(), padded.tolist(), lengths.tolist()

    expected, actual = _both(pad)
    assert actual == expected


PACKED_SEQUENCE_ERRORS = {
    "empty batch_sizes": lambda lib: lib.nn.utils.rnn.pad_packed_sequence(
        lib.nn.utils.rnn.PackedSequence(lib.ones(0, 2), lib.tensor([], dtype=lib.int64))),
    "empty batch_sizes, negative total_length": lambda lib: lib.nn.utils.rnn.pad_packed_sequence(
        lib.nn.utils.rnn.PackedSequence(lib.ones(0, 2), lib.tensor([], dtype=lib.int64)), total_length=-1),
    "sorted_indices out of range": lambda lib: lib.nn.utils.rnn.PackedSequence(
        lib.ones(3, 2), lib.tensor([2, 1]), lib.tensor([1, 3])),
    "int32 sorted_indices": lambda lib: lib.nn.utils.rnn.PackedSequence(
        lib.ones(3, 2), lib.tensor([2, 1]), lib.tensor([1, 0], dtype=lib.int32)),
    "float sorted_indices": lambda lib: lib.nn.utils.rnn.PackedSequence(
        lib.ones(3, 2), lib.tensor([2, 1]), lib.tensor([1.0, 0.0])),
    "2-d permutation": lambda lib: lib.nn.utils.rnn.invert_permutation(lib.tensor([[1, 0]])),
}


@pytest.mark.parametrize("call", PACKED_SEQUENCE_ERRORS.values(), ids=PACKED_SEQUENCE_ERRORS.keys())
def test_packed_sequence_errors(call):
    """invert_permutation is PyTorch's scatter (its errors); an empty batch_sizes is the kernel's error, after
    Python's total_length check."""
    assert_same_error(lambda: call(torch), lambda: call(torchless))


# ---------------------------------------------------------------------------- scaled_dot_product_attention
NOTHING_TO_ATTEND = {
    "no keys": ((2, 3, 4, 5), (2, 3, 0, 5), (2, 3, 0, 7)),
    "no queries": ((2, 3, 0, 5), (2, 3, 6, 6), (2, 3, 6, 7)),
    "empty value features": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 0)),
    "empty batch": ((0, 3, 4, 5), (0, 3, 6, 5), (0, 3, 6, 7)),
    "broadcast batch": ((1, 3, 4, 5), (2, 1, 0, 5), (2, 1, 0, 7)),
    "unbatched": ((0, 5), (6, 5), (6, 7)),
}


@pytest.mark.parametrize("shapes", NOTHING_TO_ATTEND.values(), ids=NOTHING_TO_ATTEND.keys())
@pytest.mark.parametrize("extra", [{}, {"is_causal": True, "mask": (3, 1)}, {"enable_gqa": True},
                                   {"dropout_p": 2.0}, {"mask": (5, 2)}])
def test_attention_with_nothing_to_attend_is_zeros_before_other_checks(shapes, extra):
    """No query or an empty value: PyTorch returns zeros shaped as query with value's features before checking
    the mask's shape, the causal hint with a mask, the head grouping or the dropout probability; backward gives
    every input a zero gradient and none to the mask."""
    extra = dict(extra)
    mask_shape = extra.pop("mask", None)

    def attend(lib):
        q, k, v = (lib.randn(*shape, dtype=lib.float64, requires_grad=True) for shape in shapes)
        mask = None if mask_shape is None else lib.zeros(*mask_shape, dtype=lib.float64, requires_grad=True)
        out = lib.nn.functional.scaled_dot_product_attention(q, k, v, mask, **extra)
        (out * out + out).sum().backward()
        return out, q.grad, k.grad, v.grad, None if mask is None else mask.grad

    expected, actual = _both(attend)
    assert actual[0].grad_fn.name() == expected[0].grad_fn.name() == "AddBackward0"
    for theirs, ours in zip(expected, actual, strict=True):
        _assert_close(theirs, ours)


def test_attention_with_nothing_to_attend_keeps_a_nan_and_the_dtype():
    def attend(lib):
        nan_query = lib.full((2, 1, 4, 5), float("nan"))
        return (lib.nn.functional.scaled_dot_product_attention(nan_query, lib.ones(2, 1, 0, 5), lib.ones(2, 1, 0, 3)),
                lib.nn.functional.scaled_dot_product_attention(lib.ones(0, 5, dtype=lib.int64),
                                                               lib.ones(6, 5, dtype=lib.int64),
                                                               lib.ones(6, 7, dtype=lib.int64)))

    expected, actual = _both(attend)
    for theirs, ours in zip(expected, actual, strict=True):
        assert ours.grad_fn is None
        _assert_close(theirs, ours)


@pytest.mark.parametrize("scale", [None, 0.5])
@pytest.mark.parametrize("is_causal", [False, True])
def test_attention_over_an_empty_head_dimension_averages_the_values(scale, is_causal):
    """Empty query and key features (the value's are not): every score is 0, each query the mean of the values
    it may see (PyTorch's default scale is then 1 / sqrt(0) = inf, not a division error)."""
    def attend(lib):
        q, k = lib.randn(2, 3, 4, 0, dtype=lib.float64), lib.randn(2, 3, 6, 0, dtype=lib.float64)
        v = lib.randn(2, 3, 6, 7, dtype=lib.float64, requires_grad=True)
        out = lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=is_causal, scale=scale)
        out.pow(2).sum().backward()
        return out, v.grad

    expected, actual = _both(attend)
    for theirs, ours in zip(expected, actual, strict=True):
        _assert_close(theirs, ours, rtol=1e-12, atol=1e-12)
    torch.manual_seed(0)  # (an independent check of the mean: the same draws)
    torch.randn(2, 3, 4, 0), torch.randn(2, 3, 6, 0)
    v = torch.randn(2, 3, 6, 7, dtype=torch.float64)
    mean = v.mean(-2, keepdim=True).expand(2, 3, 4, 7)
    if is_causal:
        mean = v[..., :4, :].cumsum(-2) / torch.arange(1, 5, dtype=torch.float64)[:, None]
    np.testing.assert_allclose(actual[0].detach().numpy(), mean.numpy(), rtol=1e-12)


@pytest.mark.parametrize("options", [{"scale": 2.0}, {"scale": "tensor"}, {"scale": "int tensor"},
                                     {"scale": "bool tensor"}, {"scale": "1-d tensor"},
                                     {"scale": "tensor requiring grad"},
                                     {"dropout_p": "tensor"}, {"dropout_p": "tensor requiring grad"},
                                     {"dropout_p": 2}, {"dropout_p": 1e10}, {"dropout_p": 1.5}])
def test_attention_float_arguments_as_pytorchs_parser_takes_them(options):
    """A float argument may be a 0-d tensor not requiring grad; an out-of-range dropout probability is printed as
    C++ prints a double ("2", "1e+10")."""
    values = {"tensor": lambda lib: lib.tensor(2.0) if "scale" in options else lib.tensor(0.0),
              "int tensor": lambda lib: lib.tensor(2), "bool tensor": lambda lib: lib.tensor(True),
              "1-d tensor": lambda lib: lib.tensor([2.0]),
              "tensor requiring grad": lambda lib: lib.tensor(0.0, requires_grad=True)}

    def attend(lib):
        query = lib.arange(12.0).reshape(1, 3, 4) / 10
        keywords = {name: values[value](lib) if isinstance(value, str) else value for name, value in options.items()}
        return lib.nn.functional.scaled_dot_product_attention(query, query.flip(1), query.cos(), **keywords)

    assert_same_outcome(attend)


# ---------------------------------------------------------------------------- Transformer layers
@pytest.mark.parametrize("layer", ["TransformerEncoderLayer", "TransformerDecoderLayer"])
@pytest.mark.parametrize("activation", ["relu", "gelu", "F.relu", "F.gelu", "ReLU", "GELU", "F.silu"])
def test_transformer_layer_recognises_the_public_relu_and_gelu(layer, activation):
    """``activation_relu_or_gelu`` (which decides the encoder's nested-tensor path) is 1 for relu, 2 for gelu, given
    by name, as the public functional or as a module; a string becomes the public function itself."""
    def build(lib):
        given = {"F.relu": lib.nn.functional.relu, "F.gelu": lib.nn.functional.gelu, "F.silu": lib.nn.functional.silu,
                 "ReLU": lib.nn.ReLU(), "GELU": lib.nn.GELU()}.get(activation, activation)
        module = getattr(lib.nn, layer)(8, 2, 16, activation=given)
        public = {"relu": lib.nn.functional.relu, "gelu": lib.nn.functional.gelu}
        return (getattr(module, "activation_relu_or_gelu", None),
                module.activation is public.get(activation, module.activation))

    expected, actual = _both(build)
    assert actual == expected


# ---------------------------------------------------------------------------- recurrent layers
@pytest.mark.parametrize("layer, options", [("RNN", {}), ("RNN", {"bidirectional": True}), ("GRU", {"num_layers": 2}),
                                            ("LSTM", {"proj_size": 1}), ("GRU", {"batch_first": True}),
                                            ("LSTM", {"batch_first": True, "bidirectional": True}),
                                            ("RNN", {"nonlinearity": "relu", "num_layers": 2, "dropout": 0.5})])
@pytest.mark.parametrize("input_kind", ["padded", "unbatched", "packed"])
def test_recurrent_outputs_end_in_pytorchs_nodes(layer, options, input_kind):
    """The steps' outputs are stacked (a padded batch), concatenated (packed, or two directions), transposed in
    place for batch_first, as PyTorch's kernels do: the same node names, and the same values and gradients."""
    def run(lib):
        module = getattr(lib.nn, layer)(2, 3, dtype=lib.float64, **options)
        x = (lib.arange(30.0, dtype=lib.float64).reshape(5, 3, 2) / 30).cos().requires_grad_()
        if input_kind == "unbatched":
            output, hidden = module(x[:, 0])
        elif input_kind == "packed":
            output, hidden = module(lib.nn.utils.rnn.pack_padded_sequence(x, [5, 2, 4], enforce_sorted=False))
            output = output.data
        else:
            output, hidden = module(x)
        hidden = hidden[0] if isinstance(hidden, tuple) else hidden
        (output.sin().sum() + hidden.sum()).backward()
        return output.grad_fn.name(), hidden.grad_fn.name(), output, x.grad, [p.grad for p in module.parameters()]

    expected, actual = _both(run)
    assert actual[:2] == expected[:2]
    for theirs, ours in zip([*expected[2:4], *expected[4]], [*actual[2:4], *actual[4]], strict=True):
        _assert_close(theirs, ours, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mask, is_causal", [(None, False), (None, True), ("bool", False), ("float32", False),
                                             ("float16", False)])
def test_half_attention_is_computed_in_float32_and_rounded_once(mask, is_causal):
    """PyTorch's math kernel (3-D inputs) attends to half inputs in float32 and copies the result to half: the
    same bits, the same gradients and the output's node ToCopyBackward0."""
    def attend(lib):
        q, k, v = (lib.randn(3, n, 8).half().requires_grad_() for n in (4, 6, 6))
        masks = {"bool": lib.rand(4, 6) < 0.7, "float32": lib.randn(4, 6), "float16": lib.randn(4, 6).half()}
        out = lib.nn.functional.scaled_dot_product_attention(q, k, v, masks.get(mask), is_causal=is_causal)
        out.float().pow(2).sum().backward()
        return out.grad_fn.name(), out, q.grad, k.grad, v.grad

    expected, actual = _both(attend)
    assert actual[0] == expected[0]
    for theirs, ours in zip(expected[1:], actual[1:], strict=True):
        _assert_close(theirs, ours, rtol=0, atol=1e-6)


def test_half_grouped_query_attention_has_a_gradient():
    """Grouped-query attention repeats the key and value heads (repeat_interleave, an index_select whose half
    gradient is summed in float32): its backward ran into a missing index."""
    def attend(lib):
        q = lib.randn(2, 4, 5, 8).half().requires_grad_()
        k, v = (lib.randn(2, 2, 5, 8).half().requires_grad_() for _ in range(2))
        out = lib.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True)
        out.float().pow(2).sum().backward()
        return out, q.grad, k.grad, v.grad

    expected, actual = _both(attend)
    for theirs, ours in zip(expected, actual, strict=True):  # (PyTorch's fused kernel: its own float32 order)
        _assert_close(theirs, ours, rtol=4e-3, atol=4e-3)


SDPA_PARSER_CALLS = {
    "attn_mask by position": "S(x, x, x, [[0.0]])",
    "attn_mask by keyword": "S(x, x, x, attn_mask=[[0.0]])",
    "dropout_p by position": "S(x, x, x, None, 'a')",
    "dropout_p by keyword": "S(x, x, x, dropout_p='a')",
    "is_causal by position": "S(x, x, x, None, 0.0, 1)",
    "is_causal by keyword": "S(x, x, x, is_causal=1)",
    "query by keyword": "S(query=[1], key=x, value=x)",
    "key by position": "S(x, [1])",
    "value by keyword": "S(x, x, value=1)",
    "scale": "S(x, x, x, scale='a')",
    "enable_gqa": "S(x, x, x, enable_gqa=1)",
    "first bad argument in order": "S(x, x, x, None, 'a', 1)",
    "missing key, value given": "S(x, value=x)",
    "missing query": "S(key=x, value=x)",
    "bad query before missing ones": "S([1])",
}


@pytest.mark.parametrize("call", SDPA_PARSER_CALLS.values(), ids=SDPA_PARSER_CALLS.keys())
def test_attention_parser_errors_name_positions_as_written(call):
    """PyTorch's parser checks the arguments in the signature's order and names the position of one passed by
    position only; a missing required argument lists it and every required one after it."""
    assert_same_error_as_written(call.replace("S(", "lib.nn.functional.scaled_dot_product_attention("))


PACKED_LSTM_STATES = {
    "one direction for two": ({"bidirectional": True}, [(1, 2, 3), (1, 2, 3)]),
    "too many layers": ({"bidirectional": True}, [(4, 2, 3), (4, 2, 3)]),
    "too few layers": ({"num_layers": 2}, [(1, 2, 3), (1, 2, 3)]),
    "odd layers": ({"num_layers": 2}, [(3, 2, 3), (3, 2, 3)]),
    "h sized as a projection": ({}, [(1, 2, 4), (1, 2, 3)]),
    "c sized apart": ({}, [(1, 2, 3), (1, 2, 4)]),
    "projection without a projected h": ({"proj_size": 2}, [(1, 2, 3), (1, 2, 3)]),
    "2-d states": ({}, [(2, 3), (2, 3)]),
    "one state": ({}, [(1, 2, 3)]),
    "three states": ({}, [(1, 2, 3)] * 3),
}


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("options, shapes", PACKED_LSTM_STATES.values(), ids=PACKED_LSTM_STATES.keys())
def test_packed_lstm_state_errors_are_its_kernels(options, shapes, enforce_sorted):
    """PyTorch checks a packed LSTM's states in its kernel only: the pair, the projection inferred from the
    states' sizes, the number of states per layer and direction, with its own words. (An unsorted batch's states
    are permuted first, into a pair: a third state is dropped there.)"""
    def run(lib):
        packed = lib.nn.utils.rnn.pack_sequence([lib.ones(3, 2), lib.ones(1, 2)], enforce_sorted=enforce_sorted)
        output, (h_n, c_n) = lib.nn.LSTM(2, 3, **options)(packed, tuple(lib.zeros(*shape) for shape in shapes))
        return described((output.data, h_n, c_n))

    expected, actual = _both(lambda lib: outcome_named_as_torch(lambda: run(lib)))
    assert actual == expected
