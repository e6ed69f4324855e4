"""Parity regressions found by differential sweeps of the activations and losses (session act31).
Every test compares with torch itself: strides of results, autograd graphs, values or errors."""
import numpy as np
import pytest

import torchless
from helpers import same_in_both

torch = pytest.importorskip("torch")

F_CALLS = {
    "relu": lambda F, x: F.relu(x),
    "relu grad": lambda F, x: F.relu(x * 1),
    "logsigmoid": lambda F, x: F.logsigmoid(x),
    "softmax": lambda F, x: F.softmax(x, dim=-1),
    "log_softmax": lambda F, x: F.log_softmax(x, 0),
    "softmin": lambda F, x: F.softmin(x, 1, dtype=torch.float64 if F is torch.nn.functional else torchless.float64),
    "glu": lambda F, x: F.glu(x, -1),
    "prelu": lambda F, x: F.prelu(x, x.new_full((1,), 0.25)),
    "prelu per channel": lambda F, x: F.prelu(x, x.new_full((x.shape[1],), 0.25)),
    "rrelu": lambda F, x: F.rrelu(x, 0.1, 0.3),
    "rrelu training": lambda F, x: F.rrelu(x, 0.1, 0.3, training=True),
}


# ---------------------------------------------------------------------------- empty results' strides
@pytest.mark.parametrize("call", list(F_CALLS))
@pytest.mark.parametrize("shape", [(0, 4), (2, 0, 4), (3, 0), (0, 2, 2, 2)])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_activations_of_no_elements_have_pytorchs_c_strides(call, shape, requires_grad):
    """NumPy gives an empty result all-zero strides; PyTorch allocates it as any other (C order here)."""
    def record(lib):
        x = lib.zeros(shape, requires_grad=requires_grad)
        out = F_CALLS[call](lib.nn.functional, x)
        return tuple(out.shape), out.stride(), out.requires_grad

    same_in_both(record)


@pytest.mark.parametrize("shape", [(0, 4), (2, 0, 4)])
def test_tensor_relu_and_softmax_methods_of_no_elements_have_c_strides(shape):
    same_in_both(lambda lib: [lib.zeros(shape).relu().stride(), lib.zeros(shape).softmax(-1).stride(),
                              lib.relu(lib.zeros(shape)).stride(), lib.zeros(shape).log_softmax(0).stride()])


# ---------------------------------------------------------------------------- glu's layout
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("layout", ["transposed", "channels_last", "sliced"])
def test_glu_lays_its_result_out_as_a_tensor_iterator_over_the_halves(dim, layout):
    values = np.random.default_rng(0).standard_normal((4, 6, 2, 4)).astype(np.float32)

    def record(lib):
        x = lib.tensor(values)
        x = {"transposed": x.transpose(0, 3), "channels_last": x.contiguous(memory_format=lib.channels_last),
             "sliced": x[..., ::2]}[layout]
        out = lib.nn.functional.glu(x, dim)
        return tuple(out.shape), out.stride(), np.round(out.numpy().astype(np.float64), 5).tolist()

    same_in_both(record)


# ---------------------------------------------------------------------------- rrelu's saved tensors
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("changed", ["input", "result"])
def test_rrelu_refuses_backward_after_its_saved_tensor_changed(training, inplace, changed):
    """rrelu saves its input (rrelu_, its result): changing that one in place breaks backward, the other does not."""
    values = np.array([[-1.5, 0.2, 3.0], [0.5, -0.1, -2.0]], np.float32)

    def record(lib):
        lib.manual_seed(0)
        x = lib.tensor(values, requires_grad=True)
        y = x * 2
        out = lib.nn.functional.rrelu(y, 0.1, 0.3, training, inplace)
        (y if changed == "input" and not inplace else out).add_(1)
        try:
            out.sum().backward()
        except RuntimeError as error:
            return str(error).replace("torchless", "torch")
        return out.grad_fn.name(), x.grad.shape

    same_in_both(record)
