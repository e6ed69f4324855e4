"""Regressions found by the data19 session: torchless.vision and torchless.utils.data against torchvision 0.29 /
torch as a user training a CNN on MNIST or an image folder meets them.

The torchvision cases are recorded by ``fixtures/torchvision/make_data19.py`` into ``fixtures/torchvision/data19``:
each is a Python expression evaluated there with torchvision and here with torchless, which must give the same
result or raise the same exception type with the same message. The torch.utils.data tests below compare with torch
itself (skipped without it).
"""
import pytest

import torchless
import torchless.utils.data  # noqa: F401  (torchless.utils.data.DataLoader for the cases)
import torchless.vision.datasets as datasets
import torchless.vision.transforms as T
import torchless.vision.transforms.functional as F
import torchless.vision.transforms.v2.functional as F2
from torchless.vision.transforms import v2

from torchvision_cases import check_case, load_record, recorded_namespace

RECORD, ARRAYS, CASES = load_record("data19")


@pytest.fixture(scope="module")
def scope(tmp_path_factory):
    return recorded_namespace("make_data19", torchless, T, F, v2, F2, datasets, tmp_path_factory.mktemp("data19"))


@pytest.mark.parametrize("name", list(CASES))
def test_torchless_gives_torchvisions_result(name, scope):
    check_case(CASES[name], scope, ARRAYS)


def test_the_fixture_records_torchvisions_own_outputs():
    # the expectations come from torchvision (make_data19.py), never from torchless
    assert RECORD["torchvision"].startswith("0.29")
    raised = [case["raises"][0] for case in CASES.values() if "raises" in case]
    # the mode refusals that used to lose to the size check are among them
    assert raised.count("NotImplementedError") >= 100 and raised.count("ValueError") >= 20


# --------------------------------------------------------------------------- torch.utils.data against torch
def _outcome(call):
    """What ``call`` gives, comparable across torch and torchless: an exception's type and message, or the result
    with its tensors read as (dtype name, shape, values)."""
    try:
        value = call()
    except Exception as error:  # noqa: BLE001  (the exception is the outcome)
        return type(error).__name__, str(error).replace("torchless.", "torch.")
    return _plain(value)


def _plain(value):
    import numpy as np

    if isinstance(value, np.ndarray):  # left as it is (a masked array is not numpy's own type to default_convert)
        return type(value).__name__, value.tolist()
    if hasattr(value, "dtype") and hasattr(value, "detach"):
        return str(value.dtype).split(".")[-1], list(value.shape), value.detach().numpy().tolist()
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _subclassed_arrays():
    import numpy as np

    return {"matrix": lambda: np.matrix([[1.0, 2.0], [3.0, 4.0]]),
            "masked": lambda: np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0]),
            "matrix_row": lambda: np.matrix([[1, 2]])}


@pytest.mark.parametrize("kind", list(_subclassed_arrays()))
@pytest.mark.parametrize("call", [
    lambda t, a: t.as_tensor(a) * t.as_tensor(a),  # np.matrix's * would be a matrix product
    lambda t, a: t.from_numpy(a).sum(0),
    lambda t, a: t.as_tensor(a)[0],
    lambda t, a: t.asarray(a) + 1,
    lambda t, a: t.utils.data.default_collate([a, a]),
    lambda t, a: t.utils.data.default_convert({"x": a})["x"] * 2,
    lambda t, a: [batch * 1 for batch in t.utils.data.DataLoader([a, a], batch_size=None)],
])
def test_arrays_of_numpy_subclasses_become_plain_tensors(kind, call):
    torch = pytest.importorskip("torch")
    import torchless.utils.data  # noqa: F401  (torchless.utils.data as an attribute)

    make = _subclassed_arrays()[kind]
    assert _outcome(lambda: call(torchless, make())) == _outcome(lambda: call(torch, make()))


def test_a_tensor_from_a_matrix_shares_its_memory():
    import numpy as np

    matrix = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    tensor = torchless.from_numpy(matrix)
    tensor[0, 1] = 9.0
    assert matrix[0, 1] == 9.0 and type(tensor.numpy()) is np.ndarray


@pytest.mark.parametrize("batch", [
    lambda t: t.tensor([1, 2]),  # a tensor, not a list of samples
    lambda t: t.zeros(2, 3),
    lambda t: (t.tensor(1), t.tensor(2)),
    lambda t: [t.ones(2), t.zeros(2)],
])
def test_default_collate_hands_its_batch_to_stack_as_it_is(batch):
    torch = pytest.importorskip("torch")
    import torchless.utils.data  # noqa: F401

    assert (_outcome(lambda: torchless.utils.data.default_collate(batch(torchless)))
            == _outcome(lambda: torch.utils.data.default_collate(batch(torch))))


@pytest.mark.parametrize("wrap", [
    lambda t, dataset: dataset,
    lambda t, dataset: t.utils.data.Subset(dataset, [4, 0, 2, 3]),
])
def test_batches_of_tensors_requiring_grad_are_stacked(wrap):
    torch = pytest.importorskip("torch")
    import torchless.utils.data  # noqa: F401

    def first_batch(t):
        features = t.arange(12.0).reshape(6, 2).requires_grad_()
        loader = t.utils.data.DataLoader(wrap(t, t.utils.data.TensorDataset(features, t.arange(6))), batch_size=3)
        inputs, labels = next(iter(loader))
        (inputs * inputs).sum().backward()
        return (type(inputs.grad_fn).__name__, inputs.detach().numpy().tolist(), labels.tolist(),
                features.grad.numpy().tolist())

    assert first_batch(torchless) == first_batch(torch)
