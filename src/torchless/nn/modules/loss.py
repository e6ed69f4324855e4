"""Loss layers, wrappers of the functionals: CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, BCELoss, BCEWithLogitsLoss,
SmoothL1Loss, HuberLoss, KLDivLoss, PoissonNLLLoss, GaussianNLLLoss, SoftMarginLoss, MarginRankingLoss,
HingeEmbeddingLoss, MultiMarginLoss, MultiLabelMarginLoss, MultiLabelSoftMarginLoss, CosineEmbeddingLoss,
TripletMarginLoss, TripletMarginWithDistanceLoss, CTCLoss, LinearCrossEntropyLoss (and the deprecated NLLLoss2d)."""
import math
import warnings

from .._functional import likelihood_loss as F_likelihood
from .._functional import loss as F_loss
from .._functional import margin_loss as F_margin
from .._functional import metric_loss as F_metric
from .._functional import regression_loss as F_regression
from .._functional.linear_cross_entropy import linear_cross_entropy
from .linear import Linear
from .module import Module


# What a star-import gives (PyTorch's list)
__all__ = ["L1Loss", "NLLLoss", "NLLLoss2d", "PoissonNLLLoss", "GaussianNLLLoss", "KLDivLoss", "MSELoss", "BCELoss",
           "BCEWithLogitsLoss", "HingeEmbeddingLoss", "MultiLabelMarginLoss", "SmoothL1Loss", "HuberLoss",
           "SoftMarginLoss", "CrossEntropyLoss", "LinearCrossEntropyLoss", "MultiLabelSoftMarginLoss",
           "CosineEmbeddingLoss", "MarginRankingLoss", "MultiMarginLoss", "TripletMarginLoss",
           "TripletMarginWithDistanceLoss", "CTCLoss"]


# The docstring entries the losses share: the reduction arguments and the shapes of an element-wise loss
_LOSS_DOCS = {
    "reduction_args": """\
reduction (str, optional): ``'none'`` (the per-element losses l_n), ``'mean'`` (their mean) or ``'sum'``.
            Default: ``'mean'``
        size_average, reduce (bool, optional): deprecated spellings of ``reduction``. Default: ``None``""",
    "elementwise_shape": """- Input: (*), any number of dimensions
        - Target: (*), same shape as the input
        - Output: scalar; with ``reduction='none'``, (*), same shape as the input""",
}


# The docstring entries the losses share, each as it stands in them (stripped: it is filled in at its
# indentation): the reduction arguments and the shapes of an element-wise loss
_LOSS_DOCS = {
    "reduction_args": """
        reduction (str, optional): ``'none'`` (the per-element losses l_n), ``'mean'`` (their mean) or ``'sum'``.
            Default: ``'mean'``
        size_average, reduce (bool, optional): deprecated spellings of ``reduction``. Default: ``None``
    """.strip(),
    "elementwise_shape": """
        - Input: (*), any number of dimensions
        - Target: (*), same shape as the input
        - Output: scalar; with ``reduction='none'``, (*), same shape as the input
    """.strip(),
}


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = F_loss._legacy_reduction(size_average, reduce)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    __doc__ = """The cross entropy between logits and class indices or class probabilities.

    It applies :class:`LogSoftmax` over the class dimension (dim 1, or dim 0 of an unbatched input) and then the
    negative log-likelihood. For class indices y, l_n = -w_{{y_n}} * log(softmax(x_n)_{{y_n}}) (0 where
    y_n = ignore_index) and ``'mean'`` divides by the sum of the weights w_{{y_n}} of the targets not ignored. For
    class probabilities y (the same shape as the input), l_n = -sum_c w_c * y_{{n, c}} * log(softmax(x_n)_c) and
    ``'mean'`` divides by the number of samples, N * d_1 * ... * d_K.
    A label_smoothing s > 0 mixes the targets with the uniform distribution: (1 - s) * target + s / C.

    Args:
        weight (Tensor, optional): a weight for each class, of shape (C). Default: ``None`` (all 1)
        ignore_index (int, optional): a target class index that contributes neither loss nor weight. Default: ``-100``
        {reduction_args}
        label_smoothing (float, optional): s, in [0, 1]. Default: ``0.0``

    Shape:
        - Input: (N, C) or (C), or (N, C, d_1, ..., d_K) for K-dimensional losses
        - Target: (N) or (), or (N, d_1, ..., d_K), of class indices in [0, C - 1];
          or class probabilities of the input's shape and dtype
        - Output: scalar; with ``reduction='none'``, (N) or (N, d_1, ..., d_K)

    Examples::

        >>> loss = nn.CrossEntropyLoss()
        >>> loss(torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), torch.tensor([0, 2]))
        tensor(0.8955)
        >>> loss(torch.randn(4, 10, 8, 8), torch.randint(10, (4, 8, 8))).shape
        torchless.Size([])
    """.format(**_LOSS_DOCS)
    __constants__ = ["ignore_index", "reduction", "label_smoothing"]

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return F_loss.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                                    reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    __doc__ = """The negative log-likelihood loss of class indices given log-probabilities.

    For input x (log-probabilities, e.g. the output of :class:`LogSoftmax`) and target classes y,
    l_n = -w_{{y_n}} * x_{{n, y_n}}, and l_n = 0 where y_n = ignore_index. ``'mean'`` divides the sum of the l_n by
    the sum of the weights w_{{y_n}} of the targets not ignored; ``'sum'`` adds them up.

    Args:
        weight (Tensor, optional): a weight for each class, of shape (C). Default: ``None`` (all 1)
        ignore_index (int, optional): a target value that contributes neither loss nor weight. Default: ``-100``
        {reduction_args}

    Shape:
        - Input: (N, C) or (C), or (N, C, d_1, ..., d_K) for K-dimensional losses
        - Target: (N) or (), or (N, d_1, ..., d_K), of class indices in [0, C - 1]
        - Output: scalar; with ``reduction='none'``, (N) or (N, d_1, ..., d_K)

    Examples::

        >>> loss = nn.NLLLoss()
        >>> loss(torch.tensor([[-0.1, -2.4], [-1.2, -0.4]]), torch.tensor([0, 1]))
        tensor(0.2500)
    """.format(**_LOSS_DOCS)
    __constants__ = ["ignore_index", "reduction"]

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F_loss.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction)


class NLLLoss2d(NLLLoss):
    __doc__ = """:class:`NLLLoss` under its former name, for (N, C, H, W) inputs; deprecated.

    Constructing it issues PyTorch's FutureWarning; it then behaves exactly as :class:`NLLLoss`, which accepts
    inputs of any number of spatial dimensions.

    Args:
        weight (Tensor, optional): a weight for each class, of shape (C). Default: ``None``
        ignore_index (int, optional): a target value that is ignored. Default: ``-100``
        {reduction_args}

    Shape:
        - Input: (N, C, H, W)
        - Target: (N, H, W), of class indices in [0, C - 1]
        - Output: scalar; with ``reduction='none'``, (N, H, W)

    Examples::

        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter('ignore')
        ...     loss = nn.NLLLoss2d()
        >>> loss(torch.zeros(1, 2, 3, 3), torch.zeros(1, 3, 3, dtype=torch.long))
        tensor(0.)
    """.format(**_LOSS_DOCS)

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        warnings.warn("`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in replacement and see "
                      "https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for more details.", FutureWarning,
                      stacklevel=2)
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


class MSELoss(_Loss):
    __doc__ = """Measures the mean squared error between input x and target y.

    With ``reduction='none'`` the loss is l_n = (x_n - y_n)^2; ``'mean'`` averages these over all elements and
    ``'sum'`` adds them up.

    Args:
        {reduction_args}

    Shape:
        {elementwise_shape}

    Examples::

        >>> loss = nn.MSELoss()
        >>> loss(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 0.0, 0.0]))
        tensor(4.3333)
    """.format(**_LOSS_DOCS)
    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F_loss.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    __doc__ = """Measures the mean absolute error between input x and target y.

    With ``reduction='none'`` the loss is l_n = |x_n - y_n|; ``'mean'`` averages these over all elements and
    ``'sum'`` adds them up.

    Args:
        {reduction_args}

    Shape:
        {elementwise_shape}

    Examples::

        >>> loss = nn.L1Loss()
        >>> loss(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 0.0, 0.0]))
        tensor(1.6667)
    """.format(**_LOSS_DOCS)
    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F_loss.l1_loss(input, target, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    __doc__ = """Measures the binary cross entropy between predicted probabilities x and targets y.

    With ``reduction='none'`` the loss is l_n = -w_n * (y_n * log(x_n) + (1 - y_n) * log(1 - x_n)), each log
    clamped at -100 so that x = 0 or 1 gives a finite loss; ``'mean'`` averages over all elements and ``'sum'``
    adds them up. The input must lie in [0, 1] (apply a Sigmoid first, or use :class:`BCEWithLogitsLoss`).

    Args:
        weight (Tensor, optional): a rescaling weight w_n, broadcast against the input. Default: ``None``
        {reduction_args}

    Shape:
        {elementwise_shape}

    Examples::

        >>> loss = nn.BCELoss()
        >>> loss(torch.tensor([0.8, 0.2]), torch.tensor([1.0, 0.0]))
        tensor(0.2231)
    """.format(**_LOSS_DOCS)
    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F_loss.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    __doc__ = """Combines a Sigmoid and :class:`BCELoss` in one numerically stable loss on logits x.

    With ``reduction='none'`` the loss is
    l_n = -w_n * (p * y_n * log(sigmoid(x_n)) + (1 - y_n) * log(1 - sigmoid(x_n))), computed with the log-sum-exp
    trick; ``'mean'`` averages over all elements and ``'sum'`` adds them up.

    Args:
        weight (Tensor, optional): a rescaling weight w_n, broadcast against the input. Default: ``None``
        {reduction_args}
        pos_weight (Tensor, optional): the weight p of positive examples, broadcast along the last (class)
            dimension. Default: ``None`` (p = 1)

    Shape:
        {elementwise_shape}

    Examples::

        >>> loss = nn.BCEWithLogitsLoss()
        >>> loss(torch.tensor([2.0, -1.0]), torch.tensor([1.0, 0.0]))
        tensor(0.2201)
    """.format(**_LOSS_DOCS)

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F_loss.binary_cross_entropy_with_logits(input, target, self.weight, pos_weight=self.pos_weight,
                                                       reduction=self.reduction)


# ---------------------------------------------------------------------------- robust regression
class SmoothL1Loss(_Loss):
    __doc__ = """A loss that is quadratic for small errors and linear for large ones (Girshick, Fast R-CNN).

    With d_n = |x_n - y_n| and ``reduction='none'``, l_n = 0.5 * d_n^2 / beta if d_n < beta, else
    d_n - 0.5 * beta; ``'mean'`` averages over all elements and ``'sum'`` adds them up. It is less sensitive to
    outliers than :class:`MSELoss`; beta = 0 makes it :class:`L1Loss`, and it equals :class:`HuberLoss` / beta.

    Args:
        size_average, reduce (bool, optional): deprecated spellings of ``reduction``. Default: ``None``
        reduction (str, optional): ``'none'`` (the per-element losses l_n), ``'mean'`` (their mean) or ``'sum'``.
            Default: ``'mean'``
        beta (float, optional): the error size where the loss turns linear; >= 0. Default: ``1.0``

    Shape:
        {elementwise_shape}

    Examples::

        >>> loss = nn.SmoothL1Loss()
        >>> loss(torch.tensor([0.5, 3.0]), torch.tensor([0.0, 0.0]))
        tensor(1.3125)
    """.format(**_LOSS_DOCS)
    __constants__ = ["reduction"]

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F_regression.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    __doc__ = """The Huber loss: quadratic for errors below ``delta``, linear above.

    With d_n = |x_n - y_n| and ``reduction='none'``, l_n = 0.5 * d_n^2 if d_n < delta, else
    delta * (d_n - 0.5 * delta); ``'mean'`` averages over all elements and ``'sum'`` adds them up. It is
    :class:`SmoothL1Loss` with beta = delta, scaled by delta.

    Args:
        reduction (str, optional): ``'none'`` (the per-element losses l_n), ``'mean'`` (their mean) or ``'sum'``.
            Default: ``'mean'``
        delta (float, optional): the error size where the loss turns linear; > 0. Default: ``1.0``

    Shape:
        {elementwise_shape}

    Examples::

        >>> loss = nn.HuberLoss(delta=2.0)
        >>> loss(torch.tensor([0.5, 3.0]), torch.tensor([0.0, 0.0]))
        tensor(2.0625)
    """.format(**_LOSS_DOCS)
    __constants__ = ["reduction", "delta"]

    def __init__(self, reduction="mean", delta=1.0):
        if not isinstance(delta, (float, int)):
            raise TypeError(f"delta must be a float or int, got: {type(delta)}")
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F_regression.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


# ---------------------------------------------------------------------------- likelihoods
class KLDivLoss(_Loss):
    """The Kullback-Leibler divergence of a target distribution y from a predicted one, given as log-probabilities x.

    With ``reduction='none'``, l_n = y_n * (log(y_n) - x_n) (0 where y_n = 0), or exp(y_n) * (y_n - x_n) with
    ``log_target=True`` (y given as log-probabilities too). ``'sum'`` adds them up, ``'batchmean'`` divides
    the sum by the batch size N (the divergence proper, averaged over samples) and ``'mean'`` averages over all
    elements (which is not the divergence; PyTorch keeps it as the default for compatibility).

    Args:
        size_average, reduce (bool, optional): deprecated spellings of ``reduction``. Default: ``None``
        reduction (str, optional): ``'none'``, ``'batchmean'``, ``'sum'`` or ``'mean'``. Default: ``'mean'``
        log_target (bool, optional): whether the target is given as log-probabilities. Default: ``False``

    Shape:
        - Input: (*), log-probabilities
        - Target: (*), same shape as the input
        - Output: scalar; with ``reduction='none'``, (*), same shape as the input

    Examples::

        >>> loss = nn.KLDivLoss(reduction='batchmean')
        >>> x = torch.tensor([[0.25, 0.75]]).log()
        >>> loss(x, torch.tensor([[0.5, 0.5]]))
        tensor(0.1438)
    """
    __constants__ = ["reduction"]

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F_likelihood.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood: exp(x) - y x with log_input, else x - y log(x + eps); full adds the
    Stirling term of log(y!).

    See ``torchless.nn.functional.poisson_nll_loss``. Shape: input (*), target (*); output () or, with
    'none', (*).

    Examples::

        >>> loss = nn.PoissonNLLLoss()
        >>> loss(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0]))
        tensor(0.8591)
    """
    __constants__ = ["log_input", "full", "eps", "reduction"]

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return F_likelihood.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                             eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood 0.5 (log var + (x - y)^2 / var), var clamped at eps.

    See ``torchless.nn.functional.gaussian_nll_loss``. Shape: input (N, *) or (*), target like input,
    var like input or with one dimension of size 1 or without the last one; output () or, with 'none',
    the input's shape.

    Examples::

        >>> loss = nn.GaussianNLLLoss()
        >>> loss(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 1.0]), torch.tensor([1.0, 2.0]))
        tensor(0.4233)
    """
    __constants__ = ["full", "eps", "reduction"]

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(None, None, reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return F_likelihood.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                              reduction=self.reduction)


# ---------------------------------------------------------------------------- margins
class SoftMarginLoss(_Loss):
    __doc__ = """The two-class logistic loss of inputs x and targets y in {{1, -1}}.

    With ``reduction='none'`` the loss is l_n = log(1 + exp(-y_n * x_n)); ``'mean'`` averages over all elements
    and ``'sum'`` adds them up.

    Args:
        {reduction_args}

    Shape:
        {elementwise_shape}

    Examples::

        >>> loss = nn.SoftMarginLoss()
        >>> loss(torch.tensor([2.0, -1.0]), torch.tensor([1.0, 1.0]))
        tensor(0.7201)
    """.format(**_LOSS_DOCS)
    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F_margin.soft_margin_loss(input, target, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """Pairwise ranking loss max(0, -y (x1 - x2) + margin) of targets y in {1, -1}.

    See ``torchless.nn.functional.margin_ranking_loss``. Shape: input1 (N) or (), input2 and target
    like it; output () or, with 'none', (N).

    Examples::

        >>> loss = nn.MarginRankingLoss(margin=0.5)
        >>> loss(torch.tensor([1.0, 2.0]), torch.tensor([2.0, 0.0]), torch.tensor([1.0, 1.0]))
        tensor(0.7500)
    """
    __constants__ = ["margin", "reduction"]

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F_margin.margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    __doc__ = """The hinge embedding loss of inputs x (typically distances) and targets y in {{1, -1}}.

    With ``reduction='none'`` the loss is l_n = x_n where y_n = 1 and max(0, margin - x_n) where y_n = -1;
    ``'mean'`` averages over all elements and ``'sum'`` adds them up. It pulls similar pairs (y = 1) together
    and pushes dissimilar ones (y = -1) at least ``margin`` apart.

    Args:
        margin (float, optional): the margin for y = -1. Default: ``1.0``
        {reduction_args}

    Shape:
        {elementwise_shape}

    Examples::

        >>> loss = nn.HingeEmbeddingLoss(margin=1.0)
        >>> loss(torch.tensor([0.3, 0.4]), torch.tensor([1.0, -1.0]))
        tensor(0.4500)
    """.format(**_LOSS_DOCS)
    __constants__ = ["margin", "reduction"]

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return F_margin.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss: per sample, sum over i != y of w_y max(0, margin - x_y + x_i)^p, over C.

    See ``torchless.nn.functional.multi_margin_loss``. p is 1 or 2; weight a 1-D (C) tensor. Shape:
    input (N, C) or (C), target (N) or (); output () or, with 'none', (N).

    Examples::

        >>> loss = nn.MultiMarginLoss()
        >>> loss(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([3]))
        tensor(0.3250)
    """
    __constants__ = ["p", "margin", "reduction"]

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        if p != 1 and p != 2:
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.dim() != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be None or 1D tensor, got {weight.dim()}D instead")
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return F_margin.multi_margin_loss(input, target, p=self.p, margin=self.margin, weight=self.weight,
                                          reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss: per sample, the sum over listed classes j and unlisted classes i of
    max(0, 1 - (x_j - x_i)), over C.

    See ``torchless.nn.functional.multilabel_margin_loss``. Shape: input (N, C) or (C), target of the same
    shape (int64 class indices, ended by -1); output () or, with 'none', (N).

    Examples::

        >>> loss = nn.MultiLabelMarginLoss()
        >>> loss(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """
    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F_margin.multilabel_margin_loss(input, target, reduction=self.reduction)


class LinearCrossEntropyLoss(_WeightedLoss):
    """A bias-optional linear head and cross entropy in one (``F.linear_cross_entropy``): ``in_features`` to
    ``num_classes`` logits, per position of ``out_features`` for a K-dimensional loss.

    The head is ``self.linear``, a :class:`Linear` to ``num_classes * prod(out_features)`` outputs, its weight
    reshaped to (C, *out_features, in_features) in forward. ``ignore_index`` None means -100 for class indices.
    """
    __constants__ = ["num_classes", "out_features", "reduction", "ignore_index", "label_smoothing"]

    def __init__(self, in_features, num_classes, *, out_features=(), bias=False, device=None, dtype=None,
                 reduction="mean", weight=None, ignore_index=None, label_smoothing=0.0, options=None):
        if weight is not None and tuple(weight.shape) != (num_classes,):
            raise RuntimeError(f"expected weight shape to be {(num_classes,)}, got {tuple(weight.shape)}")
        if label_smoothing < 0 or label_smoothing > 1.0:
            raise RuntimeError(f"expected label_smoothing to be in range [0, 1], got {label_smoothing}")
        super().__init__(weight=weight, size_average=None, reduce=None, reduction=reduction)
        self.num_classes, self.out_features = num_classes, out_features
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing
        self.linear = Linear(in_features, math.prod(out_features, start=num_classes), bias=bias, device=device,
                             dtype=dtype)
        self.options = options

    def forward(self, input, target):
        linear_weight = self.linear.weight.reshape((self.num_classes, *self.out_features, self.linear.in_features))
        linear_bias = self.linear.bias.reshape((self.num_classes, *self.out_features)) \
            if self.linear.bias is not None else None
        return linear_cross_entropy(input, linear_weight, target, linear_bias=linear_bias, weight=self.weight,
                                    reduction=self.reduction, ignore_index=self.ignore_index,
                                    label_smoothing=self.label_smoothing, options=self.options)

    def extra_repr(self):
        return (f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, "
                f"reduction={self.reduction}, ignore_index={self.ignore_index}, "
                f"label_smoothing={self.label_smoothing}, options={self.options}")


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Multi-label one-versus-all logistic loss, averaged over the C classes of each sample.

    See ``torchless.nn.functional.multilabel_soft_margin_loss``. Shape: input (N, C), target (N, C);
    output () or, with 'none', (N).

    Examples::

        >>> loss = nn.MultiLabelSoftMarginLoss()
        >>> loss(torch.tensor([[2.0, -1.0]]), torch.tensor([[1.0, 0.0]]))
        tensor(0.2201)
    """
    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F_margin.multilabel_soft_margin_loss(input, target, weight=self.weight, reduction=self.reduction)


# ---------------------------------------------------------------------------- embeddings
class CosineEmbeddingLoss(_Loss):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1.

    See ``torchless.nn.functional.cosine_embedding_loss``. Shape: input1, input2 (N, D) or (D), target
    (N) or (); output () or, with 'none', (N) or ().

    Examples::

        >>> loss = nn.CosineEmbeddingLoss()
        >>> loss(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]]), torch.tensor([1]))
        tensor(1.)
    """
    __constants__ = ["margin", "reduction"]

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F_metric.cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """Triplet loss max(0, d(a, p) - d(a, n) + margin), d the p-norm distance (with the distance swap if swap).

    See ``torchless.nn.functional.triplet_margin_loss``. Shape: anchor, positive, negative (N, D) or (D);
    output () or, with 'none', (N) or ().

    Examples::

        >>> loss = nn.TripletMarginLoss(margin=1.0)
        >>> loss(torch.randn(8, 16), torch.randn(8, 16), torch.randn(8, 16)).shape
        torchless.Size([])
    """
    __constants__ = ["margin", "p", "eps", "swap", "reduction"]

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return F_metric.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p, eps=self.eps,
                                            swap=self.swap, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """Triplet loss max(0, margin + d(a, p) - d(a, n)) with a distance function of one's choice.

    See ``torchless.nn.functional.triplet_margin_with_distance_loss``; ``distance_function`` defaults to a
    :class:`PairwiseDistance` module (shown as a child in the repr).

    Shape:
        - Anchor, positive, negative: (N, *), whatever the distance function takes; its result has shape (N)
        - Output: scalar; with ``reduction='none'``, (N)

    Examples::

        >>> loss = nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance())
        >>> loss(torch.randn(8, 16), torch.randn(8, 16), torch.randn(8, 16)).shape
        torchless.Size([])
    """
    __constants__ = ["margin", "swap", "reduction"]

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(size_average=None, reduce=None, reduction=reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} "
                             "instead")
        from .distance import PairwiseDistance

        self.distance_function = distance_function if distance_function is not None else PairwiseDistance()
        self.margin, self.swap = margin, swap

    def forward(self, anchor, positive, negative):
        return F_metric.triplet_margin_with_distance_loss(anchor, positive, negative,
                                                          distance_function=self.distance_function,
                                                          margin=self.margin, swap=self.swap,
                                                          reduction=self.reduction)


class CTCLoss(_Loss):
    r"""The Connectionist Temporal Classification loss (see ``torchless.nn.functional.ctc_loss``): log-probabilities
    (T, N, C) against unaligned target sequences; ``blank`` is the blank label, ``zero_infinity`` zeroes impossible
    alignments' losses and gradients."""
    __constants__ = ["blank", "reduction"]

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F_likelihood.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                                     self.zero_infinity)
