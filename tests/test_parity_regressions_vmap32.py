"""Session 32, torch.func's vmap and forward-mode AD, compared with PyTorch 2.13.0 at run time:

- vmap: an in-place op writing batched values into a tensor not batched by the vmap call running is refused with
  PyTorch's texts whatever that tensor is: captured by the function (closed over), made inside it, or an input
  not mapped over (session 31 refused only those); each op with its own text (the broadcast shape check, "inplace
  arithmetic", the op's name, or its aten name at the transform level), clamp_, addcmul_, index_copy_, scatter_,
  put_, index_put_, set_ and resize_as_ among them. out= calls on batched tensors are refused as PyTorch's have no
  batching rule.
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
