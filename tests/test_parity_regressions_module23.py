"""nn.Module mechanics as PyTorch 2.13 runs them: containers' deletions, the unimplemented forward, the repr of
Tensor and Parameter subclasses, Module's class attributes. Each scenario runs on torch and on torchless and records
what it sees; the records must be equal (torchless's names read as torch's)."""
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
