"""Parity regressions (gaps12): the layout of reductions', scans', sort's and roll's results on permuted,
transposed and channels-last inputs."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

_DATA = np.random.RandomState(0).randn(2, 3, 4, 5).astype(np.float32)


def _input(module, case):
    """The same strided input in ``module``: permuted, transposed, channels-last, sliced with a step."""
    x = module.tensor(_DATA)
    return {"permuted": lambda: x.permute(0, 2, 3, 1), "permuted2": lambda: x.permute(3, 1, 0, 2),
            "transposed": lambda: module.tensor(_DATA[0, 0]).t(),
            "channels_last": lambda: x.contiguous(memory_format=module.channels_last),
            "stepped": lambda: x[:, :, ::2]}[case]()


def _layout(result):
    """What to compare of a result (or tuple of results): shape, strides, contiguity."""
    if isinstance(result, tuple):
        return [_layout(r) for r in result]
    return tuple(result.shape), result.stride(), result.is_contiguous()


def _same(theirs, ours):
    """Results (or tuples of them) of the same layout and close values."""
    assert _layout(ours) == _layout(theirs)
    for a, b in zip(theirs if isinstance(theirs, tuple) else (theirs,), ours if isinstance(ours, tuple) else (ours,)):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-5, atol=1e-6)


def _both(call, case):
    return [eval(call, {"torch": module, "x": _input(module, case)}) for module in (torch, torchless)]


_REDUCTIONS = ["x.sum({dim}, keepdim={k})", "x.mean({dim}, keepdim={k})", "x.amax({dim}, keepdim={k})",
               "x.amin({dim}, keepdim={k})", "x.std({dim}, keepdim={k})", "x.var({dim}, keepdim={k})",
               "x.norm(dim={dim}, keepdim={k})", "x.logsumexp({dim}, keepdim={k})", "x.nansum({dim}, keepdim={k})",
               "x.nanmean({dim}, keepdim={k})", "(x > 0).all({dim}, keepdim={k})", "(x > 0).any({dim}, keepdim={k})",
               "torch.std_mean(x, {dim}, keepdim={k})", "torch.var_mean(x, {dim}, keepdim={k})",
               "x.count_nonzero({dim})", "x.prod({one}, keepdim={k})", "tuple(x.max({one}, keepdim={k}))",
               "x.argmax({one}, keepdim={k})", "tuple(torch.aminmax(x, dim={one}, keepdim={k}))"]


@pytest.mark.parametrize("case", ["permuted", "permuted2", "channels_last", "transposed"])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, -1, (1, 2)])
@pytest.mark.parametrize("call", _REDUCTIONS)
def test_reduction_result_is_contiguous_as_in_torch(call, dim, keepdim, case):
    if case == "transposed" and dim == (1, 2):
        dim = (0, 1)
    one = dim if isinstance(dim, int) else dim[0]
    _same(*_both(call.format(dim=dim, k=keepdim, one=one), case))


@pytest.mark.parametrize("case", ["permuted", "channels_last"])
def test_reduction_result_views_as_in_torch(case):
    _same(*[_input(module, case).sum(-1).view(-1) for module in (torch, torchless)])


@pytest.mark.parametrize("case", ["permuted", "permuted2", "channels_last", "transposed", "stepped"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("call", ["tuple(x.sort({dim}))", "tuple(x.sort({dim}, descending=True))",
                                  "x.argsort({dim})", "torch.msort(x)", "x.cumsum({dim})", "x.cumprod({dim})",
                                  "tuple(x.cummax({dim}))", "tuple(x.cummin({dim}))", "x.logcumsumexp({dim})",
                                  "x.roll(1, {dim})", "x.roll(1)", "x.unique_consecutive(dim={dim})",
                                  "tuple(x.topk(2, {dim}))"])
def test_scan_and_sort_result_layout(call, dim, case):
    _same(*_both(call.format(dim=dim), case))


@pytest.mark.parametrize("call", ["x.sort(1)[0]", "x.cumsum(1)", "x.sum(1)", "x.roll(1, 2)"])
def test_results_layout_with_grad(call):
    results = []
    for module in (torch, torchless):
        x = _input(module, "permuted").clone().requires_grad_()  # (clone keeps the permuted layout)
        results.append(eval(call, {"x": x}))
    _same(*results)
