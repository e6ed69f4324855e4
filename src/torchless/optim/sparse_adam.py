"""SparseAdam: Adam for sparse gradients, which torchless never produces (its constructor and errors as PyTorch's)."""
from .._tensor import Tensor
from .optimizer import Optimizer
from ._hyperparameters import check_nonnegative

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    r"""Adam for sparse gradients (``nn.Embedding(..., sparse=True)`` in PyTorch): only the moments of the rows a
    gradient touches are updated.

    torchless has no sparse tensors, so every gradient is dense and :meth:`step` refuses it with PyTorch's
    error; the constructor checks its arguments and builds its parameter groups as PyTorch's does, so code that
    builds one (and steps a separate dense optimizer) runs unchanged.

    Args:
        params (iterable): parameters to optimize, or dicts defining parameter groups.
        lr (float): learning rate (default: 1e-3).
        betas (Tuple[float, float]): coefficients of the running averages of the gradient and its square
            (default: (0.9, 0.999)).
        eps (float): term added to the denominator for numerical stability (default: 1e-8).
        maximize (bool): maximize the objective instead of minimizing it (default: False).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        # strict bounds, unlike the other optimizers: a zero lr or eps is refused
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        check_nonnegative(betas=betas)
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize})
        complex_params = [[index, d_index] for index, group in enumerate(self.param_groups)
                          for d_index, param in enumerate(group["params"]) if param.is_complex()]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not support complex "
                             "parameters")

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss.

        Any parameter with a gradient fails: torchless's gradients are dense.
        """
        loss = self._evaluate(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]  # (unpacked before the gradients are looked at, as PyTorch's step does)
            if any(p.grad is not None for p in group["params"]):
                raise RuntimeError("SparseAdam does not support dense gradients, please consider Adam instead")
        return loss


def sparse_adam(params, grads, exp_avgs, exp_avg_sqs, state_steps, *, eps, beta1, beta2, lr, maximize):
    r"""Functional API that performs Sparse Adam algorithm computation (``torch.optim._functional.sparse_adam``).

    Its update coalesces each sparse gradient first; torchless's gradients are dense, which PyTorch's ``coalesce``
    refuses, so any parameter fails with its error. See :class:`~torchless.optim.SparseAdam`.
    """
    for i in range(len(params)):
        _coalesce(-grads[i] if maximize else grads[i])


def _coalesce(grad):
    """PyTorch's ``Tensor.coalesce`` of a dense tensor (the only kind torchless has), which it refuses."""
    raise RuntimeError("coalesce expected sparse coordinate tensor layout but got Strided")
