"""Storages (torchless.storage): a tensor's flat memory, shared with its views, as PyTorch shows it."""

import warnings

import numpy as np
import pytest

import torchless
from torchless import storage as storage_module


@pytest.fixture(autouse=True)
def warn_again():
    """Each test sees the deprecation warning's first use afresh."""
    storage_module._warned[0] = False
    yield


def test_views_share_one_storage_and_writes_go_through_it():
    base = torchless.arange(12.0)
    view = base.view(3, 4)[1:, 2:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        typed = view.storage()
        assert typed.data_ptr() == base.data_ptr() == base.storage().data_ptr()
        assert len(typed) == typed.size() == 12 and typed.nbytes() == 48 and typed.element_size() == 4
        assert typed.tolist() == list(range(12)) and typed[-1] == 11.0 and isinstance(typed[0], float)
        typed[6] = -1
    assert view[0, 0].item() == -1.0 and base[6].item() == -1.0
    untyped = view.untyped_storage()
    assert len(untyped) == untyped.nbytes() == 48 and untyped.data_ptr() == base.data_ptr()
    assert bytes(untyped.tolist()) == base.numpy().tobytes()
    untyped[3] = 0x40  # the high byte of element 0: 2.0 in float32
    assert base[0].item() == 2.0


def test_base_of_views():
    root = torchless.ones(2, 3)
    assert root._base is None
    view = root.t()
    assert view._base is root and view[0]._base is root and root.view(-1)[1:]._base is root


def test_the_deprecation_warning_comes_once_and_names_the_callers_line():
    x = torchless.zeros(2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x.storage()
        x.storage()
    assert len(caught) == 1 and caught[0].filename == __file__
    assert "TypedStorage is deprecated" in str(caught[0].message)


def _same_text(ours, theirs):
    return ours.replace("torchless", "torch") == theirs


@pytest.mark.parametrize("values, dtype", [([0.5, 1.0, -2.25], "float32"), ([1, 2], "int64"), ([True, False], "bool"),
                                           ([], "float64"), ([3, 250], "uint8")])
def test_printed_and_indexed_as_pytorch_does(values, dtype):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = torchless.tensor(values, dtype=getattr(torchless, dtype))
        theirs = torch.tensor(values, dtype=getattr(torch, dtype))
        assert _same_text(repr(ours.storage()), repr(theirs.storage()))
        assert _same_text(repr(ours.untyped_storage()), repr(theirs.untyped_storage()))
        assert _same_text(ours.storage().type(), theirs.storage().type())
        assert ours.storage().tolist() == theirs.storage().tolist()
        assert ours.untyped_storage().tolist() == theirs.untyped_storage().tolist()


@pytest.mark.parametrize("index", [1.5, 3, -4, slice(0, 2), "0"])
def test_bad_indices_fail_as_in_pytorch(index):
    torch = pytest.importorskip("torch")
    outcomes = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for library in (torchless, torch):
            try:
                library.tensor([1.0, 2.0, 3.0]).storage()[index]
            except Exception as error:  # noqa: BLE001 - compared below
                outcomes.append((type(error).__name__, str(error).replace("torchless", "torch")))
    assert len(outcomes) == 2 and outcomes[0] == outcomes[1]


def test_is_storage():
    x = torchless.zeros(3)
    assert torchless.is_storage(x.untyped_storage()) and not torchless.is_storage(x)
    assert isinstance(x.untyped_storage(), torchless.UntypedStorage)
    assert np.array_equal(torchless.UntypedStorage([1, 2, 255]).tolist(), [1, 2, 255])
