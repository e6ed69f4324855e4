"""Layer classes on the cases earlier sessions missed, each run on torch and on torchless with the same seed and
compared: what is returned (shapes, dtypes, values to float32 precision) or the exception's type and message
(torchless's names read as torch's)."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def outcome(lib, make):
    """``make(lib)`` after seeding the generator: a comparable record of its tensors, or the exception."""
    lib.manual_seed(0)
    try:
        return record(make(lib))
    except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
        return type(error).__name__, str(error).replace("torchless", "torch")


def record(value):
    if isinstance(value, (tuple, list)):
        return tuple(record(item) for item in value)
    if hasattr(value, "detach"):
        array = value.detach().numpy().astype(np.float64)
        return tuple(value.shape), str(value.dtype).replace("torchless", "torch"), str(np.round(array, 5).tolist())
    return repr(value).replace("torchless", "torch")


def same_in_both(make):
    expected, got = outcome(torch, make), outcome(torchless, make)
    assert got == expected
    return expected


# ---------------------------------------------------------------- Embedding's padding_idx


@pytest.mark.parametrize("layer", ["Embedding", "EmbeddingBag"])
@pytest.mark.parametrize("num_embeddings, padding_idx", [(-1, 0), (-2, 0), (-1, -1), (-1, 1), (0, 0), (0, -1)])
def test_padding_row_zero_is_never_range_checked(layer, num_embeddings, padding_idx):
    # PyTorch checks a positive padding_idx against num_embeddings and a negative one against -num_embeddings;
    # 0 goes through, so a negative num_embeddings fails in the weight's allocation
    same_in_both(lambda lib: getattr(lib.nn, layer)(num_embeddings, 2, padding_idx=padding_idx).weight)


# ---------------------------------------------------------------- RNN: the order of the forward's checks


def ramp(lib, shape, dtype="float32"):
    return lib.arange(float(np.prod(shape)), dtype=getattr(lib, dtype)).reshape(shape).div(7.0).sin()


STATE_SHAPES = [(), (4,), (1, 4), (2, 1, 4), (1, 1, 1, 4)]


@pytest.mark.parametrize("mode", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("input_shape", [(2, 3), (2, 1, 3), (2, 5), (2, 1, 5)])
@pytest.mark.parametrize("state_shape", STATE_SHAPES)
@pytest.mark.parametrize("module_dtype", ["float32", "float64"])
def test_recurrent_state_rank_is_checked_before_the_input_dtype_and_size(mode, input_shape, state_shape,
                                                                          module_dtype):
    def run(lib):
        layer = getattr(lib.nn, mode)(3, 4).to(getattr(lib, module_dtype))
        state = ramp(lib, state_shape)
        return layer(ramp(lib, input_shape), (state, state) if mode == "LSTM" else state)

    same_in_both(run)


@pytest.mark.parametrize("state", ["scalar", "one", "matrix"])
def test_lstm_states_indexed_before_the_input_is_checked(state):
    def run(lib):
        make_state = {"scalar": lambda: lib.tensor(0.3, dtype=lib.float64),
                      "one": lambda: (ramp(lib, (1, 1, 4)),),
                      "matrix": lambda: ramp(lib, (1, 1, 2))}[state]
        return lib.nn.LSTM(3, 4).double()(ramp(lib, (2, 1, 5)), make_state())

    same_in_both(run)


# ---------------------------------------------------------------- LSTMCell's states


@pytest.mark.parametrize("input_shape", [(2, 3), (2, 5), (3,)])
@pytest.mark.parametrize("states", ["one", "three", "none_left", "tensor", "list", "mismatched"])
def test_lstm_cell_takes_exactly_two_states_as_its_kernel(input_shape, states):
    def run(lib):
        h = ramp(lib, (2, 4) if len(input_shape) == 2 else (4,))
        hx = {"one": (h,), "three": (h, h, h), "none_left": (), "tensor": h, "list": [h, h],
              "mismatched": (h, ramp(lib, (2, 5) if len(input_shape) == 2 else (5,)))}[states]
        return lib.nn.LSTMCell(3, 4)(ramp(lib, input_shape), hx)

    same_in_both(run)


# ---------------------------------------------------------------- hardtanh of integers


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64"])
@pytest.mark.parametrize("limits", [(-1, 2), (-0.5, 2.5), (-1.5, 2), (0, 300), (-300, 0), (0, 40000.0), (-2**31 - 1, 0),
                                    (0, 2**63 - 1), (-2.0**63, 0), (0, float("inf")), (float("-inf"), 0),
                                    (0, float("nan"))])
@pytest.mark.parametrize("call", ["module", "inplace", "native_inplace"])
def test_hardtanh_reads_integer_inputs_limits_as_its_kernel(dtype, limits, call):
    # the kernel truncates the limits to int64 (refusing what it cannot hold), refuses negative ones for uint8,
    # then converts them to the input's dtype (refusing what that cannot hold)
    def run(lib):
        x = lib.tensor([0, 3, 100], dtype=getattr(lib, dtype))
        if call == "module":
            return lib.nn.Hardtanh(*limits)(x)
        if call == "inplace":
            return lib.nn.functional.hardtanh(x, *limits, inplace=True)
        return lib.nn.functional.hardtanh_(x, *limits)

    same_in_both(run)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("limits", [(2.5, 1e39), (-1e39, 1.0), (70000.0, 80000.0), (-65520.0, 1.0), (float("-inf"), 1e39),
                                    (float("nan"), 1e39), (1e39, float("nan")), (float("-inf"), float("inf"))])
@pytest.mark.parametrize("inplace", [False, True])
def test_hardtanh_float_limits_overflowing_the_dtype_are_refused_as_by_its_clamp(dtype, limits, inplace):
    same_in_both(lambda lib: lib.nn.functional.hardtanh(lib.tensor([0.0, 3.0, -100.0], dtype=getattr(lib, dtype)),
                                                        *limits, inplace=inplace))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("limits", [(0.30001, 1.0), (-1.0, 0.29999), (0.1, 0.7), (0.3, 0.30000001)])
def test_hardtanh_compares_with_its_limits_in_the_inputs_dtype(dtype, limits):
    # a limit rounded to float16 can equal an input it lies beside: the gradient there is the boundary's, 0
    def run(lib):
        x = lib.tensor([0.3, 0.1, 0.7, 0.2998, 0.30005] * 4, dtype=getattr(lib, dtype), requires_grad=True)
        out = lib.nn.functional.hardtanh(x, *limits)
        out.sum().backward()
        return out, x.grad

    same_in_both(run)


# ---------------------------------------------------------------- recurrent layers' factory kwargs


@pytest.mark.parametrize("layer, arguments", [("RNN", {}), ("LSTM", {"proj_size": 1}), ("GRU", {}), ("RNNCell", {}),
                                              ("LSTMCell", {}), ("GRUCell", {})])
@pytest.mark.parametrize("factory", [{"device": "cuda"}, {"device": 0}, {"device": "cpu:0"}, {"device": "cpu"},
                                     {"dtype": "float64"}])
def test_recurrent_layers_create_their_weights_on_the_device_asked(layer, arguments, factory):
    def run(lib):
        kwargs = {key: getattr(lib, value) if key == "dtype" else value for key, value in factory.items()}
        module = getattr(lib.nn, layer)(2, 3, **arguments, **kwargs)
        return [(name, tuple(p.shape), str(p.dtype).replace("torchless", "torch"), str(p.device))
                for name, p in module.named_parameters()]

    same_in_both(run)


# ---------------------------------------------------------------- recurrent layers' public helper methods


RECURRENT_HELPER_CALLS = {
    "flatten_parameters": lambda lib, m: (m.flatten_parameters(), m._flat_weights_names),
    "expected_hidden": lambda lib, m: m.get_expected_hidden_size(lib.ones(4, 5, 2), None),
    "expected_hidden_packed": lambda lib, m: m.get_expected_hidden_size(lib.ones(9, 2), lib.tensor([3, 3, 2, 1])),
    "check_input": lambda lib, m: m.check_input(lib.ones(4, 5, 3), None),
    "check_input_packed": lambda lib, m: m.check_input(lib.ones(4, 5, 2), lib.tensor([2, 2])),
    "check_hidden_size": lambda lib, m: m.check_hidden_size(lib.ones(1, 2, 4), (1, 2, 3)),
    "check_hidden_size_message": lambda lib, m: m.check_hidden_size(lib.ones(1, 2, 4), (1, 2, 3), "want {} have {}"),
    "check_forward_args": lambda lib, m: m.check_forward_args(
        lib.ones(4, 5, 2), (lib.ones(2, 5, 3), lib.ones(2, 5, 4)) if isinstance(m, lib.nn.LSTM) else lib.ones(2, 5, 3),
        None),
    "permute_hidden": lambda lib, m: m.permute_hidden(
        (lib.arange(6.0).reshape(1, 2, 3), lib.ones(1, 2, 3)) if isinstance(m, lib.nn.LSTM)
        else lib.arange(6.0).reshape(1, 2, 3), lib.tensor([1, 0])),
    "expected_cell": lambda lib, m: m.get_expected_cell_size(lib.ones(4, 5, 2), None),
}


@pytest.mark.parametrize("layer, arguments", [("RNN", {}), ("GRU", {"batch_first": True}),
                                              ("LSTM", {"proj_size": 1, "num_layers": 2}),
                                              ("LSTM", {"bidirectional": True})])
@pytest.mark.parametrize("call", sorted(RECURRENT_HELPER_CALLS))
def test_recurrent_layers_have_pytorchs_helper_methods(layer, arguments, call):
    same_in_both(lambda lib: RECURRENT_HELPER_CALLS[call](lib, getattr(lib.nn, layer)(2, 3, **arguments)))


@pytest.mark.parametrize("layer", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("packed", [False, True])
def test_recurrent_forward_goes_through_an_overridden_check_forward_args(layer, packed):
    def run(lib):
        seen = []

        class Recorded(getattr(lib.nn, layer)):
            def check_forward_args(self, input, hidden, batch_sizes):
                seen.append((tuple(input.shape), batch_sizes is None))
                raise RuntimeError("checked")

        x = lib.ones(4, 2, 3)
        if packed:
            x = lib.nn.utils.rnn.pack_padded_sequence(x, lib.tensor([4, 3]))
        try:
            Recorded(3, 5)(x)
        except RuntimeError as error:
            seen.append(str(error))
        return seen

    same_in_both(run)


# ---------------------------------------------------------------- Bilinear


@pytest.mark.parametrize("shapes", [((6, 40), (6, 50)), ((2, 3, 40), (2, 3, 50)), ((40,), (50,))])
def test_float16_bilinear_contracts_the_first_input_with_the_weight_first(shapes):
    # PyTorch's _trilinear rounds x1 A to the dtype before contracting it with x2 (float16 products accumulate
    # in float32): float16 results are equal only in that order
    def run(lib):
        first, second = (lib.randn(shape).half() for shape in shapes)
        return lib.nn.functional.bilinear(first, second, lib.randn(3, 40, 50).half())

    same_in_both(run)


@pytest.mark.parametrize("requires_grad", ["input1", "input2", "weight", None])
def test_complex_bilinear_refuses_to_record_a_gradient(requires_grad):
    def run(lib):
        tensors = {name: lib.randn(shape).to(lib.complex64) for name, shape in
                   (("input1", (2, 4)), ("input2", (2, 5)), ("weight", (3, 4, 5)))}
        if requires_grad:
            tensors[requires_grad].requires_grad_()
        return lib.nn.functional.bilinear(tensors["input1"], tensors["input2"], tensors["weight"])

    same_in_both(run)
