"""AdaptiveLogSoftmaxWithLoss: a softmax over many classes, split into a frequent head and rarer tail clusters
(Grave et al., "Efficient softmax approximation for GPUs")."""
from collections import namedtuple

from .. import functional as F
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


# What a star-import gives (PyTorch's list)
__all__ = ["AdaptiveLogSoftmaxWithLoss"]


class AdaptiveLogSoftmaxWithLoss(Module):
    r"""Log-probabilities of the target classes under an adaptive softmax, and their mean negative as the loss.

    The classes below ``cutoffs[0]`` (the shortlist) are scored by the head, a Linear layer that also scores one
    entry per tail cluster; the classes of cluster i (``cutoffs[i]`` to ``cutoffs[i + 1]``) are scored by a
    two-layer projection whose hidden size shrinks by ``div_value`` per cluster. A class's log-probability is its
    head log-probability (shortlist) or its cluster's head log-probability plus its log-probability within the
    cluster.

    Args:
        in_features (int): features of each input row.
        n_classes (int): number of classes.
        cutoffs (Sequence[int]): increasing, unique cluster boundaries in ``[1, n_classes - 1]``.
        div_value (float): the hidden size of cluster i's projection is ``in_features // div_value ** (i + 1)``.
        head_bias (bool): give the head a bias (default: False).

    Returns (forward): a named tuple ``(output, loss)``: ``output`` (N) the target log-probabilities (0-d for an
    unbatched input), ``loss`` their negated mean.

    Shape: input (N, in_features) with target (N), or (in_features) with a 0-d target.
    """

    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False, device=None, dtype=None):
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing "
                             "order, where each value is between 1 and n_classes-1")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        options = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **options)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, **options),
                                        Linear(hidden, size, bias=False, **options)))

    def reset_parameters(self):
        self.head.reset_parameters()
        for to_hidden, to_classes in self.tail:
            to_hidden.reset_parameters()
            to_classes.reset_parameters()

    def forward(self, input_, target_):
        if target_.dim() == 1:
            if input_.size(0) != target_.size(0):
                raise RuntimeError("Input and target should have the same size in the batch dimension.")
            if input_.dim() != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with size "
                                   f"{input_.size()}")
        elif target_.dim() == 0:
            if input_.dim() != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with size "
                                   f"{input_.size()}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = target_.dim() > 0
        input = input_ if batched else input_.unsqueeze(0)
        target = target_ if batched else target_.unsqueeze(0)
        rows_total = target.size(0)
        # within-cluster log-probabilities (0 for shortlist targets), and the head entry each row reads
        output = input.new_zeros(rows_total)
        head_entry = target.new_empty(rows_total)
        bounds = [0] + self.cutoffs
        covered = 0
        for i in range(len(bounds) - 1):
            low, high = bounds[i], bounds[i + 1]
            in_range = (target >= low) & (target < high)
            rows = in_range.nonzero().reshape(-1)
            if rows.numel() == 0:
                continue
            if i == 0:
                head_entry.index_copy_(0, rows, target[in_range])
            else:
                cluster_scores = self.tail[i - 1](input.index_select(0, rows))
                head_entry.index_fill_(0, rows, self.shortlist_size + i - 1)
                within = F.log_softmax(cluster_scores, dim=1).gather(1, (target[in_range] - low).unsqueeze(1))
                output.index_copy_(0, rows, within.squeeze(1))
            covered += rows.numel()
        if covered != rows_total:
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{target.min().item()}, {target.max().item()}] were found. ")
        head_logprob = F.log_softmax(self.head(input), dim=1)
        output += head_logprob.gather(1, head_entry.unsqueeze(1)).squeeze()
        loss = (-output).mean()
        if not batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _get_full_log_prob(self, input, head_output):
        """The log-probabilities of all classes (rows of ``input``, whose head scores are ``head_output``)."""
        out = input.new_empty((head_output.size(0), self.n_classes))
        head_logprob = F.log_softmax(head_output, dim=1)
        out[:, :self.shortlist_size] = head_logprob[:, :self.shortlist_size]
        for i, (start, stop) in enumerate(zip(self.cutoffs, self.cutoffs[1:])):
            cluster_logprob = F.log_softmax(self.tail[i](input), dim=1)
            out[:, start:stop] = cluster_logprob + head_logprob[:, self.shortlist_size + i].unsqueeze(1)
        return out

    def log_prob(self, input):
        """The log-probabilities of every class, (N, n_classes)."""
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input):
        """The most likely class of each row: the head's choice when it is a shortlist class, else the argmax of
        the full distribution (computed only for the rows that need it)."""
        head_output = self.head(input)
        output = head_output.argmax(dim=1)
        outside = output >= self.shortlist_size
        if not outside.any():
            return output
        if outside.all():
            return self._get_full_log_prob(input, head_output).argmax(dim=1)
        output[outside] = self._get_full_log_prob(input[outside], head_output[outside]).argmax(dim=1)
        return output

