"""PyTorch dtypes torchless names but cannot store (bfloat16 without ml_dtypes, complex32): attributes and limits as
PyTorch's, and a TypeError, never a silent substitute, when a tensor of one is asked for. (complex64 and
complex128, storable since torchless.fft, and uint16, uint32 and uint64, storable since 16-bit images, keep their
attribute checks here.)"""
import pickle
import warnings

import pytest

import torchless

NAMES = ("bfloat16", "complex64", "complex128", "uint16", "uint32", "uint64")


@pytest.mark.parametrize("name", NAMES)
def test_attributes_match_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(torchless, name), getattr(torch, name)
    assert repr(ours) == repr(theirs).replace("torch.", "torchless.")
    for attribute in ("itemsize", "is_floating_point", "is_complex", "is_signed"):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
    assert pickle.loads(pickle.dumps(ours)) is ours


def test_aliases():
    assert torchless.cfloat is torchless.complex64 and torchless.cdouble is torchless.complex128


@pytest.mark.parametrize("name", ["bfloat16", "complex64", "complex128"])
def test_finfo_matches_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = torchless.finfo(getattr(torchless, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", ["uint16", "uint32", "uint64"])
def test_iinfo_matches_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = torchless.iinfo(getattr(torchless, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.min, ours.max, ours.dtype) == (theirs.bits, theirs.min, theirs.max, theirs.dtype)


def test_bfloat16_limits_from_its_bit_layout():
    info = torchless.finfo(torchless.bfloat16)
    assert info.bits == 16 and info.eps == 2.0 ** -7  # 7 stored significand bits
    assert info.max == float.fromhex("0x1.fep127") and info.tiny == 2.0 ** -126


@pytest.mark.parametrize("name", ("bfloat16",))
@pytest.mark.parametrize("make", [
    lambda d: torchless.zeros(2, dtype=d),
    lambda d: torchless.tensor([1.0, 2.0], dtype=d),
    lambda d: torchless.ones(3).to(d),
    lambda d: torchless.ones(3).type(d),
])
def test_making_a_tensor_of_one_raises(name, make, monkeypatch):
    monkeypatch.setattr(torchless._dtype, "_BFLOAT16_NUMPY", [None])  # (as without ml_dtypes: torchless[bf16])
    with pytest.raises(TypeError, match=f"torchless has no {name} tensors"):
        make(getattr(torchless, name))


def test_tensor_bfloat16_method_raises_and_autocast_accepts_the_dtype(monkeypatch):
    monkeypatch.setattr(torchless._dtype, "_BFLOAT16_NUMPY", [None])  # (as without ml_dtypes: torchless[bf16])
    with pytest.raises(TypeError, match="no bfloat16 tensors"):
        torchless.ones(2).bfloat16()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torchless.autocast("cpu", dtype=torchless.bfloat16):
            y = torchless.nn.Linear(3, 2)(torchless.ones(1, 3))
    assert y.dtype == torchless.float32  # computed in float32 (the amp module's documented behaviour)
    assert y.dtype != torchless.bfloat16
