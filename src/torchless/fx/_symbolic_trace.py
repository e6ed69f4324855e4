"""fx's symbolic tracing: :func:`symbolic_trace` runs a module's ``forward`` (or a function) on :class:`Proxy`
values and records what it does in a :class:`Graph`.

PyTorch finds the torch functions a Proxy reaches through ``__torch_function__``; torchless's functions have no
such dispatch, so while a trace runs (and only then) the public functions of ``torchless`` and
``torchless.nn.functional``, ``Module.__call__`` and ``Module.__getattr__`` are replaced by recording versions,
and put back afterwards: code that is not tracing pays nothing.
"""
import builtins
import collections
import functools
import inspect
import math
import operator
import types
import warnings

from .graph import Graph
from .graph_module import GraphModule
from .proxy import Proxy, TracerBase, ParameterProxy  # noqa: F401  (ParameterProxy: as torch.fx's namespace)

__all__ = ["Tracer", "symbolic_trace", "wrap", "PH", "ProxyableClassMeta"]

HAS_VARSTUFF = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS

# How PyTorch's nn.functional hands a call to __torch_function__ (so how fx records it): the number of leading
# arguments passed positionally, then the keyword arguments, all of them, defaults included:
# F.relu(x) is recorded as relu(x, inplace=False). (Read from PyTorch's functional.py.)
_FUNCTIONAL_CALLS = {
    "adaptive_avg_pool2d": (2, ()), "adaptive_avg_pool3d": (2, ()),
    "adaptive_max_pool1d": (2, ("return_indices",)), "adaptive_max_pool2d": (2, ("return_indices",)),
    "adaptive_max_pool3d": (2, ("return_indices",)), "affine_grid": (2, ("align_corners",)),
    "alpha_dropout": (1, ("p", "training", "inplace")),
    "batch_norm": (3, ("weight", "bias", "training", "momentum", "eps")),
    "binary_cross_entropy": (2, ("weight", "size_average", "reduce", "reduction")),
    "binary_cross_entropy_with_logits": (2, ("weight", "size_average", "reduce", "reduction", "pos_weight")),
    "celu": (1, ("alpha", "inplace")),
    "cosine_embedding_loss": (3, ("margin", "size_average", "reduce", "reduction")),
    "cross_entropy": (2, ("weight", "size_average", "ignore_index", "reduce", "reduction", "label_smoothing")),
    "ctc_loss": (4, ("blank", "reduction", "zero_infinity")),
    "dropout": (1, ("p", "training", "inplace")), "dropout1d": (1, ("p", "training", "inplace")),
    "dropout2d": (1, ("p", "training", "inplace")), "dropout3d": (1, ("p", "training", "inplace")),
    "elu": (1, ("alpha", "inplace")),
    "embedding": (2, ("padding_idx", "max_norm", "norm_type", "scale_grad_by_freq", "sparse")),
    "embedding_bag": (2, ("offsets", "max_norm", "norm_type", "scale_grad_by_freq", "mode", "sparse",
                          "per_sample_weights", "include_last_offset", "padding_idx")),
    "feature_alpha_dropout": (1, ("p", "training", "inplace")), "fold": (3, ("dilation", "padding", "stride")),
    "fractional_max_pool2d": (2, ("output_size", "output_ratio", "return_indices", "_random_samples")),
    "fractional_max_pool3d": (2, ("output_size", "output_ratio", "return_indices", "_random_samples")),
    "gaussian_nll_loss": (3, ("full", "eps", "reduction")), "glu": (1, ("dim",)),
    "grid_sample": (2, ("mode", "padding_mode", "align_corners")), "group_norm": (2, ("weight", "bias", "eps")),
    "gumbel_softmax": (1, ("tau", "hard", "eps", "dim")), "hardsigmoid": (1, ("inplace",)),
    "hardswish": (1, ("inplace",)), "hardtanh": (1, ("min_val", "max_val", "inplace")),
    "hinge_embedding_loss": (2, ("margin", "size_average", "reduce", "reduction")),
    "huber_loss": (2, ("reduction", "delta", "weight")),
    "instance_norm": (1, ("running_mean", "running_var", "weight", "bias", "use_input_stats", "momentum", "eps")),
    "interpolate": (1, ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor", "antialias")),
    "kl_div": (2, ("size_average", "reduce", "reduction", "log_target")),
    "l1_loss": (2, ("size_average", "reduce", "reduction")), "layer_norm": (2, ("weight", "bias", "eps")),
    "leaky_relu": (1, ("negative_slope", "inplace")), "local_response_norm": (2, ("alpha", "beta", "k")),
    "log_softmax": (1, ("dim", "_stacklevel", "dtype")), "lp_pool1d": (3, ("stride", "ceil_mode")),
    "lp_pool2d": (3, ("stride", "ceil_mode")), "lp_pool3d": (3, ("stride", "ceil_mode")),
    "margin_ranking_loss": (3, ("margin", "size_average", "reduce", "reduction")),
    "max_pool1d": (2, ("stride", "padding", "dilation", "ceil_mode", "return_indices")),
    "max_pool2d": (2, ("stride", "padding", "dilation", "ceil_mode", "return_indices")),
    "max_pool3d": (2, ("stride", "padding", "dilation", "ceil_mode", "return_indices")),
    "max_unpool1d": (3, ("stride", "padding", "output_size")),
    "max_unpool2d": (3, ("stride", "padding", "output_size")),
    "max_unpool3d": (3, ("stride", "padding", "output_size")), "mish": (1, ("inplace",)),
    "mse_loss": (2, ("size_average", "reduce", "reduction", "weight")),
    "multi_margin_loss": (2, ("p", "margin", "weight", "size_average", "reduce", "reduction")),
    "multilabel_margin_loss": (2, ("size_average", "reduce", "reduction")),
    "multilabel_soft_margin_loss": (2, ("weight", "size_average", "reduce", "reduction")),
    "nll_loss": (2, ("weight", "size_average", "ignore_index", "reduce", "reduction")),
    "pad": (2, ("mode", "value")),
    "normalize": (1, ("p", "dim", "eps", "out")),
    "poisson_nll_loss": (2, ("log_input", "full", "size_average", "eps", "reduce", "reduction")),
    "relu": (1, ("inplace",)), "relu6": (1, ("inplace",)), "rms_norm": (2, ("weight", "eps")),
    "rrelu": (1, ("lower", "upper", "training", "inplace")), "selu": (1, ("inplace",)), "silu": (1, ("inplace",)),
    "smooth_l1_loss": (2, ("size_average", "reduce", "reduction", "beta")),
    "soft_margin_loss": (2, ("size_average", "reduce", "reduction")),
    "softmax": (1, ("dim", "_stacklevel", "dtype")), "softmin": (1, ("dim", "_stacklevel", "dtype")),
    "softsign": (1, ()), "tanhshrink": (1, ()),
    "triplet_margin_loss": (3, ("margin", "p", "eps", "swap", "size_average", "reduce", "reduction")),
    "triplet_margin_with_distance_loss": (3, ("distance_function", "margin", "swap", "reduction")),
    "unfold": (2, ("dilation", "padding", "stride")),
}
# F.threshold is PyTorch's F._threshold, recorded under that name
_FUNCTIONAL_CALLS["threshold"] = (3, ("inplace",))
_FUNCTIONAL_CALLS["linear_cross_entropy"] = (3, ("linear_bias", "weight", "reduction", "ignore_index",
                                                 "label_smoothing", "options"))
_FUNCTIONAL_CALLS["multi_head_attention_forward"] = (13, (
    "training", "key_padding_mask", "need_weights", "attn_mask", "is_causal", "use_separate_proj_weight",
    "q_proj_weight", "k_proj_weight", "v_proj_weight", "static_k", "static_v", "average_attn_weights"))
# The pools PyTorch dispatches on ``return_indices`` (boolean_dispatch): given True, recorded as <name>_with_indices
_FUNCTIONAL_WITH_INDICES = {"adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "max_pool1d",
                            "max_pool2d", "max_pool3d", "fractional_max_pool2d", "fractional_max_pool3d"}
# nn.functional's deprecated wrappers, traced through: PyTorch records the interpolate they call
_FUNCTIONAL_TRACED_THROUGH = {"upsample", "upsample_nearest", "upsample_bilinear"}
# nn.functional's functions that call the Tensor method of their name (recorded as call_method)
_FUNCTIONAL_METHODS = {"sigmoid", "tanh"}
# nn.functional's names that are torch's own functions in PyTorch (F.conv2d is torch.conv2d): recorded as those
_FUNCTIONAL_TORCH_FUNCTIONS = {
    "adaptive_avg_pool1d", "avg_pool1d", "bilinear", "celu_", "channel_shuffle", "conv1d", "conv2d", "conv3d",
    "conv_tbc", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "cosine_similarity", "hardshrink",
    "native_channel_shuffle", "pairwise_distance", "pdist", "pixel_shuffle", "pixel_unshuffle", "prelu", "relu_",
    "rrelu_", "selu_", "threshold_"}


def _find_proxy(args, kwargs):
    """The first Proxy among the arguments (and inside lists and tuples of them), or None."""
    for a in (*args, *kwargs.values()):
        if isinstance(a, Proxy):
            return a
        if isinstance(a, (list, tuple)):
            for b in a:
                if isinstance(b, Proxy):
                    return b
    return None


def _functional_record(name, orig):
    """How a call of ``nn.functional.<name>`` with a Proxy is recorded, as PyTorch records it."""
    if name in _FUNCTIONAL_METHODS:
        return lambda tracer, args, kwargs: tracer.create_proxy("call_method", name, args, kwargs)
    convention = _FUNCTIONAL_CALLS.get(name)
    if name in _FUNCTIONAL_TORCH_FUNCTIONS:
        def as_torch_function(tracer, args, kwargs):
            import torchless
            target = getattr(torchless, name)
            return tracer.create_proxy("call_function", getattr(target, "__fx_original__", target), args, kwargs)
        return as_torch_function
    if convention is None:  # (PyTorch's builtins: as called)
        return lambda tracer, args, kwargs: tracer.create_proxy("call_function", orig, args, kwargs)
    if name in _FUNCTIONAL_WITH_INDICES:
        from torchless.nn import functional
        with_indices = getattr(functional, name + "_with_indices")
        with_indices = getattr(with_indices, "__fx_original__", with_indices)
        return _bound_record(orig, *convention, choose=lambda bound: with_indices
                             if bound.arguments.get("return_indices") else orig)
    return _bound_record(orig, *convention)


def _bound_record(orig, npos, keywords, spelled_out=None, choose=None):
    """Record a call of ``orig`` as PyTorch's ``handle_torch_function`` passes it: its first ``npos`` parameters
    positionally (all of its ``*args`` if None), then ``keywords`` with their defaults filled in (the signature of
    ``spelled_out`` if given)."""
    signature = inspect.signature(orig if spelled_out is None else spelled_out)
    parameters = list(signature.parameters.values())
    if npos is None:
        positional = [p.name for p in parameters if p.kind is p.VAR_POSITIONAL]
    else:
        positional = [p.name for p in parameters[:npos]]

    def record(tracer, args, kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        if npos is None:
            args_ = tuple(bound.arguments[positional[0]])
        else:
            args_ = tuple(bound.arguments[p] for p in positional)
        target = orig if choose is None else choose(bound)
        return tracer.create_proxy("call_function", target, args_, {k: bound.arguments[k] for k in keywords})
    return record


def _unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    pass  # (torch.unique's signature, which torchless's dispatching function does not spell out)


def _unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    pass


# torch's functions PyTorch writes in Python (torch/functional.py, torch/_lowrank.py), which hand their calls to
# __torch_function__ as: (leading arguments passed positionally (None: the ``*tensors``), keywords), and the
# signature to bind them with when torchless's is not spelled out
_TORCH_PYTHON_CALLS = {
    "split": (2, ("dim",)), "tensordot": (2, ("dims", "out")), "cdist": (2, ("p", "compute_mode")),
    "stft": (2, ("hop_length", "win_length", "window", "center", "pad_mode", "normalized", "onesided",
                 "return_complex", "align_to_window")),
    "norm": (1, ("p", "dim", "keepdim", "out", "dtype")), "unravel_index": (1, ("shape",)),
    "lu": (1, ("pivot", "get_infos", "out")), "svd_lowrank": (1, ("q", "niter", "M")),
    "pca_lowrank": (1, ("q", "center", "niter")), "meshgrid": (None, ("indexing",)),
    "unique": (1, ("sorted", "return_inverse", "return_counts", "dim"), _unique),
    "unique_consecutive": (1, ("return_inverse", "return_counts", "dim"), _unique_consecutive),
}
# torch's Python functions that do not dispatch to __torch_function__: given a Proxy they run (torch.is_tensor
# says False), nothing is recorded
_TORCH_NOT_RECORDED = {
    "are_deterministic_algorithms_enabled", "broadcast_shapes", "compile", "eig", "from_dlpack", "get_default_device",
    "get_deterministic_debug_mode", "get_float32_matmul_precision", "get_rng_state", "initial_seed",
    "is_deterministic_algorithms_warn_only_enabled", "is_storage", "is_tensor", "is_warn_always_enabled", "load",
    "lstsq", "manual_seed", "matrix_rank", "save", "seed", "set_default_device", "set_default_dtype",
    "set_default_tensor_type", "set_deterministic_debug_mode", "set_float32_matmul_precision", "set_printoptions",
    "set_rng_state", "set_warn_always", "solve", "symeig", "typename", "use_deterministic_algorithms", "vmap"}


def _compiled(name):
    """The target of ``torch.<name>`` given one list of tensors: PyTorch's Python function does not dispatch then,
    and records the call of its compiled function of that name, which prints as ``torch.<name>``."""
    def compiled(*args, **kwargs):
        import torchless
        return getattr(torchless, name)(*args, **kwargs)
    compiled.__name__ = compiled.__qualname__ = name
    compiled.__module__ = "torchless"
    return compiled


# (those whose list form has such a compiled function)
_COMPILED_LIST_FORMS = {name: _compiled(name) for name in ("atleast_1d", "atleast_2d", "atleast_3d", "meshgrid")}


def _torch_record(name, orig):
    """How a call of ``torch.<name>`` with a Proxy is recorded, as PyTorch records it."""
    convention = _TORCH_PYTHON_CALLS.get(name)
    if name == "einsum":
        return _record_einsum
    record = functools.partial(_as_called, orig) if convention is None else _bound_record(orig, *convention)
    if name in _COMPILED_LIST_FORMS:
        def record_list_form(tracer, args, kwargs):
            if len(args) == 1 and isinstance(args[0], (list, tuple)):
                return tracer.create_proxy("call_function", _COMPILED_LIST_FORMS[name], args, kwargs)
            return record(tracer, args, kwargs)
        return record_list_form
    return record


def _record_einsum(tracer, args, kwargs):
    """torch.einsum(equation, *operands): the operands of a list given alone are spread, as PyTorch's einsum does
    before handing itself to __torch_function__."""
    import torchless
    einsum = getattr(torchless.einsum, "__fx_original__", torchless.einsum)
    if len(args) >= 2 and not isinstance(args[0], (Proxy, torchless.Tensor)):
        equation, operands = args[0], args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = operands[0]
        args = (equation, *operands)
    return tracer.create_proxy("call_function", einsum, args, kwargs)


class _Recording:
    """What a torchless function (or Tensor method) is while a trace runs: the function itself unless a Proxy is
    among its arguments, and then a node. It compares equal to the function, so that a Transformer's
    ``target == torch.sigmoid`` holds while the names are patched."""

    def __init__(self, orig, record):
        functools.update_wrapper(self, orig)
        self.__fx_original__ = orig
        self._record = record

    def __call__(self, *args, **kwargs):
        proxy = _find_proxy(args, kwargs)
        if proxy is None:
            return self.__fx_original__(*args, **kwargs)
        return self._record(proxy.tracer, args, kwargs)

    def __get__(self, obj, objtype=None):  # (as a Tensor method)
        return self if obj is None else types.MethodType(self, obj)

    def __eq__(self, other):
        return other is self.__fx_original__ or (isinstance(other, _Recording)
                                                 and other.__fx_original__ is self.__fx_original__)

    def __hash__(self):
        return hash(self.__fx_original__)


_recording = _Recording


class _Wrappers:
    """The recording versions of one namespace's functions, each made once (a trace then only swaps them in and
    out): ``make(name, function)`` gives one, or None for a name that is not recorded. A name bound to another
    function since (torch.relu replaced, a lazily loaded function now in the namespace) gets its own."""

    def __init__(self, make):
        self.make = make
        self.made = {}  # name -> (the function it was made for, its recording version or None)
        self.last = None  # (the namespace's names, its values, what they gave) when last asked

    def __call__(self, namespace):
        """{name: recording version} for the functions ``namespace`` holds now (not to be changed)."""
        last = self.last
        if (last is not None and len(last[0]) == len(namespace) and last[0] == tuple(namespace)
                and all(map(operator.is_, namespace.values(), last[1]))):
            return last[2]  # (nothing rebound since: the usual case, checked at C speed)
        made = self.made
        found = {}
        for name, obj in list(namespace.items()):  # (a wrapper's making may import a submodule into it)
            entry = made.get(name)
            if entry is None or entry[0] is not obj:
                if isinstance(obj, _Recording):  # (a trace running already has it patched)
                    continue
                entry = made[name] = (obj, self.make(name, obj))
            if entry[1] is not None:
                found[name] = entry[1]
        self.last = (tuple(namespace), tuple(namespace.values()), found)
        return found


def _make_torch_wrapper(name, obj):
    if ((inspect.isfunction(obj) or inspect.isbuiltin(obj)) and (not name.startswith("_") or name == "_assert")
            and name not in _TORCH_NOT_RECORDED):
        return _recording(obj, _torch_record(name, obj))
    return None


def _make_functional_wrapper(name, obj):
    if inspect.isfunction(obj) and not name.startswith("_") and name not in _FUNCTIONAL_TRACED_THROUGH:
        return _recording(obj, _functional_record(name, obj))
    return None


_torch_wrappers = _Wrappers(_make_torch_wrapper)
# (torchless's lazily loaded functions, made when first used in a trace)
_lazy_wrappers = _Wrappers(lambda name, obj: _recording(obj, _torch_record(name, obj)))
_functional_wrappers = _Wrappers(_make_functional_wrapper)


# (torchless's and nn.functional's wrappers as _torch_function_wrappers last found them, and by function)
_last_found = [None, None, None]


def _torch_function_wrappers():
    """([(namespace, {name: recording wrapper})], {id of a function: its recording wrapper}) for torchless's
    public functions, nn.functional's and the same functions under torch._C._nn (neither to be changed)."""
    import torchless
    from torchless.nn import functional
    from torchless._C import _nn
    torchless._assert  # noqa: B018  (a lazy name: into the namespace, so it is recorded too)
    torch_found = _torch_wrappers(vars(torchless))
    functional_found = _functional_wrappers(vars(functional))
    if _last_found[0] is not torch_found or _last_found[1] is not functional_found:
        _last_found[:] = torch_found, functional_found, {
            id(wrapper.__fx_original__): wrapper for found in (torch_found, functional_found)
            for wrapper in found.values()}
    by_function = _last_found[2]
    nn_found = {name: by_function[id(obj)] for name, obj in vars(_nn).items() if id(obj) in by_function}
    return [(vars(torchless), torch_found), (vars(functional), functional_found), (vars(_nn), nn_found)], by_function


# The method PyTorch records for a Tensor's operator given a Proxy (``weight * x``: ``weight.mul(x)``); the other
# operators are recorded under their own names (``__rsub__``)
_TENSOR_OPERATOR_METHODS = {
    "__add__": "add", "__radd__": "add", "__sub__": "sub", "__mul__": "mul", "__rmul__": "mul",
    "__truediv__": "div", "__rtruediv__": "__rdiv__", "__mod__": "remainder", "__pow__": "pow",
    "__matmul__": "matmul", "__rand__": "bitwise_and", "__ror__": "bitwise_or", "__rxor__": "bitwise_xor",
    "__eq__": "eq", "__ne__": "ne", "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge",
}
_TENSOR_OPERATORS = {"__rsub__", "__rdiv__", "__floordiv__", "__rfloordiv__", "__rmod__", "__rpow__", "__rmatmul__",
                     "__and__", "__or__", "__xor__", "__lshift__", "__rlshift__", "__rshift__", "__rrshift__",
                     "__getitem__", *_TENSOR_OPERATOR_METHODS}


def _make_tensor_method_wrapper(name, obj):
    if inspect.isfunction(obj) and (not name.startswith("_") or name in _TENSOR_OPERATORS):
        return _recording(obj, functools.partial(_as_method, _TENSOR_OPERATOR_METHODS.get(name, name)))
    return None


_tensor_wrappers = _Wrappers(_make_tensor_method_wrapper)


def _tensor_method_wrappers():
    """(Tensor, {name: recording wrapper}): a Tensor's method or operator given a Proxy (a constant tensor of the
    module times the input) is recorded as a ``call_method`` node on that tensor."""
    from .._tensor import Tensor
    return Tensor, _tensor_wrappers(vars(Tensor))


def _as_method(method, tracer, args, kwargs):
    return tracer.create_proxy("call_method", method, args, kwargs)


def _as_called(orig, tracer, args, kwargs):
    return tracer.create_proxy("call_function", orig, args, kwargs)


# fx.wrap's registrations: (globals dict of the module that asked, name)
_wrapped_fns_to_patch = {}


def wrap(fn_or_name):
    """Record calls of a module-level function as one node rather than tracing through it. Called at module
    scope with the function or its name (``torch.fx.wrap('len')``, or as a decorator).

    Args:
        fn_or_name (Union[str, Callable]): the function, or the name of a global function of the calling module
    """
    if not callable(fn_or_name) and not isinstance(fn_or_name, str):
        raise RuntimeError("Unsupported type for global function! Must be either a callable or string name")
    if callable(fn_or_name):
        fn_name = fn_or_name.__name__
    else:
        fn_name = fn_or_name
    frame = inspect.currentframe().f_back
    if frame.f_code.co_name != "<module>":
        raise NotImplementedError("wrap must be called at the top level of a module")
    _wrapped_fns_to_patch[(id(frame.f_globals), fn_name)] = frame.f_globals
    return fn_or_name


def _wrapped_function(orig):
    @functools.wraps(orig)
    def wrapped(*args, **kwargs):
        proxy = _find_proxy(args, kwargs)
        if proxy is None:
            return orig(*args, **kwargs)
        result = proxy.tracer.create_proxy("call_function", orig, args, kwargs)
        result.node.meta["is_wrapped"] = True
        return result
    return wrapped


# The recording versions of the autowrap modules' functions (math.sqrt), made once (such modules stay loaded):
# id -> (function, recording version)
_autowrapped = {}


def _autowrapped_function(orig, keep):
    """``_wrapped_function(orig)``, made once for a function ``keep`` says lives as long as the process."""
    entry = _autowrapped.get(id(orig))
    if entry is not None and entry[0] is orig:
        return entry[1]
    wrapped = _wrapped_function(orig)
    if keep:
        _autowrapped[id(orig)] = (orig, wrapped)
    return wrapped


class _Patcher:
    """Attribute and global replacements made for a trace, undone in reverse order at its end."""

    def __init__(self):
        self.undo = []

    def patch(self, owner, name, new):
        if isinstance(owner, dict):
            missing = name not in owner
            old = owner.get(name)
            owner[name] = new
            self.undo.append(lambda: owner.pop(name, None) if missing else owner.__setitem__(name, old))
        else:
            old = owner.__dict__[name]
            setattr(owner, name, new)
            self.undo.append(lambda: setattr(owner, name, old))

    def patch_all(self, owner, new):
        """``patch`` for each of ``new``'s {name: value}, names ``owner`` has (a class, or a namespace dict:
        updated at once)."""
        if isinstance(owner, dict):
            old = {name: owner[name] for name in new}
            owner.update(new)
            self.undo.append(lambda: owner.update(old))
        else:
            old = {name: owner.__dict__[name] for name in new}
            for name, value in new.items():
                setattr(owner, name, value)
            self.undo.append(lambda: [setattr(owner, name, value) for name, value in old.items()])

    def patch_globals(self, globals_, replacement):
        """Point ``globals_``'s names bound to functions being recorded (``from torch import flatten``) at the
        recording versions."""
        if id(globals_) in self.globals_done:
            return
        self.globals_done.add(id(globals_))
        new = {}
        for name, value in list(globals_.items()):
            new_value = replacement(value)
            if new_value is not None:
                new[name] = new_value
        if new:
            self.patch_all(globals_, new)

    def __enter__(self):
        self.globals_done = set()
        return self

    def __exit__(self, *exc):
        while self.undo:
            self.undo.pop()()


def _record_torch_functions(patcher):
    """Make torchless's functions and Tensor's methods record their calls given a Proxy, for as long as
    ``patcher`` is open; returns {id of a function: its recording version}."""
    import torchless
    from torchless.nn import functional
    wrappers, by_function = _torch_function_wrappers()
    replacements = dict(by_function)
    for namespace, found in (*wrappers, _tensor_method_wrappers()):
        patcher.patch_all(namespace, found)
    namespace = vars(torchless)
    load_lazily = namespace["__getattr__"]

    def recording_getattr(name):
        """torchless's functions loaded on first use (torch.stft) record too when first used in a trace."""
        value = load_lazily(name)
        if name in torchless._LAZY_FUNCTIONS and name not in _TORCH_NOT_RECORDED and callable(value):
            wrapper = replacements[id(value)] = _lazy_wrappers({name: value})[name]
            patcher.patch(namespace, name, wrapper)
            return wrapper
        return value

    patcher.patch(namespace, "__getattr__", recording_getattr)
    for name in _FUNCTIONAL_TRACED_THROUGH:  # (their calls of interpolate record)
        patcher.patch_globals(getattr(functional, name).__globals__,
                              lambda value: replacements.get(id(value)))
    return replacements


class PHBase:
    """The placeholder value of :data:`PH` in ``concrete_args``: keep the argument a graph input."""

    def __repr__(self):
        return "PH"


PH = PHBase()


class ProxyableClassMeta(type):
    """Accepted for compatibility: instances of such classes are not recorded by torchless's tracer."""


def _assert_is_none(value, msg):
    if value is not None:
        raise AssertionError(msg)


def _module_classes():
    from ..nn import Module, Parameter, Sequential
    return Module, Parameter, Sequential


class Tracer(TracerBase):
    """Symbolic tracer: :meth:`trace` turns a module's ``forward`` (or a function) into a :class:`Graph`.

    Args:
        autowrap_modules (Tuple[ModuleType]): modules whose functions are recorded as calls (``math``)
        autowrap_functions (Tuple[Callable, ...]): functions recorded as calls wherever the traced code names them
        param_shapes_constant (bool): parameters' shape, size, dim and numel are known while tracing
    """

    def __init__(self, autowrap_modules=(math,), autowrap_functions=(), param_shapes_constant=False):
        super().__init__()
        self._autowrap_module_function_ids = {
            id(value) for name, value in ((n, v) for m in autowrap_modules for n, v in vars(m).items())
            if not name.startswith("_") and callable(value)}
        self._autowrap_function_ids = self._autowrap_module_function_ids | {id(f) for f in autowrap_functions}
        self._autowrap_search = list(autowrap_modules)
        self.param_shapes_constant = param_shapes_constant
        self.submodule_paths = None
        self.root_module_name = ""
        self.scope = None
        self.tensor_attrs = {}
        self._kept = []
        self.module_stack = collections.OrderedDict()
        self.num_calls = {}

    traced_func_name = "forward"

    def get_fresh_qualname(self, prefix):
        """A name ``<prefix><n>`` that is not yet an attribute of the root module."""
        i = 0
        while hasattr(self.root, f"{prefix}{i}"):
            i += 1
        return f"{prefix}{i}"

    def create_arg(self, a):
        """Proxies, parameters and tensors of the module (``get_attr`` nodes), constants and containers of
        them as node arguments; other tensors are added to the module as ``_tensor_constant<n>``."""
        from .._tensor import Tensor
        Module, Parameter, _ = _module_classes()
        if isinstance(a, Parameter):
            for n_, p_ in self.root.named_parameters():
                if a is p_:
                    return self.create_node("get_attr", n_, (), {})
            raise NameError("parameter is not a member of this module")
        if isinstance(a, Module):
            for n_, p_ in self.root.named_modules():
                if a is p_:
                    return self.create_node("get_attr", n_, (), {})
            raise NameError("module is not installed as a submodule")
        if isinstance(a, Tensor):
            for n_, p_ in self.root.named_buffers():
                if a is p_:
                    return self.create_node("get_attr", n_, (), {})
            qualname = self.tensor_attrs.get(id(a))
            if qualname is None:
                qualname = self.get_fresh_qualname("_tensor_constant")
                self.tensor_attrs[id(a)] = qualname
                self._kept.append(a)
                setattr(self.root, qualname, a)
            return self.create_node("get_attr", qualname, (), {})
        return super().create_arg(a)

    def is_leaf_module(self, m, module_qualified_name):
        """Whether a call of ``m`` is recorded as one ``call_module`` node: torch.nn's modules (but Sequential)
        are; other modules are traced through.

        Args:
            m (Module): the module called
            module_qualified_name (str): its path from the root (``layer1.0.conv1``)
        """
        _, _, Sequential = _module_classes()
        module = type(m).__module__
        return (module.startswith("torchless.nn") or module.startswith("torch.nn")) and not isinstance(m, Sequential)

    def path_of_module(self, mod):
        """The path of ``mod`` from the root module (``layer1.0``)."""
        if self.submodule_paths is None:
            self.submodule_paths = {}
            for n, p in self.root.named_modules():
                self.submodule_paths.setdefault(id(p), n)
        path = self.submodule_paths.get(id(mod))
        if path is None:
            raise NameError("module is not installed as a submodule")
        return path

    def call_module(self, m, forward, args, kwargs):
        """Record ``m(*args, **kwargs)``: one node for a leaf module, its forward traced through otherwise."""
        module_qualified_name = self.path_of_module(m)
        num_calls = self.num_calls.get(module_qualified_name, 0)
        module_key = f"{module_qualified_name}@{num_calls}" if num_calls > 0 else module_qualified_name
        self.module_stack[module_key] = (module_qualified_name, type(m))
        self.num_calls[module_qualified_name] = num_calls + 1
        try:
            if not self.is_leaf_module(m, module_qualified_name):
                return forward(*args, **kwargs)
            return self.create_proxy("call_module", module_qualified_name, args, kwargs)
        finally:
            self.module_stack.popitem(last=True)

    def getattr(self, attr, attr_val, parameter_proxy_cache):
        """What ``module.attr`` gives while tracing: a ``get_attr`` node's Proxy for a parameter."""
        _, Parameter, _ = _module_classes()
        if isinstance(attr_val, Parameter):
            for n, p in self.root.named_parameters():
                if attr_val is p:
                    if n not in parameter_proxy_cache:
                        kwargs = {}
                        if self.param_shapes_constant:
                            kwargs["proxy_factory_fn"] = (
                                lambda node, n=n, p=p: ParameterProxy(self, node, n, p))
                        parameter_proxy_cache[n] = self.create_proxy("get_attr", n, (), {}, **kwargs)
                    return parameter_proxy_cache[n]
        return attr_val

    def create_args_for_root(self, root_fn, is_module, concrete_args=None):
        """The placeholders of ``root_fn``'s parameters (``self`` excepted), and the function to call with them."""
        fn_for_analysis = inspect.unwrap(root_fn)
        co = fn_for_analysis.__code__
        total_args = co.co_argcount + co.co_kwonlyargcount
        names_iter = iter(co.co_varnames)
        args = []
        skip_arg_idx = 0
        if is_module:
            if total_args == 0:
                raise RuntimeError("``self`` argument cannot be part of *args expansion!")
            skip_arg_idx = 1
            next(names_iter)
            args.append(self.root)
        sig = inspect.signature(fn_for_analysis)
        arg_names = [next(names_iter) for _ in range(skip_arg_idx, total_args)]
        if isinstance(concrete_args, tuple):
            if len(arg_names) != len(concrete_args):
                raise RuntimeError(f"Tracing expected {len(arg_names)} arguments but got {len(concrete_args)} "
                                   f"concrete arguments")
            concrete_args = dict(zip(arg_names, concrete_args))
        args.extend(self._proxy_placeholder(name, concrete_args, sig, fn_for_analysis) for name in arg_names)
        if co.co_kwonlyargcount > 0 or co.co_flags & HAS_VARSTUFF:
            if co.co_flags & inspect.CO_VARARGS:
                args.append(self._proxy_placeholder("*" + next(names_iter), concrete_args, sig, fn_for_analysis))
            if co.co_flags & inspect.CO_VARKEYWORDS:
                args.append(self._proxy_placeholder("**" + next(names_iter), concrete_args, sig, fn_for_analysis))
            root_fn = _patch_function(root_fn, len(args))
        from ..utils._pytree import tree_flatten, tree_unflatten
        flat_args, in_spec = tree_flatten(tuple(args))
        if all(child.is_leaf() for child in in_spec.children_specs):
            return root_fn, args
        # containers among the concrete_args (their leaves placeholders or constants): the graph takes the leaves,
        # its code flattens the function's arguments into them and rebuilds the output's structure
        from .graph import _PyTreeInfo
        self.graph._pytree_info = _PyTreeInfo(list(co.co_varnames[:total_args]), in_spec, None)

        def flatten_fn(*args):
            tree_out = root_fn(*tree_unflatten(list(args), in_spec))
            out_args, out_spec = tree_flatten(tree_out)
            self.graph._pytree_info = self.graph._pytree_info._replace(out_spec=out_spec)
            return out_args
        return flatten_fn, flat_args

    def _proxy_placeholder(self, name, concrete_args, sig, fn_for_analysis):
        if concrete_args is not None and name in concrete_args:
            from ..utils._pytree import tree_map
            cnt = 0

            def replace_ph(x):
                """A placeholder for each leaf of the concrete value (``name_1``, ``name_2``, ...): the leaf
                itself, checked by an assertion when it can be, or the placeholder's Proxy for ``PH``."""
                nonlocal cnt
                cnt += 1
                param = sig.parameters[name]
                default = () if param.default is inspect.Parameter.empty else (param.default,)
                out = self.create_proxy("placeholder", f"{name}_{cnt}", default, {})
                if isinstance(x, PHBase):
                    return out
                if type(x) in (bool, int, float, str, complex):
                    import torchless
                    self.create_proxy("call_function", torchless._assert,
                                      (out == x, f"{name} has been specialized to have value {x} but got another "
                                                 f"value"), {})
                elif x is None:
                    self.create_proxy("call_function", _assert_is_none,
                                      (out, f"{name} has been specialized to have value None but got another value"),
                                      {})
                else:
                    warnings.warn(f"Was not able to add assertion to guarantee correct input {name} to specialized "
                                  f"function. It is up to the user to make sure that your inputs match the inputs "
                                  f"you specialized the function with.")
                return x
            return tree_map(replace_ph, concrete_args[name])
        if name[0] == "*":
            default = ()
        else:
            param = sig.parameters[name]
            default = () if param.default is inspect.Parameter.empty else (param.default,)
        return self.create_proxy("placeholder", name, default, {},
                                 type_expr=fn_for_analysis.__annotations__.get(name, None))

    def trace(self, root, concrete_args=None):
        """Trace ``root`` (a Module or a function) and return its :class:`Graph`.

        Args:
            root (Union[Module, Callable]): what to trace
            concrete_args (Optional[Dict[str, any]]): arguments given fixed values rather than placeholders
                (``PH`` keeps one a placeholder)
        """
        from .._tensor import Tensor
        Module, _, _ = _module_classes()
        if isinstance(root, Module):
            self.root = root
            fn = type(root).forward
            self.root_module_name = root._get_name() if hasattr(root, "_get_name") else type(root).__name__
        else:
            self.root = Module()
            fn = root
        self.graph = Graph(tracer_cls=type(self))
        self.submodule_paths = None
        self._kept = []
        self.tensor_attrs = {}

        def collect_tensor_attrs(m, prefix_atoms):
            for k, v in m.__dict__.items():
                if isinstance(v, Tensor):
                    self.tensor_attrs[id(v)] = ".".join(prefix_atoms + [k])
            for k, v in m.named_children():
                collect_tensor_attrs(v, prefix_atoms + [k])

        collect_tensor_attrs(self.root, [])
        fn_globals = fn.__globals__
        fn, args = self.create_args_for_root(fn, isinstance(root, Module), concrete_args)
        parameter_proxy_cache = {}
        orig_getattr = Module.__getattr__
        orig_call = Module.__call__
        tracer = self

        def module_getattr_wrapper(mod, attr):
            return tracer.getattr(attr, orig_getattr(mod, attr), parameter_proxy_cache)

        with _Patcher() as patcher:
            replacements = _record_torch_functions(patcher)

            def replacement(value):
                """The recording version of a global the traced code names, or None to leave it."""
                new = replacements.get(id(value))
                if new is None and id(value) in self._autowrap_function_ids and callable(value):
                    new = replacements[id(value)] = _autowrapped_function(
                        value, id(value) in getattr(self, "_autowrap_module_function_ids", ()))
                return new

            def module_call_wrapper(mod, *args, **kwargs):
                def forward(*args, **kwargs):
                    return orig_call(mod, *args, **kwargs)
                forward_fn = getattr(type(mod), "forward", None)
                if hasattr(forward_fn, "__globals__"):
                    patcher.patch_globals(forward_fn.__globals__, replacement)
                return tracer.call_module(mod, forward, args, kwargs)

            patcher.patch(Module, "__getattr__", module_getattr_wrapper)
            patcher.patch(Module, "__call__", module_call_wrapper)
            for globals_, name in [(g, n) for (_, n), g in _wrapped_fns_to_patch.items()]:
                orig = globals_.get(name, builtins.__dict__.get(name))
                if orig is not None:
                    patcher.patch(globals_, name, _wrapped_function(getattr(orig, "__fx_original__", orig)))
            patcher.patch_globals(fn_globals, replacement)
            for module in self._autowrap_search:  # (math.sqrt(n): the module's own entries)
                patcher.patch_globals(vars(module), replacement)
            result = fn(*args)
            self.create_node("output", "output", (self.create_arg(result),), {},
                             type_expr=fn.__annotations__.get("return", None))
        self.submodule_paths = None
        return self.graph


def _patch_function(fn, nargs):
    """``fn`` with its ``*args``/``**kwargs`` (and keyword-only parameters) taken as plain positional ones: the
    trace passes one Proxy for each."""
    co = fn.__code__
    new_code = co.replace(co_flags=co.co_flags & ~HAS_VARSTUFF, co_argcount=nargs, co_posonlyargcount=0,
                          co_kwonlyargcount=0)
    return types.FunctionType(new_code, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)


def symbolic_trace(root, concrete_args=None):
    """Trace ``root`` into a :class:`GraphModule`: its graph records the operations ``root``'s forward performs
    (torch.nn modules as single calls), and its generated ``forward`` performs them again.

    Args:
        root (Union[torch.nn.Module, Callable]): Module or function to be traced and converted into a Graph
            representation.
        concrete_args (Optional[Dict[str, any]]): Inputs to be partially specialized

    Returns:
        GraphModule: a Module created from the recorded operations from ``root``.

    Example::

        >>> def f(a, b):
        ...     return a + b
        >>> gm = torch.fx.symbolic_trace(f)
        >>> print(gm.code.strip())
        def forward(self, a, b):
            add = a + b;  a = b = None
            return add
    """
    tracer = Tracer()
    graph = tracer.trace(root, concrete_args)
    name = root.__class__.__name__ if isinstance(root, _module_classes()[0]) else root.__name__
    return GraphModule(tracer.root, graph, name)
