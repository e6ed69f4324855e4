"""Differences from PyTorch found by a second differential fuzz of the training surface, each compared with torch.

* losses: a class weight (or BCE-with-logits' pos_weight) that requires grad is refused, as torch's native
  loss nodes do not differentiate it, at the point of torch's checks (nll_loss_forward / nll_loss2d_forward,
  binary_cross_entropy, binary_cross_entropy_with_logits); float16 elementwise losses reduced in float32;
* nn.Module: set_submodule, type(dst_type), get_extra_state / set_extra_state and the ``_extra_state`` entry of
  state_dict / load_state_dict; load_state_dict(assign=True) reporting a failing assignment in the
  "Error(s) in loading state_dict" message and reusing a checkpoint's Parameter; register_state_dict_pre_hook,
  register_state_dict_post_hook and register_load_state_dict_post_hook; state_dict's prefix taken as given
  (``prefix="m"`` makes ``m0.weight``) and the FutureWarning of its positional arguments;
* containers: Sequential ``+=``; ModuleList.insert shifting entries by name as torch does (a negative index
  fails with a KeyError, one past the end keeps its number);
* optimizers and clipping: Optimizer.load_state_dict of a non-dict (the AttributeError of its first copy());
  clip_grad_value_ of parameters without gradients;
* serialization: bytes are neither a path nor a file to save / load; a map_location that is none of
  None / str / device / dict / callable;
* utils.data: StackDataset.
"""
import io
import warnings

import numpy as np
import pytest

import torchless
from helpers import Raised, outcome

torch = pytest.importorskip("torch")


def _outcomes(fn):
    """``fn(torch)`` and ``fn(torchless)``, a raised exception as ``Raised`` (PyTorch's message read with
    torchless's names), warnings ignored."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, ours = outcome(lambda: fn(torch)), outcome(lambda: fn(torchless))
    if isinstance(theirs, Raised):
        theirs = Raised(theirs.type, theirs.message.replace("torch.", "torchless."))
    return theirs, ours


def assert_same(fn):
    """``fn(lib)`` raises the same error in both libraries or returns equal plain values."""
    theirs, ours = _outcomes(fn)
    assert ours == theirs


def _arrays(result):
    """Tensors (or a tuple of them) as (shape, dtype name, values)."""
    result = result if isinstance(result, tuple) else (result,)
    return [(tuple(t.shape), str(t.dtype).split(".")[-1], t.detach().numpy()) for t in result]


def assert_same_tensors(fn, rtol=1e-5, atol=1e-6):
    """``fn(lib)`` raises the same error in both libraries or returns tensors of equal shapes, dtypes, values."""
    theirs, ours = _outcomes(fn)
    if isinstance(theirs, Raised) or isinstance(ours, Raised):
        assert ours == theirs
        return
    for (shape, dtype, expected), (our_shape, our_dtype, actual) in zip(_arrays(theirs), _arrays(ours), strict=True):
        assert (our_shape, our_dtype) == (shape, dtype)
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------- losses
_RNG = np.random.default_rng(0)
_LOGITS = _RNG.standard_normal((4, 3)).astype(np.float32)
_PROBS = (1 / (1 + np.exp(-_LOGITS))).astype(np.float32)
_SOFT = _RNG.random((4, 3)).astype(np.float32)
_CLASS_WEIGHT = np.array([0.5, 1.0, 2.0], np.float32)


def _weight(lib, array=_CLASS_WEIGHT):
    return lib.tensor(array, requires_grad=True)


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.cross_entropy(lib.tensor(_LOGITS), lib.tensor([0, 1, 2, 1]), weight=_weight(lib)),
    lambda lib: lib.nn.functional.cross_entropy(lib.tensor(_LOGITS), lib.tensor([0, 1, 2, 1]), weight=_weight(lib),
                                                label_smoothing=0.1, reduction="none"),
    lambda lib: lib.nn.CrossEntropyLoss(weight=_weight(lib))(lib.tensor(_LOGITS), lib.tensor([0, 1, 2, 1])),
    lambda lib: lib.nn.functional.nll_loss(lib.tensor(_LOGITS), lib.tensor([0, 1, 2, 1]),
                                           weight=lib.nn.Parameter(lib.ones(3))),
    lambda lib: lib.nn.functional.cross_entropy(lib.tensor(_LOGITS[0]), lib.tensor(1), weight=_weight(lib)),
    lambda lib: lib.nn.functional.cross_entropy(lib.ones(2, 3, 2, 2), lib.zeros(2, 2, 2, dtype=lib.long),
                                                weight=_weight(lib)),
    lambda lib: lib.nn.functional.cross_entropy(lib.ones(2, 3, 2), lib.zeros(2, 2, dtype=lib.long),
                                                weight=_weight(lib)),
    # torch's earlier checks come first, its kernel's after
    lambda lib: lib.nn.functional.cross_entropy(lib.tensor(_LOGITS), lib.tensor([0, 1, 2]), weight=_weight(lib)),
    lambda lib: lib.nn.functional.cross_entropy(lib.ones(2, 3, 2), lib.zeros(2, 3, dtype=lib.long),
                                                weight=_weight(lib)),
    lambda lib: lib.nn.functional.cross_entropy(lib.tensor(_LOGITS), lib.tensor([0, 1, 2, 1]), weight=_weight(lib),
                                                reduction="avg"),
    lambda lib: lib.nn.functional.cross_entropy(lib.tensor(_LOGITS), lib.tensor([0, 1, 5, 1]), weight=_weight(lib)),
    lambda lib: lib.nn.functional.cross_entropy(lib.tensor(_LOGITS), lib.tensor([0., 1., 2., 1.]), weight=_weight(lib)),
    lambda lib: lib.nn.functional.cross_entropy(lib.tensor(_LOGITS), lib.tensor([0, 1, 2, 1]),
                                                weight=_weight(lib, np.ones(5, np.float32))),
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor(_PROBS), lib.tensor(_SOFT), weight=_weight(lib)),
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor(_PROBS), lib.tensor(_SOFT),
                                                       weight=lib.tensor(2.0, requires_grad=True), reduction="sum"),
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor(_PROBS + 1), lib.tensor(_SOFT), weight=_weight(lib)),
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor(_PROBS), lib.tensor(_SOFT[:, :2]),
                                                       weight=_weight(lib)),
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor(_PROBS), lib.tensor(_SOFT),
                                                       weight=_weight(lib, np.ones(2, np.float32))),
    lambda lib: lib.nn.BCELoss(weight=_weight(lib))(lib.tensor(_PROBS), lib.tensor(_SOFT)),
    lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(lib.tensor(_LOGITS), lib.tensor(_SOFT),
                                                                   weight=_weight(lib)),
    lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(lib.tensor(_LOGITS), lib.tensor(_SOFT),
                                                                   pos_weight=_weight(lib) * 2),
    lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(lib.tensor(_LOGITS), lib.tensor(_SOFT),
                                                                   weight=_weight(lib), pos_weight=_weight(lib)),
    lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(lib.tensor(_LOGITS), lib.tensor(_SOFT),
                                                                   weight=_weight(lib, np.ones(2, np.float32))),
    lambda lib: lib.nn.BCEWithLogitsLoss(pos_weight=_weight(lib))(lib.tensor(_LOGITS), lib.tensor(_SOFT)),
    # probability targets compose differentiable ops: the weight gets a gradient
    lambda lib: lib.nn.functional.cross_entropy(lib.tensor(_LOGITS), lib.tensor(_SOFT), weight=_weight(lib)),
])
def test_loss_weights_that_require_grad(call):
    assert_same_tensors(call)


@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits"])
@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
def test_loss_weights_that_require_grad_are_taken_without_a_graph(loss, mode):
    def call(lib):
        target = lib.tensor([0, 1, 2, 1]) if loss == "cross_entropy" else lib.tensor(_SOFT)
        with getattr(lib, mode)():
            return getattr(lib.nn.functional, loss)(lib.tensor(_PROBS), target, weight=_weight(lib))

    assert_same_tensors(call)


@pytest.mark.parametrize("loss", ["mse_loss", "smooth_l1_loss", "binary_cross_entropy", "soft_margin_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_half_precision_losses_accumulate_in_float32(loss, reduction):
    rng = np.random.default_rng(5)
    for size in (7, 300, 2500):
        x, y = rng.random(size).astype(np.float16), rng.random(size).astype(np.float16)
        theirs, ours = (getattr(lib.nn.functional, loss)(lib.tensor(x), lib.tensor(y), reduction=reduction)
                        for lib in (torch, torchless))
        assert str(ours.dtype) == "torchless.float16" and ours.item() == theirs.item()


# ---------------------------------------------------------------------------- nn.Module
def _net(lib):
    return lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.BatchNorm2d(2), lib.nn.Sequential(lib.nn.ReLU()))


@pytest.mark.parametrize("target, module, strict", [
    ("0", "Tanh", False), ("3", "Tanh", False), ("3", "Tanh", True), ("2.0", "Tanh", True), ("2.5", "Tanh", False),
    ("2.5", "Tanh", True), ("0.weight", "Tanh", False), ("", "Tanh", False), ("0", None, False),
    ("9.0", "Tanh", False), ("1.running_mean", "Tanh", True),
])
def test_set_submodule(target, module, strict):
    def call(lib):
        net = _net(lib)
        net.set_submodule(target, getattr(lib.nn, module)() if module else 3, strict=strict)
        return repr(net)

    assert_same(call)


@pytest.mark.parametrize("dst_type", ["float64", "float16", "torch.DoubleTensor", "torch.FloatTensor"])
def test_module_type_casts_every_parameter_buffer_and_gradient(dst_type):
    def call(lib):
        net = _net(lib)
        net(lib.ones(1, 1, 4, 4)).sum().backward()
        weight = net[0].weight
        net.type(getattr(lib, dst_type) if hasattr(lib, dst_type) else dst_type)
        state = net.state_dict(keep_vars=True)
        return ([(name, str(value.dtype), type(value).__name__) for name, value in state.items()],
                str(weight.grad.dtype), net[0].weight is weight)

    theirs, ours = _outcomes(call)
    assert repr(ours).replace("torchless.", "torch.") == repr(theirs).replace("torchless.", "torch.")


def _with_extra_state(lib, loads=True):
    class Counter(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = lib.nn.Linear(1, 1)
            self.count = 3

        def get_extra_state(self):
            return {"count": self.count}

    if loads:
        Counter.set_extra_state = lambda self, state: setattr(self, "count", state["count"])
    return lib.nn.Sequential(Counter())


@pytest.mark.parametrize("edit, strict, loads", [
    (None, True, True), ("drop", True, True), ("drop", False, True), (None, True, False), (None, False, False),
])
def test_extra_state_in_state_dicts(edit, strict, loads):
    def call(lib):
        state = _with_extra_state(lib).state_dict()
        saved = list(state), state["0._extra_state"]
        state["0._extra_state"] = {"count": 7}
        if edit == "drop":
            del state["0._extra_state"]
        net = _with_extra_state(lib, loads)
        return saved, repr(net.load_state_dict(state, strict=strict)), net[0].count

    assert_same(call)


@pytest.mark.parametrize("method", ["get_extra_state", "set_extra_state"])
def test_extra_state_methods_of_the_base_class_raise(method):
    assert_same(lambda lib: getattr(lib.nn.Linear(1, 1), method)(*([{}] if method == "set_extra_state" else [])))


@pytest.mark.parametrize("value", [
    lambda lib: lib.arange(3, dtype=lib.int64), lambda lib: lib.ones(3, dtype=lib.float64),
    lambda lib: lib.nn.Parameter(lib.ones(3), requires_grad=False),
])
def test_load_state_dict_with_assign(value):
    def call(lib):
        linear = lib.nn.Linear(2, 3)
        state = dict(linear.state_dict(), bias=value(lib))
        result = repr(linear.load_state_dict(state, assign=True))
        return (result, str(linear.bias.dtype).split(".")[-1], type(linear.bias).__name__, linear.bias.requires_grad,
                linear.bias is state["bias"])

    assert_same(call)


def _nested(lib):
    return lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Sequential(lib.nn.BatchNorm1d(2)))


@pytest.mark.parametrize("post_hook_result", [None, 3])
def test_state_dict_hooks(post_hook_result):
    def call(lib):
        net, log = _nested(lib), []

        def inner_post_hook(module, state, prefix, metadata):
            log.append(("post inner", prefix, list(state), metadata))
            del state[prefix + "0.num_batches_tracked"]
            return post_hook_result

        net.register_state_dict_pre_hook(lambda module, prefix, keep_vars: log.append(("pre", prefix, keep_vars)))
        net[1].register_state_dict_pre_hook(lambda module, prefix, keep_vars: log.append(("pre inner", prefix)))
        net[1].register_state_dict_post_hook(inner_post_hook)
        net.register_state_dict_post_hook(lambda module, state, prefix, metadata: log.append(("post", list(state))))
        state = net.state_dict(prefix="root.")
        return log, list(state), dict(state._metadata)

    assert_same(call)


@pytest.mark.parametrize("clears, strict, result", [(False, True, None), (False, False, None), (True, True, None),
                                                    (False, True, 1)])
def test_load_state_dict_post_hooks(clears, strict, result):
    def call(lib):
        net, log = _nested(lib), []

        def hook(module, keys):
            log.append((type(module).__name__, list(keys.missing_keys), list(keys.unexpected_keys)))
            if clears:
                keys.missing_keys.clear()
                keys.unexpected_keys.clear()
            return result

        net[1].register_load_state_dict_post_hook(hook)
        net.register_load_state_dict_post_hook(hook).remove()
        net.register_load_state_dict_post_hook(hook)
        state = net.state_dict()
        del state["0.bias"]
        state["extra"] = lib.ones(1)
        return log, repr(net.load_state_dict(state, strict=strict))

    assert_same(call)


@pytest.mark.parametrize("args, kwargs", [((), {"prefix": "m"}), ((), {"prefix": "m."}), ((None, "p."), {}),
                                          (({}, "p.", True), {})])
def test_state_dict_prefixes_and_positional_arguments(args, kwargs):
    def call(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            state = _nested(lib).state_dict(*args, **kwargs)
        return list(state), list(getattr(state, "_metadata", [])), [(w.category, str(w.message)) for w in caught]

    assert_same(call)


# ---------------------------------------------------------------------------- containers
@pytest.mark.parametrize("other", ["Sequential", "ModuleList", "list"])
def test_sequential_in_place_add(other):
    def call(lib):
        sequential = lib.nn.Sequential(lib.nn.ReLU(), lib.nn.Tanh())
        added = {"Sequential": lib.nn.Sequential(lib.nn.Sigmoid()), "ModuleList": lib.nn.ModuleList([lib.nn.Sigmoid()]),
                 "list": [lib.nn.Sigmoid()]}[other]
        sequential += added
        return repr(sequential), list(sequential._modules)

    assert_same(call)


@pytest.mark.parametrize("index", [0, 1, 2, 5, -1, -2, -3])
@pytest.mark.parametrize("module", ["Sigmoid", None])
def test_module_list_insert(index, module):
    def call(lib):
        modules = lib.nn.ModuleList([lib.nn.ReLU(), lib.nn.Tanh()])
        try:
            modules.insert(index, getattr(lib.nn, module)() if module else 3)
        except KeyError as error:  # torch shifts the entries first: compare what it leaves too
            return "KeyError", str(error), [(k, type(v).__name__) for k, v in modules._modules.items()]
        return [(k, type(v).__name__) for k, v in modules._modules.items()]

    assert_same(call)


# ---------------------------------------------------------------------------- optimizers and clipping
@pytest.mark.parametrize("state", [3, None, [1, 2], {"state": {}}])
def test_optimizer_load_state_dict_of_a_non_state_dict(state):
    assert_same(lambda lib: lib.optim.SGD([lib.nn.Parameter(lib.ones(2))], lr=0.1).load_state_dict(state))


@pytest.mark.parametrize("grads", [[], [None], [None, None], [[3.0, -4.0]], [None, [0.5, -2.0]]])
def test_clip_grad_value(grads):
    def call(lib):
        params = [lib.nn.Parameter(lib.zeros(2)) for _ in grads]
        for param, grad in zip(params, grads):
            if grad is not None:
                param.grad = lib.tensor(grad)
        lib.nn.utils.clip_grad_value_(params, 1.0)
        return [None if p.grad is None else p.grad.tolist() for p in params]

    assert_same(call)


# ---------------------------------------------------------------------------- serialization
def test_bytes_are_neither_a_path_nor_a_file(tmp_path):
    path = tmp_path / "x.pt"
    torch.save(torch.ones(2), path)
    assert_same(lambda lib: lib.save(lib.ones(1), bytes(tmp_path / "y.pt")))
    assert_same(lambda lib: lib.load(bytes(path)))
    assert_same(lambda lib: lib.load(path.read_bytes()))
    assert not (tmp_path / "y.pt").exists()


@pytest.mark.parametrize("map_location", [3, 2.5, [("cuda:0", "cpu")]])
def test_map_location_that_cannot_be_called(map_location):
    buffer = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buffer)
    assert_same(lambda lib: lib.load(io.BytesIO(buffer.getvalue()), map_location=map_location))


# ---------------------------------------------------------------------------- utils.data
def _stack(lib, *args, **kwargs):
    return lib.utils.data.StackDataset(*args, **kwargs)


def _pairs(lib, n=5):
    return lib.utils.data.TensorDataset(lib.arange(2 * n, dtype=lib.float32).reshape(n, 2))


@pytest.mark.parametrize("make", [
    lambda lib: _stack(lib, _pairs(lib), lib.arange(5) * 3),
    lambda lib: _stack(lib, x=_pairs(lib), y=list(range(5))),
    lambda lib: _stack(lib, lib.utils.data.Subset(_pairs(lib), [4, 3, 2, 1, 0]), [str(i) for i in range(5)]),
    lambda lib: _stack(lib, _pairs(lib), y=_pairs(lib)),
    lambda lib: _stack(lib),
    lambda lib: _stack(lib, _pairs(lib), _pairs(lib, 4)),
    lambda lib: _stack(lib, a=_pairs(lib), b=_pairs(lib, 4)),
])
def test_stack_dataset(make):
    def describe(value):
        if isinstance(value, (list, tuple)):
            return type(value).__name__, [describe(v) for v in value]
        if isinstance(value, dict):
            return {k: describe(v) for k, v in value.items()}
        return value.tolist() if hasattr(value, "tolist") else value

    def call(lib):
        dataset = make(lib)
        loader = lib.utils.data.DataLoader(dataset, batch_size=2)
        return len(dataset), describe(dataset[1]), describe(dataset.__getitems__([0, 3])), describe(list(loader))

    assert_same(call)
