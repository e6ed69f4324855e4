"""The top-level namespace beyond tensors and factories, against torch 2.13: constants, finfo/iinfo and type
promotion queries, runtime switches, the torch-namespace forms of nn functions, random sampling, and the tensor
functions of training and evaluation code (with their gradients by finite differences)."""
import math
import warnings

import numpy as np
import pytest
from helpers import assert_same_error, assert_same_outcome, finite_difference_check

import torchless

torch = pytest.importorskip("torch")


def _x(lib, shape=(3, 4), seed=0, dtype="float32", low=-2.0, high=2.0):
    values = np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)
    return lib.tensor(values)


# ---------------------------------------------------------------------------- constants, finfo, promotion
def test_constants():
    for name in ("pi", "e", "inf"):
        assert getattr(torchless, name) == getattr(torch, name)
    assert math.isnan(torchless.nan) and torchless.newaxis is None


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo(name):
    ours, theirs = torchless.finfo(getattr(torchless, name)), torch.finfo(getattr(torch, name))
    assert repr(ours) == repr(theirs)
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert ours == torchless.finfo(getattr(torchless, name))


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo(name):
    ours, theirs = torchless.iinfo(getattr(torchless, name)), torch.iinfo(getattr(torch, name))
    assert repr(ours) == repr(theirs)
    assert (ours.bits, ours.min, ours.max, ours.dtype) == (theirs.bits, theirs.min, theirs.max, theirs.dtype)


@pytest.mark.parametrize("call", [
    lambda lib: lib.finfo(lib.int32), lambda lib: lib.finfo(lib.bool), lambda lib: lib.iinfo(lib.float32),
    lambda lib: lib.iinfo(lib.bool), lambda lib: lib.finfo("float"), lambda lib: lib.iinfo(3),
])
def test_info_errors(call):
    assert_same_error(lambda: call(torch), lambda: call(torchless))


def test_default_finfo():
    assert repr(torchless.finfo()) == repr(torch.finfo())


@pytest.mark.parametrize("a, b", [("t", 1.0), ("t", "s"), (2, 3.0), (True, 2), ("u", -1), (1, "t"), (2.0, True),
                                  ("s", 5), ("s", 2.5), ("u", "s")])
def test_result_type(a, b):
    def operand(lib, v):
        return {"t": lib.tensor([1, 2]), "s": lib.tensor(1.0), "u": lib.tensor([1], dtype=lib.uint8)}.get(v, v) \
            if isinstance(v, str) else v

    assert str(torchless.result_type(operand(torchless, a), operand(torchless, b))).split(".")[1] == \
        str(torch.result_type(operand(torch, a), operand(torch, b))).split(".")[1]


DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def test_promote_types_and_can_cast():
    for a in DTYPES:
        for b in DTYPES:
            ours = torchless.promote_types(getattr(torchless, a), getattr(torchless, b))
            assert ours.name == str(torch.promote_types(getattr(torch, a), getattr(torch, b))).split(".")[1]
            assert torchless.can_cast(getattr(torchless, a), getattr(torchless, b)) == \
                torch.can_cast(getattr(torch, a), getattr(torch, b)), (a, b)


@pytest.mark.parametrize("call", [
    lambda lib: lib.result_type("a", 1), lambda lib: lib.promote_types(lib.int8, 3),
    lambda lib: lib.can_cast(1, lib.int8), lambda lib: lib.is_nonzero(lib.tensor([1, 2])),
    lambda lib: lib.is_nonzero(lib.tensor([])), lambda lib: lib.is_nonzero(3),
    lambda lib: lib.is_same_size(lib.ones(1), 3), lambda lib: lib.is_complex(3), lambda lib: lib.is_signed(3),
])
def test_query_errors(call):
    assert_same_error(lambda: call(torch), lambda: call(torchless))


def test_queries():
    for lib in (torch, torchless):
        assert lib.is_nonzero(lib.tensor([0.5])) and not lib.is_nonzero(lib.tensor(0))
        assert lib.is_same_size(lib.ones(2, 3), lib.zeros(2, 3)) and not lib.ones(2).is_same_size(lib.ones(3))
        assert not lib.is_complex(lib.ones(1))
        assert [lib.is_signed(lib.ones(1, dtype=getattr(lib, d))) for d in DTYPES] == \
            [False, False, True, True, True, True, True, True, True]


# ---------------------------------------------------------------------------- runtime switches
def test_runtime_switches():
    try:
        for lib in (torch, torchless):
            assert lib.get_float32_matmul_precision() == "highest"
            lib.set_float32_matmul_precision("high")
            assert lib.get_float32_matmul_precision() == "high"
            with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
                lib.set_float32_matmul_precision("fastest")
            assert lib.get_float32_matmul_precision() == "high"
            assert lib.is_warn_always_enabled() is False
            lib.set_warn_always(True)
            assert lib.is_warn_always_enabled() is True
            assert isinstance(lib.set_flush_denormal(False), bool)
            assert lib.get_num_interop_threads() >= 1
            assert str(lib.get_default_device()) == "cpu"
            lib.set_default_device("cpu")
            assert str(lib.get_default_device()) == "cpu"
            lib.set_default_device(None)
    finally:
        for lib in (torch, torchless):
            lib.set_float32_matmul_precision("highest")
            lib.set_warn_always(False)


@pytest.mark.parametrize("call", [
    lambda lib: lib.set_float32_matmul_precision(3), lambda lib: lib.set_num_interop_threads(0),
    lambda lib: lib.set_default_tensor_type(lib.IntTensor), lambda lib: lib.set_default_tensor_type(3),
])
def test_switch_errors(call):
    assert_same_error(lambda: call(torch), lambda: call(torchless))


def test_set_default_tensor_type():
    import torchless._info

    torchless._user_warnings._spent_once.discard("set_default_tensor_type")  # (once a process too: again, here)
    try:
        for lib in (torch, torchless):
            with warnings.catch_warnings(record=True) as caught:  # (torch's warns once a process)
                warnings.simplefilter("always")
                lib.set_default_tensor_type(lib.DoubleTensor)
            if lib is torchless:
                assert "set_default_tensor_type() is deprecated" in str(caught[0].message)
            assert lib.ones(1).dtype == lib.float64
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lib.set_default_tensor_type(f"{lib.__name__}.FloatTensor")
            assert lib.ones(1).dtype == lib.float32
    finally:
        torch.set_default_dtype(torch.float32)
        torchless.set_default_dtype(torchless.float32)


# ---------------------------------------------------------------------------- nn functions in the namespace
def _w(lib, *shape, seed=1):
    return _x(lib, shape, seed=seed)


NN_CALLS = {
    "conv1d": lambda lib: lib.conv1d(_w(lib, 2, 3, 8), _w(lib, 4, 3, 3), _w(lib, 4), 2, 1),
    "conv2d": lambda lib: lib.conv2d(_w(lib, 1, 2, 6, 6), _w(lib, 3, 2, 3, 3), None, 1, "same"),
    "conv3d": lambda lib: lib.conv3d(_w(lib, 1, 2, 4, 4, 4), _w(lib, 2, 1, 2, 2, 2), None, 1, 0, 1, 2),
    "conv_transpose1d": lambda lib: lib.conv_transpose1d(_w(lib, 1, 2, 5), _w(lib, 2, 3, 3), None, 2, 1, 1),
    "conv_transpose2d": lambda lib: lib.conv_transpose2d(_w(lib, 1, 2, 4, 4), _w(lib, 2, 3, 3, 3), _w(lib, 3), 2),
    "conv_transpose3d": lambda lib: lib.conv_transpose3d(_w(lib, 1, 2, 3, 3, 3), _w(lib, 2, 1, 2, 2, 2)),
    "max_pool1d": lambda lib: lib.max_pool1d(_w(lib, 2, 3, 9), 3),
    "max_pool2d": lambda lib: lib.max_pool2d(_w(lib, 1, 2, 7, 7), 3, 2, 1, 1, True),
    "max_pool3d": lambda lib: lib.max_pool3d(_w(lib, 1, 1, 4, 4, 4), 2),
    "max_pool1d_with_indices": lambda lib: lib.max_pool1d_with_indices(_w(lib, 2, 9), 2, 3),
    "avg_pool1d": lambda lib: lib.avg_pool1d(_w(lib, 1, 2, 9), 3, (), 1, True, False),
    "adaptive_avg_pool1d": lambda lib: lib.adaptive_avg_pool1d(_w(lib, 1, 2, 9), 4),
    "adaptive_max_pool1d": lambda lib: lib.adaptive_max_pool1d(_w(lib, 1, 2, 9), 4),
    "dropout_eval": lambda lib: lib.dropout(_w(lib, 3, 4), 0.5, False),
    "dropout_p0": lambda lib: lib.dropout(_w(lib, 3, 4), 0.0, True),
    "alpha_dropout_eval": lambda lib: lib.alpha_dropout(_w(lib, 3, 4), 0.5, False),
    "feature_alpha_dropout_eval": lambda lib: lib.feature_alpha_dropout(_w(lib, 2, 3, 4), 0.5, False),
    "batch_norm": lambda lib: lib.batch_norm(_w(lib, 4, 3, 2), _w(lib, 3), _w(lib, 3, seed=2), lib.zeros(3),
                                             lib.ones(3), True, 0.1, 1e-5, False),
    "batch_norm_eval": lambda lib: lib.batch_norm(_w(lib, 4, 3), None, None, _w(lib, 3), lib.ones(3) * 2, False,
                                                  0.1, 1e-3, True),
    "instance_norm": lambda lib: lib.instance_norm(_w(lib, 2, 3, 5), _w(lib, 3), None, None, None, True, 0.1,
                                                   1e-5, False),
    "layer_norm": lambda lib: lib.layer_norm(_w(lib, 2, 3, 4), [4], _w(lib, 4), _w(lib, 4, seed=3), 1e-5, True),
    "group_norm": lambda lib: lib.group_norm(_w(lib, 2, 4, 3), 2, _w(lib, 4), None, 1e-5, False),
    "rms_norm": lambda lib: lib.rms_norm(_w(lib, 2, 4), [4], _w(lib, 4)),
    "embedding": lambda lib: lib.embedding(_w(lib, 5, 3), lib.tensor([[0, 4], [2, 2]])),
    "embedding_padding": lambda lib: lib.embedding(_w(lib, 5, 3), lib.tensor([0, 4, 1]), 1),
    "pixel_shuffle": lambda lib: lib.pixel_shuffle(_w(lib, 1, 8, 2, 3), 2),
    "pixel_unshuffle": lambda lib: lib.pixel_unshuffle(_w(lib, 1, 2, 4, 6), 2),
    "channel_shuffle": lambda lib: lib.channel_shuffle(_w(lib, 1, 6, 2, 2), 3),
    "bilinear": lambda lib: lib.bilinear(_w(lib, 3, 2), _w(lib, 3, 4), _w(lib, 5, 2, 4), _w(lib, 5)),
    "cosine_similarity": lambda lib: lib.cosine_similarity(_w(lib, 3, 4), _w(lib, 3, 4, seed=2), 1, 1e-8),
    "pairwise_distance": lambda lib: lib.pairwise_distance(_w(lib, 3, 4), _w(lib, 3, 4, seed=2), 1.0, 1e-6, True),
    "pdist": lambda lib: lib.pdist(_w(lib, 4, 3), 2),
    "prelu": lambda lib: lib.prelu(_w(lib, 2, 3, 4), _w(lib, 3)),
    "selu": lambda lib: lib.selu(_w(lib, 3, 4)),
    "celu": lambda lib: lib.celu(_w(lib, 3, 4), 0.5),
    "rrelu_eval": lambda lib: lib.rrelu(_w(lib, 3, 4), 0.1, 0.3, False),
    "threshold": lambda lib: lib.threshold(_w(lib, 3, 4), 0.1, 20.0),
    "hardshrink": lambda lib: lib.hardshrink(_w(lib, 3, 4), 0.7),
    "kl_div": lambda lib: lib.kl_div(_w(lib, 3, 4), _w(lib, 3, 4, seed=2).abs(), 1),
    "kl_div_log_target": lambda lib: lib.kl_div(_w(lib, 3, 4), _w(lib, 3, 4, seed=2), 2, log_target=True),
    "kl_div_none": lambda lib: lib.kl_div(_w(lib, 3, 4), _w(lib, 3, 4, seed=2).abs(), 0),
    "margin_ranking_loss": lambda lib: lib.margin_ranking_loss(_w(lib, 5), _w(lib, 5, seed=2),
                                                               lib.tensor([1., -1, 1, 1, -1]), 0.2, 2),
    "hinge_embedding_loss": lambda lib: lib.hinge_embedding_loss(_w(lib, 5), lib.tensor([1., -1, 1, 1, -1]), 0.5),
    "hinge_embedding_loss_mean": lambda lib: lib.hinge_embedding_loss(_w(lib, 5), lib.tensor([1., -1, 1, 1, -1]),
                                                                      0.5, 1),
    "kl_div_default": lambda lib: lib.kl_div(_w(lib, 3, 4), _w(lib, 3, 4, seed=2).abs()),
    "bce_default": lambda lib: lib.binary_cross_entropy_with_logits(_w(lib, 3), _w(lib, 3, seed=2).abs()),
    "cosine_embedding_loss": lambda lib: lib.cosine_embedding_loss(_w(lib, 3, 4), _w(lib, 3, 4, seed=2),
                                                                   lib.tensor([1., -1, 1]), 0.1, 0),
    "triplet_margin_loss": lambda lib: lib.triplet_margin_loss(_w(lib, 3, 4), _w(lib, 3, 4, seed=2),
                                                               _w(lib, 3, 4, seed=3), 1.0, 2, 1e-6, True, 1),
    "poisson_nll_loss": lambda lib: lib.poisson_nll_loss(_w(lib, 3, 4), _w(lib, 3, 4, seed=2).abs(), True, True,
                                                         1e-8, 1),
    "bce_with_logits": lambda lib: lib.binary_cross_entropy_with_logits(
        _w(lib, 3, 4), _w(lib, 3, 4, seed=2).abs().clamp(0, 1), _w(lib, 4).abs(), _w(lib, 4, seed=3).abs(), 2),
    "relu_": lambda lib: lib.relu_(_w(lib, 3, 4)),
    "selu_": lambda lib: lib.selu_(_w(lib, 3, 4)),
    "celu_": lambda lib: lib.celu_(_w(lib, 3, 4), 2.0),
    "threshold_": lambda lib: lib.threshold_(_w(lib, 3, 4), 0.5, -1.0),
    "dropout_": lambda lib: lib.dropout_(_w(lib, 3, 4), 0.3, False),
    "rrelu_": lambda lib: lib.rrelu_(_w(lib, 3, 4)),
}


@pytest.mark.parametrize("name", list(NN_CALLS))
def test_nn_namespace_forms(name):
    assert_same_outcome(NN_CALLS[name], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["batch_norm", "layer_norm", "kl_div", "embedding", "conv1d", "prelu",
                                  "triplet_margin_loss"])
def test_nn_namespace_gradients(name):
    results = {}
    for lib in (torch, torchless):
        created = []
        original = lib.tensor

        def tracking(*args, **kwargs):
            t = original(*args, **kwargs)
            if t.is_floating_point():
                t.requires_grad_(True)
                created.append(t)
            return t

        lib.tensor = tracking
        try:
            out = NN_CALLS[name](lib)
        finally:
            lib.tensor = original
        out = out[0] if isinstance(out, tuple) else out
        out.sum().backward()
        results[lib.__name__] = [t.grad.numpy() if t.grad is not None else None for t in created]
    for theirs, ours in zip(results["torch"], results["torchless"], strict=True):
        assert (theirs is None) == (ours is None)
        if theirs is not None:
            np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_dropout_training_statistics():
    torchless.manual_seed(0)
    out = torchless.dropout(torchless.ones(10000), 0.3, True)
    kept = out._data != 0
    assert abs(kept.mean() - 0.7) < 0.02 and np.allclose(out._data[kept], 1 / 0.7)
    x = torchless.ones(1000)
    assert torchless.dropout_(x, 0.5, True) is x and (x._data == 0).any()


def test_nn_namespace_signature_errors():
    assert_same_error(lambda: torch.max_pool1d(torch.ones(1, 4), 2, return_indices=True),
                      lambda: torchless.max_pool1d(torchless.ones(1, 4), 2, return_indices=True))


# ---------------------------------------------------------------------------- random sampling
def test_normal_overloads_shapes_and_dtypes():
    for lib in (torch, torchless):
        m, s = lib.zeros(2, 3), lib.ones(2, 3)
        assert lib.normal(m, s).shape == (2, 3) and lib.normal(m, 1.0).dtype == lib.float32
        assert lib.normal(0.0, s).shape == (2, 3) and lib.normal(lib.zeros(3), lib.ones(4, 3)).shape == (4, 3)
        assert lib.normal(0.0, 1.0, (2, 3)).dtype == lib.float32
        assert lib.normal(0, 1, (2,), dtype=lib.float64).dtype == lib.float64
        assert lib.normal(0.0, 1.0, [2], requires_grad=True).requires_grad
        assert lib.normal(lib.zeros(2, dtype=lib.float64), 1.0).dtype == lib.float64
        assert lib.normal(2.0, lib.zeros(2)).tolist() == [2.0, 2.0]


def test_normal_statistics_and_determinism():
    torchless.manual_seed(3)
    a = torchless.normal(torchless.full((20000,), 2.0), torchless.full((20000,), 3.0))
    assert abs(a.mean().item() - 2) < 0.1 and abs(a.std().item() - 3) < 0.1
    torchless.manual_seed(3)
    assert torchless.equal(a, torchless.normal(torchless.full((20000,), 2.0), torchless.full((20000,), 3.0)))
    g1, g2 = torchless.Generator().manual_seed(5), torchless.Generator().manual_seed(5)
    assert torchless.equal(torchless.normal(0.0, 1.0, (5,), generator=g1),
                           torchless.normal(0.0, 1.0, (5,), generator=g2))


@pytest.mark.parametrize("call", [
    lambda lib: lib.normal(lib.zeros(3), -lib.ones(3)), lambda lib: lib.normal(lib.zeros(3), -1.0),
    lambda lib: lib.normal(0.0, -1.0, (2,)), lambda lib: lib.normal(lib.zeros(3), lib.ones(2)),
    lambda lib: lib.normal(lib.zeros(3, dtype=lib.long), 1.0), lambda lib: lib.normal(0, 1),
    lambda lib: lib.normal(lib.zeros(2), "a"),
    lambda lib: lib.bernoulli(lib.tensor([2.0, 1.0])), lambda lib: lib.bernoulli(lib.tensor([1, 0])),
    lambda lib: lib.bernoulli(lib.tensor([0.5]), 2.0), lambda lib: lib.ones(3).bernoulli_(1.5),
    lambda lib: lib.ones(3).bernoulli_(lib.tensor([1, 1, 1])),
    lambda lib: lib.ones(2, 3).bernoulli_(lib.tensor([0.0, 1.0])),
    lambda lib: lib.poisson(lib.tensor([-1.0, 2.0])), lambda lib: lib.poisson(lib.tensor([1, 2])),
])
def test_random_errors(call):
    assert_same_error(lambda: call(torch), lambda: call(torchless))


P = [0.1, 0.2, 0.7]


@pytest.mark.parametrize("call", [
    lambda lib: lib.multinomial(lib.tensor(P), 5), lambda lib: lib.multinomial(lib.tensor([-1.0, 2.0]), 1),
    lambda lib: lib.multinomial(lib.tensor([0.0, 0.0]), 1), lambda lib: lib.multinomial(lib.tensor([math.inf, 0]), 1),
    lambda lib: lib.multinomial(lib.tensor([math.nan, 0]), 1), lambda lib: lib.multinomial(lib.ones(2, 2, 2), 1),
    lambda lib: lib.multinomial(lib.ones(2), 0), lambda lib: lib.multinomial(lib.ones(2, dtype=lib.long), 1),
    lambda lib: lib.multinomial(lib.ones(0), 1), lambda lib: lib.multinomial(lib.tensor(1.0), 1),
    lambda lib: lib.multinomial(lib.tensor([1.0, -1]), 2, True),
    lambda lib: lib.multinomial(lib.tensor([[1.0, 1], [0, 0]]), 2, True),
    lambda lib: lib.multinomial(lib.tensor([1.0, 1]), 1.5),
])
def test_multinomial_errors(call):
    assert_same_error(lambda: call(torch), lambda: call(torchless))


def test_multinomial_shapes_and_statistics():
    for lib in (torch, torchless):
        p = lib.tensor(P)
        assert lib.multinomial(p, 5, True).shape == (5,) and lib.multinomial(p, 5, True).dtype == lib.int64
        assert p.expand(4, 3).multinomial(2).shape == (4, 2)
        assert lib.multinomial(lib.ones(0, 2), 1, True).shape == (0, 1)
        without = lib.multinomial(lib.tensor([1.0, 0, 0]), 2)
        assert without[0].item() == 0 and without[1].item() in (1, 2)
        assert set(lib.multinomial(lib.ones(6), 6).tolist()) == set(range(6))
        assert lib.multinomial(lib.tensor([1.0, 0, 0]), 3, True).tolist() == [0, 0, 0]
    torchless.manual_seed(0)
    draws = torchless.multinomial(torchless.tensor(P), 30000, True)._data
    assert np.allclose(np.bincount(draws, minlength=3) / 30000, P, atol=0.015)
    firsts = [torchless.multinomial(torchless.tensor(P), 2)[0].item() for _ in range(3000)]
    assert np.allclose(np.bincount(firsts, minlength=3) / 3000, P, atol=0.03)
    g = torchless.Generator().manual_seed(1)
    a = torchless.tensor(P).multinomial(2, generator=g)
    assert torchless.equal(a, torchless.tensor(P).multinomial(2, generator=torchless.Generator().manual_seed(1)))


def test_bernoulli_and_poisson():
    for lib in (torch, torchless):
        assert lib.bernoulli(lib.tensor([0.0, 1.0, 0.0])).tolist() == [0.0, 1.0, 0.0]
        assert lib.bernoulli(lib.tensor([0.3, 1.0]), 0.0).tolist() == [0.0, 0.0]
        assert lib.ones(3, dtype=lib.bool).bernoulli(0.2).dtype == lib.bool
        assert lib.ones(3, dtype=lib.long).bernoulli(1.0).tolist() == [1, 1, 1]
        assert lib.ones(2, 3).bernoulli_(lib.tensor([0.0, 1.0, 0.0])).tolist() == [[0.0, 1.0, 0.0]] * 2
        assert lib.poisson(lib.zeros(3, dtype=lib.float64)).dtype == lib.float64
        x = lib.full((2,), 0.5, requires_grad=True)
        out = lib.bernoulli(x) + lib.poisson(x) + lib.normal(x, 1.0)
        out.sum().backward()
        assert x.grad.tolist() == [0.0, 0.0]
    torchless.manual_seed(0)
    assert abs(torchless.bernoulli(torchless.full((20000,), 0.3)).mean().item() - 0.3) < 0.015
    sample = torchless.poisson(torchless.full((20000,), 4.0))
    assert abs(sample.mean().item() - 4) < 0.1 and abs(sample.var().item() - 4) < 0.2
    torchless.manual_seed(9)
    first = torchless.poisson(torchless.full((5,), 4.0))
    torchless.manual_seed(9)
    assert torchless.equal(first, torchless.poisson(torchless.full((5,), 4.0)))


def test_random_node_names():
    x = torchless.zeros(3, requires_grad=True)
    assert torchless.normal(x, 1.0).grad_fn.name() == "NormalBackward1"
    assert torchless.normal(x, x.exp()).grad_fn.name() == "NormalBackward3"
    assert torchless.bernoulli(x.sigmoid()).grad_fn.name() == "BernoulliBackward0"


# ---------------------------------------------------------------------------- tensor functions
def _ints(lib, values, dtype="int64"):
    return lib.tensor(np.asarray(values, dtype))


TENSOR_CALLS = {
    "bucketize": lambda lib: lib.bucketize(_x(lib), lib.tensor([-1.0, 0.0, 1.0])),
    "bucketize_right": lambda lib: lib.bucketize(lib.tensor([0.0, 1.0, 2.0]), lib.tensor([0.0, 1.0]), right=True,
                                                 out_int32=True),
    "searchsorted": lambda lib: lib.searchsorted(lib.tensor([[1.0, 3, 5], [2, 4, 6]]),
                                                 lib.tensor([[3.0, 6], [1, 5]]), side="right"),
    "searchsorted_1d": lambda lib: lib.searchsorted(lib.tensor([1.0, 3, 5]), lib.tensor([[0.0, 3], [6, 4]])),
    "histogram": lambda lib: lib.histogram(_x(lib), 5),
    "histogram_range": lambda lib: lib.histogram(_x(lib), 4, range=(-1.0, 1.0), density=True),
    "histogram_edges": lambda lib: lib.histogram(_x(lib), lib.tensor([-2.0, 0.0, 0.5, 2.0]),
                                                 weight=_x(lib, seed=3).abs()),
    "tensordot": lambda lib: lib.tensordot(_x(lib, (2, 3, 4)), _x(lib, (3, 4, 5), seed=1)),
    "tensordot_lists": lambda lib: lib.tensordot(_x(lib, (2, 3, 4)), _x(lib, (4, 2), seed=1), ([0, 2], [1, 0])),
    "inner": lambda lib: lib.inner(_x(lib, (2, 4)), _x(lib, (3, 4), seed=1)),
    "vdot": lambda lib: lib.vdot(_x(lib, (4,)), _x(lib, (4,), seed=1)),
    "vdot_2d": lambda lib: lib.vdot(_x(lib, (2, 2)), _x(lib, (4,), seed=1)),
    "vdot_dtypes": lambda lib: lib.vdot(_x(lib, (4,)), _x(lib, (4,), dtype="float64")),
    "block_diag": lambda lib: lib.block_diag(_x(lib, (2, 3)), lib.tensor(5.0), _x(lib, (2,)), _ints(lib, [[1]])),
    "column_stack": lambda lib: lib.column_stack([_x(lib, (3,)), _x(lib, (3, 2)), _x(lib, (3, 1))]),
    "dstack": lambda lib: lib.dstack([_x(lib, (2, 3)), _x(lib, (2, 3), seed=1)]),
    "hsplit": lambda lib: lib.hsplit(_x(lib, (3, 4)), 2),
    "hsplit_1d": lambda lib: lib.hsplit(_x(lib, (6,)), [1, 4]),
    "hsplit_uneven": lambda lib: lib.hsplit(_x(lib, (3, 4)), 3),
    "vsplit": lambda lib: _x(lib, (4, 2)).vsplit([1]),
    "vsplit_1d": lambda lib: lib.vsplit(_x(lib, (4,)), 2),
    "dsplit": lambda lib: lib.dsplit(_x(lib, (2, 2, 4)), 2),
    "atleast_3d": lambda lib: lib.atleast_3d(lib.tensor(1.0), _x(lib, (3,)), _x(lib, (2, 3)), _x(lib, (1, 2, 3))),
    "ravel": lambda lib: lib.ravel(_x(lib).t()),
    "unravel_index": lambda lib: lib.unravel_index(_ints(lib, [0, 5, 11, -1]), (3, 4)),
    "tril_indices": lambda lib: lib.tril_indices(3, 4, 1),
    "triu_indices": lambda lib: lib.triu_indices(4, 3, -1, dtype=lib.int32),
    "combinations": lambda lib: lib.combinations(_x(lib, (4,)), 3),
    "combinations_replacement": lambda lib: lib.combinations(_x(lib, (3,)), with_replacement=True),
    "cartesian_prod": lambda lib: lib.cartesian_prod(_x(lib, (2,)), _x(lib, (3,), seed=2)),
    "diag_embed": lambda lib: lib.diag_embed(_x(lib, (2, 3)), 1, 0, 2),
    "diagflat": lambda lib: lib.diagflat(_x(lib, (2, 2)), -1),
    "cov": lambda lib: lib.cov(_x(lib, (3, 6))),
    "cov_weights": lambda lib: lib.cov(_x(lib, (3, 6)), correction=0, fweights=_ints(lib, [1, 2, 1, 3, 1, 1]),
                                       aweights=_x(lib, (6,), seed=4).abs()),
    "cov_1d": lambda lib: lib.cov(_x(lib, (5,))),
    "corrcoef": lambda lib: lib.corrcoef(_x(lib, (3, 6))),
    "isin": lambda lib: lib.isin(_ints(lib, [[1, 2], [3, 4]]), _ints(lib, [2, 3])),
    "isin_invert": lambda lib: lib.isin(_ints(lib, [1, 2, 3]), 2, invert=True),
    "isneginf": lambda lib: lib.isneginf(lib.tensor([-math.inf, math.inf, 1.0, math.nan])),
    "isposinf": lambda lib: lib.isposinf(lib.tensor([-math.inf, math.inf, 1.0])),
    "isposinf_int": lambda lib: lib.isposinf(_ints(lib, [1, 2])),
    "isreal": lambda lib: lib.isreal(_x(lib)),
    "heaviside": lambda lib: lib.heaviside(lib.tensor([-1.0, 0.0, 2.0]), lib.tensor([0.5])),
    "heaviside_dtypes": lambda lib: lib.heaviside(lib.tensor([-1.0, 0.0]), _ints(lib, [1])),
    "float_power": lambda lib: lib.float_power(_x(lib).abs(), 2.5),
    "float_power_tensor": lambda lib: lib.float_power(_ints(lib, [2, 3]), _x(lib, (2,))),
    "exp2": lambda lib: lib.exp2(_x(lib)),
    "exp2_int": lambda lib: lib.exp2(_ints(lib, [0, 3, -1])),
    "ldexp": lambda lib: lib.ldexp(_x(lib), _ints(lib, [1, 2, -1, 0])),
    "logdet": lambda lib: lib.logdet(_x(lib, (3, 3, 3))),
    "trapezoid": lambda lib: lib.trapezoid(_x(lib)),
    "trapezoid_dx": lambda lib: lib.trapezoid(_x(lib), dx=0.5, dim=0),
    "trapezoid_x": lambda lib: lib.trapezoid(_x(lib), lib.tensor([0.0, 1.0, 3.0, 6.0])),
    "cumulative_trapezoid": lambda lib: lib.cumulative_trapezoid(_x(lib), dim=0),
    "cumulative_trapezoid_x": lambda lib: lib.cumulative_trapezoid(_x(lib), _x(lib, seed=5)),
    "unique_consecutive": lambda lib: lib.unique_consecutive(_ints(lib, [1, 1, 2, 2, 3, 1, 1, 2]),
                                                             return_inverse=True, return_counts=True),
    "unique_consecutive_dim": lambda lib: lib.unique_consecutive(_ints(lib, [[1, 1, 2], [1, 1, 2], [0, 0, 0]]),
                                                                 dim=0, return_counts=True),
    "msort": lambda lib: lib.msort(_x(lib)),
    "nanmedian": lambda lib: lib.nanmedian(lib.tensor([[1.0, math.nan, 3.0, 2.0], [math.nan] * 4])),
    "nanmedian_dim": lambda lib: lib.nanmedian(lib.tensor([[1.0, math.nan, 3.0, 2.0], [4.0, 0.0, math.nan, 9.0]]),
                                               1, True),
    "mode": lambda lib: lib.mode(_ints(lib, [[1, 2, 2, 3, 3], [4, 4, 1, 1, 0]])),
    "mode_dim0": lambda lib: lib.mode(lib.tensor([[1.0, 2.0], [1.0, 3.0], [2.0, 3.0]]), 0),
    "bitwise_and": lambda lib: lib.bitwise_and(_ints(lib, [12, 5, -3]), _ints(lib, [10, 3, 7])),
    "bitwise_or": lambda lib: lib.bitwise_or(_ints(lib, [12, 5, -3], "int8"), 3),
    "bitwise_xor": lambda lib: lib.bitwise_xor(lib.tensor([True, False]), lib.tensor([True, True])),
    "bitwise_not": lambda lib: lib.bitwise_not(_ints(lib, [0, 5, -3], "uint8")),
    "bitwise_and_float": lambda lib: lib.bitwise_and(_x(lib), 1),
    "bitwise_not_float": lambda lib: lib.bitwise_not(_x(lib)),
    "left_shift": lambda lib: lib.bitwise_left_shift(_ints(lib, [1, 3, -2]), _ints(lib, [1, 2, 3])),
    "right_shift": lambda lib: lib.bitwise_right_shift(_ints(lib, [16, -16, 7], "int16"), 2),
    "gcd": lambda lib: lib.gcd(_ints(lib, [12, -18, 0]), _ints(lib, [8, 12, 5])),
    "lcm": lambda lib: lib.lcm(_ints(lib, [4, -6, 0]), _ints(lib, [6, 4, 3])),
    "gcd_float": lambda lib: lib.gcd(_x(lib), _x(lib)),
    "lgamma": lambda lib: lib.lgamma(lib.tensor([0.5, 1.0, 2.5, 10.0, 100.0, -0.5, -2.5, 0.0, -1.0, 1e-3])),
    "digamma": lambda lib: lib.digamma(lib.tensor([0.5, 1.0, 2.5, 10.0, 100.0, -0.5, -2.5, 1e-3, 0.0])),
    "lgamma_double": lambda lib: lib.lgamma(_x(lib, dtype="float64", low=0.1, high=30)),
    "digamma_int": lambda lib: lib.digamma(_ints(lib, [1, 2, 7])),
}


@pytest.mark.parametrize("name", list(TENSOR_CALLS))
def test_tensor_functions(name):
    assert_same_outcome(TENSOR_CALLS[name], rtol=2e-5, atol=1e-5)


METHOD_CALLS = {
    "inplace_exp2": lambda lib: _x(lib).exp2_(),
    "inplace_lgamma": lambda lib: _x(lib, low=0.5).lgamma_(),
    "inplace_gcd": lambda lib: lib.gcd_(_ints(lib, [12, 18]), _ints(lib, [8, 12])),
    "inplace_ldexp": lambda lib: lib.ldexp_(_x(lib, (2,)), _ints(lib, [1, 2])),
    "inplace_bitwise_and": lambda lib: _ints(lib, [12, 5]).bitwise_and_(6),
    "method_cov": lambda lib: _x(lib, (2, 5)).cov(correction=0),
    "method_nanmedian": lambda lib: _x(lib).nanmedian(0),
    "method_diag_embed": lambda lib: _x(lib, (3,)).diag_embed(),
    "method_float_power": lambda lib: _x(lib).float_power(2),
    "method_heaviside": lambda lib: _x(lib).heaviside(lib.tensor(0.5)),
}


@pytest.mark.parametrize("name", list(METHOD_CALLS))
def test_methods_and_inplace(name):
    assert_same_outcome(METHOD_CALLS[name], rtol=2e-5, atol=1e-5)


@pytest.mark.parametrize("call", [
    lambda lib: lib.hsplit(lib.tensor(1.0), 1), lambda lib: lib.vsplit(lib.ones(4), 2),
    lambda lib: lib.dsplit(lib.ones(2, 2), 2), lambda lib: lib.vsplit(lib.ones(3, 2), 2),
    lambda lib: lib.block_diag(lib.ones(1, 1, 1)), lambda lib: lib.combinations(lib.ones(2, 2)),
    lambda lib: lib.diag_embed(lib.ones(3), 0, 1, 1), lambda lib: lib.bucketize(lib.ones(2), lib.ones(2, 2)),
    lambda lib: lib.inner(lib.ones(2), lib.ones(3)), lambda lib: lib.tensordot(lib.ones(2), lib.ones(3), 1),
    lambda lib: lib.cov(lib.ones(2, 2, 2)), lambda lib: lib.searchsorted(lib.ones(2, 3), lib.ones(3, 3)),
    lambda lib: lib.searchsorted(lib.ones(3), lib.ones(3), side="middle"),
    lambda lib: lib.ones(2).float_power_(2),
])
def test_tensor_function_errors(call):
    assert_same_error(lambda: call(torch), lambda: call(torchless))


GRADIENT_CALLS = {
    "lgamma": (lambda x: torchless.lgamma(x), [np.array([0.3, 1.5, 4.0, -0.5, -2.3])]),
    "digamma": (lambda x: torchless.digamma(x), [np.array([0.3, 1.5, 4.0, 12.0, -0.5, -2.3])]),
    "exp2": (lambda x: torchless.exp2(x), [np.array([-1.0, 0.3, 2.0])]),
    "float_power": (lambda x, y: torchless.float_power(x, y), [np.array([0.5, 2.0]), np.array([1.5, -0.3])]),
    "ldexp": (lambda x, y: torchless.ldexp(x, y), [np.array([0.5, 2.0]), np.array([1.5, -0.3])]),
    "tensordot": (lambda a, b: torchless.tensordot(a, b, ([1, 0], [0, 2])),
                  [np.random.default_rng(0).normal(size=(3, 2, 4)), np.random.default_rng(1).normal(size=(2, 5, 3))]),
    "inner": (lambda a, b: torchless.inner(a, b), [np.ones((2, 3)) * 0.5, np.arange(12.0).reshape(4, 3)]),
    "block_diag": (lambda a, b: torchless.block_diag(a, b), [np.ones((2, 3)), np.arange(4.0).reshape(2, 2)]),
    "diag_embed": (lambda a: torchless.diag_embed(a, -1, 2, 0), [np.arange(6.0).reshape(2, 3)]),
    "cov": (lambda a: torchless.cov(a), [np.random.default_rng(2).normal(size=(3, 5))]),
    "corrcoef": (lambda a: torchless.corrcoef(a), [np.random.default_rng(3).normal(size=(3, 5))]),
    "logdet": (lambda a: torchless.logdet(a), [np.eye(3) * 2 + np.random.default_rng(4).normal(size=(3, 3)) * 0.3]),
    "trapezoid": (lambda y, x: torchless.trapezoid(y, x), [np.random.default_rng(5).normal(size=(2, 4)),
                                                           np.array([0.0, 0.5, 2.0, 2.5])]),
    "cumulative_trapezoid": (lambda y: torchless.cumulative_trapezoid(y, dx=0.3, dim=0),
                             [np.random.default_rng(6).normal(size=(4, 2))]),
    "nanmedian": (lambda a: torchless.nanmedian(a, 1).values, [np.array([[1.0, 5.0, 3.0], [4.0, -1.0, 2.0]])]),
    # (mode's gradient, at a tie by definition, is checked against torch's below)
    "mode": (None, [np.array([[1.0, 5.0], [1.0, 2.0], [3.0, 2.0], [4.0, 5.0]])]),
    "combinations": (lambda a: torchless.combinations(a, 2), [np.array([1.0, 2.0, 4.0])]),
    "column_stack": (lambda a, b: torchless.column_stack([a, b]), [np.ones(3), np.ones((3, 2))]),
    "msort": (lambda a: torchless.msort(a), [np.array([[3.0, 1.0], [2.0, 4.0]])]),
}


@pytest.mark.parametrize("name", list(GRADIENT_CALLS))
def test_gradients_by_finite_differences(name):
    fn, arrays = GRADIENT_CALLS[name]
    if fn is None:
        pytest.skip("a tie: no finite difference")
    finite_difference_check(fn, arrays, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["lgamma", "digamma", "exp2", "logdet", "cov", "nanmedian", "mode"])
def test_gradients_match_torch(name):
    fn, arrays = GRADIENT_CALLS[name]
    grads = []
    for lib in (torch, torchless):
        tensors = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = getattr(lib, name)(*tensors, *((1,) if name == "nanmedian" else (0,) if name == "mode" else ()))
        out = out[0] if isinstance(out, tuple) else out
        out.sum().backward()
        grads.append([t.grad.numpy() for t in tensors])
    for ours, theirs in zip(grads[1], grads[0], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-8)


def test_heaviside_not_differentiable():
    for lib in (torch, torchless):
        x = lib.tensor([1.0, -1.0], requires_grad=True)
        out = lib.heaviside(x, lib.tensor([0.5]))
        assert out.requires_grad
        with pytest.raises(RuntimeError, match="derivative for aten::heaviside is not implemented"):
            out.sum().backward()
