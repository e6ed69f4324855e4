"""nn.Module API and nn.init as PyTorch 2.13 runs them (session 21): each scenario runs on torch and on torchless and
records what it sees (values, versions, warnings, exceptions); the records must be equal, torchless's names read as
torch's.

* nn.init: kaiming_uniform_ / xavier_uniform_ round their bounds as PyTorch does (sqrt(3) * std: float64 values were
  a few ulps off); orthogonal_ multiplies by the gain in the tensor's dtype; the version counter moves as PyTorch's
  in-place ops move it (trunc_normal_'s copy after a redraw, orthogonal_'s copy and mul_, dirac_'s and sparse_'s
  indexed writes); trunc_normal_ on float16 draws no NumPy warning for a uniform of 0; PyTorch's private helpers
  (_no_grad_uniform_, ...) exist; constant_ / ones_ / zeros_ / eye_ / dirac_ / orthogonal_ / sparse_ fail on a
  non-tensor with PyTorch's AttributeError.
* get_submodule / get_parameter / get_buffer / set_submodule: only "" is the module itself; PyTorch's order of errors.
* Parameter / UninitializedParameter / UninitializedBuffer: requires_grad must be a Python bool (a TypeError).
* A module whose __init__ skips Module.__init__: PyTorch's AttributeError, not a KeyError.
* Module._call_impl / _wrapped_call_impl; the __all__ of nn.modules.*, nn.init, nn.parameter, nn.utils; vars(module)
  in PyTorch's order (PReLU).
"""
import importlib
import warnings

import numpy as np
import pytest

import torchless
from helpers import outcome_named_as_torch as outcome, same_in_both

torch = pytest.importorskip("torch")

LIBRARIES = (torch, torchless)


def caught_warnings(call):
    """(call's outcome, the warnings it raised as (category, message))."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = outcome(call)
    return result, [(w.category.__name__, str(w.message)) for w in caught]


# ---------------------------------------------------------------- nn.init


@pytest.mark.parametrize("shape", [(3, 5), (7, 3, 2), (16, 8, 3, 3), (5, 5, 5), (128, 3, 7, 7)])
@pytest.mark.parametrize("init", ["kaiming_uniform_(t)", "kaiming_uniform_(t, a=5 ** 0.5)",
                                  "kaiming_uniform_(t, mode='fan_out', nonlinearity='tanh')", "xavier_uniform_(t)",
                                  "xavier_uniform_(t, gain=1.7)"])
def test_uniform_initializers_round_their_bounds_as_pytorch(shape, init):
    def record(lib):
        lib.manual_seed(5)
        t = lib.empty(shape, dtype=lib.float64)
        eval(f"lib.nn.init.{init}")  # noqa: S307 - a fixed expression of the test
        return t.flatten().tolist()

    same_in_both(record)


@pytest.mark.parametrize("init", ["trunc_normal_(t)", "trunc_normal_(t, std=0.02)", "trunc_normal_(t, a=-5, b=5)",
                                  "trunc_normal_(t, a=-0.1, b=0.1)", "orthogonal_(t)", "orthogonal_(t, gain=0.5)",
                                  "dirac_(t)", "dirac_(t, 2)", "sparse_(t.view(t.shape[0], -1), 0.3)", "eye_(t[0, 0])",
                                  "constant_(t, 2)", "ones_(t)", "zeros_(t)", "uniform_(t)", "normal_(t)",
                                  "xavier_normal_(t)", "kaiming_uniform_(t)"])
@pytest.mark.parametrize("shape", [(2, 2, 3, 3), (4, 2, 1, 5), (6, 1, 1, 1)])
def test_initializers_move_the_version_counter_as_pytorch(init, shape):
    # one version per in-place op PyTorch's function runs (a copy after a redraw, one write per sparse column, ...)
    def record(lib):
        lib.manual_seed(1)
        t = lib.empty(shape)
        result = outcome(lambda: eval(f"lib.nn.init.{init}", {"lib": lib, "t": t}))  # noqa: S307
        assert isinstance(result, lib.Tensor), result
        return t._version

    same_in_both(record)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("gain", [1, 2, 1.7, 0.3])
def test_orthogonal_gain_is_applied_in_the_tensors_dtype(dtype, gain):
    # PyTorch copies q in and multiplies the tensor by the gain: the gain's rounding is the tensor dtype's. (Its
    # float32 QR runs in single precision, torchless's in double: the two q agree to a few float32 ulps.)
    results = {}
    for lib in LIBRARIES:
        lib.manual_seed(2)
        t = lib.empty(6, 4, dtype=getattr(lib, dtype))
        lib.nn.init.orthogonal_(t, gain=gain)
        unit = lib.empty(6, 4, dtype=getattr(lib, dtype))
        lib.manual_seed(2)
        lib.nn.init.orthogonal_(unit)
        results[lib] = t.numpy(), unit.numpy()
    ours, ours_unit = results[torchless]
    theirs, theirs_unit = results[torch]
    np.testing.assert_array_equal(ours, ours_unit * ours_unit.dtype.type(gain))
    np.testing.assert_array_equal(theirs, theirs_unit * theirs_unit.dtype.type(gain))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=4 * np.finfo(ours.dtype).eps * max(gain, 1))


def test_trunc_normal_of_float16_warns_only_as_pytorch():
    # float16 uniforms are often exactly 0: log(0) = -inf accepts the candidate, with no NumPy RuntimeWarning
    def record(lib):
        lib.manual_seed(3)
        t = lib.empty((4, 2, 3, 3), dtype=lib.float16)
        result, caught = caught_warnings(lambda: lib.nn.init.trunc_normal_(t, mean=5, std=1, a=-2, b=2))
        return t.flatten().tolist(), caught

    values, caught = same_in_both(record)
    assert [category for category, _ in caught] == ["UserWarning"]


@pytest.mark.parametrize("helper, args", [("_no_grad_uniform_", (-1.0, 2.0)), ("_no_grad_normal_", (0.5, 2.0)),
                                          ("_no_grad_trunc_normal_", (0.0, 1.0, -0.5, 0.5)),
                                          ("_no_grad_fill_", (3.0,)), ("_no_grad_zero_", ())])
def test_pytorchs_private_init_helpers_exist(helper, args):
    # other libraries import them (``from torch.nn.init import _no_grad_trunc_normal_``)
    def record(lib):
        lib.manual_seed(4)
        t = lib.empty(3, 4, requires_grad=True)
        result = getattr(lib.nn.init, helper)(t, *args)
        return result is t, t.grad_fn is None, t._version, t.detach().flatten().tolist()

    same_in_both(record)


@pytest.mark.parametrize("init", ["constant_(t, 0.3)", "ones_(t)", "zeros_(t)", "eye_(t)", "dirac_(t)",
                                  "orthogonal_(t)", "sparse_(t, 0.5)", "uniform_(t)", "normal_(t)"])
def test_initializers_of_a_non_tensor_fail_as_pytorch(init):
    same_in_both(lambda lib: outcome(lambda: eval(f"lib.nn.init.{init}", {"lib": lib, "t": [1.0]})))  # noqa: S307


# ---------------------------------------------------------------- dotted-path lookups


def nested_model(lib):
    model = lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.Sequential(lib.nn.BatchNorm2d(2), lib.nn.ReLU()))
    model.register_buffer("scale", lib.ones(1))
    return model


@pytest.mark.parametrize("target", [None, 0, 1, 3.5, False, b"", ["1"], "1..0", "1.0.", "", "1.0"])
@pytest.mark.parametrize("lookup", ["get_submodule(target)", "get_parameter(target)", "get_buffer(target)",
                                    "set_submodule(target, lib.nn.Tanh())", "set_submodule(target, 3)",
                                    "set_submodule(target, None, True)"])
def test_dotted_path_lookups_fail_as_pytorch(target, lookup):
    # a falsy target that is not "" (None, 0) is no path to the module itself; the target is split before the module
    # is checked
    def record(lib):
        model = nested_model(lib)
        result = outcome(lambda: eval(f"model.{lookup}", {"model": model, "lib": lib, "target": target}))  # noqa: S307
        return type(result).__name__ if not isinstance(result, tuple) else result, [n for n, _ in model.named_modules()]

    same_in_both(record)


# ---------------------------------------------------------------- Parameter


@pytest.mark.parametrize("requires_grad", [1, 0, 1.0, None, "x", np.True_, "tensor", True, False])
@pytest.mark.parametrize("make", ["Parameter(lib.ones(2), requires_grad)", "Parameter(lib.arange(2), requires_grad)",
                                  "parameter.UninitializedParameter(requires_grad)",
                                  "parameter.UninitializedBuffer(requires_grad)"])
def test_parameter_requires_grad_is_a_python_bool(requires_grad, make):
    # PyTorch's Tensor._make_subclass parses it: TypeError for anything but a bool (its name for the argument)
    def record(lib):
        flag = lib.tensor(True) if requires_grad == "tensor" else requires_grad
        made = outcome(lambda: eval(f"lib.nn.{make}", {"lib": lib, "requires_grad": flag}))  # noqa: S307
        return made if isinstance(made, tuple) else (type(made).__name__, made.requires_grad)

    same_in_both(record)


# ---------------------------------------------------------------- a module whose __init__ skips Module's


@pytest.mark.parametrize("use", ["list(m.parameters())", "list(m.named_buffers())", "m.zero_grad()",
                                 "m.requires_grad_()", "delattr(m, 'weight')", "list(m.named_modules())",
                                 "m.state_dict()", "repr(m)"])
def test_a_module_without_module_init_fails_with_pytorchs_attribute_error(use):
    def record(lib):
        class Forgetful(lib.nn.Module):
            def __init__(self):  # no super().__init__()
                pass

        return outcome(lambda: eval(use, {"m": Forgetful()}))  # noqa: S307 - a fixed expression of the test

    same_in_both(record)


def test_pytorchs_names_of_the_module_call_exist():
    # libraries call module._call_impl(...) / _wrapped_call_impl(...) to run a module with its hooks
    def record(lib):
        linear = lib.nn.Linear(2, 1)
        seen = []
        linear.register_forward_hook(lambda module, args, output: seen.append(tuple(output.shape)))
        x = lib.ones(3, 2)
        linear._call_impl(x)
        linear._wrapped_call_impl(x)
        return seen, lib.nn.Module._compiled_call_impl

    assert same_in_both(record)[0] == [(3, 1), (3, 1)]


STAR_IMPORTED = ["nn.modules.module", "nn.modules.activation", "nn.modules.adaptive", "nn.modules.batchnorm",
                 "nn.modules.container", "nn.modules.conv", "nn.modules.distance", "nn.modules.dropout",
                 "nn.modules.flatten", "nn.modules.fold", "nn.modules.instancenorm", "nn.modules.linear",
                 "nn.modules.loss", "nn.modules.normalization", "nn.modules.padding", "nn.modules.pooling",
                 "nn.modules.sparse", "nn.init", "nn.parameter", "nn.utils", "nn.utils.clip_grad"]


@pytest.mark.parametrize("name", STAR_IMPORTED)
def test_star_imports_give_pytorchs_names(name):
    # PyTorch's __all__: Module and the register_module_* functions, the layers of each file, nn.init's functions
    theirs = importlib.import_module(f"torch.{name}").__all__
    assert sorted(importlib.import_module(f"torchless.{name}").__all__) == sorted(theirs)
    namespace = {}
    exec(f"from torchless.{name} import *", namespace)  # noqa: S102 - the import under test
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(theirs)


@pytest.mark.parametrize("make", ["PReLU()", "PReLU(3, 0.1)", "Conv2d(1, 2, 3)", "BatchNorm2d(3)", "Linear(1, 2)",
                                  "LazyLinear(2)", "Upsample(scale_factor=2)", "MaxPool2d(2)", "GroupNorm(1, 2)"])
def test_instance_attributes_in_pytorchs_order(make):
    # vars(module) (what pickles and __dict__ show) lists the attributes in the order PyTorch's __init__ sets them
    same_in_both(lambda lib: list(vars(eval(f"lib.nn.{make}", {"lib": lib}))))  # noqa: S307


def test_load_state_dict_result_type_lives_where_pytorchs_does():
    def record(lib):
        result = lib.nn.Linear(1, 1).load_state_dict({}, strict=False)
        import pickle

        return ([f"{c.__module__}.{c.__qualname__}".replace("torchless", "torch") for c in type(result).__mro__],
                repr(pickle.loads(pickle.dumps(result))))

    same_in_both(record)


@pytest.mark.parametrize("method", ["state_dict", "load_state_dict", "train", "to", "named_modules", "get_submodule",
                                    "register_forward_hook", "__repr__", "extra_repr", "__call__", "register_buffer"])
def test_module_functions_name_pytorchs_module_and_pickle(method):
    # every method of Module says it is torch.nn.modules.module's, and pickles by reference (as in multiprocessing)
    import pickle

    def record(lib):
        function = getattr(lib.nn.Module, method)
        return function.__module__.replace("torchless", "torch"), pickle.loads(pickle.dumps(function)) is function

    assert same_in_both(record)[1]
