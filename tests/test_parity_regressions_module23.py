"""nn.Module mechanics as PyTorch 2.13 runs them: containers' deletions, the unimplemented forward, the repr of
Tensor and Parameter subclasses, Module's class attributes. Each scenario runs on torch and on torchless and records
what it sees; the records must be equal (torchless's names read as torch's)."""
import numpy as np
import pytest

import torchless
from helpers import outcome_named_as_torch as outcome, same_in_both

torch = pytest.importorskip("torch")


# ---------------------------------------------------------------- containers


def record_deletions(lib, container, index):
    """A ModuleList whose insert() past the end left a gap in its keys (PyTorch's quirk), and a Sequential, after
    ``del container[index]``: the error and the keys left."""
    nn = lib.nn
    modules = [nn.ReLU(), nn.Tanh(), nn.ELU()]
    if container == "ModuleList":
        made = nn.ModuleList(modules)
        made.insert(7, nn.GELU())  # key '7' after '2': the keys 3..6 are missing
    else:
        made = nn.Sequential(*modules)

    def delete():
        del made[index]

    return outcome(delete), list(made._modules), [type(m).__name__ for m in made]


@pytest.mark.parametrize("container", ["ModuleList", "Sequential"])
@pytest.mark.parametrize("index", [0, 3, -1, -4, 5, slice(1, None), slice(None, None, -2), slice(-3, 5)])
def test_container_deletions_go_through_delattr(container, index):
    same_in_both(lambda lib: record_deletions(lib, container, index))


def test_a_subclass_delattr_sees_container_deletions():
    def scenario(lib):
        deleted = []

        class Watched(lib.nn.Sequential):
            def __delattr__(self, name):
                deleted.append(name)
                super().__delattr__(name)

        model = Watched(lib.nn.ReLU(), lib.nn.Tanh(), lib.nn.ELU())
        del model[1]
        del model[::2]
        return deleted, list(model._modules)

    same_in_both(scenario)


# ---------------------------------------------------------------- Module's class


@pytest.mark.parametrize("call", [lambda m: m(1), lambda m: m(a=1), lambda m: m.forward(), lambda m: m.forward(x=2)])
@pytest.mark.parametrize("make", [lambda nn: nn.Module(), lambda nn: nn.ModuleDict(), lambda nn: nn.ParameterList()])
def test_the_unimplemented_forward_is_pytorchs_function(make, call):
    same_in_both(lambda lib: (outcome(lambda: call(make(lib.nn))), lib.nn.Module.forward.__name__))


def test_module_carries_the_state_dict_type_variable():
    def scenario(lib):
        variable = lib.nn.Module.T_destination
        return variable.__name__, variable.__bound__, "T_destination" in dir(lib.nn.Linear(1, 1))

    same_in_both(scenario)


# ---------------------------------------------------------------- printing subclasses


def record_subclass_reprs(lib):
    class Marked(lib.Tensor):
        pass

    class Weight(lib.nn.Parameter):
        pass

    values = lib.tensor([[1.5, -2.0, 3.0], [0.25, 5.0, 6.0]])
    return [repr(values.as_subclass(Marked)), repr(values.double().as_subclass(Marked)),
            repr(Weight(values)), repr(Weight(values, requires_grad=False)), repr(Weight(values.double())),
            repr(lib.nn.Parameter(values)), repr(lib.nn.Buffer(values)), repr(lib.nn.UninitializedParameter())]


def test_subclasses_print_their_class_name_as_pytorch():
    expected = [text.replace("torch.", "torchless.") for text in record_subclass_reprs(torch)]
    assert record_subclass_reprs(torchless) == expected


# ---------------------------------------------------------------- deprecated backward hooks


def record_deprecated_backward_hook(lib, returns_input, with_full_pre_hook, bad_return):
    """A module with several inputs and a deprecated backward hook (with a full backward pre-hook too, its
    inputs and outputs go through one node each): the warnings of the call, the error of a hook that returns too
    many gradients (named as the hook), the gradients."""
    import warnings

    class Model(lib.nn.Module):
        def forward(self, a, b, c):
            return (a,) if returns_input else (a * 2 + b * b + c * c,)

    def too_many_gradients(module, grad_input, grad_output):
        return (None,) * 7 if bad_return else None

    model = Model()
    if with_full_pre_hook:
        model.register_full_backward_pre_hook(lambda module, grad_output: None)
    model.register_backward_hook(too_many_gradients)
    inputs = [lib.tensor([1.0, -2.0], requires_grad=True) for _ in range(3)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = model(*inputs)
    return ([str(w.message) for w in caught], outcome(lambda: out[0].sum().backward()),
            [None if x.grad is None else x.grad.tolist() for x in inputs])


@pytest.mark.parametrize("returns_input", [False, True])
@pytest.mark.parametrize("with_full_pre_hook", [False, True])
@pytest.mark.parametrize("bad_return", [False, True])
def test_deprecated_backward_hooks_warn_and_fail_as_pytorchs(returns_input, with_full_pre_hook, bad_return):
    same_in_both(lambda lib: record_deprecated_backward_hook(lib, returns_input, with_full_pre_hook, bad_return))


# ---------------------------------------------------------------- torch.__future__


def record_conversion_under_switches(lib, overwrite, swap, convert):
    """Which objects a module's parameters and gradients are after a conversion, under the __future__ switches."""
    future = lib.__future__
    future.set_overwrite_module_params_on_conversion(overwrite)
    future.set_swap_module_params_on_conversion(swap)
    try:
        model = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2))
        model[1].weight.requires_grad_(False)
        model[0].weight.grad = lib.ones(2, 2)
        before = [model[0].weight, model[0].weight.grad, model[1].weight, model[1].running_mean]
        convert(lib, model)
        after = [model[0].weight, model[0].weight.grad, model[1].weight, model[1].running_mean]
        return ([old is new for old, new in zip(before, after)], [str(t.dtype) for t in before + after],
                [(type(p).__name__, p.requires_grad, p.is_leaf) for p in model.parameters()],
                model[0].weight.grad.requires_grad, future.get_overwrite_module_params_on_conversion(),
                future.get_swap_module_params_on_conversion())
    finally:
        future.set_overwrite_module_params_on_conversion(False)
        future.set_swap_module_params_on_conversion(False)


@pytest.mark.parametrize("overwrite, swap", [(False, False), (True, False), (True, True), (False, True)])
@pytest.mark.parametrize("convert", [lambda lib, m: m.double(), lambda lib, m: m.to(lib.float32),
                                     lambda lib, m: m.half().float(), lambda lib, m: m.to(dtype=lib.float64)])
def test_module_conversions_follow_the_future_switches(overwrite, swap, convert):
    expected = record_conversion_under_switches(torch, overwrite, swap, convert)
    got = record_conversion_under_switches(torchless, overwrite, swap, convert)
    assert got == tuple(x if not isinstance(x, list) else [str(v).replace("torch.", "torchless.") if isinstance(v, str)
                                                          else v for v in x] for x in expected)


def test_the_future_module_is_pytorchs():
    import importlib

    module = importlib.import_module("torchless.__future__")
    names = sorted(n for n in dir(torch.__future__) if not n.startswith("__"))
    assert sorted(n for n in dir(module) if not n.startswith("__")) == names
    assert module is torchless.__future__


# ---------------------------------------------------------------- traversal


@pytest.mark.parametrize("recurse", [True, False])
@pytest.mark.parametrize("remove_duplicate", [True, False])
def test_named_members_takes_pytorchs_member_function(recurse, remove_duplicate):
    """_named_members(get_members_fn, prefix, recurse, remove_duplicate), PyTorch's helper that code outside it
    calls (with a function of its own: here the tensors of a custom registry)."""
    def scenario(lib):
        shared = lib.nn.Linear(1, 1)
        model = lib.nn.Sequential(shared, lib.nn.Sequential(shared, lib.nn.BatchNorm1d(1)))
        model.top = lib.nn.Parameter(lib.ones(1))
        members = model._named_members(lambda module: [*module._parameters.items(), *module._buffers.items()],
                                       prefix="m", recurse=recurse, remove_duplicate=remove_duplicate)
        return [name for name, _ in members]

    same_in_both(scenario)


def test_containers_index_through_pytorchs_overridable_helpers():
    """Sequential indexes through _get_item_by_idx and ModuleList through _get_abs_string_index, as PyTorch's:
    a subclass overriding them changes what indexing does."""
    def scenario(lib):
        class Reversed(lib.nn.Sequential):
            def _get_item_by_idx(self, iterator, idx):
                return super()._get_item_by_idx(iterator, -1 - idx)

        class Cyclic(lib.nn.ModuleList):
            def _get_abs_string_index(self, idx):
                return super()._get_abs_string_index(idx % len(self))

        sequential = Reversed(lib.nn.ReLU(), lib.nn.Tanh(), lib.nn.ELU())
        listed = Cyclic([lib.nn.ReLU(), lib.nn.Tanh()])
        sequential[0] = lib.nn.GELU()
        listed[3] = lib.nn.SELU()
        del listed[2]
        return ([type(sequential[i]).__name__ for i in range(3)], [type(m).__name__ for m in sequential],
                [type(m).__name__ for m in listed], outcome(lambda: sequential[5]))

    same_in_both(scenario)


# ---------------------------------------------------------------- gradient clipping


def mixed_dtype_parameters(lib, seed, dtypes, size=3):
    """Parameters of ``dtypes`` with gradients drawn from ``seed`` (a None gradient where the dtype is None)."""
    rng = np.random.default_rng(seed)
    params = []
    for dtype in dtypes:
        param = lib.nn.Parameter(lib.zeros(size, dtype=getattr(lib, dtype or "float32")))
        if dtype is not None:
            param.grad = lib.tensor(rng.standard_normal(size), dtype=getattr(lib, dtype))
        params.append(param)
    return params


@pytest.mark.parametrize("seed", [40, 49, 57, 10, 23])  # (seeds where the order of the sum shows)
@pytest.mark.parametrize("dtypes", [("float32", "float64", "float32"), ("float16", "float64", None, "float32"),
                                    ("float64", "float32", "float64", "float16")])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])  # (exact norms of one value)
@pytest.mark.parametrize("foreach", [None, False])
def test_total_norm_sums_the_groups_in_pytorchs_order(seed, dtypes, norm_type, foreach):
    """PyTorch takes the norms of the gradients grouped by dtype, the groups in its order, and the norm of them in
    that order: bit for bit the same total (and so the same clipped gradients). One value a gradient, whose norm is
    exact: the order of the norms is all that can differ."""
    def scenario(lib):
        params = mixed_dtype_parameters(lib, seed, dtypes, size=1)
        total = lib.nn.utils.clip_grad_norm_(params, 0.5, norm_type=norm_type, foreach=foreach)
        return total.item(), str(total.dtype), [None if p.grad is None else p.grad.tolist() for p in params]

    expected, got = scenario(torch), scenario(torchless)
    assert got == (expected[0], expected[1].replace("torch.", "torchless."), expected[2])


@pytest.mark.parametrize("dtypes", [("float16", "float64", "float32"), ("float32", "float16"), ("float16",)])
def test_clip_grad_value_clips_the_groups_in_pytorchs_order(dtypes):
    """A value float16 cannot hold fails on the float16 group: those gradients PyTorch clipped before, in its order
    of the groups, are clipped, the others not."""
    def scenario(lib):
        params = mixed_dtype_parameters(lib, 0, dtypes)
        for param in params:
            param.grad[0] = 1e10 if param.dtype != lib.float16 else 6e4
        return outcome(lambda: lib.nn.utils.clip_grad_value_(params, 1e9)), [p.grad.tolist() for p in params]

    same_in_both(scenario)


def test_as_subclass_aliases_a_tensor_that_requires_grad():
    def scenario(lib):
        class Marked(lib.Tensor):
            pass

        leaf = lib.tensor([1.0, -2.0], requires_grad=True)
        marked = leaf.as_subclass(Marked)
        (marked * 3).sum().backward()
        with lib.no_grad():
            untracked = leaf.as_subclass(Marked)
        return (marked.grad_fn.name(), marked.is_leaf, leaf.grad.tolist(), untracked.grad_fn,
                lib.tensor(2.0, requires_grad=True).as_subclass(Marked).grad_fn.name())

    same_in_both(scenario)


# ---------------------------------------------------------------- writing through expanded tensors


@pytest.mark.parametrize("shape, size", [((1, 2), (1, 2)), ((2, 1), (2, 1)), ((1,), (1,)), ((1, 3, 1), (1, 3, 1)),
                                         ((1, 2), (3, 2)), ((2, 1), (2, 3))])
@pytest.mark.parametrize("write", ["zero_", "fill_", "mul_", "add_", "copy_"])
def test_in_place_writes_through_an_expand(shape, size, write):
    """An expand that keeps its size-1 dims holds each element once: PyTorch writes through it into the base (a
    real expansion only takes fills)."""
    def scenario(lib):
        base = lib.arange(float(np.prod(shape))).reshape(shape)
        expanded = base.expand(*size)
        calls = {"zero_": lambda: expanded.zero_(), "fill_": lambda: expanded.fill_(7.0),
                 "mul_": lambda: expanded.mul_(2), "add_": lambda: expanded.add_(1),
                 "copy_": lambda: expanded.copy_(lib.full(size, 5.0))}
        return outcome(lambda: calls[write]().tolist()), base.tolist()

    same_in_both(scenario)


def test_zero_grad_keeps_an_expanded_gradient_and_zeroes_it():
    def scenario(lib):
        model = lib.nn.Linear(2, 1)
        model.weight.grad = lib.ones(1, 2).expand(1, 2)
        model.bias.grad = lib.tensor([3.0]).expand(1)
        grads = model.weight.grad, model.bias.grad
        model.zero_grad(set_to_none=False)
        return [p.grad.tolist() for p in model.parameters()], [p.grad is g for p, g in zip(model.parameters(), grads)]

    same_in_both(scenario)


@pytest.mark.parametrize("call", [lambda m: [n for n, _ in m.named_parameters(prefix=5)],
                                  lambda m: [n for n, _ in m.named_modules(prefix=5)],
                                  lambda m: [n for n, _ in m[0].named_parameters(prefix=5, recurse=False)],
                                  lambda m: [n for n, _ in m.named_buffers(prefix=b"x")],
                                  lambda m: [n for n, _ in m.named_parameters(prefix="p.q")]])
def test_names_are_concatenated_as_pytorchs(call):
    same_in_both(lambda lib: outcome(lambda: call(lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.BatchNorm1d(1)))))
