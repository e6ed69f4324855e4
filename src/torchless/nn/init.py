"""Parameter initialisation (``torchless.nn.init``), with PyTorch's formulas and gains.

Every function fills its tensor in place without recording gradients and draws from the default
generator (or ``generator=``), so ``torchless.manual_seed`` makes initialisation reproducible.
"""
import math
import warnings

import numpy as np

from .._tensor import Tensor
from .._tensor_methods._arguments import check_uniform_bounds
from ..autograd import grad_mode
from ..random import draw_like, stream


# What a star-import gives (PyTorch's list)
__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_",
           "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal", "kaiming_uniform",
           "kaiming_normal", "orthogonal", "sparse"]


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (``relu``: sqrt(2), ``tanh``: 5/3, ``leaky_relu``: sqrt(2/(1+a^2)))."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field = int(np.prod(tensor.shape[2:])) if tensor.dim() > 2 else 1
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values, writes=1):
    """Write ``values`` into ``tensor``, as ``writes`` in-place operations: its version moves on as much as
    PyTorch's init function moves it (one per in-place op it runs)."""
    try:
        tensor._data[...] = values
    except ValueError:  # a view of an expanded tensor: read-only in NumPy, PyTorch writes through it
        tensor._writable_data(fills=np.ndim(values) == 0)[...] = values
    for _ in range(writes):
        tensor._bump_version()
    return tensor


def _zero_then_ones(tensor, ones, writes=1):
    """Zero ``tensor``, then write a 1 where ``ones`` (a boolean array) is set, as PyTorch's eye_ and dirac_ do:
    in an expanded tensor, whose elements share memory, every element sharing a 1's memory reads 1."""
    memory = tensor._data if tensor._data.flags.writeable else tensor._writable_data(fills=True)
    memory[...] = 0
    memory[ones] = 1
    for _ in range(writes):
        tensor._bump_version()
    return tensor


# PyTorch's helpers (which other libraries import): each runs one in-place method of the tensor without recording.
def _no_grad_uniform_(tensor, a, b, generator=None):
    with grad_mode.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def _no_grad_normal_(tensor, mean, std, generator=None):
    with grad_mode.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def _no_grad_fill_(tensor, val):
    with grad_mode.no_grad():
        return tensor.fill_(val)


def _no_grad_zero_(tensor):
    with grad_mode.no_grad():
        return tensor.zero_()


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with values drawn from U(a, b)."""
    return _no_grad_uniform_(tensor, a, b, generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with values drawn from N(mean, std^2)."""
    return _no_grad_normal_(tensor, mean, std, generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std^2) values truncated to [a, b], by rejection as PyTorch 2.13 samples them.

    When [a, b] holds more than 30% of the normal's mass, normals outside it are redrawn; otherwise uniforms on
    [a, b] are kept with probability pdf(x) / pdf(mode), the rest redrawn. Every draw is the same, in the same
    order, as PyTorch's, so a seeded layer gets PyTorch's values.
    """
    return _no_grad_trunc_normal_(tensor, mean, std, a, b, generator)


def _no_grad_trunc_normal_(tensor, mean, std, a, b, generator=None):
    if tensor.is_meta:  # (torchless has none; PyTorch looks here first, so a non-tensor fails with its AttributeError)
        return tensor
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    mass = _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std)
    if tensor._data.dtype.kind == "c":
        return _refuse_complex_trunc_normal(tensor, mean, std, a, b, mass, generator)
    draws, dtype = stream(generator), tensor._data.dtype
    redrawn = []  # whether any value was drawn again
    # PyTorch draws into the tensor and tensors empty_like it: in its memory order, and normals one by one when it
    # is not contiguous. (Each branch with the checks, in order, of the tensor's method PyTorch's first draw calls.)
    if mass > 0.3:
        low, high = (tensor.new_tensor(bound).item() for bound in (a, b))  # the bounds as the tensor holds them
        tensor._check_random_fill("normal_kernel_cpu")
        serial = not tensor.is_contiguous()
        # the redraws go into tensors empty_like it: dense, in its memory order (contiguous, or drawn one by one)
        serial_redraws = not draw_like(tensor._data, np.empty).flags.c_contiguous

        def redrawn_outside(shape):
            values = draws.normal(shape, dtype, mean, std, serial=serial)
            while True:
                outside = (values < low) | (values > high)
                if not outside.any():
                    return values
                redrawn.append(True)
                values = np.where(outside, draws.normal(shape, dtype, mean, std, serial=serial_redraws), values)

        return _fill(tensor, draw_like(tensor._data, redrawn_outside), writes=_draw_and_copy(redrawn))
    tensor._no_kernel_for("biu", "check_uniform_bounds")
    check_uniform_bounds(a, b, dtype)
    tensor._refuse_internal_overlap()
    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2

    def accepted_uniforms(shape):
        values = draws.uniform(shape, dtype, a, b)
        pending = _rejected(values, draws, mean, std, log_peak)
        while pending.any():
            redrawn.append(True)
            candidates = draws.uniform(shape, dtype, a, b)
            values = np.where(pending, candidates, values)
            pending &= _rejected(candidates, draws, mean, std, log_peak)
        return values

    return _fill(tensor, draw_like(tensor._data, accepted_uniforms), writes=_draw_and_copy(redrawn))


def _refuse_complex_trunc_normal(tensor, mean, std, a, b, mass, generator):
    """PyTorch's trunc_normal_ of a complex tensor: its first draws (into the tensor, which keeps them, and the
    acceptance uniforms) run, then its first comparison, which has no complex kernel, fails."""
    with grad_mode.no_grad():
        if mass > 0.3:
            tensor.normal_(mean, std, generator=generator)
            tensor._no_kernel_for("c", "lt_cpu")
        tensor.uniform_(a, b, generator=generator)
        tensor.new_empty(tensor.shape).uniform_(generator=generator)
        tensor._no_kernel_for("c", "gt_cpu")


def _draw_and_copy(redrawn):
    """The in-place writes of PyTorch's trunc_normal_: its first draw into the tensor, and the copy of the result
    into it when some value was redrawn (``redrawn`` not empty)."""
    return 2 if redrawn else 1


def _rejected(candidates, draws, mean, std, log_peak):
    """Whether each candidate is rejected: log(u) > log pdf(x) - log pdf(mode), in the tensor's dtype."""
    # PyTorch's in-place ops one by one (sub_, div_, pow_, mul_, sub_): each takes the number and computes in the
    # opmath type (float32 for float16, whose 0.1 is not float16's), its result rounded to the tensor's dtype
    opmath = np.float32 if candidates.dtype == np.float16 else candidates.dtype.type
    log_ratio = candidates
    for operation, number in ((np.subtract, mean), (np.divide, std), (np.power, 2), (np.multiply, -0.5),
                              (np.subtract, log_peak)):
        log_ratio = operation(log_ratio.astype(opmath), opmath(number)).astype(candidates.dtype)
    with np.errstate(divide="ignore"):  # a uniform of 0 (float16's often are): log -inf, accepted, without a warning
        return np.log(draws.uniform(candidates.shape, candidates.dtype)) > log_ratio


def _normal_cdf(x):
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def constant_(tensor, val):
    return _no_grad_fill_(tensor, val)


def ones_(tensor):
    return _no_grad_fill_(tensor, 1.0)


def zeros_(tensor):
    return _no_grad_zero_(tensor)


def eye_(tensor):
    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _zero_then_ones(tensor, np.eye(*tensor.shape, dtype=bool))


def dirac_(tensor, groups=1):
    """Fill a conv weight so that the convolution is the identity on each group's first channels."""
    dims = tensor.ndimension()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if tensor.shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = tensor.shape[0] // groups
    ones = np.zeros(tensor.shape, bool)
    centre = tuple(k // 2 for k in tensor.shape[2:])
    empty_dims = [dim for dim, size in enumerate(tensor.shape) if dim >= 2 and size == 0]
    if empty_dims and out_per_group and tensor.shape[1]:  # PyTorch's indexing of the first centre fails
        raise IndexError(f"index 0 is out of bounds for dimension {empty_dims[0]} with size 0")
    ones_per_group = min(out_per_group, tensor.shape[1])
    for g in range(groups):
        for d in range(ones_per_group):
            ones[(g * out_per_group + d, d) + centre] = True
    return _zero_then_ones(tensor, ones, writes=1 + groups * ones_per_group)  # PyTorch zeroes it, then sets each one


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * (gain * math.sqrt(2.0 / float(fan_in + fan_out)))  # PyTorch's roundings: sqrt(3) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan_mode)."""
    # numel() rather than shape: for an uninitialized parameter, PyTorch's error is the ValueError naming this
    # function (the shape's RuntimeError is kaiming_normal_'s)
    # (PyTorch's ``0 in tensor.shape`` for anything else: an ndarray then fails at its dim())
    if (tensor.numel() == 0) if isinstance(tensor, Tensor) else (0 in tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    bound = math.sqrt(3.0) * (calculate_gain(nonlinearity, a) / math.sqrt(fan))  # PyTorch's roundings: sqrt(3) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std^2) with std = gain / sqrt(fan_mode)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """Fill with a (semi-)orthogonal matrix, from the QR decomposition of a normal matrix."""
    if tensor.ndimension() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    # PyTorch draws into a new tensor of the same dtype (refused for an expanded one only as it copies the result) ...
    tensor._no_kernel_for("biu", "normal_kernel_cpu")
    if tensor._data.dtype.kind == "c":  # ... whose QR's signs (torch.sign) it then refuses for complex numbers
        tensor.new_empty((rows, cols)).normal_(generator=generator).sign()
    if tensor.dtype.name == "float16":
        raise NotImplementedError("\"geqrf_cpu\" not implemented for 'Half'")  # ... and has no half QR
    tensor.view(rows, cols)  # PyTorch copies the matrix in through a view: refused for a tensor it cannot view so
    flat = stream(generator).normal((rows, cols), tensor._data.dtype).astype(np.float64)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    # PyTorch copies q in, then multiplies the tensor by the gain (in its dtype): two writes
    q = q.reshape(tensor.shape).astype(tensor._data.dtype)
    if isinstance(gain, (int, float)):
        return _fill(tensor, q * q.dtype.type(gain), writes=2)
    _fill(tensor, q)
    with grad_mode.no_grad():  # a tensor gain, or PyTorch's errors for a complex one or one of no number
        return tensor.mul_(gain)


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fill a 2-D tensor with N(0, std^2) values, then zero ceil(sparsity * rows) random rows of each column."""
    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    _no_grad_normal_(tensor, 0.0, std, generator)  # (and normal_'s refusals: a negative std, an integer tensor)
    values = tensor._data.copy()
    zeros = math.ceil(sparsity * rows)
    for column in range(cols):  # each column's rows from the default generator, as PyTorch draws them
        values[stream().permutation(rows)[:zeros], column] = 0
    return _fill(tensor, values, writes=cols)  # one indexed write a column, as PyTorch's


def _make_deprecate(method):
    """The deprecated name without the trailing underscore (``nn.init.uniform``): a FutureWarning, then
    ``method``."""
    new_name = method.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.", FutureWarning,
                      stacklevel=2)
        return method(*args, **kwargs)

    deprecated_init.__doc__ = f"""
    {old_name}(...)

    .. warning::
        This method is now deprecated in favor of :func:`torchless.nn.init.{new_name}`.

    See :func:`~torchless.nn.init.{new_name}` for details."""
    deprecated_init.__name__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
