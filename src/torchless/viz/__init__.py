"""Pictures of what a CNN does (needs the ``[viz]`` extra, matplotlib; imported lazily, drawn headless).

Each function returns a ``matplotlib.figure.Figure`` (``fig.savefig("x.png")`` writes it):

- ``filters(model)``: every convolution layer's kernels, one tile per (filter, input channel);
- ``activations(model, x)``: the maps every convolution and pooling layer computes for one image;
- ``curves(history, path)``: training loss and accuracy per epoch, as ``torchless train`` records them;
- ``convolving(input_size, kernel_size, stride, padding, dilation)``: a kernel's positions on the
  padded input, each pixel coloured by how many positions use it.
"""
from ._figure import MISSING, require
from .activations import activations
from .convolving import convolving
from .curves import curves
from .filters import filters

__all__ = ["filters", "activations", "curves", "convolving", "require", "MISSING"]
