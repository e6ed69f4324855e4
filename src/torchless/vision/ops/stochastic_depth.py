"""Stochastic depth (`Deep Networks with Stochastic Depth <https://arxiv.org/abs/1603.09382>`_): residual
branches dropped at random while training, as in torchvision.ops."""
from ... import empty, nn

__all__ = ["stochastic_depth", "StochasticDepth"]


def stochastic_depth(input, p, mode, training=True):
    """Zero the whole of ``input`` (``mode="batch"``) or some of its samples (``mode="row"``) with probability
    ``p``, scaling what is kept by ``1 / (1 - p)`` so that the expectation is unchanged; meant for the residual
    branch of a block, whose shortcut then carries the sample alone.

    Args:
        input (Tensor[N, ...]): a batch, samples along the first dimension.
        p (float): the probability of zeroing, in [0, 1].
        mode (str): ``"batch"`` draws once for the whole batch, ``"row"`` once per sample.
        training (bool): when False, ``input`` is returned unchanged. Default: True.

    Returns:
        Tensor[N, ...]: ``input`` with the dropped rows (or all of it) zeroed.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if mode not in ["batch", "row"]:
        raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return input

    survival_rate = 1.0 - p
    if mode == "row":
        size = [input.shape[0]] + [1] * (input.ndim - 1)
    else:
        size = [1] * input.ndim
    noise = empty(size, dtype=input.dtype).bernoulli_(survival_rate)
    if survival_rate > 0.0:
        noise.div_(survival_rate)
    return input * noise


class StochasticDepth(nn.Module):
    """:func:`stochastic_depth` as a module, active in training mode only.

    Args:
        p (float): the probability of zeroing.
        mode (str): ``"batch"`` or ``"row"``.
    """

    def __init__(self, p, mode):
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, input):
        return stochastic_depth(input, self.p, self.mode, self.training)

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p}, mode={self.mode})"
