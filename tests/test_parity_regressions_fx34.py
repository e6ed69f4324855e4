"""torch.fx on torchless (fx34): symbolic tracing of modules and functions, compared with PyTorch's torch.fx.

Differences fixed (torchless had no torch.fx):
- ``torchless.fx``: ``symbolic_trace`` (modules and functions, ``concrete_args``), ``Tracer`` (torch.nn modules as
  leaves, torch functions, nn.functional (with the keyword arguments PyTorch records), Tensor methods and operators
  as nodes, parameters as ``get_attr``), ``Graph`` (printed and its generated code as PyTorch's), ``Node``,
  ``Proxy`` and its ``TraceError`` messages, ``GraphModule`` (code, print_readable, str, submodules copied),
  ``fx.wrap``, ``Interpreter`` and ``passes.shape_prop.ShapeProp``.
- The same models are written with torch.nn and torchless.nn and traced by both: same nodes (op, name, target,
  arguments, users), same printed graph and code, same outputs from the GraphModules given the same weights.
- ``torchless.vision.models.feature_extraction`` rebuilt on torchless.fx: ``get_graph_node_names`` of 12
  torchvision models against torchvision 0.29.1's (tests/fixtures/torchvision/fx34_node_names.json, written by
  make_fx34.py beside it), train and eval mode.
- Without torch, the expected code of small functions is written out by hand and GraphModules are checked against
  the models' own forward.
"""
import copy
import json
import math
import operator
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

import torchless
import torchless.fx
import torchless.nn as tnn
import torchless.nn.functional as TF
from torchless.fx.passes.shape_prop import ShapeProp


def define_models(torch, nn, F):
    """The models under test, written once for either library."""

    class CourseCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3)
            self.conv2 = nn.Conv2d(32, 64, 3)
            self.pool = nn.MaxPool2d(2)
            self.fc = nn.Linear(64 * 5 * 5, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = torch.flatten(x, 1)
            return self.fc(x)

    class ClassicMNIST(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.conv2_drop = nn.Dropout2d()
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)

        def forward(self, x):
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
            x = x.view(-1, 320)
            x = F.relu(self.fc1(x))
            x = F.dropout(x, training=self.training)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)

    class Block(nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(channels)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(channels)

        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += identity
            out = self.relu(out)
            return out

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 4, 3, padding=1)
            self.layer1 = nn.Sequential(Block(4), Block(4))
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(4, 3)

        def forward(self, x):
            x = self.layer1(self.stem(x))
            x = self.avgpool(x)
            x = torch.flatten(x, 1)
            return self.fc(x)

    class Functional(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 3, 3)
            self.scale = nn.Parameter(torch.ones(3, 1, 1) * 0.5)
            self.register_buffer("shift", torch.ones(3, 1, 1))
            self.head = nn.Linear(12, 4)

        def forward(self, x, y=None):
            h = F.relu(self.conv(x)) * self.scale + self.shift
            h = F.max_pool2d(h, 2, 2)
            h = h.view(h.size(0), -1)
            w = self.head.weight
            out = torch.cat([self.head(h), h @ w.t()], dim=1)
            a, b = out.chunk(2, dim=1)
            return torch.sigmoid(a) - b.mean(dim=1, keepdim=True), -out[:, 0], 2 * h.shape[1]

    class WithFlag(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x, use_relu=True, bias=None):
            x = self.fc(x)
            if use_relu:
                x = F.relu(x)
            if bias is not None:
                x = x + bias
            return x

    return {"CourseCNN": CourseCNN, "ClassicMNIST": ClassicMNIST, "Residual": Residual, "Functional": Functional,
            "WithFlag": WithFlag}


TL_MODELS = define_models(torchless, tnn, TF)
INPUTS = {"CourseCNN": (2, 1, 28, 28), "ClassicMNIST": (2, 1, 28, 28), "Residual": (2, 3, 6, 6),
          "Functional": (2, 2, 6, 6), "WithFlag": (3, 4)}


def torch_twin(torch, name, tl_model):
    """The torch.nn model of ``name`` with ``tl_model``'s weights and mode."""
    model = define_models(torch, torch.nn, torch.nn.functional)[name]()
    model.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in tl_model.state_dict().items()})
    return model.train(tl_model.training)


def describe(graph):
    """Each node as (op, name, target as printed, args and kwargs as printed, users)."""
    return [(n.op, n.name, n._pretty_print_target(n.target), n.format_node(), [u.name for u in n.users])
            for n in graph.nodes]


def fresh_model(name, mode="eval"):
    torchless.manual_seed(0)
    return getattr(TL_MODELS[name](), mode)()


# ------------------------------------------------------------------------------------------ against torch.fx
@pytest.mark.parametrize("name", sorted(set(TL_MODELS) - {"WithFlag"}))  # (WithFlag branches: concrete_args)
@pytest.mark.parametrize("mode", ["eval", "train"])
def test_traced_models_match_torch_fx(name, mode):
    torch = pytest.importorskip("torch")
    model = fresh_model(name, mode)
    reference = torch_twin(torch, name, model)
    gm = torchless.fx.symbolic_trace(model)
    expected = torch.fx.symbolic_trace(reference)
    assert describe(gm.graph) == describe(expected.graph)
    assert str(gm.graph) == str(expected.graph)
    assert gm.code == expected.code
    assert str(gm) == str(expected)
    assert gm.print_readable(print_output=False) == expected.print_readable(print_output=False)
    assert type(gm).__name__ == type(expected).__name__ == name
    assert list(gm.state_dict()) == list(expected.state_dict())
    if mode == "eval":  # (train mode: dropout draws differ between the libraries)
        x = np.random.RandomState(1).randn(*INPUTS[name]).astype(np.float32)
        got = gm(torchless.tensor(x))
        want = expected(torch.tensor(x))
        got, want = (got, want) if isinstance(got, tuple) else ((got,), (want,))
        for g, w in zip(got, want):
            if isinstance(w, torch.Tensor):
                np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-5, atol=1e-5)
            else:
                assert g == w


@pytest.mark.parametrize("concrete_args", [{"use_relu": False}, {"use_relu": True, "bias": None},
                                           {"use_relu": False, "bias": "PH"}])
def test_concrete_args_match_torch_fx(concrete_args):
    torch = pytest.importorskip("torch")
    model = fresh_model("WithFlag")
    reference = torch_twin(torch, "WithFlag", model)
    gm = torchless.fx.symbolic_trace(model, concrete_args={k: torchless.fx.PH if v == "PH" else v
                                                           for k, v in concrete_args.items()})
    expected = torch.fx.symbolic_trace(reference, concrete_args={k: torch.fx.PH if v == "PH" else v
                                                                 for k, v in concrete_args.items()})
    assert describe(gm.graph) == describe(expected.graph)
    assert gm.code == expected.code
    x = np.random.RandomState(2).randn(3, 4).astype(np.float32)
    bias = None if concrete_args.get("bias", 0) is None else np.arange(4, dtype=np.float32)
    call_args = [concrete_args["use_relu"]]
    got = gm(torchless.tensor(x), *call_args, None if bias is None else torchless.tensor(bias))
    want = expected(torch.tensor(x), *call_args, None if bias is None else torch.tensor(bias))
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-6, atol=1e-6)
    if concrete_args.get("use_relu") is False:
        with pytest.raises(AssertionError, match="^use_relu has been specialized to have value False but got "
                                                 "another value$"):
            gm(torchless.tensor(x), True)


def functions(torch, F):
    def arithmetic(x, y):
        z = (x + y) * 2 - 1 / x + x ** 2 - (3 - y) + x @ y
        return abs(-z), z[:, 0], z[1:, ::2], z == 1, z.T

    def torch_functions(x):
        values, indices = torch.max(x, 1)
        s = torch.cat([x, x], dim=1).sum() + torch.sum(x) + torch.relu(x).mean([0])
        return values, indices, s, torch.add(x, 1, alpha=2), torch.flatten(x)

    def functionals(x):
        return (F.relu(x), F.relu6(x), F.leaky_relu(x, 0.2), F.softmax(x, dim=1), F.log_softmax(x, 1),
                F.dropout(x, 0.5, training=False), F.sigmoid(x), F.tanh(x), F.silu(x),
                F.max_pool2d(x.unsqueeze(0), 2), F.adaptive_avg_pool2d(x.unsqueeze(0), 1), F.pad(x, (1, 1)),
                F.normalize(x), F.hardswish(x), F.elu(x), F.layer_norm(x, (4,)),
                F.conv2d(x.view(1, 1, 4, 4), x.view(1, 1, 4, 4)[..., :2, :2]), F.pixel_shuffle(x.view(1, 4, 2, 2), 2),
                F.cosine_similarity(x, x))

    def methods(x):
        a, b = x.chunk(2)
        n = x.size(0)
        return x.view(n, -1).permute(1, 0).contiguous(), a.relu_(), b.reshape(-1).shape[0], x.sum(dim=1)

    return [arithmetic, torch_functions, functionals, methods]


@pytest.mark.parametrize("index", range(4))
def test_traced_functions_match_torch_fx(index):
    torch = pytest.importorskip("torch")
    fn = functions(torchless, TF)[index]
    reference = functions(torch, torch.nn.functional)[index]
    gm = torchless.fx.symbolic_trace(fn)
    expected = torch.fx.symbolic_trace(reference)
    assert describe(gm.graph) == describe(expected.graph)
    assert gm.code == expected.code
    assert type(gm).__name__ == type(expected).__name__ == fn.__name__
    rng = np.random.RandomState(3)
    x = (rng.rand(4, 4) + 0.5).astype(np.float32)
    args = (x, x[::-1].copy()) if fn.__name__ == "arithmetic" else (x,)
    got = gm(*[torchless.tensor(a) for a in args])
    want = expected(*[torch.tensor(a) for a in args])
    for g, w in zip(got, want):
        if isinstance(w, torch.Tensor):
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-5, atol=1e-6)
        else:
            assert g == w


def control_flow(torch):
    def branch(x):
        if x.sum() > 0:
            return x
        return -x

    def loop(x):
        return [row for row in x]

    def length(x):
        return len(x)

    return [branch, loop, length]


@pytest.mark.parametrize("index", range(3))
def test_trace_errors_match_torch_fx(index):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as expected:
        torch.fx.symbolic_trace(control_flow(torch)[index])
    with pytest.raises(Exception) as caught:
        torchless.fx.symbolic_trace(control_flow(torchless)[index])
    assert type(caught.value).__name__ == type(expected.value).__name__
    assert str(caught.value) == str(expected.value)
    assert isinstance(caught.value, ValueError) == isinstance(expected.value, ValueError)


def test_interpreter_and_shape_prop_match_torch_fx():
    torch = pytest.importorskip("torch")
    from torch.fx.passes.shape_prop import ShapeProp as TorchShapeProp
    model = fresh_model("Residual")
    gm = torchless.fx.symbolic_trace(model)
    expected = torch.fx.symbolic_trace(torch_twin(torch, "Residual", model))
    x = np.random.RandomState(4).randn(2, 3, 6, 6).astype(np.float32)
    got = torchless.fx.Interpreter(gm).run(torchless.tensor(x))
    np.testing.assert_allclose(got.detach().numpy(), expected(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    ShapeProp(gm).propagate(torchless.tensor(x))
    TorchShapeProp(expected).propagate(torch.tensor(x))
    shapes = [(n.name, tuple(n.meta["tensor_meta"].shape), str(n.meta["tensor_meta"].dtype).split(".")[-1])
              for n in gm.graph.nodes if "tensor_meta" in n.meta]
    want = [(n.name, tuple(n.meta["tensor_meta"].shape), str(n.meta["tensor_meta"].dtype).split(".")[-1])
            for n in expected.graph.nodes if "tensor_meta" in n.meta]
    assert shapes == want
    assert len(shapes) == len(list(gm.graph.nodes))


WRAPPED_MODULE = '''
import {torch} as torch
import {torch}.fx as fx


def my_scale(x, k):
    return x * k


fx.wrap("my_scale")
fx.wrap("len")


def f(x):
    return my_scale(x, 3) + len(x)
'''


def test_wrap_matches_torch_fx(tmp_path):
    pytest.importorskip("torch")
    codes = {}
    for name in ("torch", "torchless"):
        path = tmp_path / f"wrapped_{name}.py"
        path.write_text(WRAPPED_MODULE.format(torch=name))
        script = (f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import wrapped_{name} as m, {name}; "
                  f"gm = {name}.fx.symbolic_trace(m.f); print(gm.code); print(gm.graph); "
                  f"print(gm({name}.ones(2, 2)))")
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        codes[name] = result.stdout
    assert codes["torchless"].replace("torchless", "torch") == codes["torch"]
    assert 'torch.fx._symbolic_trace.wrap("wrapped_torch_my_scale")' in codes["torch"]
    assert "%len_1" in codes["torch"] and "[[5., 5.]," in codes["torch"]


def scaled_rows(x):
    """A helper fx must not trace into (int() of a shape): given as autowrap_functions."""
    return int(x.shape[0])


def autowrapped(torch, nn):
    class Sub(nn.Module):
        def forward(self, x):
            return x.relu() * math.sqrt(x.size(1))

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.sub = Sub()
            self.c = torch.ones(3)

        def forward(self, x):
            y = self.sub(x) + torch.ones(3) + self.c
            return y + scaled_rows(x), x.new_zeros(2)

    return M()


def test_autowrap_constants_and_deepcopy_match_torch_fx():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torchless, torch):
        tracer = lib.fx.Tracer(autowrap_functions=(scaled_rows,))
        graph = tracer.trace(autowrapped(lib, lib.nn))
        gm = lib.fx.GraphModule(tracer.root, graph, "M")
        clone = copy.deepcopy(gm)
        out = clone(lib.ones(2, 3))
        results.append((gm.code, str(graph), describe(graph), clone.code, [o.tolist() for o in out],
                        sorted(dict(gm.named_buffers()))))
    assert results[0] == results[1]
    assert "math_sqrt(size)" in results[0][0]


TENSOR_OPERATORS = ["__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
                    "__floordiv__", "__rfloordiv__", "__mod__", "__pow__", "__rpow__", "__matmul__", "__eq__",
                    "__lt__", "__ge__"]


def test_tensor_operators_given_proxies_match_torch_fx():
    torch = pytest.importorskip("torch")

    def traced(lib, name):
        def f(x, i):
            return getattr(lib.arange(1.0, 3.0), name)(x), lib.ones(2).add(x, alpha=2), lib.arange(3.0)[i]
        gm = lib.fx.symbolic_trace(f)
        return describe(gm.graph), gm.code, [o.tolist() for o in gm(lib.tensor([2.0, 3.0]), lib.tensor([1, 2]))]

    for name in TENSOR_OPERATORS:
        assert traced(torchless, name) == traced(torch, name), name


def swap_sigmoids(torch, fx):
    class Swap(fx.Transformer):
        def call_function(self, target, args, kwargs):
            if target == torch.sigmoid:
                return torch.neg(*args, **kwargs)
            return super().call_function(target, args, kwargs)

        def call_method(self, target, args, kwargs):
            if target == "sigmoid":
                return torch.neg(*args, **kwargs)
            return super().call_method(target, args, kwargs)

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 3)

        def forward(self, x):
            return torch.sigmoid(self.fc(x)) + x.sigmoid() + torch.nn.functional.relu(x)

    torch.manual_seed(0)
    gm = fx.symbolic_trace(M())
    return gm, Swap(gm).transform()


def test_transformer_matches_torch_fx():
    torch = pytest.importorskip("torch")
    gm, new = swap_sigmoids(torchless, torchless.fx)
    expected_gm, expected = swap_sigmoids(torch, torch.fx)
    assert describe(new.graph) == describe(expected.graph)
    assert new.code == expected.code
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    w, b = gm.fc.weight.detach().numpy(), gm.fc.bias.detach().numpy()
    np.testing.assert_allclose(new(torchless.tensor(x)).detach().numpy(), -(x @ w.T + b) - x + np.maximum(x, 0),
                               rtol=1e-6, atol=1e-6)


def surgery(torch, fx):
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.c = torch.nn.Conv2d(1, 2, 3)
            self.bn = torch.nn.BatchNorm2d(2)

        def forward(self, x):
            return torch.nn.functional.adaptive_avg_pool2d(self.bn(self.c(x)), 1).flatten(1).softmax(-1)

    gm = fx.symbolic_trace(fx.symbolic_trace(M()))  # (a GraphModule traced again)
    texts = [gm.code, str(gm)]
    for node in gm.graph.nodes:
        if node.op == "call_module" and node.target == "bn":
            node.replace_all_uses_with(node.args[0])
            gm.graph.erase_node(node)
    gm.recompile()
    texts.append(gm.code)
    gm.delete_all_unused_submodules()
    texts.append(sorted(dict(gm.named_modules())))
    texts.append(gm.add_submodule("extra.inner", torch.nn.ReLU()))
    texts.append(gm.delete_submodule("extra.missing"))
    return texts


def test_graph_surgery_matches_torch_fx():
    torch = pytest.importorskip("torch")
    assert surgery(torchless, torchless.fx) == surgery(torch, torch.fx)


# ------------------------------------------------------------------------------------------ against torchvision
TORCHVISION = json.loads((Path(__file__).parent / "fixtures" / "torchvision" / "fx34_node_names.json").read_text())


@pytest.mark.parametrize("name", sorted(TORCHVISION["node_names"]))
def test_graph_node_names_match_torchvision(name, monkeypatch):
    from torchless.vision import models
    from torchless.vision.models.feature_extraction import get_graph_node_names
    # (the names do not depend on the weights: random fills skipped, to build vgg11 quickly)
    monkeypatch.setattr(torchless.Tensor, "uniform_", lambda self, *args, **kwargs: self)
    monkeypatch.setattr(torchless.Tensor, "normal_", lambda self, *args, **kwargs: self)
    expected_train, expected_eval = TORCHVISION["node_names"][name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train, evaluation = get_graph_node_names(getattr(models, name)(), suppress_diff_warning=True)
    assert train == expected_train
    assert evaluation == expected_eval


# ------------------------------------------------------------------------------------------ without torch
def test_code_of_a_function_written_out():
    def f(x, y):
        z = torchless.flatten(x, 1) + y.size(0)
        return TF.relu(z), z.shape

    gm = torchless.fx.symbolic_trace(f)
    assert gm.code == textwrap.dedent('''


        def forward(self, x, y):
            flatten = torch.flatten(x, 1);  x = None
            size = y.size(0);  y = None
            add = flatten + size;  flatten = size = None
            relu = torch.nn.functional.relu(add, inplace = False)
            getattr_1 = add.shape;  add = None
            return (relu, getattr_1)
            ''') + "    "
    assert str(gm.graph) == textwrap.dedent('''\
        graph():
            %x : [num_users=1] = placeholder[target=x]
            %y : [num_users=1] = placeholder[target=y]
            %flatten : [num_users=1] = call_function[target=torch.flatten](args = (%x, 1), kwargs = {})
            %size : [num_users=1] = call_method[target=size](args = (%y, 0), kwargs = {})
            %add : [num_users=2] = call_function[target=operator.add](args = (%flatten, %size), kwargs = {})
            %relu : [num_users=1] = call_function[target=torch.nn.functional.relu](args = (%add,), kwargs = {inplace: False})
            %getattr_1 : [num_users=1] = call_function[target=builtins.getattr](args = (%add, shape), kwargs = {})
            return (relu, getattr_1)''')  # noqa: E501
    x = torchless.arange(24.0).reshape(2, 3, 4) - 10
    out, shape = gm(x, torchless.zeros(5))
    np.testing.assert_array_equal(out.numpy(), np.maximum(np.arange(24.0).reshape(2, 12) - 10 + 5, 0))
    assert shape == (2, 12)


def test_node_names_and_targets_from_first_principles():
    model = fresh_model("Residual")
    gm = torchless.fx.symbolic_trace(model)
    names = [n.name for n in gm.graph.nodes]
    block = ["conv1", "bn1", "relu", "conv2", "bn2", "add", "relu_1"]
    assert names == (["x", "stem"] + [f"layer1_0_{n}" for n in block[:5]] + ["add"] + ["layer1_0_relu_1"]
                     + [f"layer1_1_{n}" for n in block[:5]] + ["add_1", "layer1_1_relu_1", "avgpool", "flatten",
                                                                 "fc", "output"])
    adds = [n for n in gm.graph.nodes if n.target is operator.add]
    assert [n.op for n in adds] == ["call_function"] * 2
    assert [n.target for n in gm.graph.nodes if n.op == "call_module"][:3] == ["stem", "layer1.0.conv1",
                                                                                "layer1.0.bn1"]
    # the GraphModule holds the model's own leaf modules, in plain parents
    assert gm.stem is model.stem and getattr(gm.layer1, "0").conv1 is model.layer1[0].conv1
    assert type(gm.layer1) is tnn.Module
    x = torchless.randn(2, 3, 6, 6)
    with torchless.no_grad():
        np.testing.assert_array_equal(gm(x).numpy(), model(x).numpy())


def test_graph_module_gradients_match_finite_differences():
    model = fresh_model("Functional", "eval").double()
    gm = torchless.fx.symbolic_trace(model)
    x = torchless.tensor(np.random.RandomState(5).randn(1, 2, 6, 6))
    gm(x)[0].sum().backward()
    analytic = model.scale.grad.numpy().ravel().copy()
    base = model.scale.detach().numpy().copy()
    numeric = []
    for i in range(3):
        step = np.zeros_like(base)
        step.ravel()[i] = 1e-6
        with torchless.no_grad():
            model.scale.copy_(torchless.tensor(base + step))
            up = model(x)[0].sum().item()
            model.scale.copy_(torchless.tensor(base - step))
            down = model(x)[0].sum().item()
            model.scale.copy_(torchless.tensor(base))
        numeric.append((up - down) / 2e-6)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_pickled_graph_modules_keep_code_and_outputs():
    import io
    import pickle
    gm = torchless.fx.symbolic_trace(fresh_model("Functional"))
    x = torchless.randn(2, 2, 6, 6)
    buffer = io.BytesIO()
    torchless.save(gm, buffer)
    buffer.seek(0)
    for clone in (pickle.loads(pickle.dumps(gm)), torchless.load(buffer, weights_only=False)):
        assert type(clone).__name__ == "GraphModule" and clone.code == gm.code  # (PyTorch's pickles drop the name)
        assert [n.format_node() for n in clone.graph.nodes] == [n.format_node() for n in gm.graph.nodes]
        for got, want in zip(clone(x), gm(x)):
            assert torchless.equal(got, want) if isinstance(want, torchless.Tensor) else got == want


def test_tracing_leaves_nothing_patched():
    originals = (tnn.Module.__call__, tnn.Module.__getattr__, torchless.flatten, TF.relu)

    def bad(x):
        y = torchless.flatten(x)
        if y.sum() > 0:
            return y
        return y

    with pytest.raises(torchless.fx.proxy.TraceError):
        torchless.fx.symbolic_trace(bad)
    torchless.fx.symbolic_trace(fresh_model("CourseCNN"))
    assert (tnn.Module.__call__, tnn.Module.__getattr__, torchless.flatten, TF.relu) == originals


def test_graph_editing_and_recompile():
    gm = torchless.fx.symbolic_trace(fresh_model("CourseCNN"))
    for node in gm.graph.nodes:
        if node.op == "call_function" and node.target is TF.relu:
            node.target = torchless.sigmoid
            node.kwargs = {}
    gm.graph.lint()
    gm.recompile()
    assert "torch.sigmoid(conv1)" in gm.code and "functional" not in gm.code
    x = torchless.randn(1, 1, 28, 28)
    m = gm
    with torchless.no_grad():
        h = m.pool(torchless.sigmoid(m.conv1(x)))
        h = m.pool(torchless.sigmoid(m.conv2(h)))
        np.testing.assert_allclose(gm(x).numpy(), m.fc(torchless.flatten(h, 1)).numpy(), rtol=1e-6, atol=1e-7)


def test_feature_extraction_has_function_nodes():
    from torchless.vision.models import resnet18
    from torchless.vision.models.feature_extraction import create_feature_extractor, get_graph_node_names
    train, evaluation = get_graph_node_names(resnet18())
    assert train == evaluation and len(train) == 70
    assert train[:5] == ["x", "conv1", "bn1", "relu", "maxpool"] and train[-3:] == ["avgpool", "flatten", "fc"]
    assert "layer1.0.add" in train and "layer1.0.relu_1" in train
    model = resnet18().eval()
    extractor = create_feature_extractor(model, {"flatten": "features"})
    x = torchless.randn(1, 3, 32, 32)
    with torchless.no_grad():
        features = extractor(x)["features"]
        np.testing.assert_allclose(model.fc(features).numpy(), model(x).numpy(), rtol=1e-5, atol=1e-6)
    assert not hasattr(extractor, "fc")


def test_works_under_python_OO():
    script = ("import torchless, torchless.fx; import torchless.nn.functional as F; "
              "gm = torchless.fx.symbolic_trace(lambda x: F.relu(torchless.flatten(x)) + 1); "
              "print(gm.code.rstrip().splitlines()[-1]); print(gm(torchless.ones(2, 2)).tolist())")
    result = subprocess.run([sys.executable, "-OO", "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["    return add", "[2.0, 2.0, 2.0, 2.0]"]
