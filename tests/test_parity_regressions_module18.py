"""The nn.Module system as PyTorch runs it: load_state_dict's hooks and the dicts they see, Module.to's argument
parser, __dir__, named_modules' memo, modules(remove_duplicate), ipu()/mtia(). Each scenario runs on torch and on
torchless and records what it sees; the records must be equal (torchless's names read as torch's)."""
import warnings

import pytest

import torchless
from helpers import outcome_named_as_torch as outcome, same_in_both

torch = pytest.importorskip("torch")

LIBRARIES = (torch, torchless)


# ---------------------------------------------------------------- load_state_dict


def record_load_pre_hooks(lib):
    """Which keys the pre-hooks of a parent and of a child see, in which kind of dict, with which metadata."""
    model = lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.Sequential(lib.nn.BatchNorm1d(2)))
    seen = []

    def hook(module, state_dict, prefix, local_metadata, *rest):
        seen.append((type(module).__name__, prefix, sorted(state_dict), type(state_dict).__name__,
                     hasattr(state_dict, "_metadata"), dict(local_metadata), lib.is_grad_enabled()))

    for module in (model, model[1], model[1][0]):
        module.register_load_state_dict_pre_hook(hook)
    state = model.state_dict()
    model.load_state_dict(state)
    del state["1.0.num_batches_tracked"]
    state._metadata["1.0"]["version"] = 1  # a checkpoint from before BatchNorm counted its batches
    model.load_state_dict(state, assign=True)
    return seen


def test_load_state_dict_pre_hooks_see_what_pytorchs_see():
    # each child's hooks see a plain dict of its own entries; BatchNorm adds its count before its hooks run
    seen = same_in_both(record_load_pre_hooks)
    assert seen[1][2] == ["1.0.bias", "1.0.num_batches_tracked", "1.0.running_mean", "1.0.running_var",
                          "1.0.weight"]


def record_overridden_loading(lib, calls_super):
    seen = []

    class Renaming(lib.nn.Linear):
        def _load_from_state_dict(self, state_dict, prefix, *args):
            seen.append("override")
            if prefix + "w" in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
            if calls_super:
                super()._load_from_state_dict(state_dict, prefix, *args)

    model = lib.nn.Sequential(Renaming(1, 1))
    model[0].register_load_state_dict_pre_hook(lambda module, state_dict, *rest: seen.append(sorted(state_dict)))
    state = {"0.w": lib.ones(1, 1), "0.bias": lib.ones(1)}
    seen.append(repr(outcome(lambda: model.load_state_dict(state, strict=False))))
    return seen, model[0].weight.tolist() == [[1.0]]


@pytest.mark.parametrize("calls_super", [True, False])
def test_load_state_dict_pre_hooks_run_inside_load_from_state_dict(calls_super):
    # an override runs before the hooks, and without its super() call they do not run at all
    same_in_both(lambda lib: record_overridden_loading(lib, calls_super))


def record_copy_warnings(lib):
    model = lib.nn.Module()
    model.w = lib.nn.Parameter(lib.zeros(2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.load_state_dict({"w": lib.tensor([1 + 2j, 3j])})
    return [(w.category.__name__, str(w.message).split(" (Triggered")[0]) for w in caught], model.w.tolist()


def test_load_state_dict_copies_as_copy_does():
    same_in_both(record_copy_warnings)


# ---------------------------------------------------------------- traversal and dir


def record_dir(lib):
    class Model(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(1, 1)
            self.forward = lambda x: x  # an instance attribute shadowing a class one: listed twice, as in PyTorch
            self.add_module("9th", lib.nn.ReLU())
            self.register_buffer("buf", None)
            self.register_parameter("param", None)

    names = dir(Model())
    shown = ("forward", "fc", "9th", "buf", "param", "training", "_modules")
    listed = dir(lib.nn.Sequential(lib.nn.ReLU())), dir(lib.nn.ModuleList([lib.nn.ReLU()]))
    return [k for k in names if k in shown], names == sorted(names), ["0" in keys for keys in listed]


def test_dir_lists_pytorchs_names():
    same_in_both(record_dir)


def record_named_modules(lib):
    shared = lib.nn.ReLU()
    model = lib.nn.Sequential(shared, lib.nn.Sequential(shared, lib.nn.Tanh()))
    memo = {shared}
    given = [name for name, _ in model.named_modules(memo=memo)]
    kept = [name for name, _ in model.named_modules(memo={model[1]}, remove_duplicate=False)]
    fresh = set()
    prefixed = [name for name, _ in model.named_modules(fresh, "p")]
    counts = len(list(model.modules())), len(list(model.modules(remove_duplicate=False)))
    return given, len(memo), kept, prefixed, len(fresh), counts


def test_named_modules_skips_the_modules_of_a_given_memo():
    # the caller's memo holds modules: those in it are not yielded, even with remove_duplicate=False
    same_in_both(record_named_modules)


DEVICES = [(), (0,), (-1,), ("cpu",), (1.5,), (True,), ("ipu",), ("mtia",), ("mtia:0",), ("cuda:1",), (None,),
           ("nowhere",)]


@pytest.mark.parametrize("method", ["ipu", "mtia", "cuda", "xpu"])
@pytest.mark.parametrize("args", DEVICES)
def test_moves_to_accelerators_fail_as_in_a_cpu_only_pytorch(method, args):
    def record(lib):
        empty = lib.nn.Module()
        return (outcome(lambda: getattr(lib.nn.Linear(1, 1), method)(*args)),
                outcome(lambda: getattr(empty, method)(*args) is empty))

    same_in_both(record)


# ---------------------------------------------------------------- Module.to's parser

TO_CALLS = [((2.5,), {}), ((0.0,), {}), ((True,), {}), ((1j,), {}), ((3, True), {}), ((2.0, False, True), {}),
            ((float,), {}), ((int,), {}), ((bool,), {}), ((complex,), {}), ((None, float), {}), (("cpu", float), {}),
            (("cpu", 2.0), {}), ((torch.float32, float), {}), ((-1,), {}), ((), {"dtype": float}),
            ((), {"dtype": complex}), ((), {"dtype": 2.0}), ((), {"tensor": 3}), ((), {"tensor": 2.0}),
            ((), {"tensor": True, "non_blocking": True}), ((), {"device": 2.0})]


@pytest.mark.parametrize("args,kwargs", TO_CALLS)
def test_module_to_reads_its_arguments_as_pytorchs_parser(args, kwargs):
    # a Python number binds as the tensor overload's tensor (2.5: float64), a Python type as a dtype
    def record(lib):
        model = lib.nn.Linear(2, 2)
        translated = tuple(lib.float32 if a is torch.float32 else a for a in args)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = outcome(lambda: str(model.to(*translated, **kwargs).weight.dtype).replace("torchless", "torch"))
        return result, [w.category.__name__ for w in caught]

    same_in_both(record)


@pytest.mark.parametrize("make", [
    lambda lib: lib.zeros(2, dtype=complex), lambda lib: lib.ones(2).to(complex), lambda lib: lib.ones(2).view(complex),
    lambda lib: lib.tensor([1, 2], dtype=complex), lambda lib: lib.ones(2).new_zeros(2, dtype=complex),
    lambda lib: lib.ones(2).sum(dtype=complex), lambda lib: lib.full((2,), 1, dtype=complex)])
def test_python_complex_is_the_complex128_dtype(make):
    same_in_both(lambda lib: outcome(lambda: (str(make(lib).dtype).replace("torchless", "torch"), make(lib).tolist())))


# ---------------------------------------------------------------- hook handles and pickled modules


def record_handles(lib):
    import gc
    import pickle
    from collections import OrderedDict

    model = lib.nn.Linear(1, 1)
    forward = model.register_forward_hook(print, with_kwargs=True, always_call=True)
    pre = model.register_forward_pre_hook(print)
    backward = model.register_full_backward_hook(print)
    seen = [(h.hooks_dict_ref() is registry, len(h.extra_dict_ref))
            for h, registry in ((forward, model._forward_hooks), (pre, model._forward_pre_hooks),
                                (backward, model._backward_hooks))]
    seen.append([ref() is registry for ref, registry in
                 zip(forward.extra_dict_ref, (model._forward_hooks_with_kwargs, model._forward_hooks_always_called))])
    forward.remove()
    seen.append((len(model._forward_hooks), len(model._forward_hooks_with_kwargs),
                 len(model._forward_hooks_always_called)))
    # PyTorch's public constructor, and the handle's pickled form
    hooks, extra = OrderedDict(), OrderedDict()
    handle = lib.utils.hooks.RemovableHandle(hooks, extra_dict=extra)
    hooks[handle.id] = extra[handle.id] = "hook"
    copied = pickle.loads(pickle.dumps(handle))
    seen.append((copied.id == handle.id, lib.utils.hooks.RemovableHandle.next_id > handle.id,
                 len(copied.extra_dict_ref), copied.hooks_dict_ref() is None))
    handle.remove()
    seen.append((hooks, extra))
    # the handle refers to the module's registries weakly: it does not keep them alive
    del model
    gc.collect()
    seen.append(pre.hooks_dict_ref() is None)
    pre.remove()
    return seen


def test_removable_handle_is_pytorchs():
    same_in_both(record_handles)


def record_old_pickle(lib):
    """A module pickled before the newer registries existed (as an old checkpoint holds it) gets them back."""
    model = lib.nn.Linear(2, 2)
    state = dict(model.__getstate__())
    for name in ("_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_forward_pre_hooks_with_kwargs",
                 "_state_dict_pre_hooks", "_load_state_dict_post_hooks", "_non_persistent_buffers_set",
                 "_backward_pre_hooks", "_is_full_backward_hook"):
        del state[name]
    revived = lib.nn.Linear.__new__(lib.nn.Linear)
    revived.__setstate__(state)
    output = revived(lib.ones(2))
    return sorted(revived.__dict__), list(lib.nn.Linear(1, 1).__dict__), tuple(output.shape)


def test_modules_pickled_without_the_newer_registries_get_them():
    same_in_both(record_old_pickle)


# ---------------------------------------------------------------- repr


def record_reprs_with_blank_lines(lib):
    class TrailingNewline(lib.nn.Module):
        def extra_repr(self):
            return "a\n"

    class Lines(lib.nn.Module):
        def __repr__(self):
            return "line1\nline2\n  \n"

    class Outer(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = TrailingNewline()
            self.linear = lib.nn.Linear(1, 1)

        def extra_repr(self):
            return "\nfoo"

    model = lib.nn.Sequential(Lines(), lib.nn.ModuleList([Lines(), Lines(), TrailingNewline()]), Outer())
    return repr(model)


def test_repr_leaves_blank_lines_of_children_empty():
    # Module.__repr__ indents only the lines that are not blank; ModuleList's repr (an older copy of the helper)
    # indents them all
    same_in_both(record_reprs_with_blank_lines)


# ---------------------------------------------------------------- __setattr__ through overridden registration


def record_legacy_registration(lib, persistent):
    calls = []

    class Legacy(lib.nn.Module):
        """A subclass written before register_buffer took ``persistent``."""

        def __init__(self):
            super().__init__()
            self.register_buffer("b", lib.zeros(1))
            self.p = lib.nn.Parameter(lib.zeros(1))

        def register_buffer(self, name, tensor):
            calls.append(("buffer", name))
            super().register_buffer(name, tensor)

        def register_parameter(self, name, param):
            calls.append(("parameter", name, param is None))
            super().register_parameter(name, param)

    model = Legacy()

    def assign():
        model.b = lib.ones(2)
        model.p = None
        model.c = lib.nn.Buffer(lib.ones(1), persistent=persistent)
        return list(model.state_dict())

    return outcome(assign), calls


@pytest.mark.parametrize("persistent", [True, False])
def test_assignments_go_through_a_subclasss_registration_methods(persistent):
    # a register_buffer without `persistent` is called without it (a non-persistent Buffer is refused), and None
    # assigned to a parameter goes through register_parameter
    same_in_both(lambda lib: record_legacy_registration(lib, persistent))


# ---------------------------------------------------------------- deprecated global backward hooks


def record_global_deprecated_backward_hook(lib):
    module = lib.nn.modules.module
    seen = []
    handle = module.register_module_backward_hook(
        lambda m, grad_input, grad_output: seen.append(
            (type(m).__name__, [None if g is None else tuple(g.shape) for g in grad_input],
             [tuple(g.shape) for g in grad_output])))
    try:
        linear = lib.nn.Linear(2, 3)
        linear.register_full_backward_hook(lambda m, grad_input, grad_output: seen.append("own full hook"))
        relu = lib.nn.ReLU()  # (kept alive: PyTorch's hook refers to its module weakly)
        x = lib.ones(1, 2, requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            relu(linear(x)).sum().backward()
        seen.append([(w.category.__name__, str(w.message)) for w in caught])
        seen.append(outcome(lambda: module.register_module_full_backward_hook(print)))
    finally:
        handle.remove()
    return seen


@pytest.fixture
def fresh_global_backward_hook_kind(monkeypatch):
    """The kind of the global backward hooks is fixed for good by the first registered: start from none."""
    for lib in LIBRARIES:
        monkeypatch.setattr(lib.nn.modules.module, "_global_is_full_backward_hook", None)


def test_register_module_backward_hook_runs_on_every_module(fresh_global_backward_hook_kind):
    # the deprecated global kind runs on the node that made each module's output; a full global hook is then
    # refused
    same_in_both(record_global_deprecated_backward_hook)


def test_global_backward_hooks_of_both_kinds_are_refused(fresh_global_backward_hook_kind):
    def record(lib):
        module = lib.nn.modules.module
        handle = module.register_module_full_backward_hook(print)
        handle.remove()
        return outcome(lambda: module.register_module_backward_hook(print))

    same_in_both(record)


# ---------------------------------------------------------------- the rest of PyTorch's module namespace


def record_container(lib):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        container = lib.nn.Container(a=lib.nn.ReLU(), b=lib.nn.Linear(1, 1))

        class Custom(lib.nn.Container):
            pass

        Custom(c=lib.nn.Tanh())
    return repr(container), [(w.category.__name__, str(w.message)) for w in caught]


def test_deprecated_container_warns_and_registers_its_keyword_arguments():
    same_in_both(record_container)


def test_channel_shuffle_lives_in_pytorchs_module():
    assert torchless.nn.modules.channelshuffle.ChannelShuffle is torchless.nn.ChannelShuffle
    assert torch.nn.modules.channelshuffle.ChannelShuffle is torch.nn.ChannelShuffle


def record_hook_serialization_warnings(lib):
    @lib.utils.hooks.unserializable_hook
    def marked(grad):
        return grad

    def unmarked(grad):
        return grad

    leaf = lib.ones(1, requires_grad=True)
    leaf.register_hook(marked)
    leaf.register_hook(unmarked)
    made = lib.ones(1, requires_grad=True) * 2
    made.register_hook(unmarked)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for tensor in (leaf, made, lib.ones(1)):
            lib.utils.hooks.warn_if_has_hooks(tensor)
    return marked.__torch_unserializable__, [(w.category.__name__, str(w.message).split(" at 0x")[0]) for w in caught]


def test_hooks_that_saving_would_lose_are_warned_of():
    same_in_both(record_hook_serialization_warnings)


# ---------------------------------------------------------------- call_super_init


def record_cooperative_init(lib, call_super_init, arguments):
    class Mixin:
        def __init__(self, *args, **kwargs):
            self.mixed = (args, kwargs)
            super().__init__()

    class Model(lib.nn.Module, Mixin):
        def __init__(self):
            super().__init__(*arguments[0], **arguments[1])

    Model.call_super_init = call_super_init
    return outcome(lambda: getattr(Model(), "mixed", "mixin not called"))


@pytest.mark.parametrize("call_super_init", [True, False])
@pytest.mark.parametrize("arguments", [((), {}), ((1,), {"x": 3}), ((), {"x": 3}), ((1, 2), {})])
def test_call_super_init_passes_the_arguments_on_in_the_mro(call_super_init, arguments):
    same_in_both(lambda lib: record_cooperative_init(lib, call_super_init, arguments))


# ---------------------------------------------------------------- modules pickled by older versions

OLD_PICKLES = [
    (lambda lib: lib.nn.Softmax(1), ["dim"], lambda lib, m: m(lib.ones(2, 3))),
    (lambda lib: lib.nn.LogSoftmax(1), ["dim"], lambda lib, m: m(lib.ones(2, 3))),
    (lambda lib: lib.nn.Softmin(1), ["dim"], lambda lib, m: m(lib.ones(2, 3))),
    (lambda lib: lib.nn.Conv2d(1, 1, 3), ["padding_mode"], lambda lib, m: m(lib.ones(1, 1, 4, 4))),
    (lambda lib: lib.nn.AvgPool3d(2), ["padding", "ceil_mode", "count_include_pad"],
     lambda lib, m: m(lib.ones(1, 1, 4, 4, 4))),
    (lambda lib: lib.nn.MultiheadAttention(4, 2), ["_qkv_same_embed_dim"],
     lambda lib, m: m(*[lib.ones(3, 1, 4)] * 3)[0]),
    (lambda lib: lib.nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0), ["activation"],
     lambda lib, m: m(lib.ones(3, 1, 4))),
    (lambda lib: lib.nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0), ["activation"],
     lambda lib, m: m(lib.ones(3, 1, 4), lib.ones(3, 1, 4))),
    (lambda lib: lib.nn.LSTM(2, 3), ["proj_size"], lambda lib, m: m(lib.ones(4, 1, 2))[0]),
]


@pytest.mark.parametrize("make,missing,call", OLD_PICKLES)
def test_layers_pickled_before_an_attribute_existed_get_pytorchs_default(make, missing, call):
    def record(lib):
        model = make(lib)
        state = {k: v for k, v in model.__getstate__().items() if k not in missing}
        revived = type(model).__new__(type(model))
        revived.__setstate__(state)
        defaults = [getattr(revived, name) for name in missing if name != "activation"]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            shape = tuple(call(lib, revived).shape)
        return defaults, [name in revived.__dict__ for name in missing], shape, [w.category.__name__ for w in caught]

    same_in_both(record)
