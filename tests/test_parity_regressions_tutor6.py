"""Differences from PyTorch found by running classic CNN teaching scripts (d2l's LeNet ... DenseNet chapters, conv
from scratch, hooks, saliency, data pipelines) under torchless; each test compares against PyTorch itself."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(lib, fn):
    """fn(lib)'s value as NumPy (or a tuple/shape of them), or its exception type and message."""
    try:
        out = fn(lib)
    except Exception as error:  # noqa: BLE001 - the exception itself is compared
        return ("error", type(error).__name__, str(error))
    return _plain(out)


def _plain(out):
    if isinstance(out, (tuple, list)):
        return tuple(_plain(o) for o in out)
    if hasattr(out, "detach"):
        return ("tensor", str(out.dtype).split(".")[-1], tuple(out.shape), out.detach().numpy())
    if type(out).__name__ == "Size":
        return ("size", tuple(out))
    return out


def _assert_same(actual, expected):
    if isinstance(expected, np.ndarray):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
    elif isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected), (actual, expected)
        for a, e in zip(actual, expected):
            _assert_same(a, e)
    else:
        assert actual == expected


def _same(fn):
    _assert_same(_outcome(torchless, fn), _outcome(torch, fn))


# ---------------------------------------------------------------------------- NumPy's keyword names
_X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize("call", [
    lambda lib, x: x.sum(axis=1),
    lambda lib, x: x.sum(axis=(0, 2), keepdims=True),
    lambda lib, x: x.sum(1, keepdims=True),
    lambda lib, x: lib.sum(x, axis=2),
    lambda lib, x: x.mean(axis=0, keepdims=True),
    lambda lib, x: lib.mean(x, axis=1, keepdims=True),
    lambda lib, x: x.argmax(axis=1),
    lambda lib, x: lib.argmax(x, axis=-1, keepdims=True),
    lambda lib, x: x.max(axis=1),
    lambda lib, x: lib.max(x, axis=1, keepdims=True),
    lambda lib, x: x.min(axis=2, keepdims=True),
    lambda lib, x: lib.cat((x, x), axis=1),
    lambda lib, x: lib.stack([x, x], axis=-1),
    lambda lib, x: lib.concat((x, x), axis=0),
    lambda lib, x: x.softmax(axis=1),
    lambda lib, x: lib.softmax(x, axis=-1),
    lambda lib, x: x.log_softmax(axis=2),
    lambda lib, x: x.std(axis=1),
    lambda lib, x: x.var(axis=0, keepdims=True),
    lambda lib, x: x.cumsum(axis=1),
    lambda lib, x: x.squeeze(axis=0),
    lambda lib, x: x.unsqueeze(axis=1),
    lambda lib, x: x.sort(axis=1, descending=True),
    lambda lib, x: x.topk(2, axis=1),
    lambda lib, x: x.gather(axis=1, index=lib.zeros(2, 1, 4, dtype=lib.long)),
    lambda lib, x: x.size(axis=1),
    lambda lib, x: lib.var_mean(x, axis=1),
    lambda lib, x: lib.unflatten(x, axis=2, sizes=(2, 2)),
    lambda lib, x: lib.abs(x=x),
    lambda lib, x: lib.exp(a=x * 0.1),
    lambda lib, x: lib.add(x, x2=x),
    lambda lib, x: lib.ones_like(x=x),
    # given twice, or where PyTorch's function is written in Python: the NumPy name is unexpected
    lambda lib, x: x.sum(dim=1, axis=1),
    lambda lib, x: x.sum(1, axis=1),
    lambda lib, x: x.sum(0, keepdim=True, keepdims=True),
    lambda lib, x: lib.zeros(2, axis=0),
    lambda lib, x: x.split(1, axis=1),
    lambda lib, x: x.norm(axis=1),
    lambda lib, x: x.unflatten(axis=2, sizes=(2, 2)),
])
def test_numpy_keyword_names(call):
    _same(lambda lib: call(lib, lib.tensor(_X)))


# ---------------------------------------------------------------------------- Module internals tutorials print
def test_module_registries_are_plain_dicts():
    def build(lib):
        return lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.BatchNorm2d(2))

    expected, actual = build(torch), build(torchless)
    for name in ("_modules", "_parameters", "_buffers", "_non_persistent_buffers_set"):
        assert type(getattr(actual, name)) is type(getattr(expected, name)), name
        assert type(getattr(actual[1], name)) is type(getattr(expected[1], name)), name
    assert repr(actual._modules.keys()) == repr(expected._modules.keys())
    assert list(actual[1]._buffers) == list(expected[1]._buffers)


def test_non_persistent_buffer_set_and_pickle_round_trip():
    import pickle

    def build(lib):
        m = lib.nn.Module()
        m.register_buffer("kept", lib.zeros(2))
        m.register_buffer("scratch", lib.ones(2), persistent=False)
        return m

    expected, actual = build(torch), build(torchless)
    assert actual._non_persistent_buffers_set == expected._non_persistent_buffers_set == {"scratch"}
    again = pickle.loads(pickle.dumps(actual))
    assert again._non_persistent_buffers_set == {"scratch"}
    assert list(again.state_dict()) == list(expected.state_dict()) == ["kept"]
    # a module pickled under the set's former name still loads
    state = dict(actual.__dict__)
    state["_non_persistent_buffers"] = state.pop("_non_persistent_buffers_set")
    old = torchless.nn.Module.__new__(torchless.nn.Module)
    old.__setstate__(state)
    assert list(old.state_dict()) == ["kept"]


# ---------------------------------------------------------------------------- torchvision.models.googlenet
# Facts of torchvision 0.29's GoogLeNet: parameters with and without the auxiliary heads (the latter is its
# weights' meta["num_params"]), state_dict entries, and a digest of its "key:shape" list in order.
_GOOGLENET_PARAMS, _GOOGLENET_PARAMS_NO_AUX, _GOOGLENET_ENTRIES = 13004888, 6624904, 364
_GOOGLENET_KEYS_SHA1 = "df6ea31377d5bb1c2efa2f943bafa0632a0d70af"


def _googlenet(**kwargs):
    import warnings

    from torchless.vision import models

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return models.googlenet(**kwargs)


@pytest.fixture(scope="module")
def googlenet_with_aux():
    return _googlenet()  # (13M parameters to initialise: built once for the tests below)


def test_googlenet_architecture_matches_torchvision(googlenet_with_aux):
    import hashlib

    model = googlenet_with_aux
    assert sum(p.numel() for p in model.parameters()) == _GOOGLENET_PARAMS
    state = model.state_dict()
    assert len(state) == _GOOGLENET_ENTRIES
    keys = " ".join(f"{k}:{tuple(v.shape)}" for k, v in state.items())
    assert hashlib.sha1(keys.encode()).hexdigest() == _GOOGLENET_KEYS_SHA1
    plain = _googlenet(aux_logits=False, init_weights=False)
    assert sum(p.numel() for p in plain.parameters()) == _GOOGLENET_PARAMS_NO_AUX
    assert plain.aux1 is None and "aux1" not in dict(plain.named_children())
    from torchless.vision import models

    meta = models.GoogLeNet_Weights.DEFAULT.meta
    assert meta["num_params"] == _GOOGLENET_PARAMS_NO_AUX and meta["min_size"] == (15, 15)
    assert "googlenet" in models.list_models()


def _reference_googlenet(params, x, transform_input):
    """GoogLeNet's eval-mode forward written with PyTorch's functional ops on the state dict ``params``."""
    F = torch.nn.functional

    def basic(prefix, x, **conv):
        x = F.conv2d(x, params[prefix + ".conv.weight"], **conv)
        x = F.batch_norm(x, params[prefix + ".bn.running_mean"], params[prefix + ".bn.running_var"],
                         params[prefix + ".bn.weight"], params[prefix + ".bn.bias"], eps=1e-3)
        return F.relu(x)

    def inception(prefix, x):
        b1 = basic(prefix + ".branch1", x)
        b2 = basic(prefix + ".branch2.1", basic(prefix + ".branch2.0", x), padding=1)
        b3 = basic(prefix + ".branch3.1", basic(prefix + ".branch3.0", x), padding=1)
        b4 = basic(prefix + ".branch4.1", F.max_pool2d(x, 3, 1, 1, ceil_mode=True))
        return torch.cat([b1, b2, b3, b4], 1)

    if transform_input:
        mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
        x = x * (std / 0.5).view(1, 3, 1, 1) + ((mean - 0.5) / 0.5).view(1, 3, 1, 1)
    x = F.max_pool2d(basic("conv1", x, stride=2, padding=3), 3, 2, ceil_mode=True)
    x = F.max_pool2d(basic("conv3", basic("conv2", x), padding=1), 3, 2, ceil_mode=True)
    x = F.max_pool2d(inception("inception3b", inception("inception3a", x)), 3, 2, ceil_mode=True)
    for block in "abcd":
        x = inception("inception4" + block, x)
    x = F.max_pool2d(inception("inception4e", x), 2, 2, ceil_mode=True)
    x = inception("inception5b", inception("inception5a", x))
    return F.linear(x.mean((2, 3)), params["fc.weight"], params["fc.bias"])


@pytest.mark.parametrize("transform_input", [False, True])
def test_googlenet_forward_matches_functional_reference(transform_input):
    model = _googlenet(num_classes=7, transform_input=transform_input, aux_logits=False, init_weights=False)
    rng = np.random.default_rng(0)
    with torchless.no_grad():  # batch-norm statistics away from 0 / 1, so that eps and their order matter
        for name, buffer in model.named_buffers():
            if name.endswith("running_mean"):
                buffer.copy_(torchless.from_numpy(rng.normal(0, 0.1, buffer.shape).astype(np.float32)))
            elif name.endswith("running_var"):
                buffer.copy_(torchless.from_numpy(rng.uniform(0.5, 2, buffer.shape).astype(np.float32)))
        for p in model.parameters():
            p.copy_(torchless.from_numpy(rng.normal(0, 0.05, p.shape).astype(np.float32)))
    x = rng.standard_normal((2, 3, 40, 52)).astype(np.float32)
    model.eval()
    with torchless.no_grad():
        actual = model(torchless.from_numpy(x)).numpy()
    params = {k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()}
    expected = _reference_googlenet(params, torch.from_numpy(x), transform_input).numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


def test_googlenet_training_outputs_and_builder_checks(googlenet_with_aux):
    from torchless.vision import models

    model = googlenet_with_aux
    model.train()
    out = model(torchless.randn(2, 3, 32, 32))
    assert type(out) is models.GoogLeNetOutputs and out._fields == ("logits", "aux_logits2", "aux_logits1")
    assert [tuple(o.shape) for o in out] == [(2, 1000)] * 3
    model.eval()
    assert tuple(model(torchless.randn(1, 3, 32, 32)).shape) == (1, 1000)
    model.train()
    model.aux_logits = False
    try:
        assert tuple(model(torchless.randn(2, 3, 32, 32)).shape) == (2, 1000)
    finally:
        model.aux_logits = True
    # (the default-initialisation warning comes before the check of blocks)
    with pytest.warns(FutureWarning, match="default weight initialization of GoogleNet"):
        with pytest.raises(ValueError, match=r"^blocks length should be 3 instead of 2$"):
            models.googlenet(blocks=[1, 2])
    with pytest.raises(ValueError, match=r"^The parameter 'num_classes' expected value 1000 but got 10 instead\.$"):
        _googlenet(weights="DEFAULT", num_classes=10)


def test_googlenet_repr_matches_torchvision():
    torchvision = pytest.importorskip("torchvision")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        expected = torchvision.models.googlenet()
    assert repr(_googlenet()).replace("torchless", "torch") == repr(expected)


# ---------------------------------------------------------------------------- warnings PyTorch gives once
# Scripts run in fresh interpreters, one per library (PyTorch's TORCH_WARN_ONCE fires once per process); each
# prints its results and the warnings it caught, in order.
_ONCE_SCRIPT = """
import warnings
import {lib} as lib
warnings.simplefilter("always")
def run(fn):
    with warnings.catch_warnings(record=True) as caught:
        try:
            out = fn()
        except Exception as error:
            out = (type(error).__name__, str(error))
    print(str(out).replace("torchless", "torch"))
    for w in caught:
        print("  ", w.category.__name__, str(w.message).replace("torchless", "torch"))
"""
_ONCE_CASES = {
    "transpose_property": [
        "lambda: [tuple(lib.ones(s).T.shape) for s in [(2, 3), (3,), (), (2, 3, 4), (4,), ()]]",
    ],
    "set_default_tensor_type": [
        "lambda: lib.set_default_tensor_type(lib.DoubleTensor)",
        "lambda: lib.set_default_tensor_type(lib.cuda.FloatTensor)",
        "lambda: lib.set_default_tensor_type('torch.FloatTensor')",
    ],
    "meshgrid_indexing": [
        "lambda: [tuple(g.shape) for g in lib.meshgrid(lib.arange(2), lib.arange(3))]",
        "lambda: [tuple(g.shape) for g in lib.meshgrid(lib.arange(2), lib.arange(3))]",
        "lambda: [tuple(g.shape) for g in lib.meshgrid(lib.arange(2), lib.arange(3), indexing='xy')]",
    ],
}


def test_warnings_given_once_per_process():
    import os
    import subprocess
    import sys

    env = dict(os.environ)  # this torchless, wherever it was imported from
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(os.path.dirname(torchless.__file__)),
                                         env.get("PYTHONPATH", "")])
    # one interpreter per library for all cases: each case's warnings are its own (a subprocess costs seconds)
    body = "".join(f"print({case!r})\n" + "".join(f"run({call})\n" for call in calls)
                   for case, calls in _ONCE_CASES.items())

    def run(lib):
        done = subprocess.run([sys.executable, "-c", _ONCE_SCRIPT.format(lib=lib) + body], capture_output=True,
                              text=True, check=True, env=env)
        return done.stdout

    assert run("torchless") == run("torch")


# ---------------------------------------------------------------------------- legacy spellings
@pytest.mark.parametrize("call", [
    lambda lib: lib.range(0, 3),
    lambda lib: lib.range(1, 4, 0.5),
    lambda lib: lib.range(0, 1, 0.3),
    lambda lib: lib.range(3, 0, -1),
    lambda lib: lib.range(-1, 1, 0.1),
    lambda lib: lib.range(0, 10, 3, dtype=lib.int32),
    lambda lib: lib.range(0, 2, dtype=lib.long),
    lambda lib: lib.range(start=0, end=0, requires_grad=True),
    lambda lib: lib.range(0, 3, 0),
    lambda lib: lib.range(3, 0),
    lambda lib: lib.range(5),
    lambda lib: lib.range(),
])
def test_deprecated_range(call):
    import warnings

    def run(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = _outcome(lib, call)
        return out, [(w.category.__name__, str(w.message)) for w in caught]

    (expected, expected_warnings), (actual, actual_warnings) = run(torch), run(torchless)
    _assert_same(actual, expected)
    assert actual_warnings == expected_warnings


@pytest.mark.parametrize("call", [
    lambda lib: repr(lib.cuda.FloatTensor).replace("torchless", "torch"),
    lambda lib: (lib.cuda.LongTensor.dtype == lib.int64, lib.cuda.DoubleTensor.is_cuda, lib.FloatTensor.is_cuda),
    lambda lib: (isinstance(lib.ones(1), lib.cuda.FloatTensor), lib.cuda.FloatTensor == lib.FloatTensor),
    lambda lib: lib.cuda.FloatTensor([1]),
    lambda lib: lib.cuda.ByteTensor(2, 3),
    lambda lib: lib.ones(1).type(lib.cuda.FloatTensor),
    lambda lib: lib.ones(1).type("torch.cuda.FloatTensor"),
    lambda lib: lib.zeros(2).type(lib.cuda.FloatTensor if lib.cuda.is_available() else lib.FloatTensor),
])
def test_cuda_legacy_tensor_types_of_a_cpu_build(call):
    def run(lib):
        out = _outcome(lib, call)
        if out[0] == "error":  # PyTorch's messages name torch.cuda where torchless's say torchless.cuda
            out = out[:2] + (out[2].replace("torchless", "torch"),)
        return out

    _assert_same(run(torchless), run(torch))


def test_set_default_tensor_type_refuses_cuda_types():
    def run(lib, t):
        out = _outcome(lib, lambda lib: lib.set_default_tensor_type(t(lib)))
        return out[:2] + (out[2].replace("torchless", "torch"),), lib.get_default_dtype() == lib.float32

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in (lambda lib: lib.cuda.FloatTensor, lambda lib: "torch.cuda.FloatTensor"):
            assert run(torchless, t) == run(torch, t)


# ---------------------------------------------------------------------------- NumPy operands on the left
@pytest.mark.parametrize("left", [np.float64(2.5), np.float32(2.5), np.int64(2), np.array([2.0, 3.0]), np.array(2.0),
                                  np.array([2, 3])], ids=repr)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "pow", "floordiv", "mod", "eq"])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_numpy_operand_on_the_left(left, op, dtype):
    import operator

    def run(lib):
        t = lib.tensor([1, 2]).to(getattr(lib, dtype))
        return getattr(operator, op)(left, t)

    expected, actual = _outcome(torch, run), _outcome(torchless, run)
    if expected[0] == "tensor":  # a tensor, as PyTorch's, never an ndarray
        assert actual[:3] == expected[:3]
        np.testing.assert_allclose(actual[3], expected[3], rtol=1e-6)
    else:
        assert actual == expected


def test_numpy_scalar_times_tensor_keeps_the_graph():
    def run(lib):
        w = lib.tensor([1.0, -2.0], requires_grad=True)
        y = np.float64(0.5) * w * np.float32(3.0) + np.float64(1.0)
        y.sum().backward()
        return type(y).__name__, str(y.dtype).split(".")[-1], y.detach().numpy().tolist(), w.grad.numpy().tolist()

    assert run(torchless) == run(torch)


def test_non_leaf_grad_warning_text():
    import warnings

    def run(lib):
        w = lib.tensor(1.0, requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            grad = (w * 2).grad
        return grad, [(c.category.__name__, str(c.message)) for c in caught]

    assert run(torchless) == run(torch)


# ---------------------------------------------------------------------------- copy.deepcopy of tensors
def _deepcopy_cases(lib):
    import copy

    out = []
    p = lib.nn.Parameter(lib.ones(2))
    (p * 3).sum().backward()
    q = copy.deepcopy(p)  # a Parameter's copy leaves the grad behind
    out.append((type(q).__name__, q.grad is None, q.requires_grad, q.is_leaf))
    t = lib.ones(2, requires_grad=True)
    (t * 2).sum().backward()
    t.note = "kept"
    u = copy.deepcopy(t)  # a plain tensor's brings it, and its attributes, along
    out.append((u.grad.tolist(), u.grad is t.grad, u.requires_grad, u.note))
    a = lib.arange(4.0)
    c = copy.deepcopy([a, a[1:3], a[::2]])  # views keep sharing the copied memory
    c[0][1] = 100.0
    out.append((c[1].tolist(), c[2].tolist(), a.tolist()))
    shared = copy.deepcopy({"w": a, "t": a.t()})
    shared["w"][0] = -1.0
    out.append(shared["t"].tolist())
    m = lib.nn.Linear(2, 1)
    m(lib.ones(1, 2)).sum().backward()
    m2 = copy.deepcopy(m)
    out.append((m2.weight.grad is None, lib.equal(m2.weight, m.weight), m2.weight is m.weight))
    for fn in (lambda: copy.deepcopy(t * 2), lambda: copy.deepcopy({"y": t.clone()})):
        try:
            fn()
            out.append("copied")
        except RuntimeError as error:
            out.append(("RuntimeError", str(error)))
    return out


def test_deepcopy_of_tensors():
    assert _deepcopy_cases(torchless) == _deepcopy_cases(torch)


# ---------------------------------------------------------------------------- factory keywords, layout, reversed
_X64 = lambda lib: lib.ones(2, dtype=lib.float64)  # noqa: E731


@pytest.mark.parametrize("call", [
    lambda lib: _X64(lib).new_zeros(2, 3, device="cpu"),
    lambda lib: _X64(lib).new_zeros((2,), device=_X64(lib).device, dtype=lib.int32),
    lambda lib: _X64(lib).new_ones(2, layout=lib.strided, pin_memory=False),
    lambda lib: _X64(lib).new_empty(2, device="cpu").shape,
    lambda lib: _X64(lib).new_full((2,), 3, device="cpu", requires_grad=True),
    lambda lib: _X64(lib).new_tensor([1, 2], device="cpu"),
    lambda lib: _X64(lib).new_zeros(2, device="cuda"),
    lambda lib: _X64(lib).new_tensor([1], device="cuda"),
    lambda lib: _X64(lib).new_ones(2, pin_memory=True),
    lambda lib: lib.arange(3, layout=lib.strided, pin_memory=False),
    lambda lib: lib.linspace(0, 1, 3, layout=lib.strided),
    lambda lib: lib.logspace(0, 1, 3, pin_memory=False),
    lambda lib: lib.eye(2, layout=lib.strided),
    lambda lib: lib.randint(0, 5, (2,), pin_memory=False).shape,
    lambda lib: lib.randperm(3, layout=lib.strided).shape,
    lambda lib: lib.zeros(2, pin_memory=False),
    lambda lib: lib.full((2,), 1.0, pin_memory=False),
    lambda lib: lib.zeros_like(_X64(lib), pin_memory=False),
    lambda lib: lib.zeros(2, pin_memory=True),
    lambda lib: lib.arange(3, pin_memory=True),
    lambda lib: lib.tensor([1], pin_memory=True),
    lambda lib: lib.randn(2, pin_memory=True),
    lambda lib: (repr(lib.strided).replace("torchless", "torch"), type(lib.strided).__name__,
                 isinstance(lib.ones(1).layout, lib.layout), lib.ones(1).layout == lib.strided,
                 repr(lib.sparse_coo).replace("torchless", "torch")),
    lambda lib: reversed(lib.arange(3)),
    lambda lib: reversed(lib.arange(6).reshape(2, 3)),
    lambda lib: reversed(lib.tensor(3.0)),
])
def test_factory_memory_keywords_layout_and_reversed(call):
    _same(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.greater(lib.tensor([1.5, 0.25]), 1.0),
    lambda lib: lib.less(lib.tensor([1.5, 0.25]), lib.tensor([2.0, 0.0])),
    lambda lib: lib.greater_equal(lib.tensor([1, 2]), 2),
    lambda lib: lib.less_equal(lib.tensor([1, 2]), 1),
    lambda lib: lib.not_equal(lib.tensor([1, 2]), 1),
    lambda lib: lib.greater(lib.tensor([1.0]), "a"),
    lambda lib: lib.greater(3, 1.0),
    lambda lib: lib.gt(lib.tensor([1.0])),
    lambda lib: lib.eq(3),
    lambda lib: lib.not_equal(lib.tensor([1.0])),
    lambda lib: lib.is_inference(lib.ones(1)),
    lambda lib: lib.get_device(lib.ones(1)),
    lambda lib: [getattr(lib, name)(lib.tensor([1.5, 0.25])) for name in
                 "sigmoid_ tanh_ abs_ ceil_ floor_ exp_ expm1_ log_ log1p_ log2_ sqrt_ square_ sin_ cos_ round_ neg_ "
                 "zero_ detach_".split()],
    lambda lib: (lib.clamp_(lib.tensor([1.5, -0.25]), 0.0, 1.0), lib.clamp_min_(lib.tensor([1.5, -0.25]), 0.5),
                 lib.clamp_max_(lib.tensor([1.5, -0.25]), 0.5), lib.clip_(lib.tensor([1.5, -0.25]), 0, 1),
                 lib.fill_(lib.tensor([1.5, -0.25]), 3), lib.nan_to_num_(lib.tensor([float("nan")]), 0.0)),
    lambda lib: lib.sigmoid_(lib.tensor([1.0], requires_grad=True)),
    lambda lib: lib.sigmoid_(3),
])
def test_namespace_function_forms(call):
    _same(call)


# ---------------------------------------------------------------------------- torchvision's other DenseNets
# Facts of torchvision 0.29: the weights' meta["num_params"], and for a 3-class head the parameter count and a
# digest of the "key:shape" list of the state dict, in order.
_DENSENETS = {
    "densenet161": (28681000, 26478627, "9396af1b68deeea8064b2e4d97471281529ce4a6"),
    "densenet169": (14149480, 12489475, "6a86d4693df78b047f6538795c549fd2695a4660"),
    "densenet201": (20013928, 18098691, "8b6a2f230cd1b888ca58881966af2074c664df94"),
}


@pytest.mark.parametrize("name", sorted(_DENSENETS))
def test_densenet_variants_match_torchvision(name):
    import hashlib

    from torchless.vision import models

    imagenet_params, params, keys_sha1 = _DENSENETS[name]
    model = getattr(models, name)(num_classes=3)
    assert sum(p.numel() for p in model.parameters()) == params
    keys = " ".join(f"{k}:{tuple(v.shape)}" for k, v in model.state_dict().items())
    assert hashlib.sha1(keys.encode()).hexdigest() == keys_sha1
    weights = models.get_model_weights(name).DEFAULT
    assert weights.meta["num_params"] == imagenet_params and weights.meta["min_size"] == (29, 29)
    assert name in models.list_models()


# ---------------------------------------------------------------------------- torch.asarray
_ARRAY = np.arange(3.0)


@pytest.mark.parametrize("call", [
    lambda lib: lib.asarray([1, 2]),
    lambda lib: lib.asarray([[1.0, 2.0]], dtype=lib.float64),
    lambda lib: lib.asarray(_ARRAY),
    lambda lib: lib.asarray(_ARRAY, dtype=lib.float32),
    lambda lib: lib.asarray(_ARRAY, dtype=lib.float32, copy=False),
    lambda lib: lib.asarray(np.float64(2)),
    lambda lib: lib.asarray(np.int32(3)),
    lambda lib: lib.asarray(3.5),
    lambda lib: lib.asarray((1, 2.5)),
    lambda lib: lib.asarray(True),
    lambda lib: lib.asarray(lib.ones(2), dtype=lib.long),
    lambda lib: lib.asarray(lib.ones(2), dtype=lib.long, copy=False),
    lambda lib: lib.asarray([1.0, 2.0], requires_grad=True),
    lambda lib: lib.asarray([1, 2], requires_grad=True),
    lambda lib: lib.asarray(lib.ones(2), requires_grad=True),
])
def test_asarray(call):
    _same(call)


def test_asarray_shares_memory_unless_copied():
    def run(lib):
        a, t = np.arange(3.0), lib.zeros(2)
        shared, copied = lib.asarray(a), lib.asarray(a, copy=True)
        shared[0], copied[1] = 9.0, 9.0
        same, fresh = lib.asarray(t, copy=False), lib.asarray(t, copy=True)
        fresh[0] = 5.0
        return a.tolist(), t.tolist(), same is t, fresh is t

    assert run(torchless) == run(torch)


@pytest.mark.parametrize("call", [lambda L: np.exp(L.tensor([1.0, 2.0])), lambda L: np.add(L.tensor([1.0, 2.0]), 1),
                                  lambda L: np.greater(L.tensor([1.0, 2.0]), 1.5), lambda L: np.exp(L.tensor([1, 2])),
                                  lambda L: np.abs(L.tensor(-1.0)), lambda L: np.sqrt(L.ones(2, 3))])
def test_numpy_ufuncs_on_tensors_give_tensors(call):
    torch = pytest.importorskip("torch")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch's __array_wrap__ signature, NumPy 2's warning
        theirs = call(torch)
    ours = call(torchless)
    assert isinstance(ours, torchless.Tensor)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
