"""Int arguments the parser takes or refuses: softmax's and glu's dim (an int: a 0-d NumPy array is refused although
it has __index__), multinomial's num_samples (a SymInt: one-element tensors and 0-d arrays taken)."""
import numpy as np
import pytest

import torchless

CALLS = {
    "softmax": lambda L, v: L.nn.functional.softmax(L.ones(2, 3), v),
    "Tensor.softmax": lambda L, v: L.ones(2, 3).softmax(v),
    "log_softmax": lambda L, v: L.nn.functional.log_softmax(L.ones(2, 3), v),
    "glu": lambda L, v: L.nn.functional.glu(L.ones(2, 4), v),
    "multinomial": lambda L, v: L.multinomial(L.ones(3), v),
}
VALUES = {
    "int": lambda L: 1, "numpy int": lambda L: np.int64(1), "0-d numpy array": lambda L: np.array(1),
    "0-d tensor": lambda L: L.tensor(1), "1-element tensor": lambda L: L.tensor([1]),
    "float tensor": lambda L: L.tensor([1.0]), "float": lambda L: 1.0, "bool": lambda L: True,
    "two-element tensor": lambda L: L.tensor([1, 1]), "None": lambda L: None,
}


def outcome(library, call, value):
    library.manual_seed(0)
    try:
        result = call(library, VALUES[value](library))
    except Exception as error:  # noqa: BLE001 - the type and message are compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    return "ok", result.numpy().tolist()


@pytest.mark.parametrize("value", list(VALUES))
@pytest.mark.parametrize("name", list(CALLS))
def test_as_pytorch(name, value):
    torch = pytest.importorskip("torch")
    if name == "softmax" and value == "None":
        pytest.skip("F.softmax without dim: an implicit-dim warning, covered elsewhere")
    assert outcome(torchless, CALLS[name], value) == outcome(torch, CALLS[name], value)


def test_without_torch():
    with pytest.raises(TypeError, match=r"softmax\(\): argument 'dim' \(position 1\) must be int, not numpy.ndarray"):
        torchless.nn.functional.softmax(torchless.ones(2, 3), np.array(1))
    assert torchless.multinomial(torchless.ones(5), torchless.tensor([3])).shape == (3,)


def test_index_copy_into_a_0d_tensor():
    source = torchless.full((1,), 3.0, requires_grad=True)
    result = torchless.tensor(2.0).index_copy(0, torchless.tensor([0]), source * 2)
    assert result.shape == () and result.item() == 6.0
    result.backward()
    assert source.grad.tolist() == [2.0]
