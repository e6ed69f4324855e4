"""Regression tests for serial19's findings (random streams, nn.init, torch-format saving), compared with PyTorch."""
import io
import warnings
from collections import Counter

import numpy as np
import pytest
from helpers import assert_same_error, assert_same_outcome

import torchless


def _same_bits(fn, seed=0):
    """``fn(lib)`` after ``lib.manual_seed(seed)`` gives PyTorch's values bit for bit (and its shape and dtype)."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(seed)
    expected = fn(torch)
    torchless.manual_seed(seed)
    got = fn(torchless)
    assert tuple(got.shape) == tuple(expected.shape)
    assert got.dtype.name == str(expected.dtype).replace("torch.", "")
    np.testing.assert_array_equal(got.detach().numpy(), expected.detach().numpy())


# ------------------------------------------------------------------ random fills of tensors not contiguous
# PyTorch's kernels fill a tensor in memory order (and draw normals one by one when it is not contiguous): a
# channels-last or transposed tensor got the values of a contiguous one, in the wrong places.
_LAYOUTS = {
    "channels_last": lambda m: m.empty(3, 4, 2, 5, memory_format=m.channels_last),
    "channels_last_3d": lambda m: m.empty(2, 3, 2, 2, 2, memory_format=m.channels_last_3d),
    "transposed": lambda m: m.empty(6, 5).t(),
    "permuted": lambda m: m.empty(4, 3, 5).permute(2, 0, 1),
    "strided_transposed": lambda m: m.empty(10, 6)[1:9:2].t(),
}
_FILLS = {
    "uniform_": lambda t, m: t.uniform_(-1, 2),
    "normal_": lambda t, m: t.normal_(1, 2),
    "bernoulli_": lambda t, m: t.bernoulli_(0.3),
    "bernoulli_tensor": lambda t, m: t.bernoulli_(m.rand(t.shape)),
    "random_": lambda t, m: t.random_(0, 100),
    "exponential_": lambda t, m: t.exponential_(),
    "geometric_": lambda t, m: t.geometric_(0.3),
    "cauchy_": lambda t, m: t.cauchy_(),
    "log_normal_": lambda t, m: t.log_normal_(),
    "init.kaiming_normal_": lambda t, m: m.nn.init.kaiming_normal_(t),
    "init.xavier_uniform_": lambda t, m: m.nn.init.xavier_uniform_(t),
    "init.trunc_normal_": lambda t, m: m.nn.init.trunc_normal_(t),
    "init.trunc_normal_narrow": lambda t, m: m.nn.init.trunc_normal_(t, a=0.5, b=0.7),
    "init.trunc_normal_redraws": lambda t, m: m.nn.init.trunc_normal_(t, a=-0.5, b=1.5),
}


@pytest.mark.parametrize("layout", list(_LAYOUTS))
@pytest.mark.parametrize("fill", list(_FILLS))
def test_random_fills_follow_memory_order(fill, layout):
    _same_bits(lambda m: _FILLS[fill](_LAYOUTS[layout](m), m))


@pytest.mark.parametrize("layout", ["transposed", "strided_transposed"])
def test_sparse_init_of_a_transposed_matrix(layout):
    _same_bits(lambda m: m.nn.init.sparse_(_LAYOUTS[layout](m), 0.4))


def test_multinomial_draws_into_the_inputs_layout():
    _same_bits(lambda m: m.multinomial(m.arange(1.0, 13.0).reshape(3, 4).t(), 2))


def test_orthogonal_of_a_tensor_it_cannot_view_raises_as_torch():
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: torch.nn.init.orthogonal_(torch.empty(4, 3, 2, 2, memory_format=torch.channels_last)),
                      lambda: torchless.nn.init.orthogonal_(torchless.empty(4, 3, 2, 2,
                                                                            memory_format=torchless.channels_last)))


@pytest.mark.parametrize("shape", [(2, 3, 0), (2, 3, 2, 0), (4, 3, 1, 0, 2)])
def test_dirac_of_an_empty_kernel_raises_torchs_index_error(shape):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: torch.nn.init.dirac_(torch.empty(shape), 2),
                      lambda: torchless.nn.init.dirac_(torchless.empty(shape), 2))


# ------------------------------------------------------------------ Generator and RNG state checks
def _state_with(offset, value, dtype):
    def make(m):
        m.manual_seed(5)
        m.randn(1)
        state = m.get_rng_state().clone()
        state.numpy()[offset:offset + np.dtype(dtype).itemsize] = np.array([value], dtype).view(np.uint8)
        return state

    return make


@pytest.mark.parametrize("state", [
    lambda m: m.zeros(5056),  # not uint8
    lambda m: [1, 2, 3],
    lambda m: None,
    lambda m: m.zeros(10, dtype=m.uint8),
    lambda m: m.zeros(10112, dtype=m.uint8)[::2],  # not contiguous
    lambda m: m.zeros(5056, dtype=m.uint8),  # not seeded
    _state_with(8, 0, np.int32),  # left = 0
    _state_with(8, 625, np.int32),
    _state_with(12, 0, np.int32),  # seeded = 0
    _state_with(16, 625, np.uint64),  # next past the state
])
@pytest.mark.parametrize("setter", ["set_rng_state", "Generator.set_state"])
def test_bad_rng_states_are_refused_as_torch(state, setter):
    torch = pytest.importorskip("torch")

    def call(m):
        return m.set_rng_state(state(m)) if setter == "set_rng_state" else m.Generator().set_state(state(m))

    try:
        assert_same_error(lambda: call(torch), lambda: call(torchless))
    finally:
        torch.manual_seed(0)
        torchless.manual_seed(0)


def test_rng_state_keeps_the_low_word_of_next():
    # PyTorch keeps the low 32 bits of the saved 64-bit "next" index
    _same_bits(lambda m: (m.set_rng_state(_state_with(16, 2**32 + 5, np.uint64)(m)), m.randn(3))[1])


@pytest.mark.parametrize("seed", [1.5, "1", True, None, 2**64, -2**63 - 1, np.int64(4)])
def test_generator_manual_seed_takes_python_ints_only(seed):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: torch.Generator().manual_seed(seed), lambda: torchless.Generator().manual_seed(seed))


@pytest.mark.parametrize("seed", [2**64, -2**63 - 1, None, "x"])
def test_manual_seed_errors(seed):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: torch.manual_seed(seed), lambda: torchless.manual_seed(seed))


@pytest.mark.parametrize("seed", [-2**63, 2**64 - 1, -1, 1.5, "7", True])
def test_manual_seed_converts_as_torch(seed):
    torch = pytest.importorskip("torch")
    try:
        assert torchless.manual_seed(seed).initial_seed() == torch.manual_seed(seed).initial_seed()
        _same_bits(lambda m: (m.manual_seed(seed), m.randn(5))[1])
    finally:
        torch.manual_seed(0)
        torchless.manual_seed(0)


@pytest.mark.parametrize("where", ["cuda", "cuda:0", "meta", "xpu", "mps", "lazy", "hpu", "xla", "mtia",
                                   "privateuseone", "foo", 3])
def test_generators_on_other_devices_are_refused_as_torch(where):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error(lambda: torch.Generator(where), lambda: torchless.Generator(where))


@pytest.mark.parametrize("where", ["cpu", "cpu:1", None])
def test_generator_device_is_a_cpu_device(where):
    torch = pytest.importorskip("torch")
    assert torchless.Generator(where).device == torchless.device("cpu")
    assert str(torchless.Generator(device=where).device) == str(torch.Generator(device=where).device)


def test_clone_state_continues_the_same_stream():
    def draws(m):
        generator = m.Generator().manual_seed(7)
        m.randn(3, generator=generator)
        twin = generator.clone_state()
        return m.cat([m.randn(4, generator=twin), m.randn(4, generator=generator), m.tensor([twin.initial_seed()])])

    _same_bits(lambda m: draws(m).double())


@pytest.mark.parametrize("call", [lambda g: g.get_offset(), lambda g: g.set_offset(1),
                                  lambda g: g.graphsafe_get_state(), lambda g: g.graphsafe_set_state(g)])
def test_cuda_only_generator_methods_raise_as_torch(call):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: call(torch.Generator()), lambda: call(torchless.Generator()))


# ------------------------------------------------------------ format="torch": what torch's weights-only load reads
@pytest.mark.parametrize("value", [b"ab\x00\xff", bytearray(b"xy"), {1, 2.5, "a"}, set(), 1 + 2j, complex("nan+infj"),
                                   Counter("abca"), {"nested": [b"z", {3}, (2j,), Counter()]}])
def test_torch_format_saves_what_torch_loads_weights_only(value):
    torch = pytest.importorskip("torch")
    buffer = io.BytesIO()
    torchless.save(value, buffer, format="torch")
    loaded = torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)
    reference = io.BytesIO()
    torch.save(value, reference)
    expected = torch.load(io.BytesIO(reference.getvalue()), weights_only=True)
    assert repr(loaded) == repr(expected) and type(loaded) is type(expected)
    assert repr(torchless.load(io.BytesIO(buffer.getvalue()))) == repr(expected)


def test_torch_format_saves_what_torch_refuses_weights_only_as_torch_save_does():
    torch = pytest.importorskip("torch")
    reference, ours = io.BytesIO(), io.BytesIO()
    torch.save(frozenset([1]), reference)
    torchless.save(frozenset([1]), ours, format="torch")
    with pytest.raises(torch.serialization.pickle.UnpicklingError) as theirs_refused:
        torch.load(io.BytesIO(reference.getvalue()), weights_only=True)
    with pytest.raises(torch.serialization.pickle.UnpicklingError) as ours_refused:
        torch.load(io.BytesIO(ours.getvalue()), weights_only=True)
    assert str(ours_refused.value) == str(theirs_refused.value)
    assert torch.load(io.BytesIO(ours.getvalue()), weights_only=False) == frozenset([1])


def test_torch_format_tensors_alongside_python_values():
    torch = pytest.importorskip("torch")
    weight = torchless.arange(6.0).reshape(2, 3)
    buffer = io.BytesIO()
    torchless.save({"w": weight, "t": weight.t(), "tags": {"a", "b"}, "blob": b"\x01"}, buffer, format="torch")
    loaded = torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)
    assert loaded["tags"] == {"a", "b"} and loaded["blob"] == b"\x01"
    assert loaded["t"].stride() == (1, 3) and loaded["t"].untyped_storage().data_ptr() == \
        loaded["w"].untyped_storage().data_ptr()
    np.testing.assert_array_equal(loaded["t"].numpy(), weight.t().numpy())


# ------------------------------------------------------------------ uniform_'s bounds
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("bounds", [(-0.9, 0.9), (0.1, 0.3001), (0, 0.3), (1, 1.001), (1000, 1000.0001),
                                    (1, 1 + 2**-52), (-3, 5)])
def test_uniform_keeps_below_the_upper_bound_and_rounds_as_torch(dtype, bounds):
    # float16 draws use float32 bounds (not rounded to float16 first), and a value rounding to the upper bound in
    # the dtype becomes the lower bound, as in PyTorch
    _same_bits(lambda m: m.empty(4000, dtype=getattr(m, dtype)).uniform_(*bounds))


@pytest.mark.parametrize("fill", ["xavier_uniform_", "kaiming_uniform_"])
def test_float16_uniform_initialisers(fill):
    _same_bits(lambda m: getattr(m.nn.init, fill)(m.empty(40, 30, dtype=m.float16)))
