"""Parity regressions (gaps11): var/std's overloads and saved values, grad_fn saved values of clamp, activations,
sort/topk/gather/index_select and max_pool3d, uint8 bilinear/bicubic interpolation, binary ops' memory format."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _values(tensor):
    """A tensor's values to compare, floats to 5 decimals (reductions differ from PyTorch's in the last bit)."""
    values = tensor.detach().numpy()
    return (values.round(5) if values.dtype.kind == "f" else values).tolist()


def _saved(grad_fn):
    """{name: value} of a node's ``_saved_*`` attributes (tensors as (values, dtype, shape)), and its raw names."""
    names = sorted(a for a in dir(grad_fn) if a.startswith("_saved") or a.startswith("_raw_saved"))
    shown = {}
    for name in names:
        if name.startswith("_raw"):
            continue
        value = getattr(grad_fn, name)
        if hasattr(value, "detach"):
            value = (_values(value), str(value.dtype).split(".")[-1], tuple(value.shape))
        elif isinstance(value, tuple) and value and hasattr(value[0], "detach"):
            value = tuple((_values(v), str(v.dtype).split(".")[-1]) for v in value)
        shown[name] = (value, type(value).__name__)
    return names, shown


def _both(expression, data, **more):
    """``expression`` (reading ``torch`` and ``x``) run on torch and torchless: each one's (grad_fn name,
    result values, saved values) or (exception type name, message)."""
    results = []
    for module in (torch, torchless):
        x = module.tensor(data, requires_grad=True)
        try:
            out = eval(expression, {"torch": module, "x": x, **more})
        except Exception as error:  # noqa: BLE001 - the errors are compared
            results.append((type(error).__name__, str(error).replace("torchless", "torch")))
            continue
        out = out[0] if isinstance(out, tuple) else out
        results.append((out.grad_fn.name(), _values(out), _saved(out.grad_fn)))
    return results


_DATA = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
_VARIANCE_CALLS = [
    "", "None", "dim=None", "None, True", "None, False", "dim=None, unbiased=False", "None, keepdim=True",
    "dim=None, keepdim=True", "None, True, True", "dim=None, correction=0", "dim=None, correction=2, keepdim=True",
    "unbiased=False", "False", "True", "correction=0", "keepdim=True", "1", "(0, 1)", "dim=1, unbiased=False",
    "1, True, True", "dim=[0, 2], correction=3", "1, correction=None", "None, correction=None", "correction=1.5",
    "dim=()", "True, keepdim=True", "unbiased=True, keepdim=True", "1, None", "1, unbiased=None", "1, 1",
    "dim=1, unbiased=True, correction=1", "None, None, True", "unbiased=None",
]


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("call", _VARIANCE_CALLS)
def test_var_std_overloads_and_saved_values(name, call):
    # dim=None given picks PyTorch's unbiased overload (correction shown 1), only a call without dim, unbiased
    # or correction (or with correction=None) shows None; x.var(True) is the bool-unbiased overload
    method = _both(f"x.{name}({call})", _DATA)
    assert method[0] == method[1]
    sep = ", " if call else ""
    function = _both(f"torch.{name}(x{sep}{call})", _DATA)
    assert function[0] == function[1]


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
@pytest.mark.parametrize("call", ["", "None", "dim=None", "None, keepdim=True", "dim=None, correction=0", "1",
                                  "1, True, True", "True", "unbiased=False", "1, None", "correction=None",
                                  "dim=1, unbiased=True, correction=1"])
@pytest.mark.parametrize("which", [0, 1])
def test_var_mean_overloads_and_saved_values_of_both_results(name, call, which):
    sep = ", " if call else ""
    results = _both(f"torch.{name}(x{sep}{call})[{which}]", _DATA)
    assert results[0] == results[1]
