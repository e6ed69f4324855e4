"""``vmap``: a function of one sample mapped over a batch dimension of its inputs.

torchless runs the function once per sample (its inputs selected at the mapped index) and stacks the results,
where PyTorch runs it once on batched tensors. The results, shapes and argument errors are PyTorch's. The tensors
computed from a sample are marked batched (autograd.forward_ad.vmap_level) by the ops that record graphs and by
comparisons: those refuse ``.item()``, ``bool()`` (data-dependent control flow), ``numpy()`` and ``nonzero()`` as
PyTorch's batched tensors do (a value read through an op that marks nothing goes through). ``randomness=
"different"`` draws other random numbers than PyTorch's batched draws (``"same"`` draws those of one unbatched call,
as PyTorch does).
"""
import functools
import itertools

from .. import _parser_errors
from ..autograd import forward_ad
from ._pytree import broadcast_prefix, tree_flatten, tree_unflatten

_RANDOMNESS = ("error", "different", "same")


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    r"""``func`` mapped over a dimension of its inputs: ``vmap(f)(x)`` stacks ``f(x[i])`` over ``i``.

    Args:
        func (callable): a function of tensors (nested in tuples, lists and dicts) returning tensors.
        in_dims (int, None or nested tuple): the dimension of each input mapped over (None: not mapped, passed
            to every call whole); an int applies to every input. Default: 0.
        out_dims (int, None or nested tuple): where the mapped dimension goes in each output. Default: 0.
        randomness (str): ``"error"`` refuses random operations inside ``func``, ``"different"`` draws anew for
            every sample, ``"same"`` gives every sample the draws of the first. Default: ``"error"``.
        chunk_size (int, optional): accepted for PyTorch's signature (torchless maps one sample at a time).

    Shape:
        - Input: the mapped dimension of size :math:`B` in each mapped input.
        - Output: ``func``'s per-sample output with a dimension of size :math:`B` inserted at ``out_dims``.

    Example::

        >>> dot = lambda a, b: (a * b).sum()
        >>> torchless.vmap(dot)(torchless.ones(5, 3), torchless.ones(5, 3)).shape
        torchless.Size([5])
    """
    if randomness not in _RANDOMNESS:
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def mapped(*args, **kwargs):
        return _mapped_call(func, in_dims, out_dims, randomness, chunk_size, args, kwargs)

    return mapped


def _name(func):
    return getattr(func, "__name__", repr(func))


def _mapped_call(func, in_dims, out_dims, randomness, chunk_size, args, kwargs):
    from .._tensor import Tensor

    name = _name(func)
    where = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
    if not args:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are trying "
                         "to vmap over a function with no inputs. The latter is unsupported.")
    if not (isinstance(in_dims, int) or type(in_dims) is tuple):
        raise ValueError(f"{where}: expected `in_dims` to be int or a (potentially nested) tuple matching the "
                         f"structure of inputs, got: {type(in_dims)}.")
    flat_args, args_spec = tree_flatten(args)
    flat_dims = broadcast_prefix(in_dims, args)
    if flat_dims is None:
        raise ValueError(f"{where}: in_dims is not compatible with the structure of `inputs`. in_dims has structure "
                         f"{tree_flatten(in_dims)[1]} but inputs has structure {args_spec}.")
    sizes = []
    for arg, dim in zip(flat_args, flat_dims):
        if dim is None:
            continue
        if not isinstance(dim, int):
            raise ValueError(f"{where}: Got in_dim={dim} for an input but in_dim must be either an integer dimension "
                             "or None.")
        if not isinstance(arg, Tensor):
            raise ValueError(f"{where}: Got in_dim={dim} for an input but the input is of type {type(arg)}. We cannot "
                             "vmap over non-Tensor arguments, please use None as the respective in_dim")
        if not -arg.dim() <= dim < arg.dim():
            raise ValueError(f"{where}: Got in_dim={dim} for some input, but that input is a Tensor of dimensionality "
                             f"{arg.dim()} so expected in_dim to satisfy -{arg.dim()} <= in_dim < {arg.dim()}.")
        sizes.append(arg.shape[dim])
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if len(set(sizes)) > 1:
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    if chunk_size is not None:  # PyTorch's split of the inputs, read as its parser reads it, for its errors
        split = tuple(itertools.accumulate(chunk_sizes(sizes[0], chunk_size)))
        dim = next(dim for dim in flat_dims if dim is not None)
        _parser_errors.parse_overload("tensor_split", _parser_errors.METHOD_OVERLOADS["tensor_split"], (split,),
                                      {"dim": dim})

    def sample(index, level):
        leaves = [arg if dim is None else level.mark(arg.select(dim, index)) for arg, dim in zip(flat_args, flat_dims)]
        return func(*tree_unflatten(leaves, args_spec), **kwargs)

    if sizes[0] == 0:  # no sample to run: the outputs' shapes come from a stand-in one, its values never used
        leaves = [arg if dim is None else arg.new_zeros(arg.shape[:dim % arg.dim()] + arg.shape[dim % arg.dim() + 1:])
                  for arg, dim in zip(flat_args, flat_dims)]
        with _randomness("different"):
            stand_in = func(*tree_unflatten(leaves, args_spec), **kwargs)
        return _stacked(name, [stand_in], out_dims, empty=True)
    unmapped = [arg for arg, dim in zip(flat_args, flat_dims) if dim is None]
    with _randomness(randomness) as before_each_sample, forward_ad.vmap_level(sizes[0], unmapped) as level:
        outputs = []
        for index in range(sizes[0]):
            before_each_sample()
            outputs.append(sample(index, level))
    return _stacked(name, outputs, out_dims)


def chunk_sizes(total, chunk_size):
    """PyTorch's chunks of ``total`` samples: as many of ``chunk_size`` as fit, then the remainder. torchless runs
    one sample at a time, so its vmap and jacrev make them only to meet the errors PyTorch's chunking raises for a
    ``chunk_size`` that is no int (a float fails here, a bool in the op splitting with them)."""
    sizes = [chunk_size] * (total // chunk_size)
    if total % chunk_size:
        sizes.append(total % chunk_size)
    return sizes


class _randomness:
    """The random draws of the samples run inside: refused (``"error"``), each its own (``"different"``), or all
    those of the first (``"same"``: the default generator rewound before each sample). Entered, it gives the
    function to call before each sample."""

    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        from .. import random

        random.vmap_randomness.append(self.mode)
        if self.mode != "same":
            return lambda: None
        state = random.get_rng_state()
        return lambda: random.set_rng_state(state)

    def __exit__(self, *exc):
        from .. import random

        random.vmap_randomness.pop()


def _stacked(name, outputs, out_dims, empty=False):
    """The samples' outputs stacked along ``out_dims`` (with ``empty``, the stand-in's shapes for zero samples)."""
    from .._functions import stack
    from .._tensor import Tensor

    if not (out_dims is None or isinstance(out_dims, int) or isinstance(out_dims, (tuple, list, dict))):
        raise ValueError(f"vmap({name}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a python "
                         "collection of ints representing where in the outputs the vmapped dimension should appear.")
    flat_per_sample = [tree_flatten(output) for output in outputs]
    flat_outputs, out_spec = flat_per_sample[0]
    flat_dims = broadcast_prefix(out_dims, outputs[0])
    if flat_dims is None:
        raise ValueError(f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the "
                         f"structure of `outputs`. out_dims has structure {tree_flatten(out_dims)[1]} but outputs "
                         f"has structure {out_spec}.")
    stacked = []
    for position, (first, dim) in enumerate(zip(flat_outputs, flat_dims)):
        column = [flat[position] for flat, _ in flat_per_sample]
        if dim is None:
            if isinstance(first, Tensor) and not all(first is t or first.equal(t) for t in column):
                raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None")
            stacked.append(first)
            continue
        if not isinstance(first, Tensor):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(first)}. Did you "
                             "mean to set out_dims= to None for output?")
        result = stack(column, dim=dim)
        stacked.append(result.narrow(dim, 0, 0) if empty else result)
    return tree_unflatten(stacked, out_spec)
