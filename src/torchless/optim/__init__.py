"""torchless.optim: optimizers (SGD, Adam, AdamW, RMSprop, Adagrad, ...) and learning-rate schedulers, as
``torch.optim``."""
from . import lr_scheduler
from ._adafactor import Adafactor
from ._muon import Muon
from ._stateless import swap_in_optimizer_params_and_state
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = ["ASGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "Muon", "NAdam",
           "Optimizer", "RAdam", "RMSprop", "Rprop", "SGD", "SparseAdam", "lr_scheduler", "swa_utils",
           "swap_in_optimizer_params_and_state"]

# as PyTorch shows them (torch.optim.Muon), from their private modules
Adafactor.__module__ = Muon.__module__ = swap_in_optimizer_params_and_state.__module__ = __name__

# PyTorch's namespace drops its public submodules' names (``import torch.optim.adam`` still reaches them)
for _submodule in ("adadelta", "adagrad", "adam", "adamax", "adamw", "asgd", "lbfgs", "nadam", "optimizer", "radam",
                   "rmsprop", "rprop", "sgd", "sparse_adam"):
    del globals()[_submodule]
del _submodule


def __getattr__(name):
    # swa_utils needs torchless.nn, which ``import torchless.optim`` does not load; PyTorch's namespace also holds
    # the functional interface's module
    if name in ("swa_utils", "_functional"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
