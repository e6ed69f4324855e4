"""sort (unless stable=True), argsort, topk and mode give PyTorch's indices where values tie, along any dim: they
replay libstdc++'s unstable algorithms there (_kernels/std_sort.py); topk(sorted=False) gives nth_element's order."""
import numpy as np
import pytest

import torchless


def tied_tensors(seed, count=60):
    rng = np.random.default_rng(seed)
    for trial in range(count):
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 120)))
        values = rng.integers(0, int(rng.integers(1, 5)), shape).astype(rng.choice([np.float32, np.int64, np.int16]))
        if trial % 3 == 0:
            values = rng.standard_normal(shape).astype(np.float64)
        if trial % 4 == 0 and values.dtype.kind == "f":
            values[rng.random(shape) < 0.1] = np.nan
        yield values


CALLS = {
    "sort": lambda L, x, d: L.sort(x, d)[1],
    "sort descending": lambda L, x, d: L.sort(x, d, True)[1],
    "sort stable": lambda L, x, d: L.sort(x, dim=d, stable=True)[1],
    "argsort": lambda L, x, d: L.argsort(x, d, True),
    "argsort stable=False": lambda L, x, d: L.argsort(x, dim=d, stable=False),
    "argsort stable": lambda L, x, d: L.argsort(x, dim=d, stable=True),
    "mode": lambda L, x, d: L.mode(x, d)[1],
    **{f"topk k={k} largest={largest} sorted={sorted_}":
       (lambda k, largest, sorted_: lambda L, x, d: L.topk(x, min(k, x.shape[d]), d, largest, sorted_)[1])(
           k, largest, sorted_)
       for k in (1, 3, 50, 200) for largest in (True, False) for sorted_ in (True, False)},
}


@pytest.mark.parametrize("name", list(CALLS))
def test_indices_as_pytorch(name):
    torch = pytest.importorskip("torch")
    call = CALLS[name]
    for values in tied_tensors(0):
        for dim in (0, 1, -1):
            np.testing.assert_array_equal(call(torchless, torchless.tensor(values), dim).numpy(),
                                          call(torch, torch.from_numpy(values), dim).numpy(), err_msg=name)


@pytest.mark.parametrize("name", ["sort", "sort descending", "argsort stable=False"])
def test_ties_still_sorted(name):
    """Independent of torch: the indices order the values (NaN last, first when descending)."""
    for values in tied_tensors(1):
        order = CALLS[name](torchless, torchless.tensor(values), 1).numpy()
        assert np.array_equal(np.sort(order, axis=1), np.broadcast_to(np.arange(values.shape[1]), order.shape))
        keys = np.take_along_axis(values, order, axis=1).astype(np.float64)
        keys = np.where(np.isnan(keys), np.inf, keys)
        descending = name == "sort descending"
        assert np.all(keys[:, 1:] <= keys[:, :-1]) if descending else np.all(keys[:, 1:] >= keys[:, :-1])
