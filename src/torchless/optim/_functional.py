"""Functional interface: the optimizers' updates as functions of explicit lists of parameters, gradients and state,
as ``torch.optim._functional``."""
from .adagrad import adagrad
from .adam import adam
from .adamw import adamw
from .rmsprop import rmsprop
from .sgd import sgd

__all__ = ["adagrad", "adam", "adamw", "rmsprop", "sgd"]
