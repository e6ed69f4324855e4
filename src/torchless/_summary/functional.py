"""Convolutions and pooling that a model's ``forward`` calls as functions (``F.max_pool2d(x, 2)``), as summary rows.

Module hooks cannot see such calls, yet they change the geometry the receptive field follows and the shapes a
reader wants to see (the course CNN pools with ``F.max_pool2d``). While the summary runs its forward pass, the window
functions of ``torchless.nn.functional`` are wrapped, so a call that looks them up there (``F.max_pool2d``, as a
forward writes it) becomes a row of its own, ``F.max_pool2d``. torchless's modules call the functions underneath
directly, so ``nn.MaxPool2d`` stays one row; a call inside a recorded one is not recorded again.
"""
import contextlib
import functools
import inspect
import threading

from .layer import LayerInfo, first_shape, tensors

WINDOW_FUNCTIONS = tuple(f"{kind}{n}d" for kind in ("conv", "max_pool", "avg_pool", "lp_pool") for n in (1, 2, 3))
# Held while the functions are wrapped: two summaries at once on two threads would each restore what the other put
_WRAPPING = threading.RLock()


class FunctionalLayerInfo(LayerInfo):
    """A row for one call of a window function: no parameters of its own (a convolution's weight belongs to whoever
    passed it), its geometry read from the call's arguments, and a convolution's multiply-accumulates counted as a
    ``nn.Conv2d``'s are."""

    def __init__(self, name, arguments, output, depth):
        self.module = None
        self.name, self.class_name = "", f"F.{name}"
        self.depth = depth
        self.is_leaf, self.reused, self.has_params = True, False, False
        self.num_params = self.trainable_params = 0
        self.receptive_field = self.jump = None
        self.geometry_lost = False
        self._geometry = _window_geometry(name, arguments)
        results = list(tensors(output))
        self.input_shape = first_shape([arguments.get("input")])
        self.output_shape = list(results[0].shape) if results else None
        self.output_bytes = results[0].numel() * results[0].element_size() if results else 0
        self.mult_adds = _convolution_mult_adds(arguments, results[0]) if name.startswith("conv") and results else 0

    @property
    def geometry(self):
        return self._geometry


def _window_geometry(name, arguments):
    """(kernel, stride, dilation) of the call, one number per spatial axis."""
    n = int(name[-2])
    if name.startswith("conv"):
        kernel = tuple(arguments["weight"].shape[2:])
        stride, dilation = arguments.get("stride", 1), arguments.get("dilation", 1)
    else:
        kernel = arguments["kernel_size"]
        stride, dilation = arguments.get("stride"), arguments.get("dilation", 1)
        if stride is None or isinstance(stride, (list, tuple)) and not stride:  # (PyTorch's default: the kernel)
            stride = kernel
    return tuple(_per_axis(value, n) for value in (kernel, stride, dilation))


def _per_axis(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def _convolution_mult_adds(arguments, output):
    """Each weight (and bias) element once per sample and output pixel, as for a convolution module."""
    weight, bias = arguments["weight"], arguments.get("bias")
    per_pixel = weight.numel() + (bias.numel() if bias is not None else 0)
    channels = weight.shape[0]
    return output.numel() // channels * per_pixel if channels else 0


@contextlib.contextmanager
def recording_window_functions(on_call):
    """Within the block, ``on_call(name, arguments, output)`` follows each call of a window function looked up in
    ``torchless.nn.functional`` on this thread (``arguments``: the call's arguments by name, defaults included)."""
    from ..nn import functional

    thread, inside = threading.get_ident(), [False]

    def recorded(name, function):
        signature = inspect.signature(function)

        @functools.wraps(function)
        def call(*args, **kwargs):
            if inside[0] or threading.get_ident() != thread:
                return function(*args, **kwargs)
            inside[0] = True
            try:
                output = function(*args, **kwargs)
            finally:
                inside[0] = False
            # (partial: a signature may list as required what the call may leave out, avg_pool3d's stride)
            bound = signature.bind_partial(*args, **kwargs)
            bound.apply_defaults()
            on_call(name, bound.arguments, output)
            return output

        return call

    with _WRAPPING:
        originals = {name: getattr(functional, name) for name in WINDOW_FUNCTIONS}
        for name, function in originals.items():
            setattr(functional, name, recorded(name, function))
        try:
            yield
        finally:
            for name, function in originals.items():
                setattr(functional, name, function)

