"""The Tensor: a NumPy array plus what autograd needs (requires_grad, grad, grad_fn)."""
import copy
import inspect
import numbers
import sys
import warnings
import weakref

import numpy as np

from . import _determinism, _dtype, _memory_format, _parser_errors, _unbound
from ._ops import arithmetic, inplace, unary
from ._device import CPU, device, require_cpu, strided
from ._ops._util import INT64, is_int_argument, normalize_dim, raise_if_not_broadcastable
from ._size import Size
from ._type_promotion import FLOAT, NUMBERS, as_parsed_number, category, check_numpy_number, result_dtype, \
    scalar_category
from ._user_warnings import warn_from_user_code
from .autograd import forward_ad, grad_mode
from .autograd._engine import root_gradient, run_backward
from .autograd._view_checks import check_unchanged, mark_version
from ._floating_point import FLAG_ERRORS
from .autograd.graph import OutputSlot, checked_output_node, records

_mode_state = grad_mode.state  # per-thread grad and inference modes, read as tensors are made
_tracing_state = forward_ad.state  # (vmap running: its batched tensors refuse to give their values)
_INFERENCE_INPLACE = ("Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to "
                      "get a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for "
                      "more details.")

_NOT_GIVEN = _parser_errors.NOT_GIVEN
# a NumPy shape is ints already: made a Size without Size()'s checks (Tensor.shape runs everywhere)
_size_of_shape = tuple.__new__
_FLOAT_MAX = _dtype.FLOAT_MAX
_FLOAT32, _FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)


def _quotient(a, b):
    """Div's forward of two arrays (true division: inf and nan silently, as in PyTorch)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return a / b


# The nodes of Tensor._binary whose forward, for two operands of one float dtype and shape, is this ufunc alone
_PLAIN_UFUNCS = {arithmetic.Add: np.add, arithmetic.Sub: np.subtract, arithmetic.Mul: np.multiply,
                 arithmetic.Div: _quotient}
_REVERSED_PAIR = (1, 0)  # (a matrix's .T)
_LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
_INTERNAL_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a single memory "
                     "location. Please clone() the tensor before performing the operation.")


_DETACH_VIEW_INPLACE = (
    "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) for training, "
    "and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and hence detach_() cannot be "
    "called on these gradients. To fix this error, please refer to the Optimizer.zero_grad() function in "
    "torch/optim/optimizer.py as the solution."
)
_NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, "
    "use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access "
    "the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information. (Triggered internally "
    "at /__w/pytorch/pytorch/build/aten/src/ATen/core/TensorBody.h:493.)"  # ATen's source location, as PyTorch's
)


def number_operand(number, np_dtype, value=None):
    """A Python number as an op's operand: a tensor of ``value`` (the number's own by default) as a 0-d array of
    ``np_dtype``, which remembers the number for what the op's node shows of it (PyTorch's wrapped number: int64,
    float64, bool or complex128 as ``_saved_other``, the number itself as ``_saved_exponent``)."""
    operand = Tensor._wrap(np.asarray(number if value is None else value, np_dtype))
    operand._number = number
    return operand


_SIZE_SEQUENCES = (tuple, list, Size)


def _shape_arg(args, name="size", arg="size", overloads=None, kind="SymInt[]", keywords=None):
    """Sizes given as ints (``view(2, 3)``), as one sequence (``view((2, 3))``) or by keyword (``keywords``:
    ``reshape(shape=(2, 3))``), with PyTorch's TypeErrors (for no sizes at all too: ``reshape()``; ``reshape(())``
    is the 0-d shape). ``overloads``: the schemas of ``name`` when it has more than the one taking ``kind arg``, for
    PyTorch's message listing them; ``kind``: "int[]" for dims (permute's, which read a bool tensor as 1),
    "SymInt[]" for sizes (which refuse it)."""
    if not keywords and args:
        # the common cases, without the parser (which refuses an int beyond int64): the sizes as ints, or as one
        # tuple, list or Size of them (``expand(other.shape)``)
        if all(type(a) is int and a in INT64 for a in args):
            return args
        sizes = args[0]
        if len(args) == 1 and type(sizes) in _SIZE_SEQUENCES and all(type(a) is int and a in INT64 for a in sizes):
            return tuple(sizes)
    return tuple(_parser_errors.parse(name, overloads or (f"{kind} {arg}",), args, keywords)[arg])


# The legacy constructor's overloads (torchless.Tensor(...), torchless.FloatTensor(...)) as PyTorch's parser prints
# them.
_LEGACY_OVERLOADS = ("*, torchless.device device = None", "torchless.Storage storage", "Tensor other",
                     "tuple of ints size, *, torchless.device device = None",
                     "object data, *, torchless.device device = None")


def _check_legacy_keywords(args, kwargs):
    """PyTorch's checks of the keywords given to a legacy constructor, which takes a CPU ``device`` alone (no
    ``dtype``, no ``requires_grad``: those are torchless.tensor's)."""
    where = kwargs.get("device")
    if len(kwargs) > 1 or "device" not in kwargs or isinstance(where, bool) or \
            not isinstance(where, (str, device, int, type(None))):
        raise _parser_errors.invalid_combination("new", _LEGACY_OVERLOADS, args, kwargs)
    if len(args) == 1 and isinstance(args[0], Tensor):
        raise RuntimeError("Legacy tensor constructor of the form torch.Tensor(tensor, device=device) is not "
                           "supported.  Use torch.tensor(...) or torch.as_tensor(...) instead.")
    if where is not None:
        target = where if isinstance(where, device) else device(where)
        if target.type != "cpu":
            raise RuntimeError(f"legacy constructor expects device type: cpu but device type: {target.type} was "
                               "passed")


_SCALAR_OF_GRAD_TENSOR = ("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                          "Consider using tensor.detach() first. (Triggered internally at /__w/pytorch/pytorch/torch/"
                          "csrc/autograd/generated/python_variable_methods.cpp:822.)")
_scalar_of_grad_tensor_warned = [False]


def _warn_scalar_of_grad_tensor():
    """PyTorch's warning (once per process) for float() of a tensor that requires grad while grad mode is on."""
    if not _scalar_of_grad_tensor_warned[0] and grad_mode.state.enabled:
        _scalar_of_grad_tensor_warned[0] = True
        warn_from_user_code(_SCALAR_OF_GRAD_TENSOR)


def _dtype_cast(dtype, name):
    """Tensor.float() and its kin: ``self.to(dtype)``, into ``memory_format`` when one is given (PyTorch's check
    of it names the method)."""
    not_given = _parser_errors.NOT_GIVEN

    def cast(self, memory_format=not_given, *more):  # (*more: the parser's error for extra positional arguments)
        if memory_format is not_given:
            return self.to(dtype)
        _refuse_by_position(name, 0)  # (memory_format is keyword-only: checked here, off the common path)
        if more:  # (a call that could not be read back)
            raise _parser_errors.too_many_positional(name, 0, nargs=1 + len(more))
        return self._cast_in_format(dtype, memory_format, name)

    cast.__name__, cast.__qualname__ = name, f"Tensor.{name}"
    cast.__code__ = cast.__code__.replace(co_name=name)  # (how _written_call finds the call)
    return cast


def _accelerator_move(kind):
    """Tensor.cuda() and its kin for the other accelerators, which a CPU-only build refuses with PyTorch's error
    for the device asked for (``x.cuda('cpu')``: 'Invalid device, must be cuda device')."""
    def move(self, device=None, non_blocking=False, memory_format=None):
        from .nn.modules._module_to import to_accelerator
        return to_accelerator(self, kind, device)

    move.__name__, move.__qualname__ = kind, f"Tensor.{kind}"
    move.__code__ = move.__code__.replace(co_name=kind, co_qualname=kind)  # (Python's errors name the method)
    return move


def _refuse_by_position(name, most, least=None):
    """Raise PyTorch's TypeError where the call of the method ``name`` has more than ``most`` arguments by position:
    its later parameters are keyword-only, but taken by position too in torchless, where a keyword-only parameter
    would cost every call (a keyword-only default is a dict look-up), and Python's TypeError would not be PyTorch's.
    Called only where such a parameter is given."""
    error = _parser_errors.too_many_positional(name, most, least)
    if error is not None:
        raise error


# The single-underscore attributes of PyTorch's tensors that torchless's have too (its other ones are its own).
_PYTORCH_PRIVATE_NAMES = frozenset(("_base", "_grad", "_grad_fn", "_is_view", "_post_accumulate_grad_hooks",
                                    "_version"))


class Tensor(metaclass=_unbound._TensorMeta):
    """A multi-dimensional array of one dtype, with reverse-mode automatic differentiation.

    Create tensors with the factories (``torchless.tensor``, ``torchless.zeros``, ``torchless.rand``,
    ...). ``Tensor(data)`` builds a float tensor from data, ``Tensor(*sizes)`` an uninitialised one.

    This class statement holds the core (construction, attributes, conversion, autograd, printing, type promotion);
    the methods by topic (arithmetic, reductions, shape, indexing, in-place, ...) are in ``_tensor_methods``.
    """

    # _counter: the version counter ([n]) shared with the tensor's views, made on first need (see _version).
    __slots__ = ("_data", "_requires_grad", "_grad", "_grad_fn", "_hooks", "_counter", "__weakref__", "__dict__")
    # Above NumPy's own, as PyTorch's is: np.float64(2) * t and np.float32(lr) * t leave it to t.__rmul__ and give
    # a tensor (with its graph), where NumPy would have read t as an array and returned one.
    __array_priority__ = 1000

    def __init__(self, *args, **kwargs):
        self._legacy_init(args, kwargs, None)

    def _legacy_init(self, args, kwargs, dtype):
        """The legacy constructor's (``torchless.Tensor(...)``, ``torchless.LongTensor(...)`` of ``dtype``)."""
        if kwargs:
            _check_legacy_keywords(args, kwargs)
        if len(args) == 1 and isinstance(args[0], Tensor):
            # PyTorch aliases a tensor given to a legacy constructor, which must be of that constructor's dtype
            source = args[0]._data
            if dtype is not None and source.dtype != dtype.numpy:
                raise TypeError(f"expected {_dtype.tensor_options(dtype.numpy)} (got {_dtype.tensor_options(source.dtype)})")
            array = source
        elif len(args) == 1 and not isinstance(args[0], (numbers.Integral, Size)):  # (a Size is sizes, as in PyTorch)
            if isinstance(args[0], (numbers.Number, set, frozenset, dict)) or args[0] is None:
                raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
            from ._creation.from_data import _infer_array  # data read as torchless.tensor reads it (range checks included)

            # (an array of the dtype already is shared, as PyTorch shares it)
            array = _infer_array(args[0], dtype or _dtype.get_default_dtype(), "tensor")
        else:  # Tensor() is empty, of shape (0,)
            if len(args) > 1 and not is_int_argument(args[0]):  # (sizes start with an int: no overload takes it)
                raise _parser_errors.invalid_combination("new", _LEGACY_OVERLOADS, args)
            shape = _shape_arg(args, "new") if args else 0
            for n in shape if args else ():
                if n < 0:
                    raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(shape)}")
            array = np.empty(shape, dtype=_dtype.to_numpy_dtype(dtype or _dtype.get_default_dtype()))
            _determinism.fill_uninitialized(array)
        Tensor._init(self, array)

    def _init(self, array, requires_grad=False):
        self._data = array
        self._requires_grad = requires_grad
        self._grad = None
        self._grad_fn = None
        self._hooks = None
        self._counter = None
        if _mode_state.stamps_tensors:
            if _mode_state.inference:
                self._inference = True
            if _mode_state.transform_epoch:  # (a tensor made inside a torch.func transform is its own to write)
                self.__dict__["_transform_epoch"] = _mode_state.transform_epoch

    @classmethod
    def _wrap(cls, array):
        """A new tensor around ``array`` (no copy); arrays NumPy returns as scalars become 0-d arrays."""
        t = object.__new__(cls)
        if not isinstance(array, np.ndarray):
            array = np.asarray(array)
        t._data = array
        t._requires_grad = False
        t._grad = None
        t._grad_fn = None
        t._hooks = None
        t._counter = None
        if _mode_state.stamps_tensors:  # (one read of the per-thread state outside inference mode and transforms)
            if _mode_state.inference:
                t._inference = True
            if _mode_state.transform_epoch:  # (a tensor made inside a torch.func transform is its own to write)
                t.__dict__["_transform_epoch"] = _mode_state.transform_epoch
        return t

    # ------------------------------------------------------------------ version counter
    # Every in-place op bumps the version; a graph node remembers the versions of the tensors it saved and
    # backward refuses to use a changed one (autograd.graph.SavedVersion). Views share their base's counter,
    # a list [n] made only once a tensor is saved, viewed or changed: most tensors never need one.
    @property
    def _version(self):
        if self._inference:
            raise RuntimeError("Inference tensors do not track version counter.")
        counter = self._counter
        return 0 if counter is None else counter[0]

    @_version.setter
    def _version(self, value):  # the optimizers' ``param._version += 1``
        self._version_counter()[0] = value

    def _version_counter(self):
        counter = self._counter
        if counter is None:
            counter = self._counter = [0]
        return counter

    # Made inside inference_mode() (set on the instance only then): an inference tensor, which outside inference
    # mode cannot be saved for backward (autograd.graph) nor changed in place (_bump_version). Its views and
    # detach() are inference tensors too, a normal tensor's never.
    _inference = False

    def is_inference(self):
        return self._inference

    # The number of the torch.func transform (grad, vjp, jvp) running as this tensor was made, 0 outside any: a
    # function a transform runs may write in place only what it made (func._transforms.refuse_mutating_captured)
    _transform_epoch = 0

    # A view's base (the tensor whose memory it shares, not itself a view), which a recorded in-place op on the view
    # writes through to (PyTorch's CopySlices); a base's views, whose nodes such an op re-reads from the base: weak
    # references in a plain list, pruned of the dead ones each time it doubles (at _views_prune_at). A WeakSet's
    # Python-level bookkeeping (its constructor, add, a callback as each view dies) cost a batch-1 forward's
    # x.view(-1, n) 2 us, a twentieth of the course CNN's latency.
    _view_base = None
    _views = None
    _views_prune_at = 8
    # Set on a tensor and on what detach() or .data made of it: they share memory untracked by the graph, so a
    # recorded in-place op on either writes its result into that memory (as on a base with views) rather than
    # rebinding the tensor to a new array, which the other would not see (a forward hook's output.detach() then
    # ReLU(inplace=True)).
    _aliased = False

    # How a view was made when PyTorch refuses to record an in-place op on it (see _tensor_methods.inplace), and its
    # output number in the op that made it: "no_grad" (grad mode off), "inference_mode" (of a normal tensor, inside
    # inference_mode), "multi_output" (split/chunk/unbind, or a Function with several outputs: they share one
    # gradient), "custom_function" (a view an autograd.Function returned, whose backward an in-place op would
    # bypass). A view of such a view is one too, its output 0. Their use in autograd after an in-place change of
    # their memory is refused too (see autograd._view_checks).
    _view_creation = None
    _view_output_nr = 0
    # The dual tensor (autograd.forward_ad.make_dual's result) a view was made from, whose tangent its own is a view
    # of (see _tensor_methods.inplace's _update_view_tangents); None: its view base's
    _tangent_base = None
    # A view made with grad mode off (or in inference mode) of a tensor requiring grad requires grad by inheritance
    # alone, as in PyTorch: ops on it are recorded, but no gradient edge leads to it (its node's next_functions show
    # None; backward accumulates nothing into it, autograd.grad finds it unused). Setting its requires_grad makes it
    # an ordinary leaf.
    _grad_goes_nowhere = False

    def _as_view(self, view):
        """``view``, a tensor sharing this one's memory, marked as its view: one version counter for both."""
        # (_version_counter, mark_version, propagated and _add_view's first view inline: a batch-1 forward's
        # x.view(-1, n) under no_grad spent a sixth of its time calling them)
        counter = view._counter = self._counter if self._counter is not None else self._version_counter()
        if not _mode_state.enabled and not ((inference := _mode_state.inference) and self._inference):
            creation = self._view_creation
            view._view_creation = creation if creation == "inference_mode" else \
                "inference_mode" if inference else "no_grad"  # (propagated)
            if self._requires_grad and view._grad_fn is None:
                # PyTorch's view of a tensor requiring grad requires grad too: ops on it are recorded, but their
                # gradient reaches neither it (a view) nor its base (the view was not recorded)
                view._requires_grad = True
                view._grad_goes_nowhere = True
            view.__dict__["_view_version"] = counter[0]  # (mark_version)
        elif self._view_creation is not None:
            view._view_creation = self._view_creation
            mark_version(view)
            if view._grad_fn is not None:
                view._grad_fn.checks_edges = True
        base = self._view_base
        if base is None:
            base = self
        view._view_base = base
        if base._views is None:
            base._views = [weakref.ref(view)]
        else:
            base._add_view(view)
        if self._tangent_base is not None:
            view._tangent_base = self._tangent_base
        if view._inference is not self._inference:
            view._inference = self._inference
        return view

    def _add_view(self, view):
        """Remember ``view`` among this base's views (see _views)."""
        refs = self._views
        if refs is None:
            self._views = [weakref.ref(view)]
            return
        if len(refs) >= self._views_prune_at:
            refs[:] = [ref for ref in refs if ref() is not None]
            self._views_prune_at = max(Tensor._views_prune_at, 2 * len(refs))
        refs.append(weakref.ref(view))

    def _live_views(self):
        """This base's views that are still alive."""
        views = [ref() for ref in self._views or ()]
        return [view for view in views if view is not None]

    def _bump_version(self):
        counter = self._counter
        if counter is None:
            self._counter = [1]
        else:
            counter[0] += 1
        if self._inference and not _mode_state.inference and "_detached_inference" not in self.__dict__:
            raise RuntimeError(_INFERENCE_INPLACE)  # PyTorch, too, refuses after writing; it lets detach()'s through

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self):
        return _size_of_shape(Size, self._data.shape)

    def size(self, dim=None):
        """The shape as a ``torchless.Size``, or the length of dimension ``dim``."""
        if dim is None:
            return _size_of_shape(Size, self._data.shape)
        if dim.__class__ is not int and not is_int_argument(dim):
            raise _parser_errors.wrong_type("size", "dim", 1, dim, "int")
        if not self._data.ndim:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[normalize_dim(dim, self._data.ndim)]

    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return CPU

    is_cuda = False
    is_sparse = False
    is_quantized = False
    # (the other backends' flags, which code written for them reads: nn.init.trunc_normal_ reads is_meta)
    is_meta = is_mkldnn = is_mps = is_xpu = is_xla = is_vulkan = is_ipu = is_maia = is_mtia = False
    is_nested = is_sparse_csr = False
    layout = strided

    def __reversed__(self):
        # PyTorch's: the tensor flipped along dim 0 (a 0-d tensor itself), not an iterator
        return self if self._data.ndim == 0 else self.flip(0)

    # (refused: CPython's errors for PyTorch's METH_NOARGS method, at no wrapper's cost)
    def dim(self, *refused, **refused_keywords):
        if refused or refused_keywords:
            raise _parser_errors.no_arguments_error("dim", refused, refused_keywords)
        return self._data.ndim

    def ndimension(self):
        return self._data.ndim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self, *refused, **refused_keywords):
        if refused or refused_keywords:
            raise _parser_errors.no_arguments_error("numel", refused, refused_keywords)
        return self._data.size

    def nelement(self):
        return self._data.size

    def element_size(self):
        return self._data.itemsize

    def stride(self, dim=None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        if dim is not None and type(dim) is not int:
            dim = _parser_errors.method_arguments("stride", (dim,))["dim"]
        return strides if dim is None else strides[normalize_dim(dim, self._data.ndim)]

    def is_contiguous(self, *positional, memory_format=_memory_format.contiguous_format):
        """Whether the elements lie in memory densely in ``memory_format``'s order (size-1 dims aside)."""
        if positional:
            _no_positional("is_contiguous", positional)
        if memory_format is _memory_format.contiguous_format:
            return self._data.flags.c_contiguous
        return _memory_format.is_contiguous(self._data, _memory_format.check(memory_format, "is_contiguous"))

    def is_floating_point(self):
        return self._data.dtype.kind in "fV"  # ("V": bfloat16, ml_dtypes' NumPy type: no other "V" tensors exist)

    def data_ptr(self):
        """The address of the first element; 0 for a tensor without elements, as in PyTorch (even a view into a
        non-empty storage)."""
        return self._data.__array_interface__["data"][0] if self._data.size else 0

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        # PyTorch's attribute refuses any assignment to a computed tensor (requires_grad_(True) lets it pass), and
        # words its dtype error apart from the factories' and Parameter's
        if isinstance(value, (bool, np.bool_)) and value and self._grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables.")
        self._set_requires_grad(value, "only Tensors of floating point and complex dtype can require gradients")

    def _set_requires_grad(self, value,
                           not_floating="Only Tensors of floating point and complex dtype can require gradients"):
        """Set requires_grad with PyTorch's checks; ``not_floating``: the error for an integer or bool tensor."""
        if not isinstance(value, (bool, np.bool_)):
            raise RuntimeError("requires_grad must be a bool")
        if not value and self._grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            )
        if value and not (self.is_floating_point() or self.is_complex()):
            raise RuntimeError(not_floating)
        if value and self._inference and not _mode_state.inference:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.")
        self._requires_grad = bool(value)
        if self._grad_goes_nowhere:  # (its own flag now: a leaf receiving its gradient)
            self._grad_goes_nowhere = False

    @property
    def grad(self):
        node = checked_output_node(self)
        if node is not None and node._retained is None and self._grad is None:  # (a set one: no)
            warnings.warn(_NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        # PyTorch's checks of an assigned gradient: a wrong one would only fail (or silently broadcast) later,
        # inside an optimizer's step.
        if value is not None:
            self._check_assigned_grad(value)
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    def _check_assigned_grad(self, grad):
        if not isinstance(grad, Tensor):
            from .nn._functional._args import _tp_name
            raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {_tp_name(grad)}")
        if grad is self:
            raise RuntimeError("can't assign Variable as its own grad")
        if grad._data.dtype != self._data.dtype:
            raise RuntimeError(
                f"attempting to assign a gradient with dtype '{_dtype.CPP_SCALAR_NAMES[grad._data.dtype.name]}' to a "
                f"tensor with grad_dtype '{self.dtype.scalar_name}'. The gradient must match the tensor's grad_dtype (defaults "
                "to the tensor's dtype). You can set the tensor's grad_dtype attribute with a specific dtype, or None "
                "to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its gradient "
                "may break downstream systems that assume they match.")
        if grad._data.shape != self._data.shape:
            raise RuntimeError(f"attempting to assign a gradient of size '{list(grad.shape)}' to a tensor of size "
                               f"'{list(self.shape)}'. Please ensure that the gradient and the tensor are the same size")

    def requires_grad_(self, requires_grad=True, *more):
        if more:  # (Python's count would include self)
            raise _parser_errors.too_many_positional("requires_grad_", 1, 0, nargs=1 + len(more))
        if requires_grad.__class__ is not bool:  # (no NumPy bool either, as PyTorch's parser)
            raise _parser_errors.wrong_type("requires_grad_", "requires_grad", 1, requires_grad, "bool")
        if requires_grad and not (self.is_floating_point() or self.is_complex()):
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._set_requires_grad(requires_grad)
        return self

    @property
    def grad_fn(self):
        """The node of the graph that computed this tensor (None for a leaf). Read on a view whose node autograd
        cannot rewrite after an in-place change of its memory (see autograd._view_checks), PyTorch's error."""
        if self._view_creation is not None:
            check_unchanged(self)
        return self._grad_fn

    @property
    def is_leaf(self):
        return checked_output_node(self) is None if self._view_creation is not None else self._grad_fn is None

    @property
    def data(self):
        """The same values, detached from the graph (shares memory)."""
        data = Tensor._wrap(self._data)
        self._aliased = data._aliased = True
        return data

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            from .nn._functional._args import _tp_name
            raise TypeError(f"Variable data has to be a tensor, but got {_tp_name(value)}")
        # a tensor requiring grad must stay floating or complex (Module.type(torch.int64) fails here, as in PyTorch)
        if self._requires_grad and value._data.dtype.kind not in "fcV":
            raise RuntimeError("data set to a tensor that requires gradients must be floating point or complex dtype")
        self._data = value._data

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def is_complex(self):
        return self._data.dtype.kind == "c"

    def get_device(self):
        return -1  # PyTorch's answer for a CPU tensor

    @property
    def T(self):
        if self._data.ndim != 2:
            _warn_reversing_t(self._data.ndim)
            return self.permute(tuple(range(self._data.ndim))[::-1])
        return self.permute(_REVERSED_PAIR)

    @property
    def mT(self):
        return self._matrix_transpose("mT")

    def _matrix_transpose(self, name):
        """mT/mH: the last two dims swapped. PyTorch refuses a 1-D tensor and gives a 0-D one back unchanged."""
        if self._data.ndim == 1:
            raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of matrices. Got 1-D tensor.")
        return self.transpose(-2, -1) if self._data.ndim else self

    # ------------------------------------------------------------------ conversion
    @property
    def H(self):
        """The conjugate transpose of a matrix (of a real one, its transpose)."""
        if self._data.ndim in (0, 2):
            return (self.transpose(0, 1) if self._data.ndim == 2 else self).conj()  # (TransposeBackward0)
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self._data.ndim}-D tensor."
                           + (" For batches of matrices, consider using tensor.mH" if self._data.ndim > 2 else ""))

    @property
    def mH(self):
        return self._matrix_transpose("mH").conj()

    def numpy(self, force=_NOT_GIVEN, *more):
        """The underlying array (shared memory). Refused for a tensor that requires grad while grad mode is
        enabled, as in PyTorch (under ``no_grad`` and in an autograd Function's forward it is given)."""
        if more:  # (the parser counts the arguments given by position first)
            _no_positional("numpy", (force,) + more)
        if force is not _NOT_GIVEN:  # (force is keyword-only, a bool: checked off the common path)
            _refuse_by_position("numpy", 0)
            if force.__class__ is not bool:
                from .nn._functional._args import _tp_name

                raise TypeError(f"numpy(): argument 'force' must be bool, not {_tp_name(force)}")
        if self._requires_grad and force is not True and _mode_state.enabled:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if _tracing_state.vmap_levels:
            forward_ad.refuse_in_vmap(self, "data")
        if self._data.dtype.kind == "V":  # bfloat16 (ml_dtypes' NumPy type): PyTorch has no NumPy type for it
            raise TypeError("Got unsupported ScalarType BFloat16")
        return self._data

    def __array__(self, dtype=None):
        # PyTorch's takes no ``copy``: NumPy 2 then copies as needed itself, with its DeprecationWarning (np.array
        # of a tensor, matplotlib's imshow) or its ValueError (copy=False), as for a torch tensor
        array = self.numpy()  # refused for a tensor that requires grad (with grad enabled), as in PyTorch
        if dtype is not None and np.dtype(dtype) != array.dtype:
            return array.astype(dtype)
        return array

    def __array_wrap__(self, array):
        """A NumPy ufunc's result on a tensor (``np.exp(t)``) comes back as a tensor, as PyTorch's does (a bool
        result as uint8, PyTorch's byte tensor). PyTorch's takes neither ``context`` nor ``return_scalar``: NumPy 2
        then warns (DeprecationWarning) as it does for a torch tensor."""
        if array.dtype == np.bool_:
            array = array.astype(np.uint8)
        return Tensor._wrap(np.asarray(array))

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if _tracing_state.vmap_levels:
            forward_ad.refuse_in_vmap(self, "item")
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        if _tracing_state.vmap_levels:
            forward_ad.refuse_in_vmap(self, "data")
        return self._data.tolist()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        from . import overrides

        overrides.install(cls)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        """Run ``func`` (a Tensor method, or another function called with a Tensor subclass) with ``args`` and
        ``kwargs``, its tensors (and tuples or lists of them) returned as ``cls``.

        A subclass overrides this to change what its operations do; it returns ``NotImplemented`` when ``types``
        holds a type it does not know.
        """
        from . import overrides

        return overrides._torch_function(cls, func, types, args, kwargs)

    def as_subclass(self, cls):
        """This tensor as an instance of the Tensor subclass ``cls``, sharing its values; one that requires grad is
        aliased (a view), so that gradients reach this tensor."""
        if not isinstance(cls, type):
            raise TypeError(f"cls must be a type (got {type(cls).__name__})")
        if not issubclass(cls, Tensor):
            raise TypeError("Creating a Tensor subclass from a class that does not inherit from Tensor is not "
                            "possible. Make sure your class inherits from Tensor.")
        source = self[...] if self._requires_grad else self  # (an alias: PyTorch's AliasBackward0)
        out = object.__new__(cls)
        for name in Tensor.__slots__:
            if name not in ("__weakref__", "__dict__") and hasattr(source, name):
                setattr(out, name, getattr(source, name))
        # a new Python object, as PyTorch's: torchless's own (private) bookkeeping comes along, not the attributes a
        # program set (a BoundingBoxes' format and canvas_size would otherwise be pickled with the plain tensor)
        out.__dict__.update((k, v) for k, v in source.__dict__.items() if k.startswith("_"))
        return out

    def detach(self, *refused, **refused_keywords):
        """A tensor sharing this one's values (and version counter: changing it in place invalidates what
        backward saved of this one), outside the graph."""
        if refused or refused_keywords:
            raise _parser_errors.no_arguments_error("detach", refused, refused_keywords)
        return self._detached_as(Tensor)

    def _detached_as(self, cls):
        """detach()'s tensor, of the Tensor subclass ``cls`` (a Parameter, as PyTorch's _make_subclass makes it)."""
        detached = Tensor._wrap.__func__(cls, self._data)
        detached._counter = self._version_counter()
        self._aliased = detached._aliased = True
        if detached._inference is not self._inference:  # made in inference mode from a normal tensor, or out of it
            detached._inference = self._inference
        if self._inference:
            detached._detached_inference = True
        if _mode_state.transform_epoch:  # (a captured tensor detached inside a transform is still captured)
            detached.__dict__["_transform_epoch"] = self._transform_epoch
        if forward_ad.state.vmap_levels:  # (inlined batched_like: detach runs in optimizers' steps)
            forward_ad.mark_batched(detached, (self,))
        return detached

    def detach_(self):
        if _mode_state.inference:  # (inference mode skips autograd's kernels: the tensor keeps its place in the graph)
            return self
        if self._view_base is not None:  # a view's (PyTorch refuses to detach one in place)
            raise RuntimeError(_DETACH_VIEW_INPLACE)
        self._grad_fn = None
        self._requires_grad = False
        return self

    def clone(self, *positional, memory_format=_memory_format.preserve_format):
        """A copy, laid out in ``memory_format`` (by default as this tensor is, if dense)."""
        if positional:
            _no_positional("clone", positional)
        if memory_format is _memory_format.preserve_format or memory_format is None:
            return unary.Clone.apply(self)
        _memory_format.check(memory_format, "clone")
        _memory_format.check_rank(self._data.ndim, memory_format)
        return unary.Clone.apply(self, memory_format=memory_format)

    def contiguous(self, *positional, memory_format=_memory_format.contiguous_format):
        """This tensor if it is contiguous in ``memory_format``, else a copy that is."""
        if positional:
            _no_positional("contiguous", positional)
        if memory_format is _memory_format.contiguous_format:
            return self if self._data.flags.c_contiguous else unary.Clone.apply(self, contiguous=True)
        if _memory_format.is_contiguous(self._data, _memory_format.check(memory_format, "contiguous")):
            return self
        if memory_format is _memory_format.preserve_format:
            raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
        return self.clone(memory_format=memory_format)

    def to(self, *args, **kwargs):
        """Convert dtype (device 'cpu' is accepted and ignored): ``to(dtype)``, ``to('cpu')``, ``to(other)``."""
        if len(args) == 1 and not kwargs and args[0].__class__ is _dtype.dtype:  # to(dtype): as below, sooner
            dtype = args[0]
            if dtype.numpy == self._data.dtype:
                return self
            if dtype.is_floating_point or dtype.is_complex:
                return unary.Cast.apply(self, dtype=dtype.numpy)
        leading = _to_leading_arguments(args, kwargs)
        if leading is None:
            from .nn._functional._args import _describe_call

            # (the parser's words where one overload alone could take as many arguments: too many by position)
            _parser_errors.parse_overload("to", _TO_SCHEMAS, args, kwargs)
            raise TypeError(f"to() received an invalid combination of arguments - got {_describe_call(args, kwargs)}, "
                            "but expected one of:\n" + "".join(f" * ({overload})\n" for overload in _TO_OVERLOADS))
        copy = args[leading + 1] if len(args) > leading + 1 else kwargs.get("copy", False)
        dtype = kwargs.get("dtype")
        if _number_as_tensor(args):
            dtype = _dtype.from_numpy_dtype(_number_tensor_dtype(args[0]))
            args = args[1:]  # (no device among them)
        for a in args[:leading] + tuple(v for k, v in kwargs.items() if k == "device"):
            if _dtype.is_argument(a):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, device)):
                require_cpu(a)
            elif type(a) is int or isinstance(a, np.integer):  # an accelerator's index (a NumPy int too)
                raise RuntimeError("Device index must not be negative" if a < 0 else
                                   "Cannot access accelerator device when none is available.")
        if dtype is not None and not isinstance(dtype, _dtype.dtype):  # Python's float, int or bool
            dtype = _dtype.from_numpy_dtype(_dtype.to_numpy_dtype(dtype))
        memory_format = kwargs.get("memory_format")
        if memory_format is not None and memory_format is not _memory_format.preserve_format:
            return self._to_memory_format(dtype, memory_format, copy)
        if dtype is None or dtype.numpy == self._data.dtype:
            return self.clone() if copy else self
        if not (dtype.is_floating_point or dtype.is_complex):  # no gradient flows into integer or bool values
            # nan and inf convert to arbitrary integers, silently as in PyTorch; a complex number converts its real
            # part (bool: its being nonzero)
            data = _dtype.cast_source(self._data, dtype.numpy)
            with np.errstate(invalid="ignore"):
                out = data.astype(dtype.numpy)
                return forward_ad.batched_like(Tensor._wrap(_memory_format.preserving(out, self._data)), self)
        return unary.Cast.apply(self, dtype=dtype.numpy)

    def _cast_in_format(self, dtype, memory_format, name):
        """``float(memory_format=...)`` and kin: the cast into ``memory_format`` (None: preserve_format)."""
        if memory_format is not None:
            _memory_format.check(memory_format, name)
        return self.to(dtype, memory_format=memory_format)

    def _to_memory_format(self, dtype, memory_format, copy):
        """``to(dtype, memory_format=...)``: this tensor when it has the dtype and its strides suggest the format
        (PyTorch's test for an alias), else a copy in the format."""
        _memory_format.check_rank(self._data.ndim, memory_format)
        np_dtype = self._data.dtype if dtype is None else dtype.numpy
        if np_dtype == self._data.dtype and not copy and _memory_format.suggest(self._data) is memory_format:
            return self
        if np_dtype.kind not in "fcV":  # ("V": bfloat16)
            with np.errstate(invalid="ignore"):
                return Tensor._wrap(_memory_format.copy_as(_dtype.cast_source(self._data, np_dtype), memory_format,
                                                           np_dtype))
        return unary.Cast.apply(self, dtype=np_dtype, memory_format=memory_format)

    def type(self, dtype=None, non_blocking=False, *, memory_format=None):
        """The legacy type string (``'torchless.FloatTensor'``) without an argument; else a conversion to a
        dtype, a type string (``'torch.LongTensor'``) or a legacy type class (``torchless.LongTensor``), into
        ``memory_format`` when one is given."""
        if non_blocking.__class__ is not bool:
            _refuse_non_blocking(non_blocking)
        if memory_format is not None and not isinstance(memory_format, _memory_format.memory_format):
            raise _parser_errors.wrong_type("type", "memory_format", None, memory_format, "torchless.memory_format")
        if dtype is None:
            return "torchless." + _dtype.TENSOR_TYPE_NAMES.get(self.dtype, f"{self.dtype.scalar_name}Tensor")
        from ._legacy_types import CudaLegacyTensorType, LegacyTensorType

        if isinstance(dtype, CudaLegacyTensorType):
            raise RuntimeError(_dtype.NO_CUDA_LIBRARY)
        if isinstance(dtype, str):
            dtype = _dtype.from_tensor_type_name(dtype)
        elif isinstance(dtype, LegacyTensorType):
            dtype = dtype.dtype
        elif dtype is Tensor:
            dtype = _dtype.get_default_dtype()
        elif isinstance(dtype, type):
            from .nn._functional._args import _class_tp_name
            raise ValueError(f"invalid type: '{_class_tp_name(dtype)}'")
        elif not isinstance(dtype, _dtype.dtype):
            raise TypeError("dtype must be a type, str, or dtype object")
        return self.to(dtype) if memory_format is None else self.to(dtype, memory_format=memory_format)

    def type_as(self, other):
        if not isinstance(other, Tensor):
            raise _parser_errors.not_tensor("type_as", "other", 1, other)
        return self.to(other.dtype)

    def cpu(self, *args, memory_format=_memory_format.preserve_format):
        if args:  # (memory_format is keyword-only to PyTorch's parser)
            _no_positional("cpu", args)
        return self if memory_format is _memory_format.preserve_format else \
            self._cast_in_format(None, memory_format, "cpu")

    def pin_memory(self, device=None):
        where = _pinning_device("pin_memory", device)
        if where is not None:  # (PyTorch's pin_memory asks is_pinned first, which warns too)
            _pinning_device("is_pinned", where)
            if where.type == "cuda":
                raise RuntimeError(_dtype.NO_CUDA_LIBRARY)
            raise RuntimeError(f"{where.type.upper()} device type not an accelerator.")
        raise RuntimeError("Cannot access accelerator device when none is available.")

    def is_pinned(self, device=None):
        _pinning_device("is_pinned", device)
        return False

    cuda = _accelerator_move("cuda")
    xpu = _accelerator_move("xpu")
    ipu = _accelerator_move("ipu")
    mtia = _accelerator_move("mtia")

    float = _dtype_cast(_dtype.float32, "float")
    double = _dtype_cast(_dtype.float64, "double")
    half = _dtype_cast(_dtype.float16, "half")
    cfloat = _dtype_cast(_dtype.complex64, "cfloat")
    cdouble = _dtype_cast(_dtype.complex128, "cdouble")
    long = _dtype_cast(_dtype.int64, "long")
    int = _dtype_cast(_dtype.int32, "int")
    short = _dtype_cast(_dtype.int16, "short")
    char = _dtype_cast(_dtype.int8, "char")
    byte = _dtype_cast(_dtype.uint8, "byte")
    bool = _dtype_cast(_dtype.bool, "bool")

    bfloat16 = _dtype_cast(_dtype.bfloat16, "bfloat16")  # (a TypeError without ml_dtypes, which holds them)

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the ``.grad`` of every leaf it depends on (of ``inputs``
        alone when given); ``gradient`` is the gradient with respect to this tensor (None for a scalar's 1)."""
        if gradient is None and inputs is None and create_graph is False and \
                (retain_graph is None or retain_graph.__class__ is bool):
            # a training step's loss.backward(), straight to the engine
            run_backward([(self, root_gradient(self, None))], retain_graph=bool(retain_graph))
            return
        from .autograd import backward

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def retain_grad(self):
        """Keep the gradient of this non-leaf tensor in ``.grad`` after backward."""
        import weakref

        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is not None:  # (PyTorch's looks at a leaf's view no further: no check of it either)
            checked_output_node(self)._retained = weakref.ref(self)

    @property
    def retains_grad(self):
        return self._grad_fn is not None and checked_output_node(self)._retained is not None

    def register_hook(self, hook):
        """Call ``hook(grad)`` whenever the gradient with respect to this tensor is computed; a tensor it returns
        (of the same shape and dtype) replaces that gradient.

        Returns:
            RemovableHandle: a handle whose ``remove()`` unregisters the hook.
        """
        from .utils.hooks import RemovableHandle

        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node = checked_output_node(self)
        if node is None:
            if self._hooks is None:
                self._hooks = {}
            hooks = self._hooks
        else:
            # Kept by the node: a later in-place op rebinds this tensor to a new node, and the hook still sees
            # the gradient of the value it was registered on, as in PyTorch.
            if node._tensor_hooks is None:
                node._tensor_hooks = {}
                if isinstance(node, OutputSlot):  # (an output of a node of several: that node runs its hooks)
                    node.node._hooked_outputs = (*node.node._hooked_outputs, node)
            hooks = node._tensor_hooks
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    _post_accumulate_grad_hooks = None  # {handle id: hook}, set on the instance by the first registration

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` on this leaf each time backward has accumulated its ``.grad`` (as an optimizer
        stepping per parameter would); the hook must return None.

        Returns:
            RemovableHandle: a handle whose ``remove()`` unregisters the hook.
        """
        from .utils.hooks import RemovableHandle

        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_accumulate_grad_hooks is None:
            self._post_accumulate_grad_hooks = {}
        handle = RemovableHandle(self._post_accumulate_grad_hooks)
        self._post_accumulate_grad_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ printing
    def __repr__(self):
        from ._tensor_str import tensor_repr
        from .nn.parameter import Parameter

        kind = type(self)
        if kind is Tensor or kind is Parameter:
            return tensor_repr(self)
        # a subclass is named by its class, and a Parameter subclass flagged as one around that, as PyTorch prints
        shown = tensor_repr(self, prefix=f"{kind.__name__}(")
        return f"Parameter({shown})" if isinstance(self, Parameter) else shown

    def __format__(self, spec):
        # Only a plain 0-d Tensor formats as its number; a Parameter or another subclass, and any tensor with dims,
        # goes to object.__format__ as in PyTorch: its repr for the empty spec, else "unsupported format string
        # passed to Parameter.__format__"
        if self._data.ndim == 0 and type(self) is Tensor:  # (_data first: an uninitialized parameter refuses it)
            return format(self.item(), spec)
        return object.__format__(self, spec)

    # ------------------------------------------------------------------ Python protocol
    def __dir__(self):
        # PyTorch's names: torchless's private helpers left out, which also keeps the listing under the 750 names
        # beyond which Python gives up suggesting "Did you mean: ...?" for a mistyped attribute
        return [name for name in object.__dir__(self)
                if not name.startswith("_") or name.startswith("__") or name in _PYTORCH_PRIVATE_NAMES]

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))  # as PyTorch's: the rows are unbind's (UnbindBackward0, one version counter)

    def __contains__(self, element):
        """``x in t``: whether ``element`` (a number, or a tensor broadcast against t) equals any element."""
        # (PyTorch's check is Python's numbers.Number: a NumPy bool is refused, a Fraction passes to ==, which
        # returns NotImplemented for it, and Python's False has no any())
        if not isinstance(element, (Tensor, numbers.Number)):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                               f"{type(element)}.")
        return bool((element == self).any())

    def __bool__(self):
        if _tracing_state.vmap_levels:
            forward_ad.refuse_in_vmap(self, "control flow")
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with " + ("no values" if self._data.size == 0 else
                                                                 "more than one value") + " is ambiguous")
        return bool(self._data.reshape(()))

    __nonzero__ = __bool__

    def _python_scalar(self):
        if _tracing_state.vmap_levels:
            forward_ad.refuse_in_vmap(self, "item")
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __float__(self):
        if self._requires_grad:
            _warn_scalar_of_grad_tensor()
        return float(_real_scalar(self._python_scalar(), "double"))

    def __int__(self):
        return int(_real_scalar(self._python_scalar(), "int64_t"))

    __long__ = __int__  # (Python 2's names, which PyTorch keeps)

    def __complex__(self):
        if self._requires_grad:
            _warn_scalar_of_grad_tensor()
        return complex(self._python_scalar())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self):
        return id(self)

    def __reduce_ex__(self, protocol):
        """Pickled as PyTorch pickles a tensor: the whole memory it views, with its offset and strides there (so
        that a view loads as the same view of a copy of that memory), ``requires_grad`` and the Python attributes
        set on it, and its class if it is a subclass; not its grad or its graph."""
        elements, offset, strides = _tensor_extras.storage_layout(self._data)
        arguments = (elements, offset, self._data.shape, strides, self._requires_grad, _python_attributes(self) or None)
        return (_rebuild_view, arguments if type(self) is Tensor else arguments + (type(self),))

    def __deepcopy__(self, memo):
        """PyTorch's deepcopy of a tensor: leaves only; the copy brings its grad and Python attributes along, and
        tensors sharing memory in one deepcopy (a tensor and its views) share the copied memory too, at their
        offsets and strides, as tensors of their own (a view's copy is no view, as PyTorch's is made by set_)."""
        if self._grad_fn is not None:
            raise RuntimeError(_DEEPCOPY_NON_LEAF)
        if id(self) in memo:
            return memo[id(self)]
        # a program's subclass is copied as PyTorch copies it: into what its new_empty() gives, which must be one
        subclass = type(self) is not Tensor and not _owned_subclass(type(self))
        if subclass and type(self.new_empty([])) is not type(self):
            raise RuntimeError(_DEEPCOPY_SUBCLASS)
        new = Tensor._wrap(_deepcopied_array(self._data, memo))
        if subclass:
            new = Tensor.as_subclass(new, type(self))
        new._requires_grad = self._requires_grad
        memo[id(self)] = new
        _share_copied_memory(new, memo)
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        attributes = _python_attributes(self)
        if attributes:
            new.__dict__.update(copy.deepcopy(attributes, memo))
        return new

    # ------------------------------------------------------------------ type promotion
    def _operands(self, other):
        """``self`` and ``other`` as tensors of PyTorch's common dtype."""
        a = self._data.dtype
        if isinstance(other, Tensor):
            b = other._data.dtype
            if a == b:
                return self, other
            common = self._common_with_tensor(other)
            return self._promoted(common), other._promoted(common)
        kind = other.__class__
        if (kind is float or kind is int) and a.kind == "f":  # (x * 2.0: the general path's checks, done cheaply)
            limit = _FLOAT_MAX.get(a)
            if limit is not None and -limit <= other <= limit and (kind is float or -2**63 <= other < 2**64):
                return self, number_operand(other, a)
        if not isinstance(other, NUMBERS):  # an array too: NumPy computes tensor + array
            return NotImplemented, None
        if not isinstance(other, (numbers.Real, np.bool_)):  # a complex number: the complex dtype of self's precision
            parsed = as_parsed_number(other)
            if parsed is not other:  # (checked here, off the real numbers' path)
                return self._operands(parsed)
            real = a if a.kind in "fV" else _dtype.get_default_dtype().numpy if a.kind != "c" else None
            common = a if real is None else np.result_type(real, np.complex64)
            return self._promoted(common), number_operand(other, common)
        if scalar_category(other) > category(a):
            if isinstance(other, np.unsignedinteger):  # (a uint64 from 2**63 refused, not promoted)
                check_numpy_number(other)
            common = _dtype.get_default_dtype().numpy if scalar_category(other) == FLOAT else \
                np.dtype(np.int64)
            try:
                with np.errstate(over="ignore"):  # a float beyond float32 becomes inf, silently as in PyTorch
                    return self._cast(common), number_operand(other, common)
            except OverflowError:  # an int from 2**63 with a bool tensor: PyTorch reads it as uint64
                _dtype.wrap_int(other, common)
                raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, attempted to "
                                   "promote Bool and UInt64") from None
        if a.kind in "fcV" and type(other) is int and not -2**63 <= other < 2**64:  # PyTorch's Scalar holds no more
            raise OverflowError("int too big to convert" if other > 0 else "can't convert negative int to unsigned")
        try:
            # (a NumPy float32 compared with float64's maximum would overflow, warning)
            value = check_numpy_number(other).item() if isinstance(other, np.generic) else other
            if a.kind in "fV" and not -_dtype.FLOAT_MAX[a] <= value <= _dtype.FLOAT_MAX[a]:
                with np.errstate(over="ignore"):  # inf, silently as in PyTorch (errstate is too slow to always use)
                    return self, number_operand(other, a)
            return self, number_operand(other, a)
        except OverflowError:  # an int beyond the integer dtype's range: PyTorch wraps it (uint8 + -1 adds 255)
            return self, number_operand(other, a, _dtype.wrap_int(other, a))

    def _common_with_tensor(self, other):
        return result_dtype(self._data.dtype, self._data.ndim > 0, other._data.dtype, other._data.ndim > 0)

    def _cast(self, np_dtype):
        return self if self._data.dtype == np_dtype else unary.Cast.apply(self, dtype=np_dtype)

    def _promoted(self, np_dtype):
        """This tensor as an operand of an op computing in ``np_dtype`` (no node of PyTorch's graph, see Promotion)."""
        return self if self._data.dtype == np_dtype else unary.Promotion.apply(self, dtype=np_dtype)

    def _binary(self, other, fn, **params):
        if not params and isinstance(other, Tensor) and fn in _PLAIN_UFUNCS:
            x, y = self._data, other._data
            # Two float32 (float64) tensors of one shape, C order (size-1 dims aside) or at most 1-D, outside a
            # graph: the node's forward is this ufunc, its result laid out as NumPy lays it, and apply would only
            # wrap it (x + y of small tensors 1.9 -> 0.9 us). Float flags raised as errors: the general path.
            if (x.dtype is y.dtype and (x.dtype is _FLOAT32 or x.dtype is _FLOAT64) and x.shape == y.shape and x.size
                    and (x.ndim < 2 or 1 not in x.shape and x.flags.c_contiguous and y.flags.c_contiguous)
                    and not records(self, other)):
                try:
                    return Tensor._wrap(_PLAIN_UFUNCS[fn](x, y))
                except FLAG_ERRORS:
                    pass
        a, b = self._operands(other)
        if a is NotImplemented:
            return NotImplemented
        try:
            return fn.apply(a, b, **params)
        except ValueError:
            raise_if_not_broadcastable(a, b)
            raise

    def _half_scalar_binary(self, other, fn, reverse=False, **params):
        """``fn`` of a float16 tensor and a scalar (see ``_opmath_scalar``) as PyTorch computes it: the scalar
        converted to float32, the result rounded once to float16; None for any other operand (left to
        ``_binary``)."""
        scalar = self._opmath_scalar(other)
        if scalar is None or reverse and isinstance(other, Tensor):
            return None
        node = arithmetic.HALF_WITH_OPMATH_SCALAR[fn]
        return node.apply(scalar, self, **params) if reverse else node.apply(self, scalar, **params)

    def _bfloat16_scalar_binary(self, other, fn, reverse=False, **params):
        """``fn`` (Mul, Div or MulScalar) of a bfloat16 tensor and a scalar as PyTorch computes it: the scalar
        converted to float32, not rounded to bfloat16 (the op itself computes in float32, see _opmath); a number
        over the tensor is its reciprocal, rounded, times the number. None for any other operand."""
        scalar = self._opmath_scalar(other)
        if scalar is None or reverse and isinstance(other, Tensor):
            return None
        if reverse:
            return fn.apply(self.reciprocal(), scalar) if "scalar_numerator" in params else None
        return fn.apply(self, scalar, **params)

    def _opmath_scalar(self, other):
        """``other`` as the float32 scalar PyTorch's float16 kernels of mul and div (rounded too) read beside this
        float16 tensor: a Python float or int, or a 0-d real tensor beside a dimensioned one (a CPU scalar, whose
        own value they read) unless its gradient is wanted; else None."""
        if isinstance(other, Tensor):
            from .autograd.graph import records

            if other._data.ndim or not self._data.ndim or other._data.dtype.kind not in "biuf" or records(other):
                return None
            with np.errstate(over="ignore"):
                return Tensor._wrap(other._data.astype(np.float32))
        # (NumPy's scalars too, which PyTorch reads as numbers; not bools)
        if isinstance(other, (bool, np.bool_)) or not isinstance(other, (float, np.floating)) and not (
                isinstance(other, (int, np.integer)) and -2**63 <= other < 2**63):
            return None
        with np.errstate(over="ignore"):  # a float beyond float32 becomes inf, silently as in PyTorch
            return number_operand(other, np.float32)

    def _rbinary(self, other, fn, **params):
        a, b = self._operands(other)
        if a is NotImplemented:
            return NotImplemented
        try:
            return fn.apply(b, a, **params)
        except ValueError:
            raise_if_not_broadcastable(b, a)
            raise

    def _float_operands(self, other):
        """Operands of true division: integers divide as the default float dtype."""
        a, b = self._operands(other)
        if a is NotImplemented or a._data.dtype.kind in "fcV":  # ("V": bfloat16)
            return a, b
        f = _dtype.get_default_dtype().numpy
        if not isinstance(other, Tensor):  # a scalar's own value, not its wrap into a's dtype: uint8 / -2 is -0.5
            return a._cast(f), number_operand(other, f)
        # each integer tensor straight to float, not through their common integer dtype (where an int8 0-d -1
        # beside a uint8 tensor would divide as 255)
        return self._cast(f), other._cast(f)

    # ------------------------------------------------------------------ factories from a tensor
    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        from ._creation._common import check_requires_grad
        from ._creation.from_data import _copy_construct_warning, tensor

        check_requires_grad("new_tensor", requires_grad, none_taken=False)
        if isinstance(data, Tensor):
            _copy_construct_warning("tensor.new_tensor")
            data = data._data
        return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    # (device, layout and pin_memory as PyTorch's factories take them: the CPU, strided, unpinned)
    def new_zeros(self, *sizes, size=None, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        return _new_filled(self, sizes, 0, dtype, requires_grad, "new_zeros", device, pin_memory, size)

    def new_ones(self, *sizes, size=None, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        return _new_filled(self, sizes, 1, dtype, requires_grad, "new_ones", device, pin_memory, size)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False):
        if not isinstance(size, (tuple, list)):  # (one int is no size here: new_full takes no ints as arguments)
            raise _parser_errors.wrong_type("new_full", "size", 1, size, "tuple of ints")
        return _new_filled(self, (size,), fill_value, dtype, requires_grad, "new_full", device, pin_memory)

    def new_empty(self, *sizes, size=None, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        out = _new_filled(self, sizes, 0, dtype, requires_grad, "new_empty", device, pin_memory, size)
        _determinism.fill_uninitialized(out._data)
        return out

    def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False, layout=None,
                          pin_memory=False):
        """:func:`torchless.empty_strided` in this tensor's dtype unless ``dtype`` is given."""
        from ._creation import empty_strided

        if not (isinstance(size, (tuple, list)) and _all_ints(size) and isinstance(stride, (tuple, list)) and
                _all_ints(stride)):  # (the parser's errors name this method)
            parsed = _parser_errors.parse("new_empty_strided", ("SymInt[] size, SymInt[] stride",), (size, stride))
            size, stride = parsed["size"], parsed["stride"]
        return empty_strided(size, stride, dtype=self.dtype if dtype is None else dtype, device=device,
                             requires_grad=requires_grad)


_TO_OVERLOADS = tuple(f"{first}bool non_blocking = False, bool copy = False, *, torchless.memory_format memory_format = None"
                      for first in ("torchless.device device = None, torchless.dtype dtype = None, ",
                                    "torchless.dtype dtype, ", "Tensor tensor, "))
_TO_SCHEMAS = tuple(f"{first}bool non_blocking=False, bool copy=False, *, memory_format? memory_format=None"
                    for first in ("device? device=None, dtype? dtype=None, ", "dtype dtype, ", "Tensor tensor, "))
_TO_KEYWORDS = frozenset(("device", "dtype", "non_blocking", "copy", "memory_format"))


def _refuse_non_blocking(value):
    """PyTorch's parser's TypeError for ``type()``'s ``non_blocking`` given another value than a Python bool (a
    NumPy bool or an int too), with its position where the call gave it by position."""
    from ._written_call import written_keywords
    from .nn._functional._args import _tp_name

    keywords = written_keywords()
    where = "" if keywords is not None and "non_blocking" in keywords else " (position 2)"
    raise TypeError(f"type(): argument 'non_blocking'{where} must be bool, not {_tp_name(value)}")


def _pinning_device(name, where):
    """The deprecated ``device`` of pin_memory / is_pinned (``name``) as PyTorch reads it: None, else the device
    named (with PyTorch's deprecation warning); an accelerator's index is refused (none exists here), another type
    with the parser's TypeError (raised from the parse of the failed call)."""
    if where is None:
        return None
    if isinstance(where, (str, device)):
        where = device(where)
        warn_from_user_code(f"The argument 'device' of Tensor.{name}() is deprecated. Please do not pass this "
                            "argument. (Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/Memory.cpp:"
                            f"{46 if name == 'pin_memory' else 31}.)", DeprecationWarning)
        return where
    if type(where) is int or isinstance(where, np.integer):
        raise RuntimeError("Device index must not be negative" if where < 0 else
                           "Cannot access accelerator device when none is available.")
    raise TypeError(f"{name}(): argument 'device' must be torch.device, not {type(where).__name__}")


def _no_positional(name, args):
    """PyTorch's TypeError for a method taking only keywords called with positional arguments."""
    raise TypeError(f"{name}() takes 0 positional arguments but {len(args)} "
                    f"{'was' if len(args) == 1 else 'were'} given")


def _to_leading_arguments(args, kwargs):
    """How many of ``Tensor.to``'s positional arguments are its device, dtype or tensor (the rest are its
    non_blocking and copy flags), or None where PyTorch's parser takes none of its overloads: (device, dtype,
    flags), (dtype, flags), (tensor, flags), flags given by position only after a dtype or tensor; Python bools
    only for the flags, at most one dtype (a NumPy one refused); only its keywords."""
    if not _TO_KEYWORDS.issuperset(kwargs):
        return None
    dtype = kwargs.get("dtype")
    if dtype is not None and not _dtype.is_argument(dtype):
        return None
    memory_format = kwargs.get("memory_format")
    if memory_format is not None and type(memory_format) is not _memory_format.memory_format:
        return None
    if kwargs.get("non_blocking", False).__class__ is not bool or kwargs.get("copy", False).__class__ is not bool:
        return None
    leading = _to_target_count(args)
    flags = args[leading:]
    if len(flags) > 2 or any(flag.__class__ is not bool for flag in flags) or (
            flags and leading == 1 and not (_dtype.is_argument(args[0]) or isinstance(args[0], Tensor) or
                                            _number_as_tensor(args))):
        return None  # (flags after a device alone: the device overload's second argument is its dtype)
    dtypes = (dtype is not None) + sum(_dtype.is_argument(a) for a in args[:leading])
    return leading if dtypes <= 1 else None


# The dtype of the 0-d tensor PyTorch's parser makes of a Python number given for a Tensor argument
_NUMBER_TENSOR_DTYPES = {bool: np.dtype(np.bool_), int: np.dtype(np.int64), float: np.dtype(np.float64),
                         complex: np.dtype(np.complex128)}


def _number_tensor_dtype(number):
    """The dtype of the 0-d tensor PyTorch's parser makes of ``number``: a NumPy int is int64, a NumPy
    complex128 (a Python complex) complex128, any other NumPy number (a bool, a complex64) is read as a double."""
    kind = _NUMBER_TENSOR_DTYPES.get(type(number))
    if kind is not None:
        return kind
    if isinstance(number, np.integer):
        return _NUMBER_TENSOR_DTYPES[int]
    if isinstance(number, complex):
        return _NUMBER_TENSOR_DTYPES[complex]
    float(number)  # (a complex64's ComplexWarning, as PyTorch's unpacking of it as a double)
    return _NUMBER_TENSOR_DTYPES[float]


def _number_as_tensor(args):
    """Whether ``to()``'s first argument is a Python or NumPy number that PyTorch's parser binds as the tensor
    overload's ``other`` (``x.to(2.5)`` is float64, ``x.to(True)`` bool, ``x.to(np.float32(1))`` float64): any
    number but an int (a NumPy one too), which names a device unless a flag follows it (``x.to(3, True)`` is
    int64)."""
    kind = type(args[0]) if args else None
    if kind is bool or kind is float or kind is complex:
        return True
    if kind is int or kind in _NUMPY_INTS:
        return len(args) > 1 and args[1].__class__ is bool
    return kind in _NUMPY_NON_INTS


# NumPy's scalar types (a set lookup keeps the usual dtype, device or tensor argument's check quick)
_NUMPY_INTS = frozenset(np.dtype(code).type for code in "bhilqBHILQ")
_NUMPY_NON_INTS = frozenset(np.dtype(code).type for code in "?efdgFDG")


def _to_target_count(args):
    """How many arguments from the first are a device (a name, index or None) and a dtype, or a dtype, or a
    tensor."""
    if not args:
        return 0
    first = args[0]
    if _dtype.is_argument(first) or isinstance(first, Tensor) or _number_as_tensor(args):
        return 1
    if first is None or isinstance(first, (str, device, np.integer)) or type(first) is int:
        return 2 if len(args) > 1 and (args[1] is None or _dtype.is_argument(args[1])) else 1
    return 0


def _new_filled(like, size, value, dtype, requires_grad, name, device=None, pin_memory=False, keyword_size=None):
    """``keyword_size``: the size given by keyword (``new_zeros(size=(2, 3))``), else None."""
    from ._creation._common import check_pin_memory, check_requires_grad, full_array

    if device is not None:
        require_cpu(device)
    check_pin_memory(pin_memory)
    check_requires_grad(name, requires_grad)
    if name == "new_full" and not _parser_errors.is_number_argument(value):
        from .nn._functional._args import _tp_name

        raise TypeError(f"new_full(): argument 'fill_value' (position 2) must be Number, not {_tp_name(value)}")
    np_dtype = like._data.dtype if dtype is None else _dtype.argument(dtype, name)
    shape = _shape_arg(size, name, keywords=None if keyword_size is None else {"size": keyword_size})
    for n in shape:
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(shape)}")
    out = Tensor._wrap(_memory_format.c_ordered(full_array(shape, value, np_dtype)))  # (an empty one's strides too)
    if requires_grad:
        out._set_requires_grad(True)  # a factory's checks: an integer tensor cannot require grad
    return forward_ad.batched_like(out, like)


def _all_ints(value):
    """An int, or a tuple or list of ints only: no parser needed."""
    return type(value) is int or isinstance(value, (tuple, list)) and all(type(v) is int for v in value)


def _real_scalar(value, c_type):
    """A Python number as PyTorch converts it to the real C++ type ``c_type``: a complex one with no imaginary
    part as its real part, refused with one."""
    if value.__class__ is complex:
        if value.imag:
            raise RuntimeError(f"value cannot be converted to type {c_type} without overflow")
        return value.real
    return value


# PyTorch's TORCH_WARN_ONCE texts for x.T off matrices, with ATen's source location: once per process each,
# whatever the warning filters say.
_T_WARNINGS = {
    "reverse": "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it "
               "will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
               "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor. (Triggered "
               "internally at /__w/pytorch/pytorch/aten/src/ATen/native/TensorShape.cpp:4314.)",
    "0-D": "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases. (Triggered "
           "internally at /__w/pytorch/pytorch/aten/src/ATen/native/TensorShape.cpp:4321.)",
}
_t_warned = set()


def _warn_reversing_t(ndim):
    kind = "0-D" if ndim == 0 else "reverse"
    if kind not in _t_warned:
        _t_warned.add(kind)
        warnings.warn(_T_WARNINGS[kind], UserWarning, stacklevel=3)


_DEEPCOPY_SUBCLASS = (
    "The default implementation of __deepcopy__() for non-wrapper subclasses only works for subclass types that "
    "implement new_empty() and for which that function returns another instance of the same subclass. You should "
    "either properly implement new_empty() for your subclass or override __deepcopy__() if it is intended behavior for "
    "new_empty() to return an instance of a different type."
)


def _owned_subclass(cls):
    """Whether the Tensor subclass ``cls`` is torchless's own or derives from one (nn.Parameter, the tv_tensors)."""
    from .overrides import owned_by_torchless

    return owned_by_torchless(cls)


_DEEPCOPY_NON_LEAF = (
    "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment.  If you "
    "were attempting to deepcopy a module, this may be because of a torch.nn.utils.weight_norm usage, see "
    "https://github.com/pytorch/pytorch/pull/103001"
)


def _deepcopied_array(array, memo):
    """A copy of ``array`` for one deepcopy: the memory it lies in is copied once (memoized by that owner's id, as
    copy.deepcopy memoizes objects), and the result is the same window into the copy."""
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    if not (root.flags.c_contiguous or root.flags.f_contiguous):
        # (memory NumPy did not allocate in one order, as_strided's: a dense layout's strides kept, as PyTorch's copy
        # of the storage keeps them, a channels-last optimizer state's)
        return _memory_format.preserving(array.copy(order="K"), array)
    copied = memo.get(id(root))
    if copied is None:
        copied = memo[id(root)] = root.copy(order="K")
        memo.setdefault(id(memo), []).append(root)  # copy.deepcopy's keep-alive list: the id stays this array's
    offset = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return np.ndarray(array.shape, array.dtype, buffer=copied, offset=offset, strides=array.strides)


def _share_copied_memory(copied, memo):
    """Record ``copied``, a tensor made by one deepcopy, among those viewing its memory; once several do, they are
    marked aliased (see Tensor._aliased): a recorded in-place op on one writes into the memory the others see, as
    in PyTorch, where they share a storage."""
    owner = copied._data
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    sharers = memo.setdefault(("tensors viewing", id(owner)), [])
    sharers.append(copied)
    if len(sharers) > 1:
        for tensor in sharers:
            tensor._aliased = True


def _rebuild(array, requires_grad):
    """A tensor as torchless pickled it before pickles kept views (an array of its own values)."""
    t = Tensor._wrap(array)
    t._requires_grad = requires_grad
    return t


def _rebuild_view(elements, offset, shape, strides, requires_grad, attributes, cls=None):
    """A tensor pickled by ``Tensor.__reduce_ex__``: the view of the 1-D array ``elements`` (in elements); of the
    subclass ``cls`` if given, made by ``as_subclass`` as PyTorch makes it (so, one requiring grad, no leaf)."""
    itemsize = elements.itemsize
    view = np.ndarray(shape, elements.dtype, buffer=elements, offset=offset * itemsize,
                      strides=tuple(s * itemsize for s in strides))
    t = _rebuild(view, requires_grad)
    if cls is not None:
        t = t.as_subclass(cls)
    if attributes:
        t.__dict__.update(attributes)
    return t


def _python_attributes(tensor):
    """The attributes a program set on ``tensor``, which pickling and torch.save keep (torchless's own bookkeeping
    in a tensor's ``__dict__``, such as the base of a view, has class-level defaults)."""
    return {name: value for name, value in vars(tensor).items() if not hasattr(Tensor, name)}


def typename(obj):
    """PyTorch's ``torch.typename``: a tensor's legacy type (``torchless.FloatTensor``), else the qualified
    name of the object's type, or of the object if it is a class or function (``int``, ``collections.OrderedDict``)."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if qualname is None:
        module, qualname = obj.__class__.__module__ or "", obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


# The methods by topic (arithmetic, comparison, pointwise, reduction, selection, shape, indexing, in-place), first:
# what follows builds on them.
from . import _tensor_methods  # noqa: E402 - its groups import the class and the helpers above

_tensor_methods.attach(Tensor)

# The math ops beyond the basics (erf, atan2, addmm, cumprod, quantile, index_add, ...), kept in their own module.
from ._ops import math_methods as _math_methods  # noqa: E402 - needs the Tensor class defined above

_math_methods.install(Tensor)

from ._ops.kron import kron as _kron  # noqa: E402
from ._ops.unfold import unfold as _unfold  # noqa: E402

Tensor.unfold = _unfold
Tensor.kron = _kron

# torch-namespace extras (lgamma, bitwise ops, cov, nanmedian, ...) and bernoulli/multinomial methods.
from ._ops import extra_math as _extra_math  # noqa: E402

_extra_math.install(Tensor)
from ._ops import tensor_extras as _tensor_extras  # noqa: E402

_tensor_extras.install(Tensor)  # legacy spellings, aliases, linalg method forms, out-of-place scatters
from ._ops import complex_ops as _complex_ops  # noqa: E402

_complex_ops.install(Tensor)  # complex tensors' real, imag, angle and conj

# In-place shape changes, comparisons and logical ops, more random fills, index_put/put/scatter_reduce, as_strided.
inplace.install(Tensor)

# Last, once every method is on the class: NumPy's keyword names (axis=, keepdims=) as PyTorch's parser takes them,
# and its TypeErrors for calls those methods (and the ones marked parser_arity) cannot bind.
from . import _numpy_names  # noqa: E402

for _name in ("transpose", "flatten", "type", "roll", "diagonal", "isclose", "allclose",
              # (and methods off the hot paths, whose refused calls get the parser's wording then)
              "swapaxes", "swapdims", "tril", "triu", "rot90", "diag", "movedim", "moveaxis", "histc", "cov",
              "bincount", "diag_embed", "diagonal_scatter", "hsplit", "vsplit", "dsplit", "matrix_power", "bernoulli",
              "multinomial", "resize_as_", "scatter_add_", "new_empty_strided", "new_tensor", "index_put",
              "index_put_"):
    getattr(Tensor, _name).parser_arity = True
for _name in ("view", "reshape", "permute", "expand", "repeat", "resize_", "sum_to_size", "map_", "fill_",
              "matmul", "mm", "bmm", "dot", "pow", "floor_divide", "add_", "sub_", "mul_", "div_", "pow_",
              "floor_divide_", "copy_", "dim", "numel", "detach", "t", "relu", "relu_"):
    # (unwrapped: their **keywords are their own arguments' names, no dim axis= could stand for; fill_ and the
    # binary ops refuse theirs, read by the parser)
    getattr(Tensor, _name).own_keywords = True
# The methods of no arguments, whose TypeErrors are CPython's for PyTorch's METH_NOARGS ("TensorBase.exp() takes no
# arguments (1 given)"), but those of the hot paths and those torchless's own code calls often (dim, numel, ...),
# which the wrapper would slow down, and those PyTorch binds otherwise (is_shared is Python code, bfloat16 takes a
# memory_format)
_UNWRAPPED_NO_ARGUMENT_METHODS = frozenset(
    "relu relu_ t dim numel nelement ndimension item tolist detach is_floating_point is_complex storage "
    "untyped_storage data_ptr element_size storage_offset retain_grad share_memory_ is_shared".split())
for _name, _value in list(vars(Tensor).items()):
    if not _name.startswith("_") and _name not in _UNWRAPPED_NO_ARGUMENT_METHODS and inspect.isfunction(_value) \
            and _parser_errors.takes_no_arguments(_value):
        _value.parser_arity = True
_numpy_names.install_methods(Tensor, _parser_errors.method_binding_error, _parser_errors.failure_parse,
                             frozenset(_parser_errors.PARSED_ON_FAILURE), _parser_errors.parsed_when_wrapped())


def _refusing_writes(read_only, name):
    """``read_only``, a property without a setter, refusing assignment and deletion as PyTorch's TensorBase
    attributes do (Python's own message names the property, not the attribute, and no TensorBase)."""
    def refuse(self, *value):
        raise AttributeError(f"attribute '{name}' of 'torchless._C.TensorBase' objects is not writable")
    return property(read_only.fget, refuse, refuse, read_only.__doc__)


for _name, _value in list(vars(Tensor).items()):
    if isinstance(_value, property) and _value.fset is None:
        setattr(Tensor, _name, _refusing_writes(_value, _name))


def name_methods(cls):
    """Methods made by a factory (``_smooth_method.<locals>.method``) named as methods of ``cls``: Python's own
    TypeError for a bad number of arguments names the function by its qualified name, as PyTorch's names
    Tensor.acos(). (Those also bound in the torchless namespace keep the function's name.)"""
    import torchless

    for name, value in list(vars(cls).items()):
        for function in {value, inspect.unwrap(value)} if inspect.isfunction(value) else ():
            if "<locals>" in function.__qualname__ and getattr(torchless, name, None) is not value:
                function.__name__, function.__qualname__ = name, f"{cls.__name__}.{name}"
                # (its frames too, by which _written_call finds a failing call)
                function.__code__ = function.__code__.replace(co_name=name, co_qualname=function.__qualname__) \
                    if sys.version_info >= (3, 11) else function.__code__.replace(co_name=name)
