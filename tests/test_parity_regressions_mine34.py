"""Session 34's own fixes: Python 2's operator names PyTorch's Tensor keeps (torch.fx records ``__rdiv__``),
``__rmatmul__`` of a Tensor, and torch.load's refusal of tensors torchless lacks, worded as such."""
import io

import numpy as np
import pytest

import torchless


def test_legacy_operator_names_compute_what_their_python3_names_do():
    x = torchless.tensor([2.0, 4.0])
    np.testing.assert_array_equal(x.__rdiv__(8.0).numpy(), [4.0, 2.0])
    np.testing.assert_array_equal(x.__div__(2.0).numpy(), [1.0, 2.0])
    assert bool(torchless.tensor(3).__nonzero__()) and x[0].__long__() == 2 and type(x[0].__long__()) is int
    y = x.clone()
    y.__idiv__(torchless.tensor(2.0))
    np.testing.assert_array_equal(y.numpy(), [1.0, 2.0])


def test_rmatmul_of_a_tensor_is_the_product_and_of_anything_else_not_implemented():
    a, b = torchless.tensor([[1.0, 2.0], [3.0, 4.0]]), torchless.tensor([1.0, -1.0])
    np.testing.assert_array_equal(a.__rmatmul__(b).numpy(), np.array([1.0, -1.0]) @ np.array([[1, 2], [3, 4]]))
    assert a.__rmatmul__(3) is NotImplemented and a.__rmatmul__(np.ones(2)) is NotImplemented


@pytest.mark.parametrize("expression", ["x.__rdiv__(8.0)", "x.__rdiv__(lib.full((2,), 3.0))", "x.__div__(2)",
                                        "x.__rmatmul__(lib.full((2,), 3.0))", "x.__rmatmul__(3)",
                                        "x[0].__long__()", "lib.tensor(0.5).__nonzero__()"])
def test_legacy_names_as_torch(expression):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, torchless):
        value = eval(expression, {"lib": lib, "x": lib.tensor([2.0, 4.0])})
        results.append(value if value is NotImplemented or not hasattr(value, "tolist") else
                       (value.tolist(), str(value.dtype).split(".")[-1]))
    assert results[1] == results[0]


def test_fx_traces_a_constant_divided_by_an_input_and_runs_it():
    torch = pytest.importorskip("torch")
    codes, outputs = [], []
    for lib in (torch, torchless):
        class Scaled(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("scale", lib.tensor([2.0, 3.0]))

            def forward(self, x):
                return self.scale.__rdiv__(x) + 2.0 / x

        module = lib.fx.symbolic_trace(Scaled())
        codes.append(module.code)
        outputs.append(module(lib.tensor([4.0, 6.0])).tolist())
    assert codes[1] == codes[0]
    assert outputs[1] == outputs[0]
    np.testing.assert_allclose(outputs[1], [4.0 / 2 + 0.5, 6.0 / 3 + 2.0 / 6], rtol=1e-6)


def test_a_bfloat16_checkpoint_is_refused_as_torchless_lacking_the_type(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torchless._dtype, "_BFLOAT16_NUMPY", [None])  # (as without ml_dtypes: torchless[bf16])
    buffer = io.BytesIO()
    torch.save({"w": torch.ones(2, dtype=torch.bfloat16)}, buffer)
    torch.load(io.BytesIO(buffer.getvalue()))  # (PyTorch loads it: no error of PyTorch's to copy)
    with pytest.raises(torchless.serialization.CheckpointError, match="torch.BFloat16Storage: torchless has tensors"):
        torchless.load(io.BytesIO(buffer.getvalue()))
