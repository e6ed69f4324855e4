"""vmap34 parity regressions: torch.func.vmap's layouts of expanded, sliced and size-1 inputs, batch_norm's and
clone's batching rules, index_put and assignments through batched indices, and func's one pytree (OrderedDict,
defaultdict, dict subclasses, named tuples). Compared with torch at run time; the values also against NumPy
loops over the samples, and a few layouts against strides worked out from TensorIterator's rules."""
import collections
import subprocess
import sys

import numpy as np
import pytest

import torchless

_RNG = np.random.default_rng(34)
_VALUES = _RNG.standard_normal((3, 4, 5)).astype(np.float32)
_WIDE = _RNG.standard_normal((3, 4, 10)).astype(np.float32)


def _input(lib, kind):
    """The (3, 4, 5) input laid out as ``kind``: expanded from its first row (strides (0, 5, 1)), a slice of every
    other element of a wider tensor (strides (40, 10, 2)), or contiguous."""
    if kind == "expanded":
        return lib.tensor(_VALUES[:1]).expand(3, 4, 5)
    if kind == "sliced":
        return lib.tensor(_WIDE)[..., ::2]
    return lib.tensor(_VALUES)


def _array(kind):
    return {"expanded": np.broadcast_to(_VALUES[:1], (3, 4, 5)), "sliced": _WIDE[..., ::2]}.get(kind, _VALUES)


def _looped(function, array, in_dim, out_dim):
    """The NumPy reference: ``function`` of each sample along ``in_dim``, stacked at ``out_dim``."""
    return np.stack([function(np.take(array, i, axis=in_dim)) for i in range(array.shape[in_dim])], axis=out_dim)


def _layout(result):
    return tuple(result.shape), result.stride()


_UNARY = {"neg": (lambda a: -a, np.negative), "exp": (lambda a: a.exp(), np.exp),
          "relu": (lambda a: a.relu(), lambda a: np.maximum(a, 0)),
          "sigmoid": (lambda a: a.sigmoid(), lambda a: 1 / (1 + np.exp(-a))),
          "clone": (lambda a: a.clone(), np.copy), "double": (lambda a: a.double(), lambda a: a.astype(np.float64))}
_BINARY = {"add_scalar": (lambda a: a + 1, lambda a: a + 1), "mul_self": (lambda a: a * a, lambda a: a * a),
           "flip": (lambda a: a.flip(0), lambda a: a[::-1]),
           "sort": (lambda a: a.sort(-1)[0], lambda a: np.sort(a, -1))}


@pytest.mark.parametrize("name", sorted(_UNARY) + sorted(_BINARY))
@pytest.mark.parametrize("kind", ["expanded", "sliced"])
@pytest.mark.parametrize("in_dims", [0, 1])
@pytest.mark.parametrize("out_dims", [0, 1])
def test_vmap_of_non_dense_inputs_laid_out_as_pytorchs(name, kind, in_dims, out_dims):
    torch = pytest.importorskip("torch")
    function, reference = {**_UNARY, **_BINARY}[name]
    ours = torchless.func.vmap(function, in_dims=in_dims, out_dims=out_dims)(_input(torchless, kind))
    theirs = torch.func.vmap(function, in_dims=in_dims, out_dims=out_dims)(_input(torch, kind))
    assert _layout(ours) == (tuple(theirs.shape), theirs.stride())
    np.testing.assert_allclose(ours.numpy(), _looped(reference, _array(kind), in_dims, out_dims), rtol=1e-6)


def _negated(a):
    return -a


@pytest.mark.parametrize("in_dims, out_dims, unary, binary", [
    # the physical input (3, 4, 5) of strides (0, 5, 1): a unary rule runs on it as it lies (TensorIterator leaves
    # the broadcast dim in C order: a contiguous result, the batch at in_dims), a binary rule on it with the batch
    # moved to the front, strides (5, 0, 1), which C order lays out with the batch outermost
    (1, 0, (5, 20, 1), (15, 5, 1)),
    (1, 1, (20, 5, 1), (5, 15, 1)),
    (-1, 0, (1, 20, 5), None),
])
def test_vmap_of_an_expanded_input_strides_from_tensor_iterators_rules(in_dims, out_dims, unary, binary):
    x = _input(torchless, "expanded")
    assert torchless.func.vmap(_negated, in_dims=in_dims, out_dims=out_dims)(x).stride() == unary
    if binary is not None:
        assert torchless.func.vmap(lambda a: a + 1, in_dims=in_dims, out_dims=out_dims)(x).stride() == binary


@pytest.mark.parametrize("in_dims", [0, 1, 2, 3])
@pytest.mark.parametrize("stats", ["running", "batch", "affine"])
def test_vmap_batch_norm_puts_the_batch_after_the_samples_first_dim(in_dims, stats):
    torch = pytest.importorskip("torch")

    def run(lib):
        F = lib.nn.functional
        x = lib.arange(120.).reshape(3, 4, 5, 2) / 7
        if stats == "running":
            f = lambda a: F.batch_norm(a, lib.zeros(a.shape[1]) + 1, lib.ones(a.shape[1]) * 2)
        elif stats == "batch":
            f = lambda a: F.batch_norm(a, None, None, training=True)
        else:
            f = lambda a: F.batch_norm(a, None, None, lib.ones(a.shape[1]) * 3, lib.ones(a.shape[1]), training=True)
        return lib.func.vmap(f, in_dims=in_dims)(x)

    ours, theirs = run(torchless), run(torch)
    assert _layout(ours) == (tuple(theirs.shape), theirs.stride())
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


def test_vmap_batch_norm_values_against_the_formula():
    x = np.arange(120.).reshape(3, 4, 5, 2) / 7
    ours = torchless.func.vmap(lambda a: torchless.nn.functional.batch_norm(a, None, None, training=True),
                               in_dims=1)(torchless.tensor(x, dtype=torchless.float64))

    def normalized(sample):  # (each channel over the sample's batch and length, biased variance)
        mean = sample.mean(axis=(0, 2), keepdims=True)
        return (sample - mean) / np.sqrt(sample.var(axis=(0, 2), keepdims=True) + 1e-5)

    np.testing.assert_allclose(ours.numpy(), _looped(normalized, x, 1, 0), rtol=1e-10)
    assert ours.stride() == (10, 40, 2, 1)  # (the physical (3, 4, 5, 2): the batch of 4 after the samples' dim 0)


@pytest.mark.parametrize("shape, kind, in_dims", [
    ((3, 1, 5), "contiguous", -1), ((3, 1, 5), "transposed", 0), ((3, 1, 5), "transposed", -1),
    ((1, 4, 5), "contiguous", 1), ((1, 4, 5), "transposed", 2), ((3, 1, 5), "transposed", 1)])
@pytest.mark.parametrize("name", ["neg", "exp", "clone", "mul_self"])
@pytest.mark.parametrize("out_dims", [0, 1])
def test_vmap_strides_of_size_one_dims(shape, kind, in_dims, name, out_dims):
    torch = pytest.importorskip("torch")
    values = np.arange(np.prod(shape), dtype=np.float32).reshape(shape) / 10

    def run(lib):
        x = lib.tensor(values)
        if kind == "transposed":
            x = lib.tensor(np.ascontiguousarray(np.swapaxes(values, 0, -1))).transpose(0, -1)
        return lib.func.vmap({**_UNARY, **_BINARY}[name][0], in_dims=in_dims, out_dims=out_dims)(x)

    ours, theirs = run(torchless), run(torch)
    assert _layout(ours) == (tuple(theirs.shape), theirs.stride())
    reference = {**_UNARY, **_BINARY}[name][1]
    np.testing.assert_allclose(ours.numpy(), _looped(reference, values, in_dims, out_dims), rtol=1e-6)


def test_vmap_size_one_dim_strides_against_the_inputs_layout():
    # a contiguous (3, 1, 5) mapped over its last dim: the physical result is the input's layout, (5, 5, 1), so
    # the batch moved to the front has stride 1 and the size-1 dim keeps stride 5
    result = torchless.func.vmap(_negated, in_dims=-1)(torchless.ones(3, 1, 5))
    assert _layout(result) == ((5, 3, 1), (1, 5, 5))


@pytest.mark.parametrize("memory_format", ["contiguous_format", "preserve_format"])
@pytest.mark.parametrize("kind", ["contiguous", "transposed"])
@pytest.mark.parametrize("in_dims", [0, 1, -1])
def test_vmap_clone_with_a_memory_format(memory_format, kind, in_dims):
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.tensor(_VALUES)
        if kind == "transposed":
            x = lib.tensor(np.ascontiguousarray(np.swapaxes(_VALUES, 0, -1))).transpose(0, -1)
        return lib.func.vmap(lambda a: a.clone(memory_format=getattr(lib, memory_format)), in_dims=in_dims)(x)

    ours, theirs = run(torchless), run(torch)
    assert _layout(ours) == (tuple(theirs.shape), theirs.stride())
    np.testing.assert_array_equal(ours.numpy(), np.moveaxis(_VALUES, in_dims, 0))


_INDICES = np.array([[2, 0, 1], [1, 1, 0], [0, 2, 2]])


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("index_dims", [0, 1])
def test_vmap_index_put_of_an_unbatched_tensor_at_batched_indices(accumulate, index_dims):
    torch = pytest.importorskip("torch")
    table = _VALUES[0]

    def run(lib):
        indices = lib.tensor(_INDICES if index_dims == 0 else _INDICES.T.copy())
        return lib.func.vmap(lambda x, i: x.index_put((i,), lib.tensor(7.), accumulate=accumulate),
                             in_dims=(None, index_dims))(lib.tensor(table), indices)

    ours, theirs = run(torchless), run(torch)
    assert _layout(ours) == (tuple(theirs.shape), theirs.stride())

    def written(index):
        out = table.copy()
        if accumulate:
            np.add.at(out, index, 7.)
        else:
            out[index] = 7.
        return out

    np.testing.assert_allclose(ours.numpy(), np.stack([written(index) for index in _INDICES]), rtol=1e-6)


def _assign_through_batched_indices(lib):
    def assign(x, i):
        y = x.clone()
        y[i] = 3.
        return y

    try:
        lib.func.vmap(assign, in_dims=(None, 0))(lib.ones(4, 3), lib.tensor(_INDICES))
    except RuntimeError as error:
        return str(error)
    return None


def test_vmap_assigning_through_batched_indices_into_an_unbatched_tensor_is_refused():
    message = _assign_through_batched_indices(torchless)
    assert message is not None and message.startswith("vmap: index_put_(self, *extra_args) is not possible")
    torch = pytest.importorskip("torch")
    assert message == _assign_through_batched_indices(torch)


def test_vmap_assigning_batched_values_at_batched_indices_into_a_batched_copy():
    def assign(x, i):
        y = x.clone()
        y[i] = x[0] * 2
        return y

    x = _VALUES[:, :, :3]
    ours = torchless.func.vmap(assign)(torchless.tensor(x), torchless.tensor(_INDICES))
    expected = x.copy()
    for sample, index in zip(expected, _INDICES):
        sample[index] = sample[0] * 2
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-6)


_Pair = collections.namedtuple("_Pair", "a b")


class _Dict(dict):
    pass


_PYTREE_CASES = {
    "ordered_dict": lambda lib, x: type(lib.func.vmap(lambda d: collections.OrderedDict(k=d["k"] * 2))(
        collections.OrderedDict(k=x))).__name__,
    "defaultdict": lambda lib, x: lib.func.vmap(lambda a: collections.defaultdict(list, k=a))(x).default_factory,
    "dict_subclass_is_a_leaf": lambda lib, x: lib.func.vmap(lambda d: d["k"])(_Dict(k=x)),
    "named_tuple_spec": lambda lib, x: lib.func.vmap(lambda p: p.a, in_dims=((0, None),))(_Pair(x, x)),
    "named_tuple_in_dims": lambda lib, x: lib.func.vmap(lambda p: p.a, in_dims=(_Pair(0, 0),))((x, x)),
    "jacrev_ordered_dict": lambda lib, x: type(lib.func.jacrev(lambda d: d["k"].sum())(
        collections.OrderedDict(k=x))).__name__,
    "shape_output": lambda lib, x: lib.func.vmap(lambda a: a.shape)(x),
}


def _pytree_outcome(lib, case):
    try:
        return _PYTREE_CASES[case](lib, lib.ones(2, 3))
    except Exception as error:  # (the outcome compared is the error's type and text)
        return type(error).__name__, str(error).replace(lib.__name__, "<lib>")


@pytest.mark.parametrize("case", sorted(_PYTREE_CASES))
def test_func_pytrees_as_pytorchs(case):
    torch = pytest.importorskip("torch")
    assert _pytree_outcome(torchless, case) == _pytree_outcome(torch, case)


def test_func_pytrees_keep_container_types():
    assert _pytree_outcome(torchless, "ordered_dict") == "OrderedDict"
    assert _pytree_outcome(torchless, "jacrev_ordered_dict") == "OrderedDict"
    assert _pytree_outcome(torchless, "defaultdict") is list
    kind, message = _pytree_outcome(torchless, "dict_subclass_is_a_leaf")
    assert kind == "ValueError" and "the input is of type <class" in message and "_Dict'>" in message
    kind, message = _pytree_outcome(torchless, "named_tuple_spec")
    assert "TreeSpec(namedtuple, <class" in message


def test_func_has_one_pytree():
    from torchless.utils import _pytree

    assert not hasattr(torchless.func, "_pytree")
    leaves, spec = _pytree.tree_flatten(((1, 2), {"k": 3}))
    assert _pytree._broadcast_to_and_flatten((0, None), spec) == [0, 0, None]
    assert _pytree._broadcast_to_and_flatten((0, None, 1), spec) is None
    assert _pytree._broadcast_to_and_flatten(5, spec) == [5, 5, 5]


def test_vmap_layout_fixes_under_python_oo():
    code = ("import torchless; x = torchless.ones(1, 4, 5).expand(3, 4, 5); "
            "print(torchless.func.vmap(lambda a: a.exp(), in_dims=1)(x).stride())")
    out = subprocess.run([sys.executable, "-OO", "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "(5, 20, 1)"


def _glu_error(lib, nested):
    def function(a):
        return lib.nn.functional.glu(a, 0)

    mapped = lib.func.vmap(lib.func.vmap(function), in_dims=1) if nested else lib.func.vmap(function, in_dims=1)
    try:
        mapped(lib.ones(2, 4, 3, 5) if nested else lib.ones(3, 4, 5))
    except RuntimeError as error:
        return str(error)
    return None


@pytest.mark.parametrize("nested, dim", [(False, 1), (True, 2)])
def test_vmap_glu_error_names_the_batched_tensors_dim(nested, dim):
    # (PyTorch's rule runs glu on the batched tensor, one batch dim in front per vmap call)
    assert _glu_error(torchless, nested) == f"Halving dimension must be even, but dimension {dim} is size 3"
    torch = pytest.importorskip("torch")
    assert _glu_error(torchless, nested) == _glu_error(torch, nested)


_KEYS = {"i": lambda i: i, "slice_i": lambda i: (slice(None), i), "ellipsis_i": lambda i: (Ellipsis, i),
         "i_i": lambda i: (i, i), "i_slice_i": lambda i: (i, slice(None), i)}


@pytest.mark.parametrize("key", sorted(_KEYS))
@pytest.mark.parametrize("index_dims", [0, 1])
@pytest.mark.parametrize("out_dims", [0, 1])
def test_vmap_a_captured_table_read_at_batched_indices(key, index_dims, out_dims):
    torch = pytest.importorskip("torch")
    table = _RNG.standard_normal((3, 4, 3)).astype(np.float32)

    def run(lib):
        indices = lib.tensor(_INDICES if index_dims == 0 else _INDICES.T.copy())
        return lib.func.vmap(lambda i: lib.tensor(table)[_KEYS[key](i)], in_dims=index_dims,
                             out_dims=out_dims)(indices)

    ours, theirs = run(torchless), run(torch)
    assert _layout(ours) == (tuple(theirs.shape), theirs.stride())
    expected = np.stack([table[_KEYS[key](index)] for index in _INDICES], axis=out_dims)
    np.testing.assert_array_equal(ours.numpy(), expected)


def _one_hot_outcome(lib, in_dims, num_classes, add):
    indices = lib.tensor([[2, 0, 1], [1, 1, 0]])
    try:
        result = lib.func.vmap(lambda a: lib.nn.functional.one_hot(a, num_classes) + add(lib), in_dims=in_dims)(
            indices)
    except RuntimeError as error:
        return str(error)
    return _layout(result), result.numpy().tolist()


@pytest.mark.parametrize("in_dims", [0, 1])
@pytest.mark.parametrize("num_classes, add", [(4, lambda lib: 0), (-1, lambda lib: 0),
                                              (4, lambda lib: lib.ones(3, dtype=lib.long))])
def test_vmap_one_hot_of_batched_indices(in_dims, num_classes, add):
    torch = pytest.importorskip("torch")
    assert _one_hot_outcome(torchless, in_dims, num_classes, add) == _one_hot_outcome(torch, in_dims, num_classes, add)


def test_vmap_one_hot_values_and_layout():
    layout, values = _one_hot_outcome(torchless, 1, 4, lambda lib: 0)
    assert layout == ((3, 2, 4), (4, 12, 1))  # (the batch where the indices' memory has it: inside their dim 0)
    assert values == np.eye(4, dtype=int)[np.array([[2, 0, 1], [1, 1, 0]]).T].tolist()
    assert _one_hot_outcome(torchless, 0, -1, lambda lib: 0).startswith("When vmap-ing torch.nn.functional.one_hot")


_MASKS = {"mask": lambda lib: (lib.tensor([True, False]),), "mask_2d": lambda lib: (lib.tensor([[True] * 5] * 2),),
          "int_then_mask": lambda lib: (0, lib.tensor([True])), "ellipsis_mask": lambda lib: (..., lib.tensor([True]))}


def _mask_error(lib, key, in_dims, nested):
    def function(a):
        return a[_MASKS[key](lib)]

    try:
        if nested:
            lib.func.vmap(lib.func.vmap(function), in_dims=in_dims)(lib.ones(2, 3, 4, 5))
        else:
            lib.func.vmap(function, in_dims=in_dims)(lib.ones(3, 4, 5))
    except IndexError as error:
        return str(error)
    return None


@pytest.mark.parametrize("key", sorted(_MASKS))
@pytest.mark.parametrize("in_dims, nested", [(0, False), (1, False), (0, True)])
def test_vmap_mask_shape_errors_name_the_batched_tensor(key, in_dims, nested):
    torch = pytest.importorskip("torch")
    assert _mask_error(torchless, key, in_dims, nested) == _mask_error(torch, key, in_dims, nested)


def test_vmap_mask_shape_error_counts_the_batch_dims():
    # (the batch of 4 in front of the (3, 5) samples, the mask indexing after it)
    assert _mask_error(torchless, "mask", 1, False) == ("The shape of the mask [2] at index 0 does not match the shape "
                                                         "of the indexed tensor [4, 3, 5] at index 1")


@pytest.mark.parametrize("dim", [0, 1])
def test_func_grad_of_cumsum_has_no_negative_strides(dim):
    x = np.arange(12.).reshape(3, 4)
    ours = torchless.func.grad(lambda a: a.cumsum(dim).sum())(torchless.tensor(x))
    assert all(stride > 0 for stride in ours.stride())
    # (each element reaches the running sums from it to the end of its dim)
    expected = np.broadcast_to(np.arange(x.shape[dim], 0, -1.).reshape((-1, 1) if dim == 0 else (1, -1)), x.shape)
    np.testing.assert_array_equal(ours.numpy(), expected)
    torch = pytest.importorskip("torch")
    theirs = torch.func.grad(lambda a: a.cumsum(dim).sum())(torch.tensor(x))
    assert ours.stride() == theirs.stride()
