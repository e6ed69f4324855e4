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
