"""Muon: momentum orthogonalized by Newton-Schulz iterations, for the 2-D parameters of hidden layers."""
import math

import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _hyper_value
from ._update_math import lerp_

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5

_BFLOAT16_KEPT_BITS = np.uint32(0xFFFF0000)


def _bfloat16(x):
    """``x`` rounded to bfloat16 precision (to nearest, ties to even, as PyTorch's conversion), held as float32:
    torchless stores no bfloat16 tensors, but float32 arithmetic on such values rounded after each operation is
    what PyTorch's bfloat16 kernels compute."""
    x = np.ascontiguousarray(x, np.float32)
    bits = x.view(np.uint32)
    rounded = ((bits + np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))) & _BFLOAT16_KEPT_BITS)
    return np.where(np.isnan(x), x, rounded.view(np.float32))


def _zeropower_via_newtonschulz(grad, ns_coefficients, ns_steps, eps):
    """PyTorch's quintic Newton-Schulz iteration towards the orthogonal factor of the 2-D array ``grad``, computed
    in bfloat16 as PyTorch does (each product accumulated in float32, then rounded); a float32 array of bfloat16
    values."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = (np.float32(coefficient) for coefficient in ns_coefficients)
    tall = grad.shape[0] > grad.shape[1]
    ortho = _bfloat16(grad.T if tall else grad)
    norm = _bfloat16(np.sqrt(np.sum(np.square(ortho), dtype=np.float32)))
    ortho = _bfloat16(ortho / np.maximum(norm, _bfloat16(np.float32(eps))))
    for _ in range(ns_steps):
        gram = _bfloat16(ortho @ ortho.T)
        gram_update = _bfloat16(b * gram + c * (gram @ gram))  # addmm(gram, gram, gram, beta=b, alpha=c)
        ortho = _bfloat16(a * ortho + gram_update @ ortho)  # addmm(ortho, gram_update, ortho, beta=a)
    return ortho.T if tall else ortho


def _adjust_lr(lr, adjust_lr_fn, param_shape):
    """The learning rate scaled for a parameter of ``param_shape`` (A x B), as PyTorch's Muon: by
    sqrt(max(1, A / B)) (``'original'``, the default) or 0.2 sqrt(max(A, B)) (``'match_rms_adamw'``)."""
    rows, columns = param_shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        adjusted_ratio = math.sqrt(max(1, rows / columns))
    elif adjust_lr_fn == "match_rms_adamw":
        adjusted_ratio = 0.2 * math.sqrt(max(rows, columns))
    else:
        adjusted_ratio = 1.0
    return lr * adjusted_ratio


class Muon(Optimizer):
    r"""Muon, PyTorch's formulation: SGD momentum whose update is orthogonalized by Newton-Schulz iterations.

    For each 2-D parameter :math:`\theta` (A x B) with gradient :math:`g`:

    .. math::
        B \leftarrow \mu B + (1-\mu) g, \quad
        \tilde B = g + \mu (B - g) \text{ (nesterov) or } B, \quad
        O = \mathrm{NS}^{(a,b,c)}_k(\tilde B), \quad
        \theta \leftarrow (1 - \gamma\lambda)\theta - \gamma' O

    where :math:`\gamma'` is :math:`\gamma` scaled for the parameter's shape (see ``adjust_lr_fn``). The
    Newton-Schulz iterations run in bfloat16, as PyTorch's; torchless emulates its rounding in float32.

    Args:
        params (iterable): 2-D parameters to optimize, or dicts defining parameter groups (biases, embeddings and
            other parameters should go to another optimizer, such as AdamW).
        lr (float, Tensor): learning rate :math:`\gamma` (default: 1e-3).
        weight_decay (float): decoupled weight decay :math:`\lambda` (default: 0.1).
        momentum (float): momentum factor :math:`\mu` (default: 0.95).
        nesterov (bool): use Nesterov momentum (default: True).
        ns_coefficients (tuple of three floats): coefficients :math:`(a, b, c)` of the Newton-Schulz polynomial
            (default: (3.4445, -4.7750, 2.0315)).
        eps (float): lower bound of the norm the iteration's input is divided by (default: 1e-7).
        ns_steps (int): number of Newton-Schulz steps :math:`k` (default: 5).
        adjust_lr_fn (str): ``'original'`` scales the learning rate by :math:`\sqrt{\max(1, A/B)}`,
            ``'match_rms_adamw'`` by :math:`0.2\sqrt{\max(A, B)}` (default: None, meaning ``'original'``).

    State per parameter: ``momentum_buffer``.
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS, ns_steps=DEFAULT_NS_STEPS,
                 adjust_lr_fn=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = {"lr": lr, "weight_decay": weight_decay, "momentum": momentum, "nesterov": nesterov,
                    "ns_coefficients": ns_coefficients, "eps": eps, "ns_steps": ns_steps,
                    "adjust_lr_fn": adjust_lr_fn}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a parameter with size: "
                                     f"{p.size()}")

    def _init_group(self, group):
        """The group's (param, param array, grad array, momentum buffer array) for the update; buffers are made on
        the way, as PyTorch does before it refuses a complex parameter."""
        found = []
        for param, p, g in self._params_with_grad(group):
            if p.dtype.kind == "c":
                raise RuntimeError("Muon does not support complex parameters")
            state = self.state[param]
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = Tensor._wrap(np.zeros_like(g))
            found.append((param, p, g, state["momentum_buffer"]._data))
        return found

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, weight_decay, momentum = _hyper_value(group["lr"]), group["weight_decay"], group["momentum"]
            for param, p, g, buf in self._init_group(group):
                if g.ndim != 2:  # (a parameter of another rank, given by add_param_group)
                    raise ValueError("Param gradient must be a 2D matrix")
                lerp_(buf, g, 1 - momentum)
                update = buf
                if group["nesterov"]:
                    update = g.copy()
                    lerp_(update, buf, momentum)
                update = _zeropower_via_newtonschulz(update, group["ns_coefficients"], group["ns_steps"],
                                                     group["eps"])
                adjusted_lr = _adjust_lr(lr, group["adjust_lr_fn"], p.shape)
                scalar = p.dtype.type
                p *= scalar(1 - lr * weight_decay)
                p += np.multiply(update, scalar(-adjusted_lr), dtype=p.dtype)
                param._version += 1
        return loss
