"""The neural-network functions of the ``torch`` namespace (``torchless.conv2d``, ``torchless.batch_norm``, ...).

They are ATen's own signatures, which differ from ``torchless.nn.functional``'s: losses take ``reduction`` as an
int (0 'none', 1 'mean', 2 'sum'; omitted, the bindings give 0, unlike F's 'mean'), batch_norm lists weight and bias before the running statistics, embedding
takes the weight first, dropout's flag is ``train``. Each form here maps its arguments onto the F function and
calls it; nn.functional is imported on the first call, keeping ``import torchless`` fast.
"""
import functools
import inspect
import math
import warnings


def _functional():
    from .nn import functional

    return functional


# ---------------------------------------------------------------------------- F's own leading parameters
# Functions whose namespace signature is the F function's, up to its trailing F-only parameters (inplace, ...)
_SAME_AS_F = ("conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d adaptive_avg_pool1d "
              "pixel_shuffle pixel_unshuffle channel_shuffle native_channel_shuffle bilinear pdist prelu selu celu "
              "hardshrink rms_norm relu_ selu_ celu_").split()


# Those of them whose F function ends in ``inplace``, which the namespace form lacks
_F_INPLACE = ("selu", "celu")


def _same_as_f(name):
    def fn(*args, **kwargs):
        return getattr(_functional(), name)(*args, **kwargs)

    if name in _F_INPLACE:
        def fn(*args, **kwargs):
            function = getattr(_functional(), name)
            if "inplace" in kwargs or len(args) > _arity(function)[1]:
                _refuse_f_only(name, function, args, kwargs)
            return function(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``torchless.nn.functional.{name}`` in the ``torch`` namespace."
    return fn


@functools.cache
def _arity(function):
    """(required, most) positional arguments of the namespace form of the F ``function``: its parameters before
    ``inplace``, which only F has."""
    function = inspect.unwrap(function)
    code = function.__code__
    names = code.co_varnames[:code.co_argcount]
    if "inplace" not in names:
        return 0, math.inf
    most, defaults = names.index("inplace"), len(function.__defaults__ or ())
    return min(most, len(names) - defaults), most


def _refuse_f_only(name, function, args, kwargs):
    """PyTorch's TypeError for F's ``inplace`` given to the namespace form (by keyword or position)."""
    required, most = _arity(function)
    if len(args) > most:
        if required == most:
            raise TypeError(f"{name}() takes {most} positional argument{'s' * (most != 1)} but {len(args)} "
                            f"{'was' if len(args) == 1 else 'were'} given")
        raise TypeError(f"{name}() takes from {required} to {most} positional arguments but {len(args)} were given")
    raise TypeError(f"{name}() got an unexpected keyword argument 'inplace'")


def _stride(stride):
    """ATen's empty default is the kernel size. (No ``==``: a NumPy number compares elementwise with ``()``.)"""
    return None if isinstance(stride, (tuple, list)) and not stride else stride


def _max_pool(name):
    def fn(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
        return getattr(_functional(), name)(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``torchless.nn.functional.{name}`` without ``return_indices``; ``stride=()`` is the kernel size."
    return fn


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """1-D max pooling returning ``(output, indices)``."""
    return _functional().max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode,
                                    return_indices=True)


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling; ``stride=()`` is the kernel size."""
    return _functional().avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode, count_include_pad)


def adaptive_max_pool1d(input, output_size):
    """1-D adaptive max pooling returning ``(output, indices)``, as ATen's form does."""
    return _functional().adaptive_max_pool1d(input, output_size, return_indices=True)


def _check_flag(value, fn, name, position):
    """The parser's check of a cuDNN flag, which has no effect on CPU but must be a bool."""
    from .nn._functional._norm_checks import check_bool_arg

    check_bool_arg(value, fn, name, position)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    """Layer normalization over the trailing ``normalized_shape`` dims (``cudnn_enable`` has no effect on CPU)."""
    out = _functional().layer_norm(input, normalized_shape, weight, bias, eps)
    _check_flag(cudnn_enable, "layer_norm", "cudnn_enable", 6)  # (after F's checks of the other arguments)
    return out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    """Group normalization over ``num_groups`` groups of channels (``cudnn_enabled`` has no effect on CPU), without
    F's Python checks."""
    from .nn._functional import group_norm

    out = group_norm.native_group_norm(input, num_groups, weight, bias, eps)
    _check_flag(cudnn_enabled, "group_norm", "cudnn_enabled", 6)  # (after the checks of the other arguments)
    return out


def rrelu(input, lower=0.125, upper=0.3333333333333333, training=False, generator=None):
    """Randomized leaky ReLU, its slopes in training drawn from ``generator`` (None: the default one)."""
    from .nn._functional.rectifiers import native_rrelu

    return native_rrelu(input, lower, upper, training, generator)


def rrelu_(input, lower=0.125, upper=0.3333333333333333, training=False, generator=None):
    """In-place :func:`rrelu`."""
    return _functional().rrelu_(input, lower, upper, training, generator)


# (with their parameters spelled out: a form taking **kwargs would get NumPy's x1 and x2 renamed to input and
# other, the names PyTorch's parser gives them where a schema has no x1, x2 of its own)
def cosine_similarity(x1, x2, dim=1, eps=1e-08):
    """The cosine similarity of ``x1`` and ``x2`` along ``dim``."""
    return _functional().cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-06, keepdim=False):
    """The ``p``-norm of ``x1 - x2 + eps`` along the last dim."""
    return _functional().pairwise_distance(x1, x2, p, eps, keepdim)


def threshold(input, threshold, value):
    """``value`` where ``input`` is not above ``threshold``, ``input`` elsewhere."""
    return _functional().threshold(input, threshold, value)


def threshold_(input, threshold, value):
    """In-place :func:`threshold`."""
    return _functional().threshold_(input, threshold, value)


# ---------------------------------------------------------------------------- dropout: (input, p, train)
def _dropout(name, inplace):
    f_name = name.rstrip("_")

    def fn(input, p, train):
        from .nn._functional import dropout

        # (F's Python range check, a ValueError, is not the native function's: its RuntimeError comes here)
        p = dropout._native_arguments(f_name, input, p, train, inplace)
        return dropout._dropout_impl(input, p, train, inplace, **_DROPOUTS[f_name])

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``torchless.nn.functional.{_F_DROPOUTS.get(f_name, f_name)}(input, p, training=train" \
                 f"{', inplace=True' * inplace})``."
    return fn


# The native dropouts: _dropout_impl's options (feature: one draw per (sample, channel); alpha)
_DROPOUTS = {"dropout": {}, "alpha_dropout": {"alpha": True}, "feature_dropout": {"leading": 2},
             "feature_alpha_dropout": {"leading": 2, "alpha": True}}
_F_DROPOUTS = {"feature_dropout": "dropout2d"}  # (for a 4-D input)


# ---------------------------------------------------------------------------- reordered arguments
def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    """Batch normalization with ATen's argument order (weight and bias before the running statistics), without F's
    Python checks (a batch of one value per channel in training, the sign of eps)."""
    from .nn._functional import normalization

    _check_flag(cudnn_enabled, "batch_norm", "cudnn_enabled", 9)
    return normalization.native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    """Instance normalization with ATen's argument order (weight and bias before the running statistics), without
    F's Python check (more than one spatial element in training)."""
    from .nn._functional import instance_norm

    _check_flag(cudnn_enabled, "instance_norm", "cudnn_enabled", 9)
    return instance_norm.native_instance_norm(input, weight, bias, running_mean, running_var, use_input_stats,
                                              momentum, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` at ``indices``; a negative ``padding_idx`` means none (ATen's encoding), as does one past
    the rows (ATen's kernel, unlike F, checks no range: no row is the padding one)."""
    from ._tensor import Tensor
    from .nn._functional._args import unpack_symint

    if not isinstance(weight, Tensor) or isinstance(padding_idx, bool) or not hasattr(padding_idx, "__index__"):
        raise TypeError("embedding(): invalid arguments")  # (PyTorch's parser error replaces it, see install)
    padding_idx = unpack_symint(padding_idx)
    padding = padding_idx if 0 <= padding_idx < (weight.size(0) if weight.dim() else 0) else None
    return _functional().embedding(indices, weight, padding, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


_EMBEDDING_BAG = ("Tensor weight, Tensor indices, Tensor offsets, bool scale_grad_by_freq, int mode, bool sparse, "
                  "Tensor? per_sample_weights, bool include_last_offset, int? padding_idx",
                  "Tensor weight, Tensor indices, Tensor offsets, bool scale_grad_by_freq=False, int mode=0, "
                  "bool sparse=False, Tensor? per_sample_weights=None, bool include_last_offset=False")


def embedding_bag(*args, **kwargs):
    """ATen's embedding_bag(weight, indices, offsets, scale_grad_by_freq, mode, sparse, per_sample_weights,
    include_last_offset, padding_idx), ``mode`` 0 'sum', 1 'mean' or 2 'max': (output, offset2bag, bag_size,
    max_indices), F.embedding_bag's kernel and its bookkeeping."""
    from . import _parser_errors
    from .nn._functional.embedding import native_embedding_bag

    _, arguments = _parser_errors.parse_overload("embedding_bag", _EMBEDDING_BAG, args, kwargs)
    arguments.setdefault("padding_idx", None)  # (the second overload's, after the others: in the schema's order)
    return native_embedding_bag(*arguments.values())


# ---------------------------------------------------------------------------- losses: reduction as an int
_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(reduction):
    return _REDUCTIONS.get(reduction, "none")  # ATen's kernels reduce only for 1 and 2


def kl_div(input, target, reduction=0, *, log_target=False):
    """KL divergence loss; reduction 1 averages over every element (without F's 'mean' warning)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "reduction: 'mean' divides", UserWarning)
        return _functional().kl_div(input, target, reduction=_reduction(reduction), log_target=log_target)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    """max(0, -target * (input1 - input2) + margin), reduced."""
    return _functional().margin_ranking_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    """input where target is 1, max(0, margin - input) where it is -1, reduced."""
    return _functional().hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction))


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where it is -1, reduced."""
    return _functional().cosine_embedding_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, reduction=0):
    """max(d(anchor, positive) - d(anchor, negative) + margin, 0), reduced."""
    return _functional().triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                             reduction=_reduction(reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    """Poisson negative log likelihood loss; every argument required, as in ATen."""
    return _functional().poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=_reduction(reduction))


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    """Binary cross entropy on logits, ``pos_weight`` before ``reduction`` as in ATen."""
    return _functional().binary_cross_entropy_with_logits(input, target, weight, reduction=_reduction(reduction),
                                                          pos_weight=pos_weight)


def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over every dim but ``dim`` (-1: the whole tensor's), weight_norm's length."""
    from .nn.utils import _weight_norm_math

    if pow.__class__ is not int:  # a float pow computes, but PyTorch's parser takes an int only
        from . import _parser_errors

        _parser_errors.parse("norm_except_dim", (_SCHEMAS["norm_except_dim"],), (v, pow, dim), {})

    return _weight_norm_math.norm_except_dim(v, pow, dim)


def _weight_norm(v, g, dim=0):
    """``v * (g / norm_except_dim(v, 2, dim))``, the weight weight_norm recomposes."""
    from .nn.utils import _weight_norm_math

    return _weight_norm_math.weight_norm(v, g, dim)


# ---------------------------------------------------------------------------- PyTorch's parser errors
# The native schemas of the forms (with ``input`` for ``self``): a call that fails with a TypeError is parsed by
# PyTorch's parser for its error (missing arguments listed as PyTorch lists them, unexpected keywords, too many
# arguments), the F code's own TypeError kept where the call parses
def _pool_schema(size, *tail):
    return ", ".join((f"Tensor input, int[{size}] kernel_size, int[{size}] stride=None, int[{size}] padding=0",)
                     + tail)


_NORM = "float momentum, float eps, bool cudnn_enabled"
_SCHEMAS = {
    **{f"max_pool{n}d": _pool_schema(n, f"int[{n}] dilation=1", "bool ceil_mode=False") for n in (1, 2, 3)},
    "max_pool1d_with_indices": _pool_schema(1, "int[1] dilation=1", "bool ceil_mode=False"),
    "avg_pool1d": _pool_schema(1, "bool ceil_mode=False", "bool count_include_pad=True"),
    "adaptive_max_pool1d": "Tensor input, int[1] output_size",
    **{name + inplace: "Tensor input, float p, bool train" for name in _DROPOUTS for inplace in ("", "_")},
    "batch_norm": f"Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, "
                  f"bool training, {_NORM}",
    "instance_norm": f"Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, "
                     f"bool use_input_stats, {_NORM}",
    "layer_norm": "Tensor input, int[] normalized_shape, Tensor? weight=None, Tensor? bias=None, float eps=1e-05, "
                  "bool cudnn_enable=True",
    "group_norm": "Tensor input, int num_groups, Tensor? weight=None, Tensor? bias=None, float eps=1e-05, "
                  "bool cudnn_enabled=True",
    "embedding": "Tensor weight, Tensor indices, int padding_idx=-1, bool scale_grad_by_freq=False, "
                 "bool sparse=False",
    "threshold": "Tensor input, Number threshold, Number value",
    "threshold_": "Tensor input, Number threshold, Number value",
    **{name: "Tensor input, Number lower=0.125, Number upper=0.3333333333333333, bool training=False, "
             "Generator? generator=None" for name in ("rrelu", "rrelu_")},
    **{name: "Tensor input" for name in ("selu", "selu_", "relu_")},
    **{name: "Tensor input, Number alpha=1.0" for name in ("celu", "celu_")},
    "hardshrink": "Tensor input, Number lambd=0.5",
    "prelu": "Tensor input, Tensor weight",
    "adaptive_avg_pool1d": "Tensor input, int[1] output_size",
    "rms_norm": "Tensor input, int[] normalized_shape, Tensor? weight=None, float? eps=None",
    "bilinear": "Tensor input1, Tensor input2, Tensor weight, Tensor? bias=None",
    "cosine_similarity": "Tensor x1, Tensor x2, int dim=1, float eps=1.0e-08",
    "pairwise_distance": "Tensor x1, Tensor x2, float p=2.0, float eps=1.0e-06, bool keepdim=False",
    "pdist": "Tensor input, float p=2.0",
    "kl_div": "Tensor input, Tensor target, int reduction=1, *, bool log_target=False",
    "margin_ranking_loss": "Tensor input1, Tensor input2, Tensor target, float margin=0.0, int reduction=1",
    "hinge_embedding_loss": "Tensor input, Tensor target, float margin=1.0, int reduction=1",
    "cosine_embedding_loss": "Tensor input1, Tensor input2, Tensor target, float margin=0.0, int reduction=1",
    "triplet_margin_loss": "Tensor anchor, Tensor positive, Tensor negative, float margin=1.0, float p=2.0, "
                           "float eps=1.0e-06, bool swap=False, int reduction=1",
    "poisson_nll_loss": "Tensor input, Tensor target, bool log_input, bool full, float eps, int reduction",
    "binary_cross_entropy_with_logits": "Tensor input, Tensor target, Tensor? weight=None, Tensor? pos_weight=None, "
                                        "int reduction=1",
    "norm_except_dim": "Tensor v, int pow=2, int dim=0",
    "_weight_norm": "Tensor v, Tensor g, int dim=0",
}


def _with_parser_errors(fn, schema):
    """``fn``, whose calls failing with a TypeError or an AttributeError (``v=None`` read as a tensor) that PyTorch's
    parser would refuse for ``schema`` get the parser's (only on that path: a successful call costs a frame)."""
    @functools.wraps(fn)
    def entry(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (TypeError, AttributeError):
            from . import _parser_errors

            _parser_errors.parse(fn.__name__, (schema,), args, kwargs)  # (raises where the call does not parse)
            raise

    return entry


def install(namespace):
    """Put the namespace forms into ``namespace`` (the torchless module's globals)."""
    forms = {name: _same_as_f(name) for name in _SAME_AS_F}
    for name in ("max_pool1d", "max_pool2d", "max_pool3d"):
        forms[name] = _max_pool(name)
    for name in _DROPOUTS:
        forms[name] = _dropout(name, False)
        forms[name + "_"] = _dropout(name + "_", True)
    for fn in (max_pool1d_with_indices, avg_pool1d, adaptive_max_pool1d, layer_norm, group_norm, rrelu, rrelu_,
               threshold, threshold_, cosine_similarity, pairwise_distance, batch_norm, instance_norm, embedding,
               embedding_bag, kl_div, margin_ranking_loss, hinge_embedding_loss, cosine_embedding_loss, triplet_margin_loss,
               poisson_nll_loss, binary_cross_entropy_with_logits, norm_except_dim, _weight_norm):
        forms[fn.__name__] = fn
    for name, schema in _SCHEMAS.items():
        forms[name] = _with_parser_errors(forms[name], schema)
    namespace.update(forms)
