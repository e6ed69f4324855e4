"""Differences from PyTorch 2.13 found by the twenty-second differential fuzz of the Tensor API, each compared with
torch.

* casts: a float64 tensor converts to uint8 through int64, wrapping values beyond 255 (also under to(memory_format=));
* printing: set_printoptions(edgeitems=0) names the size and summarises to "...";
* fill values: a complex64 fill refuses a finite part beyond float32's range, a float16 element written directly
  names double for a complex number, index_fill refuses a complex number into a real tensor;
* indexing: an index tensor of a refused dtype (float, int8, int16) fails only after the count of dims and the ints
  and slices before and after it, which PyTorch checks first; a str or a float in the key fails in its turn among
  them; t[key] = value checks the value's shape against the result before the index values' range;
* reductions and views, errors in PyTorch's order and words: max/min/amax/amin/aminmax/nansum/nanmean of a complex
  tensor check the dim and an empty reduction before refusing the dtype (amax/amin of an empty complex tensor give
  the empty result); sum/mean/amax/amin/logsumexp/count_nonzero/any/all check every dim's range before repeated
  ones; select names the normalised dim, the empty-norm error the dim as given; split_with_sizes of a 0-d tensor;
  nanmean takes a complex dtype= (nansum's kernel then refuses it) and refuses a complex input whatever dtype=;
* a complex tensor cast to a real dtype with size-1 dims has the strides of a new tensor (was its real part's);
* creation: arange reads a complex bound by its real part (refused with an imaginary one), randint / randint_like /
  random_ refuse complex dtypes with PyTorch's message, randperm too, randint a float range beyond a float dtype's;
  a complex dtype refuses data that is no number as "must be real number"; data_ptr() of an empty tensor is 0;
* clamp of a real tensor by complex numbers: a float tensor's reads them as doubles (refused with an imaginary part),
  an integer or bool tensor's and clamp_min / clamp_max refuse complex types, clamp_ of an integer tensor cannot
  cast the complex result;
* in place: lerp_ into a leaf requiring grad (or a view of one) refuses the leaf before an operand's shape, and
  checks the shapes of self, end and weight together (weight's clash was NumPy's ValueError).
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import outcome

torch = pytest.importorskip("torch")


def _same_values(theirs, ours):
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---------------------------------------------------------------------------- casts
OUT_OF_RANGE_DOUBLES = [6067851765.7, 4.308515941154889e17, -300.5, 300.5, 1e10, float("nan"), float("inf"), -1e19,
                        3e9, -3e9, 70000.0, -70000.0, 2**31 + 0.5, 255.9, -0.9]


@pytest.mark.parametrize("convert", [
    lambda lib, x: x.to(lib.uint8),
    lambda lib, x: x.byte(),
    lambda lib, x: x.type(lib.uint8),
    lambda lib, x: x.to(lib.complex128).to(lib.uint8),
    lambda lib, x: lib.zeros(len(OUT_OF_RANGE_DOUBLES), dtype=lib.uint8).copy_(x),
    lambda lib, x: x.reshape(1, 3, 5, 1).to(lib.uint8, memory_format=lib.channels_last),
    lambda lib, x: x.float().to(lib.uint8),
    lambda lib, x: x.to(lib.int8),
], ids=["to", "byte", "type", "complex", "copy_", "channels_last", "float32", "int8"])
def test_double_to_uint8_wraps_through_int64(convert):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, ours = (convert(lib, lib.tensor(OUT_OF_RANGE_DOUBLES, dtype=lib.float64)) for lib in (torch, torchless))
    _same_values(theirs, ours)


# ---------------------------------------------------------------------------- printing
@pytest.fixture
def restore_printoptions():
    yield
    for lib in (torch, torchless):
        lib.set_printoptions(profile="default")


@pytest.mark.parametrize("make", [
    lambda lib: lib.arange(6.0).reshape(2, 3),
    lambda lib: lib.tensor(1.5, dtype=lib.float64),
    lambda lib: lib.arange(5, dtype=lib.int8),
    lambda lib: lib.ones(3, 2, 2, 1, dtype=lib.bool),
    lambda lib: lib.arange(2000.0),
    lambda lib: lib.arange(2000.0).reshape(2, 10, 100),
    lambda lib: lib.arange(12.0).reshape(3, 4) * (1 + 1j),
    lambda lib: lib.zeros(0, 3),
    lambda lib: lib.ones(3, requires_grad=True).sum(),
])
@pytest.mark.parametrize("options", [{"edgeitems": 0}, {"edgeitems": 0, "threshold": 0, "linewidth": 10},
                                     {"edgeitems": 0, "threshold": 1000, "profile": "full"}])
def test_printing_without_edge_items(restore_printoptions, make, options):
    reprs = []
    for lib in (torch, torchless):
        lib.set_printoptions(**options)
        reprs.append(repr(make(lib)).replace("torch.", "torchless."))
    assert reprs[1] == reprs[0]


# ---------------------------------------------------------------------------- fill values
def _same_outcome(call):
    theirs, ours = (outcome(lambda lib=lib: call(lib)) for lib in (torch, torchless))
    if isinstance(theirs, tuple):
        assert ours == theirs
    else:
        _same_values(theirs, ours)


FILLS = {
    "fill_": lambda lib, x, v: x.fill_(v),
    "full": lambda lib, x, v: lib.full((2,), v, dtype=x.dtype),
    "full_like": lambda lib, x, v: lib.full_like(x, v),
    "new_full": lambda lib, x, v: x.new_full((2,), v),
    "masked_fill": lambda lib, x, v: x.masked_fill(lib.tensor([True, False]), v),
    "index_fill": lambda lib, x, v: x.index_fill(0, lib.tensor([0]), v),
    "where": lambda lib, x, v: lib.where(lib.tensor([True, False]), x, v),
    "scalar_tensor": lambda lib, x, v: lib.scalar_tensor(v, dtype=x.dtype),
    "setitem": lambda lib, x, v: x.__setitem__(0, v) or x,
    "setitem_mask": lambda lib, x, v: x.__setitem__(lib.tensor([True, False]), v) or x,
    "element_fill_": lambda lib, x, v: x[0].fill_(v),
}


@pytest.mark.parametrize("fill", FILLS.values(), ids=FILLS.keys())
@pytest.mark.parametrize("value", [1e40, -1e300, complex(1, 1e40), complex(float("inf"), 1e39), float("inf"),
                                   complex(float("nan"), 2.0), 3e38 + 0j, 2.5])
def test_complex64_fill_beyond_float32(fill, value):
    _same_outcome(lambda lib: fill(lib, lib.zeros(2, dtype=lib.complex64), value))


@pytest.mark.parametrize("fill", FILLS.values(), ids=FILLS.keys())
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("value", [1 + 2j, 1e5 + 0j, 3 + 0j])
def test_complex_fill_of_a_real_tensor(fill, dtype, value):
    if fill is FILLS["where"] and dtype == "float16":
        pytest.skip("float16 with a complex number promotes to complex32, which torchless lacks")
    _same_outcome(lambda lib: fill(lib, lib.zeros(2, dtype=getattr(lib, dtype)), value))


@pytest.mark.parametrize("call", [
    lambda lib, x: x.index_fill(0, lib.tensor([0.0]), 1j),
    lambda lib, x: x.index_fill(5, lib.tensor([0]), 1j),
    lambda lib, x: x.index_fill(0, lib.tensor([[0]]), 1j),
    lambda lib, x: x.index_fill(0, lib.tensor([7]), 1j),
    lambda lib, x: x.index_fill(0, lib.tensor([0]), lib.tensor(1j)),
    lambda lib, x: x.index_fill_(0, lib.tensor([0]), 1j),
    lambda lib, x: lib.index_fill(x.to(lib.complex64), 0, lib.tensor([0]), 1j),
])
def test_index_fill_checks_a_complex_value_after_the_index_dtype(call):
    _same_outcome(lambda lib: call(lib, lib.zeros(2, 3)))


# ---------------------------------------------------------------------------- indexing errors in PyTorch's order
REFUSED_INDEX_TENSORS = ["lib.tensor([0.0])", "lib.tensor([0], dtype=lib.int8)", "lib.tensor(1.5)",
                         "lib.tensor([[0, 1]], dtype=lib.int16)"]


@pytest.mark.parametrize("refused", REFUSED_INDEX_TENSORS)
@pytest.mark.parametrize("key", ["{t}, 0, 0", "{t}, ::2, None", "-2:-4:0, {t}", "{t}, 5", "{t}, ..., ::-1",
                                 "{t}", "None, {t}", "{t}, lib.tensor([0, 1])", "{t}, 'a'", "0, 'a', {t}",
                                 "7, {t}", "{t}, lib.tensor([True, False, True])"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (0, 3)])
@pytest.mark.parametrize("assign", [False, True], ids=["get", "set"])
def test_refused_index_dtype_after_basic_checks(refused, key, shape, assign):
    source = "x[" + key.format(t=refused) + "]" + (" = 1" if assign else "")

    def index(lib):
        x = lib.zeros(shape)
        namespace = {"lib": lib, "x": x}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(source, "<key>", "exec"), namespace)
        return x

    _same_outcome(index)


@pytest.mark.parametrize("key", ["2, -1, 'a'", "0:3:2, 'a'", "'a', 5", "0, 'a'", "..., 'a'"])
@pytest.mark.parametrize("assign", [False, True], ids=["get", "set"])
def test_str_in_a_key_fails_in_its_turn(key, assign):
    source = "x[" + key + "]" + (" = 1" if assign else "")

    def index(lib):
        x = lib.zeros(1, 0, 3)
        exec(compile(source, "<key>", "exec"), {"lib": lib, "x": x})
        return x

    _same_outcome(index)


# ---------------------------------------------------------------------------- reductions and views: errors
def _evaluated(source, setup):
    def call(lib):
        namespace = {"lib": lib}
        exec(setup, namespace)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return eval(source, namespace)
    return call


def _same_result(source, setup):
    theirs, ours = (outcome(lambda lib=lib: _evaluated(source, setup)(lib)) for lib in (torch, torchless))
    if isinstance(theirs, tuple) and isinstance(theirs[0], str) or not isinstance(theirs, (tuple, torch.Tensor)):
        assert ours == theirs  # an error's (type name, message), or a plain value
        return
    theirs, ours = (result if isinstance(result, tuple) else (result,) for result in (theirs, ours))
    assert len(ours) == len(theirs)
    for their_item, our_item in zip(theirs, ours):
        _same_values(their_item, our_item)


@pytest.mark.parametrize("call", ["max({})", "min({})", "amax({})", "amin({})", "nansum({})", "nanmean({})",
                                  "aminmax(dim={})", "max(dim={}, keepdim=True)", "amin({}, keepdim=True)"])
@pytest.mark.parametrize("dim", ["5", "1", "-1", "0", "(0, 0)", "(1, 5)", "(0,)", ""])
@pytest.mark.parametrize("shape", [(3, 0, 4), (3, 2, 4), (0, 2, 4)])
def test_complex_extrema_check_dims_first(call, dim, shape):
    if not dim and "dim=" in call:
        return
    if not dim.lstrip("-").isdigit() and call.startswith(("max", "min", "aminmax")):
        return
    _same_result("x." + call.format(dim), f"x = lib.zeros({shape}, dtype=lib.complex64)")


@pytest.mark.parametrize("name", ["sum", "mean", "count_nonzero", "amax", "amin", "logsumexp", "any", "all",
                                  "nansum", "std", "var"])
@pytest.mark.parametrize("dims", ["(-1, -1, -3)", "(0, 0, 5)", "(1, 1)", "[0, 5, 0]", "(-3, 1, 1)"])
def test_dim_lists_out_of_range_before_repeated(name, dims):
    _same_result(f"x.{name}({dims})", "x = lib.zeros(2, 3)")


@pytest.mark.parametrize("source", [
    "x.select(-2, 5)", "x.select(-1, -7)", "lib.select(x, -3, 9)", "x.select(1, 5)",
    "e.norm(float('inf'), -2)", "e.norm(float('inf'), (0, -2))", "lib.linalg.vector_norm(e, float('inf'), dim=(-2,))",
    "lib.linalg.vector_norm(e, -1, dim=-2)", "e.norm(-1, [2, -2])", "lib.linalg.norm(e, float('inf'), dim=-2)",
    "e.norm(float('-inf'))", "e.norm(float('inf'), 1)",
    "z.split_with_sizes([0, 3], 0)", "z.split_with_sizes([1], 5)", "lib.split_with_sizes(z, [1])",
    "z.split([1, 0])", "z.split_with_sizes([-1], 0)", "x.split_with_sizes([1, 1], 1)",
])
def test_view_and_norm_messages(source):
    _same_result(source, "x = lib.zeros(3, 2, 4); e = lib.zeros(3, 0, 4); z = lib.tensor(2.0)")


# ---------------------------------------------------------------------------- complex casts, creation
@pytest.mark.parametrize("convert", ["half()", "float()", "double()", "to(lib.float64, copy=True)", "int()",
                                     "to('cpu', lib.float16)", "to(lib.float32, non_blocking=True)", "bool()"])
@pytest.mark.parametrize("shape", [(1,), (1, 1), (2, 1), (1, 3), (2, 0), (3,)])
def test_complex_to_real_cast_strides(convert, shape):
    def cast(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return eval(f"x.{convert}", {"lib": lib, "x": (lib.arange(float(np.prod(shape))) * (1 + 2j))
                                         .reshape(shape)})
    theirs, ours = cast(torch), cast(torchless)
    _same_values(theirs, ours)
    assert ours.stride() == theirs.stride()


@pytest.mark.parametrize("source", [
    "lib.arange(1+1j, 5, dtype=lib.bool)", "lib.arange(1+1j, 5)", "lib.arange(1+0j, 5)", "lib.arange(0, 5, 0j)",
    "lib.arange(1+1j, float('inf'))", "lib.arange(2+0j)", "lib.arange(lib.tensor(2+1j))",
    "lib.arange(0.5+0j, 3, dtype=lib.int32)", "lib.arange(lib.tensor(2+0j))",
    "lib.arange(0, 2+0j, 0.5, dtype=lib.float64)",
    "lib.randint(5, 2, (2,), dtype=lib.complex64)", "lib.randint(0, 2, (2,), dtype=lib.complex64)",
    "lib.randint(0, 2**40, (2,), dtype=lib.complex128)", "lib.zeros(2, dtype=lib.complex64).random_(0, 3)",
    "lib.zeros(2, dtype=lib.complex64).random_()", "lib.randint_like(lib.zeros(2, dtype=lib.complex64), 3)",
    "lib.randint_like(lib.zeros(2), 3, dtype=lib.complex64)", "lib.zeros(2, dtype=lib.complex64).random_(3)",
])
def test_complex_numbers_and_dtypes_in_factories(source):
    _same_result(source, "")


@pytest.mark.parametrize("source", [
    "lib.randperm(0, dtype=lib.complex64)", "lib.randperm(3, dtype=lib.complex128, requires_grad=True)",
    "lib.randperm(-1, dtype=lib.complex64)", "lib.randperm(3, dtype=lib.bool)",
    "lib.randint(2**40, (2,), dtype=lib.float16)", "lib.randint(-2**40, 3, (2,), dtype=lib.float16)",
    "lib.randint(2**20, (2,), dtype=lib.float16)", "lib.randint(2**130, (2,), dtype=lib.float32)",
    "lib.zeros(0).data_ptr()", "lib.zeros(0, 3).data_ptr()", "lib.zeros(3)[3:].data_ptr()",
    "lib.zeros(3)[1:1].data_ptr()", "lib.tensor([]).data_ptr()", "lib.zeros(3).data_ptr() > 0",
    "lib.tensor([1+2j, []])", "lib.as_tensor(None, dtype=lib.complex64)", "lib.tensor([None], dtype=lib.complex128)",
    "lib.tensor([[1], [[2]]], dtype=lib.complex64)", "lib.asarray([False, [2, []]], dtype=lib.complex64)",
    "lib.tensor([np.float32(1), np.int8(2), True, lib.tensor(3.5)], dtype=lib.complex64)",
    "lib.tensor([object()], dtype=lib.complex64)",
])
def test_random_factories_and_complex_data(source):
    _same_result(source, "import numpy as np")


# ---------------------------------------------------------------------------- in place
@pytest.mark.parametrize("target", ["x", "x.flatten()", "x[0]", "x.t()", "x.detach()"])
@pytest.mark.parametrize("end", ["lib.zeros(2, 2)", "lib.zeros(3)", "lib.zeros(2, 1, 2)",
                                 "lib.zeros(3, dtype=lib.float64)"])
@pytest.mark.parametrize("weight", ["0.5", "lib.tensor(0.5, dtype=lib.float64)", "lib.zeros(2, 3)", "lib.zeros(2)"])
def test_lerp_into_a_leaf_refuses_the_leaf_first(target, end, weight):
    _same_result(f"{target}.lerp_({end}, {weight})", "x = lib.tensor([[1., 2.], [3., 4.]], requires_grad=True)")



@pytest.mark.parametrize("source", [
    "x[None, lib.tensor([-2, -3, 2, 1])] = lib.tensor([1, 2, 3], dtype=lib.int32)",
    "x[None, 0, lib.tensor([-1, -1, -3, 0])] = lib.zeros(0)",
    "y[::3, lib.tensor([-5, 0])] = lib.zeros(0)",
    "y[lib.tensor([7, 0]), 1] = lib.ones(3)",
    "y[lib.tensor([7, 0])] = lib.ones(2, 5)",
    "y[:, lib.tensor([[0], [9]])] = lib.ones(4, 4)",
    "y[lib.tensor([7, 0])] = lib.ones(3, 4)",
    "x.requires_grad_(False)[lib.tensor([5])] = lib.ones(2)",
    "z[lib.tensor([5])] = lib.ones(2)",
])
def test_setitem_value_shape_before_index_values(source):
    def assign(lib):
        namespace = {"lib": lib, "x": lib.arange(2.0), "y": lib.zeros(3, 3, 4),
                     "z": lib.zeros(2, requires_grad=True) * 1}
        exec(compile(source, "<setitem>", "exec"), namespace)
        return namespace["x"]

    _same_outcome(assign)


@pytest.mark.parametrize("source", ["x[-4, 1.5, lib.tensor(0)]", "x[lib.tensor([], dtype=lib.long), -4::-1, 1.5]",
                                    "x[1.5, 9]", "x[0, 1.5]", "x[7, 1.5]", "x[::0, 1.5]", "x[1.5, 'a']",
                                    "x[-4, 1.5, lib.tensor(0)] = 1", "x[0, 0, 2.5] = 1"])
def test_float_in_a_key_fails_in_its_turn(source):
    def index(lib):
        x = lib.zeros(0, 2, 3)
        namespace = {"lib": lib, "x": x}
        exec(compile(source, "<key>", "exec"), namespace)
        return x

    _same_outcome(index)



@pytest.mark.parametrize("source", ["x.nanmean(dtype=lib.float32)", "x.nanmean(1, dtype=lib.float16)", "x.nanmean()",
                                    "x.nanmean(5)", "x.nanmean((0, 0))", "x.nanmean(dtype=lib.int32)",
                                    "x.nanmean(dtype=lib.complex64)", "x.nanmean(0, keepdim=True)",
                                    "x.nanmean(5, dtype=lib.complex64)", "x.nanmean((0, 0), dtype=lib.complex128)",
                                    "x.nanmean(1, keepdim=True, dtype=lib.complex64)"])
@pytest.mark.parametrize("dtype", ["complex64", "float32", "int32", "float64"])
def test_nanmean_dtypes_in_pytorchs_order(source, dtype):
    _same_result(source, f"x = lib.arange(6.0).reshape(2, 3).to(lib.{dtype})")



@pytest.mark.parametrize("source", [
    "x.clamp(max=1+2j)", "x.clamp(min=1e5+0j)", "x.clamp(1+0j, 2)", "x.clamp(min=0.5+0j)", "x.clamp_(min=0.5+0j)",
    "x.clip(max=2+0j)", "x.clamp_min(1+0j)", "x.clamp_max(1+1j)", "lib.clamp(x, 1+0j, 1+1j)",
    "x.clamp(min=1e40+0j)", "x.clamp(max=np.complex128(2))", "x.clamp_min_(1+0j)", "x.clamp_max_(2+0j)",
    "x.clip_(0.5+0j, 1)",
])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "uint8", "bool", "complex64"])
def test_clamp_by_complex_numbers(source, dtype):
    _same_result(source, f"import numpy as np; x = lib.arange(3).to(lib.{dtype})")
