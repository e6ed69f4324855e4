"""Embedding: a lookup table of learnable vectors, one per index; EmbeddingBag: sums, means or maxima of bags of
them."""
from ... import _creation, _dtype
from ...autograd import grad_mode
from .. import init
from .._functional.embedding import embedding, embedding_bag
from ..parameter import Parameter
from .module import Module, _registered


# What a star-import gives (PyTorch's list)
__all__ = ["Embedding", "EmbeddingBag"]


def _padding_row(padding_idx, num_embeddings, label):
    """``padding_idx`` as a row number (a negative one counts from the end), None kept; PyTorch's AssertionError
    (worded with ``label``, which the two modules capitalise differently) when it is out of range. Row 0 is never
    checked: with a negative ``num_embeddings`` the weight's allocation is what fails."""
    if padding_idx is None:
        return None
    if (padding_idx > 0 and padding_idx >= num_embeddings) or (padding_idx < 0 and padding_idx < -num_embeddings):
        raise AssertionError(f"{label} must be within num_embeddings")
    return padding_idx + num_embeddings if padding_idx < 0 else padding_idx

class Embedding(Module):
    """A lookup table of ``num_embeddings`` vectors of size ``embedding_dim``, indexed by integers.

    The output replaces each index i of the input by row i of ``weight``; gradients flow to the rows looked up.

    Args:
        num_embeddings (int): the number of vectors (rows of ``weight``)
        embedding_dim (int): the size of each vector
        padding_idx (int, optional): a row that gets no gradient and starts as zeros, e.g. for padding tokens;
            negative counts from the end. Default: ``None``
        max_norm (float, optional): looked-up rows whose ``norm_type``-norm exceeds it are rescaled in place to
            norm max_norm. Default: ``None``
        norm_type (float, optional): the p of the norm for ``max_norm``. Default: ``2.0``
        scale_grad_by_freq (bool, optional): divide each row's gradient by its index's count in the mini-batch.
            Default: ``False``
        sparse (bool, optional): sparse gradients; not supported by torchless (see ``functional.embedding``).
            Default: ``False``
        device, dtype (optional): where and of which floating dtype ``weight`` is created. Default: ``None``

    Attributes:
        weight (Tensor): the learnable table, of shape (num_embeddings, embedding_dim), initialised from N(0, 1)

    Shape:
        - Input: (*), int64 or int32 indices in [0, num_embeddings - 1]
        - Output: (*, H), H = embedding_dim

    Examples::

        >>> m = nn.Embedding(10, 3)
        >>> m(torch.tensor([[1, 2, 4, 5], [4, 3, 2, 9]])).shape
        torchless.Size([2, 4, 3])
        >>> nn.Embedding(4, 2, padding_idx=0).weight[0]
        tensor([0., 0.], grad_fn=<SelectBackward0>)
    """
    __constants__ = ["num_embeddings", "embedding_dim", "padding_idx", "max_norm",
                     "norm_type", "scale_grad_by_freq", "sparse"]

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        padding_idx = _padding_row(padding_idx, num_embeddings, "Padding_idx")
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if _weight is None:
            factory_dtype = dtype or _dtype.get_default_dtype()
            self.weight = Parameter(
                _creation.empty((num_embeddings, embedding_dim), dtype=factory_dtype, device=device),
                requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")
            self.weight = Parameter(_weight, requires_grad=not _freeze)
        self.sparse = sparse

    def reset_parameters(self):
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self):
        if self.padding_idx is not None:
            with grad_mode.no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input):
        return embedding(input, _registered(self, self._parameters, "weight"), self.padding_idx, self.max_norm,
                         self.norm_type, self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        s = "{num_embeddings}, {embedding_dim}"
        if self.padding_idx is not None:
            s += ", padding_idx={padding_idx}"
        if self.max_norm is not None:
            s += ", max_norm={max_norm}"
        if self.norm_type != 2:
            s += ", norm_type={norm_type}"
        if self.scale_grad_by_freq is not False:
            s += ", scale_grad_by_freq={scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s.format(**self.__dict__)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        r"""An Embedding whose weight is ``embeddings`` (2-D, shared, not copied); frozen (no gradient) by default.

        The padding_idx row is kept as given (not zeroed).
        """
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings, _freeze=freeze,
                   padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


class EmbeddingBag(Module):
    r"""A table of ``num_embeddings`` vectors of size ``embedding_dim`` whose output is, per bag of indices, the
    sum, mean or max of the vectors they pick (see ``torchless.nn.functional.embedding_bag``), without the
    intermediate (bag size, embedding_dim) lookups.

    Args:
        num_embeddings (int): the number of vectors (rows of ``weight``).
        embedding_dim (int): the size of each vector.
        max_norm (float, optional): looked-up rows whose ``norm_type``-norm exceeds it are rescaled in place.
        norm_type (float): the p of the norm for ``max_norm``. Default: 2.
        scale_grad_by_freq (bool): divide each row's gradient by its index's count in the mini-batch.
        mode (str): 'sum', 'mean' (default) or 'max'.
        sparse (bool): sparse gradients; not supported by torchless.
        include_last_offset (bool): ``offsets`` has one more entry, where the last bag ends.
        padding_idx (int, optional): an index left out of every bag; its row starts as zeros and gets no gradient.

    Attributes:
        weight (Tensor): (num_embeddings, embedding_dim), initialised from N(0, 1).

    Shape: input (B, N) (B bags of N) with offsets None, or (N) with offsets (B) (or B + 1); per_sample_weights
    like input ('sum' only); output (B, embedding_dim).
    """
    __constants__ = ["num_embeddings", "embedding_dim", "max_norm", "norm_type",
                     "scale_grad_by_freq", "mode", "sparse", "include_last_offset", "padding_idx"]

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                 mode="mean", sparse=False, _weight=None, include_last_offset=False, padding_idx=None, device=None,
                 dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.padding_idx = _padding_row(padding_idx, num_embeddings, "padding_idx")
        if _weight is None:
            factory_dtype = dtype or _dtype.get_default_dtype()
            self.weight = Parameter(
                _creation.empty((num_embeddings, embedding_dim), dtype=factory_dtype, device=device))
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")
            self.weight = Parameter(_weight)
        self.mode, self.sparse, self.include_last_offset = mode, sparse, include_last_offset

    reset_parameters = Embedding.reset_parameters  # N(0, 1) rows, the padding row zeroed
    _fill_padding_idx_with_zero = Embedding._fill_padding_idx_with_zero

    def forward(self, input, offsets=None, per_sample_weights=None):
        return embedding_bag(input, _registered(self, self._parameters, "weight"), offsets, self.max_norm,
                             self.norm_type, self.scale_grad_by_freq, self.mode, self.sparse, per_sample_weights,
                             self.include_last_offset, self.padding_idx)

    def extra_repr(self):
        s = "{num_embeddings}, {embedding_dim}"
        if self.max_norm is not None:
            s += ", max_norm={max_norm}"
        if self.norm_type != 2:
            s += ", norm_type={norm_type}"
        if self.scale_grad_by_freq is not False:
            s += ", scale_grad_by_freq={scale_grad_by_freq}"
        s += ", mode={mode}"
        if self.padding_idx is not None:
            s += ", padding_idx={padding_idx}"
        return s.format(**{k: repr(v) for k, v in self.__dict__.items()})  # reprs: mode='mean', as PyTorch shows

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                        mode="mean", sparse=False, include_last_offset=False, padding_idx=None):
        r"""An EmbeddingBag whose weight is ``embeddings`` (2-D, shared, not copied); frozen by default."""
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        bag = cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings, max_norm=max_norm,
                  norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, mode=mode, sparse=sparse,
                  include_last_offset=include_last_offset, padding_idx=padding_idx)
        bag.weight.requires_grad = not freeze
        return bag
