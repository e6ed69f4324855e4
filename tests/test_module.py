"""nn.Module and nn.Parameter: registration, traversal, modes, gradients, state dicts, dtype conversion, repr and
hooks, checked by hand and against PyTorch on equivalently built models (Conv layers and custom Modules)."""
import re
import warnings

import numpy as np
import pytest

import torchless
import torchless.nn as nn
from torchless.nn.parameter import Buffer
from helpers import state_dict_from_torch


def build(lib):
    """A two-level model: Net(b1: Block, b2: Block, head: Conv1d, alpha) with buffers in each Block."""

    class Block(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = lib.nn.Conv2d(2, 3, 3, padding=1)
            self.scale = lib.nn.Parameter(lib.ones(3))
            self.register_buffer("count", lib.zeros(1))
            self.register_buffer("tmp", lib.zeros(2), persistent=False)

        def forward(self, x):
            return self.conv(x) * self.scale.view(1, -1, 1, 1)

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.b1 = Block()
            self.b2 = Block()
            self.head = lib.nn.Conv1d(3, 1, 1, bias=False)
            self.alpha = lib.nn.Parameter(lib.tensor(0.5))

        def forward(self, x):
            return self.b2(x) * self.alpha + self.b1(x)

    return Net()


# ---------------------------------------------------------------------------- without torch
def test_attribute_assignment_registers_parameters_modules_and_buffers():
    net = build(torchless)
    assert [n for n, _ in net.named_parameters()] == [
        "alpha", "b1.scale", "b1.conv.weight", "b1.conv.bias", "b2.scale", "b2.conv.weight", "b2.conv.bias",
        "head.weight"]
    assert [n for n, _ in net.named_buffers()] == ["b1.count", "b1.tmp", "b2.count", "b2.tmp"]
    assert list(net.state_dict()) == ["alpha", "b1.scale", "b1.count", "b1.conv.weight", "b1.conv.bias", "b2.scale",
                                      "b2.count", "b2.conv.weight", "b2.conv.bias", "head.weight"]
    assert [type(m).__name__ for m in net.children()] == ["Block", "Block", "Conv1d"]
    assert [n for n, _ in net.named_modules()] == ["", "b1", "b1.conv", "b2", "b2.conv", "head"]
    assert sum(p.numel() for p in net.parameters()) == 1 + 2 * (3 + 54 + 3) + 3


def test_call_runs_forward_and_gradients_reach_every_parameter():
    net = build(torchless)
    net(torchless.ones(1, 2, 4, 4)).sum().backward()
    assert all(p.grad is not None for n, p in net.named_parameters() if not n.startswith("head"))
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_zero_grad_keeping_tensors_zeroes_them():
    net = build(torchless)
    net(torchless.ones(1, 2, 4, 4)).sum().backward()
    grad = net.alpha.grad
    net.zero_grad(set_to_none=False)
    assert net.alpha.grad is grad and float(grad) == 0.0


def test_train_and_eval_reach_every_submodule():
    net = build(torchless)
    assert net.eval() is net
    assert [m.training for m in net.modules()] == [False] * 6
    net.train()
    assert [m.training for m in net.modules()] == [True] * 6
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")


def test_state_dict_round_trip_and_error_text():
    source, target = build(torchless), build(torchless)
    with torchless.no_grad():
        source.alpha.fill_(3.0)
    assert repr(target.load_state_dict(source.state_dict())) == "<All keys matched successfully>"
    assert float(target.alpha) == 3.0 and target.alpha is not source.alpha
    state = source.state_dict()
    del state["alpha"]
    state["extra"] = torchless.zeros(1)
    state["b1.conv.weight"] = torchless.zeros(3, 2, 5, 5)
    with pytest.raises(RuntimeError) as info:
        target.load_state_dict(state)
    assert str(info.value) == (
        'Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "alpha". \n\t'
        'Unexpected key(s) in state_dict: "extra". \n\tsize mismatch for b1.conv.weight: copying a param with shape '
        "torchless.Size([3, 2, 5, 5]) from checkpoint, the shape in current model is torchless.Size([3, 2, 3, 3]).")


def test_state_dict_shares_memory_and_is_detached():
    net = build(torchless)
    state = net.state_dict()
    assert not state["alpha"].requires_grad
    state["alpha"].add_(1.0)
    assert float(net.alpha) == 1.5


def test_to_dtype_converts_parameters_buffers_and_keeps_identity():
    net = build(torchless)
    weight = net.b1.conv.weight
    assert net.to(torchless.float64) is net
    assert net.b1.conv.weight is weight
    assert {p.dtype for p in net.parameters()} | {b.dtype for b in net.buffers()} == {torchless.float64}
    assert net(torchless.ones(1, 2, 4, 4, dtype=torchless.float64)).dtype == torchless.float64
    with pytest.raises(TypeError, match="only accepts floating point"):
        net.to(torchless.int64)


def test_buffer_marker_registers_a_buffer():
    module = nn.Module()
    module.running = Buffer(torchless.ones(2), persistent=False)
    module.kept = Buffer(torchless.zeros(1))
    assert [n for n, _ in module.named_buffers()] == ["running", "kept"]
    assert list(module.state_dict()) == ["kept"]


def test_forward_hooks_replace_inputs_and_outputs_and_can_be_removed():
    layer = nn.Conv2d(1, 1, 1)
    calls = []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = layer.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    y = layer(torchless.ones(1, 1, 2, 2))
    np.testing.assert_allclose(y.detach().numpy(), np.full((1, 1, 2, 2), float(layer.bias) + 1), rtol=1e-6)
    assert calls == [(1, 1, 2, 2)]
    pre.remove()
    post.remove()
    np.testing.assert_allclose(layer(torchless.ones(1, 1, 2, 2)).detach().numpy(),
                               np.full((1, 1, 2, 2), float(layer.weight) + float(layer.bias)), rtol=1e-6)


def test_hooks_with_kwargs_and_prepend():
    module = type("M", (nn.Module,), {"forward": lambda self, x, scale=1: x * scale})()
    order = []
    module.register_forward_hook(lambda m, a, out: order.append("second"))
    module.register_forward_hook(lambda m, a, out: order.append("first"), prepend=True)
    module.register_forward_pre_hook(lambda m, args, kwargs: (args, {"scale": 10}), with_kwargs=True)
    module.register_forward_hook(lambda m, args, kwargs, out: out + kwargs["scale"], with_kwargs=True)
    assert float(module(torchless.tensor(2.0))) == 30.0
    assert order == ["first", "second"]


def test_nested_repr():
    assert repr(build(torchless)) == (
        "Net(\n"
        "  (b1): Block(\n    (conv): Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n  )\n"
        "  (b2): Block(\n    (conv): Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n  )\n"
        "  (head): Conv1d(3, 1, kernel_size=(1,), stride=(1,), bias=False)\n"
        ")")


def test_parameter_shares_memory_and_requires_grad():
    data = torchless.zeros(2)
    p = nn.Parameter(data)
    p.data.add_(1.0)
    assert data.tolist() == [1.0, 1.0]
    assert p.requires_grad and p.is_leaf and isinstance(p, torchless.Tensor)
    assert repr(p) == "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    assert type(p * 2) is torchless.Tensor


# ---------------------------------------------------------------------------- against torch
def setattr_(module, name, value):
    setattr(module, name, value)
    return module


def loaded(lib, state, strict=True):
    return build(lib).load_state_dict(state, strict=strict)


def without(lib, *keys):
    return {k: v for k, v in build(lib).state_dict().items() if k not in keys and not k.startswith(keys)}


CASES = {
    "repr": lambda t: repr(build(t)),
    "named_parameters": lambda t: [(n, tuple(p.shape)) for n, p in build(t).named_parameters()],
    "named_buffers": lambda t: [(n, tuple(p.shape)) for n, p in build(t).named_buffers()],
    "state_dict_keys": lambda t: list(build(t).state_dict()),
    "state_dict_type": lambda t: type(build(t).state_dict()).__name__,
    "state_dict_prefix": lambda t: list(build(t).state_dict(prefix="m."))[:3],
    "state_dict_keep_vars": lambda t: [type(v).__name__ for v in build(t).state_dict(keep_vars=True).values()],
    "named_modules": lambda t: [n for n, _ in build(t).named_modules()],
    "children": lambda t: [type(c).__name__ for c in build(t).children()],
    "train_eval": lambda t: [m.training for m in build(t).eval().modules()],
    "train_bad": lambda t: build(t).train("no"),
    "missing": lambda t: loaded(t, without(t, "b2.")),
    "missing_not_strict": lambda t: loaded(t, without(t, "b2."), strict=False),
    "unexpected": lambda t: loaded(t, {**build(t).state_dict(), "foo": t.zeros(1), "b1.bar": t.zeros(1)}),
    "unexpected_first": lambda t: loaded(t, {"b1.bar": t.zeros(1), **build(t).state_dict(), "foo": t.zeros(1)}),
    "unexpected_not_strict": lambda t: loaded(t, {**build(t).state_dict(), "head.nope.x": t.zeros(1)}, strict=False),
    "missing_and_unexpected": lambda t: loaded(t, {**without(t, "alpha"), "foo": t.zeros(1)}),
    "size_mismatch": lambda t: loaded(t, {**build(t).state_dict(), "b1.conv.weight": t.zeros(3, 2, 5, 5)}),
    "size_mismatch_and_missing": lambda t: loaded(t, {**without(t, "alpha"), "b1.conv.weight": t.zeros(3, 2, 5, 5)}),
    "size_mismatch_not_strict": lambda t: loaded(t, {"b1.conv.weight": t.zeros(3, 2, 5, 5)}, strict=False),
    "not_a_tensor": lambda t: loaded(t, {**build(t).state_dict(), "alpha": 1.0}),
    "not_a_mapping": lambda t: loaded(t, [1]),
    "non_persistent_key": lambda t: loaded(t, {**build(t).state_dict(), "b1.tmp": t.zeros(2)}),
    "scalar_from_shape_1": lambda t: ((lambda m: (m.load_state_dict({**m.state_dict(), "alpha": t.ones(1)}),
                                                       m.alpha.item())[1])(build(t))),
    "all_matched": lambda t: repr(loaded(t, build(t).state_dict())),
    "assign": lambda t: (lambda m, w: (m.load_state_dict({**m.state_dict(), "alpha": w}, assign=True),
                                       m.alpha.requires_grad, type(m.alpha).__name__, m.alpha.item()))(
                                           build(t), t.tensor(4.0))[1:],
    "to_float64": lambda t: sorted({str(p.dtype) for p in build(t).to(t.float64).parameters()}),
    "double_buffers": lambda t: sorted({str(b.dtype) for b in build(t).double().buffers()}),
    "half": lambda t: [str(p.dtype) for p in t.nn.Conv2d(1, 1, 1).half().parameters()],
    "to_int": lambda t: build(t).to(t.int64),
    "to_tensor_dtype": lambda t: [str(p.dtype) for p in t.nn.Conv2d(1, 1, 1).to(t.zeros(1, dtype=t.float64))
                                  .parameters()],
    "zero_grad_keep": lambda t: (lambda m: (m(t.rand(1, 2, 4, 4)).sum().backward(), m.zero_grad(set_to_none=False),
                                            [None if p.grad is None else float(p.grad.abs().sum())
                                             for p in m.parameters()])[2])(build(t)),
    "grad_presence": lambda t: [p.grad is None for p in (lambda m: (m(t.rand(1, 2, 4, 4)).sum().backward(), m)[1])(
        build(t)).parameters()],
    "missing_attribute": lambda t: build(t).nope,
    "tensor_as_parameter": lambda t: setattr_(build(t), "alpha", t.zeros(1)),
    "tensor_as_module": lambda t: setattr_(build(t), "b1", t.zeros(1)),
    "none_as_parameter": lambda t: [n for n, _ in setattr_(build(t), "alpha", None).named_parameters()],
    "int_as_buffer": lambda t: setattr_(build(t).b1, "count", 3),
    "tensor_as_buffer": lambda t: list(setattr_(build(t).b1, "count", t.ones(2)).state_dict()),
    "delete_parameter": lambda t: (lambda m: (delattr(m, "alpha"), [n for n, _ in m.named_parameters()])[1])(build(t)),
    "parameter_before_init": lambda t: type("Bad", (t.nn.Module,), {
        "__init__": lambda s: setattr(s, "w", t.nn.Parameter(t.ones(1)))})(),
    "module_before_init": lambda t: type("Bad", (t.nn.Module,), {
        "__init__": lambda s: setattr(s, "w", t.nn.Conv2d(1, 1, 1))})(),
    "buffer_before_init": lambda t: type("Bad", (t.nn.Module,), {
        "__init__": lambda s: s.register_buffer("b", t.ones(1))})(),
    "init_positional": lambda t: t.nn.Module(1),
    "init_keyword": lambda t: t.nn.Module(a=1),
    "no_forward": lambda t: t.nn.Module()(1),
    "register_tensor_parameter": lambda t: t.nn.Module().register_parameter("a", t.ones(1)),
    "parameter_name_dot": lambda t: t.nn.Module().register_parameter("a.b", None),
    "parameter_name_empty": lambda t: t.nn.Module().register_parameter("", None),
    "parameter_name_int": lambda t: t.nn.Module().register_parameter(1, None),
    "buffer_name_dot": lambda t: t.nn.Module().register_buffer("a.b", None),
    "buffer_not_tensor": lambda t: t.nn.Module().register_buffer("a", 1),
    "attribute_exists": lambda t: (lambda m: (setattr(m, "x", 1), m.register_buffer("x", None)))(t.nn.Module()),
    "add_module_not_module": lambda t: t.nn.Module().add_module("a", 1),
    "add_module_dot": lambda t: t.nn.Module().add_module("a.b", None),
    "add_module_exists": lambda t: (lambda m: (setattr(m, "x.y", 1), m.add_module("x.y", None)))(t.nn.Module()),
    "non_leaf_parameter": lambda t: t.nn.Module().register_parameter("p", t.nn.Parameter(t.ones(1)) * 2),
    "empty_repr": lambda t: repr(t.nn.Module()),
    "none_child_repr": lambda t: (lambda m: (m.add_module("c", None), repr(m), list(m.children())))(t.nn.Module())[1:],
    "extra_repr_lines": lambda t: repr(type("E", (t.nn.Module,), {"extra_repr": lambda s: "a=1\nb=2"})()),
    "parameter_repr": lambda t: repr(t.nn.Parameter(t.ones(2))),
    "parameter_repr_no_grad": lambda t: repr(t.nn.Parameter(t.ones(2), requires_grad=False)),
    "parameter_default": lambda t: (tuple(t.nn.Parameter().shape), t.nn.Parameter().requires_grad,
                                    str(t.nn.Parameter().dtype)),
    "parameter_of_list": lambda t: t.nn.Parameter([1.0]),
    "parameter_of_ints": lambda t: t.nn.Parameter(t.ones(2, dtype=t.int64)),
    "parameter_detach": lambda t: type(t.nn.Parameter(t.ones(2)).detach()).__name__,
    "shared_module": lambda t: (lambda m: (setattr(m, "b3", m.b1), [n for n, _ in m.named_parameters()],
                                           list(m.state_dict())))(build(t))[1:],
    "dir": lambda t: [x for x in dir(build(t)) if x in ("b1", "alpha", "head", "count")],
    "get_submodule": lambda t: type(build(t).get_submodule("b1.conv")).__name__,
    "get_submodule_missing": lambda t: build(t).get_submodule("b1.nope"),
    "get_parameter": lambda t: tuple(build(t).get_parameter("b1.conv.weight").shape),
    "requires_grad_": lambda t: [p.requires_grad for p in build(t).requires_grad_(False).parameters()],
    "apply_order": lambda t: (lambda seen: (build(t).apply(lambda m: seen.append(type(m).__name__)), seen)[1])([]),
    "pre_hook_bad_return": lambda t: (lambda m: (m.register_forward_pre_hook(lambda mod, a, k: 5, with_kwargs=True),
                                                 m(t.ones(1, 1, 1, 1))))(t.nn.Conv2d(1, 1, 1)),
    "module_as_parameter": lambda t: setattr_(setattr_(t.nn.Module(), "w", t.nn.Parameter(t.ones(1))), "w",
                                              t.nn.ReLU()),
    "register_class_as_parameter": lambda t: t.nn.Module().register_parameter("p", t.nn.ReLU),
    "add_function_as_module": lambda t: t.nn.Module().add_module("f", setattr_),
    **{f"always_call_hooks_{fail}": (lambda fail: lambda t: always_call_hooks(t, fail))(fail)
       for fail in ("nothing", "pre_hook", "forward", "hook", "always_call_hook")},
}


def always_call_hooks(lib, fail):
    """What the hooks see and return, with ``fail`` raising: hooks registered with always_call=True still run when
    a pre-hook, forward or another hook raises (with the output so far), and their own errors become warnings."""
    log = []

    def check(stage, value=None):
        log.append(stage if value is None else (stage, value.tolist()))
        if stage == fail:
            raise ValueError(stage)

    class Net(lib.nn.Module):
        def forward(self, x, scale=1):
            check("forward")
            return x * scale

    def always(module, args, kwargs, out):
        log.append(("always_call_hook", None if out is None else out.tolist(), kwargs))
        if fail in ("forward", "always_call_hook"):
            raise KeyError("in always_call_hook")
        return out + 1

    net = Net()
    net.register_forward_pre_hook(lambda m, args: check("pre_hook"))
    net.register_forward_hook(lambda m, args, out: check("hook", out) or out * 10)
    net.register_forward_hook(lambda m, args, out: log.append(("second", None if out is None else out.tolist())),
                              always_call=True)
    handle = net.register_forward_hook(always, prepend=True, with_kwargs=True, always_call=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            log.append(("result", net(lib.ones(2), scale=3).tolist()))
        except Exception as error:
            log.append(("raised", type(error).__name__, str(error)))
    handle.remove()
    fail = None
    log.append(("after remove", net(lib.ones(1)).tolist()))
    return log, [str(w.message) for w in caught]


def outcome(fn):
    try:
        value = fn()
    except Exception as exc:
        return type(exc).__name__, str(exc).replace("torchless", "torch")
    return "ok", re.sub(r"\btorchless\b", "torch", str(value))


@pytest.mark.parametrize("name", list(CASES))
def test_behaviour_matches_torch(name):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    assert outcome(lambda: CASES[name](torchless)) == outcome(lambda: CASES[name](torch))


def test_forward_and_gradients_of_an_equivalent_model_match_torch():
    torch = pytest.importorskip("torch")
    theirs, ours = build(torch).double(), build(torchless).double()
    ours.load_state_dict(state_dict_from_torch(theirs))
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 5))
    expected = theirs(torch.tensor(x))
    expected.square().sum().backward()
    got = ours(torchless.tensor(x))
    got.square().sum().backward()
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-10)
    for (name, p), q in zip(theirs.named_parameters(), ours.parameters()):
        if p.grad is None:
            assert q.grad is None, name
        else:
            np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


def test_reassigning_a_child_or_parameter_keeps_its_place():
    import torchless.nn as tnn

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.a = tnn.Linear(2, 2)
            self.b = tnn.Linear(2, 2)
            self.w = tnn.Parameter(torchless.zeros(1))
            self.v = tnn.Parameter(torchless.zeros(1))

    net = Net()
    net.a = tnn.Linear(2, 2)
    net.w = tnn.Parameter(torchless.ones(1))
    assert list(net.state_dict()) == ["w", "v", "a.weight", "a.bias", "b.weight", "b.bias"]


@pytest.mark.parametrize("make, shape", [(lambda: torchless.nn.Conv2d(2, 3, 3), (1, 2, 5, 5)),
                                         (lambda: torchless.nn.Linear(4, 3), (2, 4))])
def test_layers_use_a_weight_that_replaced_their_parameter(make, shape):
    """Layers read their own parameters from the registry; a weight that is no longer registered (as
    pruning leaves it: a plain tensor attribute) is the one used."""
    layer = make()
    x = torchless.randn(*shape)
    weight_shape = tuple(layer.weight.shape)
    del layer._parameters["weight"]
    layer.weight = torchless.zeros(*weight_shape)
    y = layer(x).detach()
    bias = layer.bias.detach().reshape(1, -1, *([1] * (len(shape) - 2)))
    assert torchless.equal(y, (bias + torchless.zeros(*y.shape)))


def test_module_compile_compiles_in_place_and_changes_nothing():
    model = torchless.nn.Linear(2, 3)
    x = torchless.ones(1, 2)
    before = model(x).detach().numpy()
    assert model.compile(mode="reduce-overhead") is None
    np.testing.assert_array_equal(model(x).detach().numpy(), before)
    assert list(model.state_dict()) == ["weight", "bias"]  # no _orig_mod. prefix: the module is unchanged
