"""Session 32, torch.func's vmap and forward-mode AD, compared with PyTorch 2.13.0 at run time:

- vmap: an in-place op writing batched values into a tensor not batched by the vmap call running is refused with
  PyTorch's texts whatever that tensor is: captured by the function (closed over), made inside it, or an input
  not mapped over (session 31 refused only those); each op with its own text (the broadcast shape check, "inplace
  arithmetic", the op's name, or its aten name at the transform level), clamp_, addcmul_, index_copy_, scatter_,
  put_, index_put_, set_ and resize_as_ among them. out= calls on batched tensors are refused as PyTorch's have no
  batching rule.
- vmap's results are laid out as PyTorch's: the batch dimension outermost in memory and moved to ``out_dims`` (a
  view: non-contiguous for out_dims != 0), each sample's dims in their memory order (a transposed sample stays
  transposed), and, for outputs shaped as the samples of contiguous inputs mapped along one dimension, where those
  inputs have it (PyTorch's elementwise ops keep it there). They were stacked contiguously at out_dims.
- vmap over an empty batch runs the function on batched stand-in samples with the call's randomness: .item(),
  bool(), tolist(), random ops (randomness="error") and outputs returned for out_dims=None are refused as PyTorch
  refuses them; chunk_size fails with PyTorch's assertion.
- forward AD: with grad mode on, the tangent of an op whose formula multiplies the tangents by values of its
  inputs or result (products: mul, div, matmul, linear, addcmul; piecewise-linear activations: relu, hardtanh,
  relu6, leaky_relu, threshold, hardshrink, softshrink, prelu, rrelu) is a tensor of the graph when those values
  require grad, as PyTorch's is, with a zero derivative with respect to them where the formula's is (relu's mask).
  It did not require grad. (clamp, max pooling, maximum, where keep tangents that do not, as PyTorch's.) The
  tangent of hardsigmoid, whose formula is its backward without a derivative, is recorded with a backward raising
  PyTorch's error; the tangent failed to compute.
- vmap refuses ops whose result's shape depends on a batched tensor's values, with PyTorch's texts: indexing (or
  assigning) through a batched boolean mask, unique (values, dim, consecutive), masked_select by a batched mask,
  nonzero(as_tuple=True). They ran sample by sample.
"""
import warnings

import pytest

import torchless

torch = pytest.importorskip("torch")


def _error(call):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (PyTorch's fallback performance warnings)
            call()
    except Exception as error:  # noqa: BLE001 - the type and message are what is compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    raise AssertionError("no error raised")


def _same_error(program):
    assert _error(lambda: program(torchless)) == _error(lambda: program(torch))


_WRITES = {
    "add_": lambda lib, w, x: w.add_(x), "iadd": lambda lib, w, x: w.__iadd__(x), "sub_": lambda lib, w, x: w.sub_(x),
    "mul_": lambda lib, w, x: w.mul_(x), "div_": lambda lib, w, x: w.div_(x), "pow_": lambda lib, w, x: w.pow_(x),
    "clamp_": lambda lib, w, x: w.clamp_(min=x), "clamp_max_": lambda lib, w, x: w.clamp_max_(x),
    "clip_": lambda lib, w, x: w.clip_(max=x), "addcmul_": lambda lib, w, x: w.addcmul_(x, x),
    "addcdiv_": lambda lib, w, x: w.addcdiv_(x, x), "lerp_": lambda lib, w, x: w.lerp_(x, 0.5),
    "copy_": lambda lib, w, x: w.copy_(x), "setitem": lambda lib, w, x: w.__setitem__(0, x[0]),
    "setitem_slice": lambda lib, w, x: w.__setitem__(slice(None), x), "fill_": lambda lib, w, x: w.fill_(x[0]),
    "masked_fill_value": lambda lib, w, x: w.masked_fill_(w > 0, x[0]),
    "masked_fill_mask": lambda lib, w, x: w.masked_fill_(x > 0, 1.0),
    "index_add_": lambda lib, w, x: w.index_add_(0, lib.tensor([0]), x[:1]),
    "index_copy_": lambda lib, w, x: w.index_copy_(0, lib.tensor([0]), x[:1]),
    "index_fill_": lambda lib, w, x: w.index_fill_(0, lib.tensor([0]), x[0]),
    "scatter_": lambda lib, w, x: w.scatter_(0, lib.tensor([0]), x[:1]),
    "scatter_add_": lambda lib, w, x: w.scatter_add_(0, lib.tensor([0]), x[:1]),
    "atan2_": lambda lib, w, x: w.atan2_(x), "hypot_": lambda lib, w, x: w.hypot_(x),
    "copysign_": lambda lib, w, x: w.copysign_(x), "xlogy_": lambda lib, w, x: w.xlogy_(x),
    "fmod_": lambda lib, w, x: w.fmod_(x), "floor_divide_": lambda lib, w, x: w.floor_divide_(x),
    "masked_scatter_": lambda lib, w, x: w.masked_scatter_(w >= 0, x),
    "put_": lambda lib, w, x: w.put_(lib.tensor([0]), x[:1]),
    "index_put_": lambda lib, w, x: w.index_put_((lib.tensor([0]),), x[:1]),
    "set_": lambda lib, w, x: w.set_(x), "resize_as_": lambda lib, w, x: w.resize_as_(x),
    "view_add_": lambda lib, w, x: w[None][0].add_(x),
    "add_out": lambda lib, w, x: lib.add(w, x, out=w), "sin_out": lambda lib, w, x: lib.sin(x, out=w),
    "pow_out": lambda lib, w, x: lib.pow(x, 2, out=w), "sum_out": lambda lib, w, x: lib.sum(x, 0, out=w[0]),
    "cat_out": lambda lib, w, x: lib.cat([x], out=w),
}


@pytest.mark.parametrize("write", sorted(_WRITES))
@pytest.mark.parametrize("where", ["captured", "made_inside", "unmapped_input"])
def test_vmap_refuses_writing_batched_values_into_unbatched_tensors(write, where):
    def program(lib):
        captured = lib.ones(3)

        def func(x, w):
            target = {"captured": captured, "made_inside": lib.ones(3), "unmapped_input": w}[where]
            _WRITES[write](lib, target, x)
            return x

        return lib.vmap(func, in_dims=(0, None))(lib.ones(2, 3) * 0.5, lib.ones(3))

    _same_error(program)


@pytest.mark.parametrize("write", ["add_", "copy_", "clamp_", "index_put_"])
def test_nested_vmap_refuses_writing_inner_batched_values_into_outer_batched_tensor(write):
    def program(lib):
        def outer(w):
            return lib.vmap(lambda x: (_WRITES[write](lib, w, x), x)[1])(lib.ones(2, 3) * 0.5)

        return lib.vmap(outer)(lib.ones(4, 3))

    _same_error(program)


@pytest.mark.filterwarnings("ignore::UserWarning")  # (PyTorch's fallback performance warning)
@pytest.mark.parametrize("lib_name", ["torch", "torchless"])
def test_vmap_in_place_writes_that_stay_batched_or_unbatched_are_allowed(lib_name):
    lib = {"torch": torch, "torchless": torchless}[lib_name]
    captured = lib.ones(3)

    def func(x):
        y = x.clone()
        y.add_(1).clamp_(max=x)
        y[0] = captured[1]
        captured.mul_(1.0)  # (nothing batched written)
        z = lib.zeros(3)
        z.add_(captured)
        return y + z

    x = lib.arange(6.0).reshape(2, 3)
    expected = torch.vmap(lambda x: (x + 1).clamp(max=x).index_fill(0, torch.tensor([0]), 1.0) + 1)(
        torch.arange(6.0).reshape(2, 3))
    result = lib.vmap(func)(x)
    torch.testing.assert_close(torch.as_tensor(result.numpy()), expected)


def _same_result(program, rtol=1e-5):
    """``program(lib)`` gives torch's tensors (nested in tuples): shapes, dtypes, strides and values; or its
    error."""
    try:
        expected = program(torch)
    except (RuntimeError, IndexError, ValueError):
        _same_error(program)
        return
    actual = program(torchless)
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected)
        for want, got in zip(expected, actual):
            _assert_same_tensor(got, want, rtol)
    else:
        _assert_same_tensor(actual, expected, rtol)


def _assert_same_tensor(actual, expected, rtol):
    assert tuple(actual.shape) == tuple(expected.shape)
    assert str(actual.dtype).replace("torchless", "torch") == str(expected.dtype)
    if expected.numel():  # (the strides of size-1 dims do not matter)
        assert [stride for stride, size in zip(actual.stride(), actual.shape) if size != 1] == \
            [stride for stride, size in zip(expected.stride(), expected.shape) if size != 1]
    torch.testing.assert_close(torch.from_numpy(actual.detach().numpy().copy()), expected.detach(), rtol=rtol, atol=rtol)


_LAYOUT_FUNCS = {
    "double": lambda lib: lambda x: x * 2,
    "exp": lambda lib: lambda x: x.exp(),
    "relu": lambda lib: lambda x: lib.relu(x),
    "sum0": lambda lib: lambda x: x.sum(0),
    "transpose": lambda lib: lambda x: x.transpose(0, 1),
    "unsqueeze": lambda lib: lambda x: x.unsqueeze(0),
    "first_row": lambda lib: lambda x: x[0],
    "flatten": lambda lib: lambda x: x.reshape(-1),
    "matmul": lambda lib: lambda x: x @ x.mT,
    "clone": lambda lib: lambda x: x.clone(),
    "pair": lambda lib: lambda x: (x.t(), x.mean()),
}


@pytest.mark.parametrize("func", sorted(_LAYOUT_FUNCS))
@pytest.mark.parametrize("in_dims, out_dims", [(0, 0), (0, 1), (0, -1), (1, 0), (1, 1), (2, 0), (-1, -1), (1, 2)])
def test_vmap_results_are_laid_out_as_pytorchs(func, in_dims, out_dims):
    def program(lib):
        return lib.vmap(_LAYOUT_FUNCS[func](lib), in_dims=in_dims, out_dims=out_dims)(
            lib.arange(60.0).reshape(3, 4, 5))

    _same_result(program)


@pytest.mark.parametrize("out_dims", [0, 1, (1, 0)])
def test_vmap_layout_of_two_inputs_mapped_apart_and_of_conv(out_dims):
    def program(lib):
        x, y = lib.arange(12.0).reshape(3, 4), lib.arange(12.0).reshape(4, 3)
        summed = lib.vmap(lambda a, b: (a + b, a * b), in_dims=(0, 1), out_dims=out_dims)(x, y)
        images = lib.arange(150.0).reshape(2, 3, 5, 5) / 100
        conv = lib.vmap(lambda image: lib.nn.functional.conv2d(image[None], lib.ones(2, 3, 3, 3))[0],
                        out_dims=out_dims if isinstance(out_dims, int) else 0)(images)
        return summed + (conv,)

    _same_result(program)


_EMPTY_BATCH = {
    "item": (lambda lib: lambda x: x.sum().item(), {}),
    "bool": (lambda lib: lambda x: bool(x.sum() > 0), {}),
    "tolist": (lambda lib: lambda x: x.tolist(), {}),
    "randn_like": (lambda lib: lambda x: lib.randn_like(x), {}),
    "dropout": (lambda lib: lambda x: lib.nn.functional.dropout(x), {}),
    "out_dims_none": (lambda lib: lambda x: x * 2, {"out_dims": None}),
    "chunk_size": (lambda lib: lambda x: x * 2, {"chunk_size": 2}),
}


@pytest.mark.parametrize("case", sorted(_EMPTY_BATCH))
def test_vmap_over_an_empty_batch_refuses_what_a_batched_call_refuses(case):
    func, options = _EMPTY_BATCH[case]
    _same_error(lambda lib: lib.vmap(func(lib), **options)(lib.ones(0, 3)))


@pytest.mark.parametrize("randomness", ["same", "different"])
@pytest.mark.parametrize("in_dims, out_dims, shape", [(0, 0, (0, 3)), (0, 1, (0, 3)), (1, 0, (3, 0)),
                                                      (0, -1, (0, 2, 3)), (2, 1, (2, 3, 0))])
def test_vmap_over_an_empty_batch_gives_pytorchs_empty_results(randomness, in_dims, out_dims, shape):
    def program(lib):
        def func(x):
            return lib.nn.functional.dropout(x).t() if x.dim() == 2 else (x * 2, x.sum())

        return lib.vmap(func, in_dims=in_dims, out_dims=out_dims, randomness=randomness)(lib.ones(*shape))

    _same_result(program)


@pytest.mark.parametrize("in_dims", [0, 1, 2])
@pytest.mark.parametrize("view", ["identity", "t", "slice_t", "select", "unsqueeze", "expand"])
def test_vmap_of_a_view_is_a_view_of_the_input_with_pytorchs_gradients_and_tangents(in_dims, view):
    views = {"identity": lambda s: s, "t": lambda s: s.t(), "slice_t": lambda s: s[1:].t(), "select": lambda s: s[0],
             "unsqueeze": lambda s: s.unsqueeze(1), "expand": lambda s: s[None].expand(2, *s.shape)}

    def program(lib):
        x = lib.arange(24.0, dtype=lib.float64).reshape(2, 3, 4).requires_grad_()
        result = lib.vmap(views[view], in_dims=in_dims)(x)
        weights = lib.arange(float(result.numel()), dtype=lib.float64).reshape(result.shape)
        (grad,) = lib.autograd.grad((result * weights).sum(), x)
        _, tangent = lib.func.jvp(lambda a: lib.vmap(views[view], in_dims=in_dims)(a), (x.detach(),),
                                  (lib.arange(24.0, dtype=lib.float64).reshape(2, 3, 4),))
        # (the gradient's layout is not compared, nor an expanded tangent's: torchless's is not a view of one)
        return result, grad.contiguous(), tangent.contiguous() if view == "expand" else tangent

    _same_result(program)
    x = torchless.ones(2, 3, 4)
    assert torchless.vmap(views[view], in_dims=in_dims)(x).data_ptr() == x.data_ptr() + 0 * in_dims or view in (
        "slice_t", "select")


@pytest.mark.parametrize("out_dims", [0, 1, 2])  # (PyTorch's out_dims=-1 expands to sizes read from no memory)
def test_vmap_of_an_unbatched_output_expands_it_as_pytorch(out_dims):
    def program(lib):
        captured = lib.arange(6.0).reshape(1, 6)
        result = lib.vmap(lambda x: captured, out_dims=out_dims)(lib.ones(4, 3))
        assert result.data_ptr() == captured.data_ptr()
        return result

    _same_result(program)


_TANGENT_OPS = {
    "relu": lambda lib, x: lib.relu(x), "hardtanh": lambda lib, x: lib.nn.functional.hardtanh(x, -0.5, 0.5),
    "relu6": lambda lib, x: lib.nn.functional.relu6(x * 4), "leaky_relu": lambda lib, x: lib.nn.functional.leaky_relu(x),
    "threshold": lambda lib, x: lib.nn.functional.threshold(x, 0.1, 0.0),
    "hardshrink": lambda lib, x: lib.nn.functional.hardshrink(x), "softshrink": lambda lib, x: lib.nn.functional.softshrink(x),
    "prelu": lambda lib, x: lib.nn.functional.prelu(x, lib.tensor([0.25], dtype=lib.float64)),
    "rrelu_eval": lambda lib, x: lib.nn.functional.rrelu(x), "mul_number": lambda lib, x: x * 2,
    "div_tensor": lambda lib, x: x / lib.full((2, 3), 2.0, dtype=lib.float64),
    "matmul": lambda lib, x: x @ lib.ones(3, 4, dtype=lib.float64),
    "linear": lambda lib, x: lib.nn.functional.linear(x, lib.ones(4, 3, dtype=lib.float64)),
    "addcmul": lambda lib, x: lib.addcmul(x, x, lib.ones(2, 3, dtype=lib.float64)),
    "clamp": lambda lib, x: x.clamp(-0.5, 0.5), "max_pool1d": lambda lib, x: lib.nn.functional.max_pool1d(x[None], 2, 1),
    "maximum": lambda lib, x: lib.maximum(x, lib.zeros(2, 3, dtype=lib.float64)), "abs": lambda lib, x: x.abs(),
    "where": lambda lib, x: lib.where(x > 0, x, 0.0), "exp": lambda lib, x: x.exp(),
}


@pytest.mark.parametrize("op", sorted(_TANGENT_OPS))
@pytest.mark.parametrize("primal_requires_grad, tangent_requires_grad", [(True, False), (False, True), (True, True)])
def test_forward_ad_tangents_require_grad_as_pytorchs(op, primal_requires_grad, tangent_requires_grad):
    def program(lib):
        primal = lib.tensor([[0.3, -0.7, 1.2], [-0.1, 0.9, -2.0]], dtype=lib.float64,
                            requires_grad=primal_requires_grad)
        direction = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64,
                               requires_grad=tangent_requires_grad)
        with lib.autograd.forward_ad.dual_level():
            dual = lib.autograd.forward_ad.make_dual(primal, direction)
            tangent = lib.autograd.forward_ad.unpack_dual(_TANGENT_OPS[op](lib, dual)).tangent
        leaves = [t for t in (primal, direction) if t.requires_grad]
        grads = lib.autograd.grad((tangent * tangent).sum(), leaves, allow_unused=True, materialize_grads=True) \
            if tangent.requires_grad else ()
        return tangent.requires_grad, tangent.grad_fn is not None, tangent.detach(), tuple(grads)

    expected, actual = program(torch), program(torchless)
    assert actual[:2] == expected[:2]
    for got, want in zip((actual[2],) + actual[3], (expected[2],) + expected[3]):
        torch.testing.assert_close(torch.from_numpy(got.numpy().copy()), want)


@pytest.mark.parametrize("primal_requires_grad, tangent_requires_grad", [(True, False), (False, True), (True, True)])
def test_forward_ad_tangent_of_hardsigmoid_has_pytorchs_backward_error(primal_requires_grad, tangent_requires_grad):
    def program(lib):
        primal = lib.tensor([0.3, -0.7, 4.0], requires_grad=primal_requires_grad)
        direction = lib.tensor([1.0, 2.0, 3.0], requires_grad=tangent_requires_grad)
        with lib.autograd.forward_ad.dual_level():
            dual = lib.autograd.forward_ad.make_dual(primal, direction)
            tangent = lib.autograd.forward_ad.unpack_dual(lib.nn.functional.hardsigmoid(dual)).tangent
        assert tangent.requires_grad
        torch.testing.assert_close(torch.tensor(tangent.tolist()), torch.tensor([1 / 6, 2 / 6, 0.0]))
        leaf = primal if primal_requires_grad else direction
        lib.autograd.grad(tangent.sum(), leaf)

    _same_error(program)


_DYNAMIC_SHAPES = {
    "mask_index": lambda lib, a: a[a > 0], "mask_of_captured": lambda lib, a: lib.arange(3.0)[a > 0],
    "mask_in_tuple": lambda lib, a: a[None][:, a > 0], "mask_assign": lambda lib, a: a.clone().__setitem__(a > 0, 0.0),
    "unique": lambda lib, a: a.unique(), "unique_function": lambda lib, a: lib.unique(a, return_counts=True),
    "unique_dim": lambda lib, a: a.unique(dim=0), "unique_consecutive": lambda lib, a: a.unique_consecutive(),
    "unique_consecutive_dim": lambda lib, a: lib.unique_consecutive(a[None], dim=0),
    "masked_select": lambda lib, a: a.masked_select(a > 0),
    "masked_select_of_captured": lambda lib, a: lib.masked_select(lib.ones(3), a > 0),
    "nonzero_as_tuple": lambda lib, a: a.nonzero(as_tuple=True),
}


@pytest.mark.parametrize("op", sorted(_DYNAMIC_SHAPES))
def test_vmap_refuses_ops_of_value_dependent_shapes(op):
    _same_error(lambda lib: lib.vmap(lambda a: (_DYNAMIC_SHAPES[op](lib, a), a)[1])(lib.ones(2, 3)))


@pytest.mark.parametrize("op", ["mask", "unique", "masked_select"])
def test_vmap_runs_ops_of_value_dependent_shapes_on_unbatched_tensors(op):
    def program(lib):
        mask = lib.tensor([True, False, True])
        ops = {"mask": lambda a: a[mask], "unique": lambda a: lib.tensor([2.0, 1.0, 2.0]).unique() * a[:2],
               "masked_select": lambda a: a.masked_select(mask)}
        return lib.vmap(ops[op])(lib.arange(6.0).reshape(2, 3))

    _same_result(program)
