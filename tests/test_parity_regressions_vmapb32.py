"""vmap's results laid out as PyTorch's where its batching rules move the batch dimension to the front (softmax,
layer_norm, scans, tril, roll, masked_fill, gathers, contiguous) and where pointwise ops and permuting views keep it
where the inputs have it (compared with torch at run time)."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

_FUNCTIONS = {
    "softmax": lambda lib: lambda x: x.softmax(-1),
    "log_softmax": lambda lib: lambda x: x.log_softmax(-1),
    "softmin": lambda lib: lambda x: lib.nn.functional.softmin(x, -1),
    "layer_norm": lambda lib: lambda x: lib.nn.functional.layer_norm(x, (5,)),
    "logsigmoid": lambda lib: lambda x: lib.nn.functional.logsigmoid(x),
    "cumsum": lambda lib: lambda x: x.cumsum(0),
    "cumprod": lambda lib: lambda x: x.cumprod(1),
    "cummax": lambda lib: lambda x: x.cummax(0)[0],
    "logcumsumexp": lambda lib: lambda x: x.logcumsumexp(0),
    "tril": lambda lib: lambda x: x.tril(),
    "triu": lambda lib: lambda x: x.triu(1),
    "roll": lambda lib: lambda x: x.roll(1, 0),
    "masked_fill": lambda lib: lambda x: x.masked_fill(x > 0, 0.0),
    "contiguous": lambda lib: lambda x: x.contiguous(),
    "index_select": lambda lib: lambda x: x.index_select(0, lib.tensor([2, 0, 1])),
    "gather": lambda lib: lambda x: x.gather(1, lib.zeros(3, 5, dtype=lib.long)),
    "repeat": lambda lib: lambda x: x.repeat(1, 1),
    "topk": lambda lib: lambda x: x.topk(5, -1)[0],
    "softmax_then_mul": lambda lib: lambda x: x.softmax(-1) * 2,
    "softmax_plus_input": lambda lib: lambda x: x.softmax(-1) + x,
    "t_mul": lambda lib: lambda x: x.t() * 2,
    "t_sin": lambda lib: lambda x: x.t().sin(),
    "transpose_exp": lambda lib: lambda x: x.transpose(0, 1).exp(),
    "permute_add": lambda lib: lambda x: x.permute(1, 0) + 1,
    "mT_relu": lambda lib: lambda x: x.mT.relu(),
    "slice_mul": lambda lib: lambda x: x[1:] * 2,
    "sort": lambda lib: lambda x: x.sort(-1)[0],
    "clone": lambda lib: lambda x: x.clone(),
    "mul_self": lambda lib: lambda x: x * x,
    "reshape_add": lambda lib: lambda x: x.reshape(-1) + 1,
    "sum": lambda lib: lambda x: x.sum(0),
    "argsort": lambda lib: lambda x: x.argsort(-1),
    "sort_indices": lambda lib: lambda x: x.sort(0)[1],
    "long": lambda lib: lambda x: x.long(),
    "select_mul": lambda lib: lambda x: x[0] * 2,
    "select_column_mul": lambda lib: lambda x: x[:, 1] * 2,
    "unsqueeze_mul": lambda lib: lambda x: x.unsqueeze(0) * 2,
    "unsqueeze_inner_mul": lambda lib: lambda x: x.unsqueeze(1) * 2,
    "diagonal_mul": lambda lib: lambda x: x.diagonal() * 2,
    "strided_slice_mul": lambda lib: lambda x: x[:, ::2] * 2,
    "split_mul": lambda lib: lambda x: x.split(2)[0] * 2,
    "chunk_mul": lambda lib: lambda x: x.chunk(3, 1)[1] * 2,
    "unbind_mul": lambda lib: lambda x: x.unbind(1)[0] * 2,
    "view_mul": lambda lib: lambda x: x.view(3, 5, 1) * 2,
    "reshape_mul": lambda lib: lambda x: x.reshape(5, 3) * 2,
    "t_flatten_add": lambda lib: lambda x: x.t().flatten() + 1,
    "t_clone": lambda lib: lambda x: x.t().clone(),
    "t_contiguous_mul": lambda lib: lambda x: x.t().contiguous() * 2,
    "t_zeros_like_add": lambda lib: lambda x: lib.zeros_like(x.t()) + x.t(),
    "t_square": lambda lib: lambda x: x.t() ** 2,
    "t_softplus": lambda lib: lambda x: lib.nn.functional.softplus(x.t()),
    "t_log_softmax": lambda lib: lambda x: x.t().log_softmax(0),
    "t_cumsum": lambda lib: lambda x: x.t().cumsum(0),
    "t_inplace_add": lambda lib: lambda x: x.t().clone().add_(1),
    "t_masked_fill": lambda lib: lambda x: x.t().masked_fill(x.t() > 0, 1.0),
    "sub_mean": lambda lib: lambda x: x - x.mean(-1, keepdim=True),
    "add_unmapped": lambda lib: lambda x: x + lib.ones(5),
    "where_unmapped_mask": lambda lib: lambda x: lib.where(lib.ones(3, 5, dtype=lib.bool), x, 0.0),
    "greater": lambda lib: lambda x: x > 0,
    "pad": lambda lib: lambda x: lib.nn.functional.pad(x, (1, 1)),
    "batch_norm": lambda lib: lambda x: lib.nn.functional.batch_norm(x[None], lib.zeros(3), lib.ones(3)),
    "group_norm": lambda lib: lambda x: lib.nn.functional.group_norm(x[None], 1),
    "instance_norm": lambda lib: lambda x: lib.nn.functional.instance_norm(x[None]),
    "rms_norm": lambda lib: lambda x: lib.nn.functional.rms_norm(x, (5,)),
    "interpolate": lambda lib: lambda x: lib.nn.functional.interpolate(x[None], scale_factor=1.0),
    "scatter": lambda lib: lambda x: x.scatter(0, lib.zeros(3, 5, dtype=lib.long), x),
    "scatter_add": lambda lib: lambda x: x.scatter_add(1, lib.zeros(3, 5, dtype=lib.long), x),
    "index_copy": lambda lib: lambda x: x.index_copy(0, lib.tensor([1]), x[:1]),
    "index_add": lambda lib: lambda x: x.index_add(0, lib.tensor([0]), x[:1]),
    "index_fill": lambda lib: lambda x: x.index_fill(0, lib.tensor([0]), 1.0),
    "cross": lambda lib: lambda x: lib.cross(x[:, :3], x[:, :3], dim=1),
    "hardtanh_inplace": lambda lib: lambda x: lib.nn.functional.hardtanh(x.clone(), inplace=True),
    "addcmul": lambda lib: lambda x: lib.addcmul(x, x, x),
    "lerp": lambda lib: lambda x: lib.lerp(x, x * 2, 0.3),
}


@pytest.mark.parametrize("in_dims", [0, 1, 2])
@pytest.mark.parametrize("name", sorted(_FUNCTIONS))
def test_vmap_result_strides_as_pytorchs_batching_rules(name, in_dims):
    data = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    data = np.stack([data * (i + 1) for i in range(4)], in_dims)  # (4 samples of shape (3, 5) at in_dims)
    expected = torch.vmap(_FUNCTIONS[name](torch), in_dims=in_dims)(torch.tensor(data))
    actual = torchless.vmap(_FUNCTIONS[name](torchless), in_dims=in_dims)(torchless.tensor(data))
    _assert_same_layout(actual, expected)
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


def _assert_same_layout(actual, expected):
    """Same shape, dtype and strides (but those of size-1 dims, which address no other element)."""
    assert tuple(actual.shape) == tuple(expected.shape)
    assert str(actual.dtype).replace("torchless", "torch") == str(expected.dtype)
    assert [s for s, n in zip(actual.stride(), actual.shape) if n != 1] == \
        [s for s, n in zip(expected.stride(), expected.shape) if n != 1]


@pytest.mark.parametrize("out_dims", [0, 1, -1])
def test_vmap_front_moved_result_moved_to_out_dims(out_dims):
    data = np.random.default_rng(1).standard_normal((3, 4, 5)).astype(np.float32)
    expected = torch.vmap(lambda x: x.softmax(-1), in_dims=1, out_dims=out_dims)(torch.tensor(data))
    actual = torchless.vmap(lambda x: x.softmax(-1), in_dims=1, out_dims=out_dims)(torchless.tensor(data))
    _assert_same_layout(actual, expected)
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


_UNWRAPPING = {
    "input": lambda lib, u: lib.vmap(u)(lib.arange(6.0).reshape(2, 3)),
    "input_in_dims_1": lambda lib, u: lib.vmap(u, in_dims=1)(lib.arange(24.0).reshape(2, 3, 4)),
    "nested": lambda lib, u: lib.vmap(lib.vmap(u, in_dims=1), in_dims=2)(lib.arange(24.0).reshape(2, 3, 4)),
    "nested_not_recursing": lambda lib, u: lib.vmap(lib.vmap(lambda x: u(x, recurse=False), in_dims=1),
                                                    in_dims=2)(lib.arange(24.0).reshape(2, 3, 4)),
    "unmapped": lambda lib, u: lib.vmap(lambda x, y: u(y) * 2, in_dims=(1, None))(lib.ones(2, 3), lib.arange(5.0)),
    "mixed": lambda lib, u: lib.vmap(lambda x: (u(x) * x).sum())(lib.arange(6.0).reshape(2, 3)),
    "empty_batch": lambda lib, u: lib.vmap(u)(lib.ones(0, 3)),
    "plain": lambda lib, u: u(lib.arange(3.0)),
}


@pytest.mark.parametrize("name", sorted(_UNWRAPPING))
def test_debug_unwrap_gives_the_whole_mapped_input(name):
    expected = _UNWRAPPING[name](torch, torch.func.debug_unwrap)
    actual = _UNWRAPPING[name](torchless, torchless.func.debug_unwrap)
    _assert_same_layout(actual, expected)
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())
