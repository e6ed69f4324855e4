"""Regression tests for train26's findings: default_collate, losses and optimizers against PyTorch."""
import numpy as np
import pytest

import torchless


def _collated(lib, make_batch):
    result = lib.utils.data.default_collate(make_batch(lib))
    return str(result.dtype).split(".")[-1], result.numpy().tolist()


_SCALAR_BATCHES = {
    "float32 then float": lambda lib: [np.float32(1.5), 2.5],
    "float then float32": lambda lib: (np.float32(1.5), 2.5),
    "float16 then int": lambda lib: [np.float16(0.5), 3],
    "float16 then float": lambda lib: [np.float16(0.5), 2.5],
    "int32 then float": lambda lib: [np.int32(4), 2.5],
    "int32 then int": lambda lib: [np.int32(4), 3],
    "uint8 then bool": lambda lib: [np.uint8(5), True],
    "bool_ then float": lambda lib: [np.bool_(False), 2.5],
    "float64 then float32": lambda lib: [np.float64(2.5), np.float32(1.5)],
    "complex64 then float": lambda lib: [np.complex64(1j), 2.5],
    "float32 then 0-d tensor": lambda lib: [np.float32(1.5), lib.tensor(1.0)],
}


@pytest.mark.parametrize("case", sorted(_SCALAR_BATCHES))
def test_default_collate_of_numpy_scalars_infers_the_dtype_as_torch_as_tensor(case):
    # PyTorch collates a batch starting with a NumPy scalar by torch.as_tensor(batch): a Python number among the
    # scalars counts as of the default dtype. torchless went through np.asarray, where 2.5 is float64, so a float32
    # scalar with a Python float gave a float64 batch.
    torch = pytest.importorskip("torch")
    make_batch = _SCALAR_BATCHES[case]
    assert _collated(torchless, make_batch) == _collated(torch, make_batch)


def test_dataloader_batches_float32_scalars_with_python_floats_as_float32():
    torch = pytest.importorskip("torch")
    samples = [(np.float32(i) / 2, float(i)) for i in range(5)]
    expected = [[(str(t.dtype), t.tolist()) for t in batch] for batch in torch.utils.data.DataLoader(samples, 2)]
    got = [[(str(t.dtype).replace("torchless", "torch"), t.tolist()) for t in batch]
           for batch in torchless.utils.data.DataLoader(samples, 2)]
    assert got == expected
