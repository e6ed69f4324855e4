"""Tensor.to with a Python number for its tensor overload, and the softmax family's dtype given as a Python type,
against PyTorch."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

TO_CALLS = [(2.5,), (True,), (False,), (1j,), (float,), (int,), (None, complex), (3, True), (3, True, True),
            (2.5, True), (2.5, 3), (3,), (-1,), (3, None)]


def _outcome(call):
    try:
        result = call()
    except Exception as error:  # noqa: BLE001 - the type and message are what is compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    return str(result.dtype).replace("torchless", "torch"), result.tolist()


@pytest.mark.parametrize("args", TO_CALLS, ids=repr)
def test_to_binds_a_python_number_as_pytorchs_parser_does(args):
    ours = _outcome(lambda: torchless.ones(2).to(*args))
    theirs = _outcome(lambda: torch.ones(2).to(*args))
    assert ours == theirs


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dtype", [float, int, complex, "float"], ids=repr)
def test_softmax_family_takes_pythons_types_as_dtypes(name, dtype):
    data = [[0.5, -1.0, 2.0], [3.0, 0.0, -2.5]]

    def run(lib):
        return _outcome(lambda: getattr(lib.nn.functional, name)(lib.tensor(data), 1, dtype=dtype))

    _assert_same(run(torchless), run(torch))
    if name != "softmin":
        _assert_same(_outcome(lambda: getattr(torchless.tensor(data), name)(1, dtype=dtype)),
                     _outcome(lambda: getattr(torch.tensor(data), name)(1, dtype=dtype)))


def _assert_same(ours, theirs):
    """The same exception, or the same dtype and values to float64 rounding (the sums may round apart)."""
    assert ours[0] == theirs[0]
    if isinstance(theirs[1], str):
        assert ours[1] == theirs[1]
    else:
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)
