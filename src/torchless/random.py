"""Random number generation: one seedable default generator behind every random factory and initialiser.

torchless cannot reproduce PyTorch's random streams bit for bit (different generators); it
guarantees the same kind of determinism: the same ``manual_seed`` gives the same numbers.
"""
import numpy as np

_DEFAULT_SEED = 67280421310721  # PyTorch's default initial seed


class Generator:
    """A random stream (``torchless.Generator().manual_seed(0)``), usable as ``generator=`` argument."""

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        seed = int(seed)
        self._seed = seed
        self.numpy = np.random.Generator(np.random.PCG64(seed & 0xFFFFFFFFFFFFFFFF))
        return self

    def seed(self):
        return self.manual_seed(np.random.SeedSequence().entropy & 0xFFFFFFFFFFFFFFFF)._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        from ._tensor import Tensor

        state = repr(self.numpy.bit_generator.state).encode()
        return Tensor._wrap(np.frombuffer(state, np.uint8).copy())

    def set_state(self, state):
        import ast

        self.numpy.bit_generator.state = ast.literal_eval(bytes(np.asarray(state._data, np.uint8)).decode())
        return self


default_generator = Generator()


def manual_seed(seed):
    """Seed the default generator: every random factory and default initialisation after it is reproducible."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


def numpy_rng(generator=None):
    """The NumPy generator behind ``generator`` (or the default one)."""
    return (generator or default_generator).numpy


# ---------------------------------------------------------------------------- sampling functions
# torchless.normal, bernoulli, multinomial and poisson: the samples come from this module's generators (not PyTorch's
# stream); shapes, dtypes, argument errors and the zero-gradient nodes PyTorch records are PyTorch's.
_NORMAL_OVERLOADS = (
    "Tensor mean, Tensor std, *, torchless.Generator generator = None, Tensor out = None",
    "Tensor mean, float std = 1, *, torchless.Generator generator = None, Tensor out = None",
    "float mean, Tensor std, *, torchless.Generator generator = None, Tensor out = None",
    "float mean, float std, tuple of ints size, *, torchless.Generator generator = None, Tensor out = None, "
    "torchless.dtype dtype = None, torchless.layout layout = None, torchless.device device = None, bool pin_memory = False, "
    "bool requires_grad = False",
)


def _random_node(name, kernel, *tensors):
    """``kernel(*arrays)`` as a node named ``name`` passing zero gradients back, as PyTorch's random ops do."""
    from ._ops.arithmetic import ZeroGradient
    from ._tensor import Tensor, records

    if records(*tensors):
        return ZeroGradient.apply(*tensors, kernel=kernel, name=name)
    return Tensor._wrap(kernel(*[t._data for t in tensors]))


def _standard_normal(rng, shape, np_dtype):
    dtype = np.float64 if np_dtype == np.float64 else np.float32
    return rng.standard_normal(shape, dtype=dtype).astype(np_dtype, copy=False)


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           pin_memory=False, requires_grad=False):
    r"""Random numbers from separate normal distributions, of means ``mean`` and standard deviations ``std``.

    Four forms: ``normal(mean_tensor, std_tensor)`` (shapes broadcast), ``normal(mean_tensor, std=1.0)``,
    ``normal(mean, std_tensor)`` and ``normal(mean, std, size)`` (``dtype=``, ``requires_grad=`` as a
    factory's). The result has the dtype of the tensor operands; gradients through it are zero.
    """
    import numbers

    from . import _dtype
    from ._tensor import Tensor

    mean_tensor, std_tensor = isinstance(mean, Tensor), isinstance(std, Tensor)
    is_number = lambda v: isinstance(v, numbers.Real) and not isinstance(v, Tensor)  # noqa: E731
    if not (mean_tensor or is_number(mean)) or not (std_tensor or is_number(std)) or \
            (size is None) != (mean_tensor or std_tensor):
        from ._parser_errors import invalid_combination

        given = (mean, std) if size is None else (mean, std, size)
        raise invalid_combination("normal", _NORMAL_OVERLOADS, given)
    rng = numpy_rng(generator)
    if not (mean_tensor or std_tensor):
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        from ._creation import empty

        result = empty(size, dtype=dtype)
        result._data[...] = _standard_normal(rng, result._data.shape, result._data.dtype) * std + mean
        return result.requires_grad_(requires_grad)
    like = mean if mean_tensor else std
    if like._data.dtype.kind != "f":
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{like.dtype.scalar_name}'")
    if std_tensor:
        if std._data.size and std._data.min() < 0:  # (NaN passes, as in PyTorch)
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    if mean_tensor and std_tensor:
        from ._ops._util import broadcast_error

        error = broadcast_error(mean._data.shape, std._data.shape)
        if error is not None:
            raise error
        np_dtype = _dtype.from_numpy_dtype(np.promote_types(mean._data.dtype, std._data.dtype)).numpy

        def kernel(m, s):
            shape = np.broadcast_shapes(m.shape, s.shape)
            return (_standard_normal(rng, shape, np_dtype) * s + m).astype(np_dtype, copy=False)

        return _random_node("NormalBackward3", kernel, mean, std)
    np_dtype = like._data.dtype
    if mean_tensor:
        kernel = lambda m: (_standard_normal(rng, m.shape, np_dtype) * np_dtype.type(std) + m)  # noqa: E731
        return _random_node("NormalBackward1", kernel, mean)
    kernel = lambda s: (_standard_normal(rng, s.shape, np_dtype) * s + np_dtype.type(mean))  # noqa: E731
    return _random_node("NormalBackward2", kernel, std)


def bernoulli(input, p=None, *, generator=None, out=None):
    r"""Draws binary random numbers (0 or 1): element i is 1 with probability ``input[i]`` (or ``p`` when
    given, ``input`` then giving only the shape and dtype). The result has ``input``'s dtype."""
    from ._tensor import Tensor

    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    rng = numpy_rng(generator)
    if p is not None:
        _check_probability(p)
        return _random_node("BernoulliBackward1", lambda x: (rng.random(x.shape) < p).astype(x.dtype), input)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for '{input.dtype.scalar_name}'")
    probabilities = input._data
    if probabilities.size and not ((probabilities >= 0) & (probabilities <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message "
                           "be improved?  If so, please report an enhancement request to PyTorch.)")
    return _random_node("BernoulliBackward0", lambda x: (rng.random(x.shape) < x).astype(x.dtype), input)


def _check_probability(p):
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")


def bernoulli_(self, p=0.5, *, generator=None):
    """``Tensor.bernoulli_``: fill ``self`` with 0/1 draws of probability ``p`` (a number, or a tensor that
    broadcasts to self's shape)."""
    from ._tensor import Tensor

    rng = numpy_rng(generator)
    if isinstance(p, Tensor):
        if p._data.dtype.kind != "f":
            raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for '{p.dtype.scalar_name}'")
        probabilities = p.expand(self.shape)._data
        return self._overwrite(rng.random(self._data.shape) < probabilities, "BernoulliBackward1")
    _check_probability(p)
    return self._overwrite(rng.random(self._data.shape) < p, "BernoulliBackward2")


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    r"""Indices sampled from the multinomial distribution in each row of ``input`` (non-negative weights,
    not necessarily summing to 1): ``num_samples`` per row, without replacement unless ``replacement``.

    Without replacement, rows are drawn as PyTorch draws them: the ``num_samples`` largest of ``p / q``,
    ``q ~ Exp(1)`` (the Gumbel top-k trick), zero-weight categories coming last.
    """
    import numbers

    from ._tensor import Tensor

    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral):
        raise TypeError(f"multinomial(): argument 'num_samples' (position 2) must be int, not "
                        f"{type(num_samples).__name__}")
    probs = input._data
    if probs.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if probs.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {input.dtype.scalar_name}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > probs.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rows = probs.reshape(-1, probs.shape[-1]).astype(np.float64)
    rng = numpy_rng(generator)
    if rows.shape[0] == 0:
        return Tensor._wrap(np.zeros(probs.shape[:-1] + (num_samples,), np.int64))
    if not replacement or num_samples == 1:
        if not (rows.size and np.all(rows >= 0) and np.all(rows < np.inf)):  # NaN fails both
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if np.any(rows.sum(1) == 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        keys = rows / rng.standard_exponential(rows.shape)
        samples = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    else:
        if np.any(rows < 0):
            raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
        if not np.all(np.isfinite(rows)):
            raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
        totals = rows.sum(1, keepdims=True)
        if np.any(totals <= 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        cumulative = np.cumsum(rows / totals, axis=1)
        uniforms = rng.random((rows.shape[0], num_samples))
        samples = np.stack([np.searchsorted(c, u, side="right") for c, u in zip(cumulative, uniforms)])
        samples = np.minimum(samples, rows.shape[1] - 1)  # a uniform above a rounded-down last sum
    return Tensor._wrap(samples.astype(np.int64).reshape(probs.shape[:-1] + (num_samples,)))


def poisson(input, generator=None):
    r"""Samples from Poisson distributions of rates ``input`` (non-negative), in ``input``'s dtype."""
    from ._tensor import Tensor

    if not isinstance(input, Tensor):
        raise TypeError(f"poisson(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for '{input.dtype.scalar_name}'")
    rates = input._data
    if rates.size and not np.all(rates >= 0):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    rng = numpy_rng(generator)
    return _random_node("PoissonBackward0", lambda x: rng.poisson(x.astype(np.float64)).astype(x.dtype), input)
