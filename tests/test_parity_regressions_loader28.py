"""Parity regressions found by differential fuzzing of torch.utils.data against PyTorch 2.13 (session 28).

- ``default_convert`` (and ``as_tensor``) of a NumPy ``bytes_`` scalar raises PyTorch's TypeError
  ("new(): invalid data type 'numpy.bytes_'"); it was returned unchanged. ``as_tensor``/``tensor`` of NumPy
  ``str_``/``bytes_`` scalars name the type as PyTorch does (they said "can't convert np.ndarray ...").
- ``as_tensor`` of a read-only NumPy array (``np.asarray(pil_image)``, ``np.broadcast_to``) gives PyTorch's
  once-per-process "not writable" warning, so ``default_collate``/``default_convert`` of such samples do too.
- A wrong ``generator`` of ``WeightedRandomSampler`` (so of ``multinomial``, where it is keyword-only) is reported
  without a position; parser messages name a Generator ``torch._C.Generator`` as PyTorch does (``random_split``
  with lengths that are neither ints nor fractions, ``randperm(2.5, generator=g)``), and ``finfo``/``iinfo`` as
  ``torch.finfo``/``torch.iinfo``.
- A multi-worker iterator inherited by a later loader's forked worker no longer tries to shut down workers
  that are not that process's children ("Exception ignored ... can only join a child process").
"""
import sys
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_error, run_python
from torchless.utils.data import default_collate, default_convert

torch = pytest.importorskip("torch")


def _same_error(make):
    """``make(lib)`` raises the same exception type and message with torchless as with torch."""
    assert_same_error(lambda: make(torch), lambda: make(torchless))


@pytest.mark.parametrize("scalar", [np.str_("a"), np.bytes_(b"a")], ids=["str_", "bytes_"])
@pytest.mark.parametrize("factory", ["as_tensor", "tensor"])
def test_numpy_string_scalar_to_tensor_error(factory, scalar):
    _same_error(lambda lib: getattr(lib, factory)(scalar))


def test_default_convert_of_numpy_bytes_scalar_raises_as_torch():
    _same_error(lambda lib: lib.utils.data.default_convert(np.bytes_(b"a")))


@pytest.mark.parametrize("data", [np.str_("a"), np.array([b"a", b"b"]), np.array(["a"]), np.array([None, 1])],
                         ids=["str_", "bytes-array", "str-array", "object-array"])
def test_default_convert_keeps_what_torch_keeps(data):
    expected = torch.utils.data.default_convert(data)
    result = default_convert(data)
    assert type(result) is type(expected)
    assert np.array_equal(np.asarray(result), np.asarray(expected))


def test_default_collate_of_numpy_bytes_scalars_is_the_list():
    batch = [np.bytes_(b"a"), np.bytes_(b"b")]
    assert default_collate(batch) == torch.utils.data.default_collate(batch)


_READ_ONLY_SCRIPT = """
import warnings
import numpy as np
import {lib}
image = np.broadcast_to(np.arange(6, dtype=np.uint8).reshape(2, 3), (4, 2, 3))  # read-only, as np.asarray(PIL)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    {call}
    {call}
print(repr([str(w.message) for w in caught if w.category is UserWarning]))
"""


@pytest.mark.parametrize("call", [
    "{lib}.utils.data.default_collate([image, image])",
    "{lib}.utils.data.default_collate([(image, 1), (image, 2)])",
    "{lib}.utils.data.default_convert(image)",
    "{lib}.as_tensor(image)",
    "{lib}.as_tensor(image, dtype={lib}.float32)",
    "{lib}.tensor(image)",
])
def test_read_only_array_warns_once_as_torch(call):
    # each in a fresh process: the warning is PyTorch's once-per-process one, and pytest resets the filters
    def warnings_of(lib):
        stdout, _ = run_python(["-c", _READ_ONLY_SCRIPT.format(lib=lib, call=call.format(lib=lib))])
        return stdout.replace("torchless", "torch")

    assert warnings_of("torchless") == warnings_of("torch")


def test_collated_read_only_arrays_keep_their_values():
    image = np.broadcast_to(np.arange(6.0).reshape(2, 3), (4, 2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the once-per-process warning, if not given yet)
        batch = default_collate([image, image[::-1]])
    assert batch.dtype == torchless.float64
    np.testing.assert_array_equal(batch.numpy(), np.stack([image, image[::-1]]))


@pytest.mark.parametrize("replacement", [True, False])
@pytest.mark.parametrize("generator", [5, "g", np.random.default_rng(0)], ids=["int", "str", "numpy-generator"])
def test_weighted_random_sampler_wrong_generator_message(generator, replacement):
    _same_error(lambda lib: list(lib.utils.data.WeightedRandomSampler([1.0, 2.0], 2, replacement,
                                                                      generator=generator)))


def test_multinomial_keyword_only_generator_named_without_position():
    def call(lib):
        draw = lib.multinomial  # (called under another name: the message cannot come from reading the call)
        return draw(lib.ones(3), 2, False, generator=7)

    _same_error(call)


@pytest.mark.parametrize("lengths", [[1.5, 2.5], [2, 2.0], [0.5, 3.5]])
def test_random_split_float_lengths_error_names_the_generator_as_torch(lengths):
    _same_error(lambda lib: lib.utils.data.random_split(range(4), lengths))


@pytest.mark.parametrize("call", [
    lambda lib: lib.randperm(2.5, generator=lib.Generator()),
    lambda lib: lib.randperm(2.5, generator=lib.Generator(), dtype=lib.int32),
    lambda lib: lib.arange(lib.Generator()),
    lambda lib: lib.add(lib.ones(1), lib.Generator()),
    lambda lib: lib.tensor([1], dtype=lib.Generator()),
    lambda lib: lib.zeros(2, dtype=lib.nn.Linear(1, 1)),
    lambda lib: lib.zeros(2, dtype=lib.finfo()),
    lambda lib: lib.randperm(lib.iinfo(lib.int8)),
    lambda lib: lib.randperm(2.5, generator=lib.nn.Parameter(lib.ones(1))),
], ids=["randperm", "randperm-dtype", "arange", "add", "tensor-dtype", "zeros-module-dtype", "zeros-finfo-dtype",
        "randperm-iinfo", "randperm-parameter-generator"])
def test_parser_messages_name_classes_as_torch(call):
    _same_error(call)


@pytest.mark.parametrize("lengths", [[0.3, 0.7], [0.25] * 4, [1 / 3] * 3, [0.1] * 10, [3, 7]])
def test_random_split_as_torch_under_a_seeded_generator(lengths):
    ours = torchless.utils.data.random_split(range(10), lengths, generator=torchless.Generator().manual_seed(3))
    theirs = torch.utils.data.random_split(range(10), lengths, generator=torch.Generator().manual_seed(3))
    assert [list(s) for s in ours] == [list(s) for s in theirs]


_FORKED_COPY_SCRIPT = """
import gc
from torchless.utils.data import DataLoader, Dataset


class Collecting(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        gc.collect()  # in the worker: collects its copy of the cycle holding the first loader's iterator
        return i


if __name__ == "__main__":
    gc.disable()
    first = iter(DataLoader(list(range(4)), num_workers=1, multiprocessing_context="fork"))
    next(first)
    cycle = [first]
    cycle.append(cycle)
    del first, cycle
    print([batch.tolist() for batch in DataLoader(Collecting(), num_workers=1, multiprocessing_context="fork")])
    gc.enable()
    gc.collect()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs the fork start method")
def test_forked_worker_leaves_inherited_iterator_alone(tmp_path):
    script = tmp_path / "forked_copy.py"
    script.write_text(_FORKED_COPY_SCRIPT)
    stdout, stderr = run_python([str(script)])
    assert stdout.strip() == "[[0], [1]]"
    assert "Exception ignored" not in stderr, stderr
