"""``torchless.summary``: a torchinfo-style table of a model's layers, parameters and costs."""
import sys

from .functional import FunctionalLayerInfo, recording_window_functions
from .layer import LayerInfo, tensors
from .receptive import track
from .table import TableOptions, format_table

__all__ = ["summary", "ModelSummary", "LayerInfo", "FunctionalLayerInfo"]


class ModelSummary:
    """The result of :func:`summary`: ``str()`` is the table; the numbers are attributes.

    Attributes:
        layers: a :class:`LayerInfo` per module call and per convolution or pooling called as a function in
            ``forward`` (a :class:`FunctionalLayerInfo`), in call order (containers before their children).
        total_params, trainable_params, non_trainable_params: over the model's distinct parameters.
        total_mult_adds: multiply-accumulates of the forward pass, for the whole input batch.
        input_bytes, params_bytes, forward_backward_bytes, total_bytes: memory of the input, the
            parameters, the activations of a training step and their sum. The activations are
            estimated like torchinfo: the output of every call of a layer with parameters, twice (the
            output kept by the forward pass and its gradient in the backward pass).
        total_input, total_output_bytes, total_param_bytes, summary_list: torchinfo's names for input_bytes,
            forward_backward_bytes, params_bytes and layers.
    """

    def __init__(self, model, layers, inputs, options=None):
        self.layers = layers
        self.options = options or TableOptions()
        params = list(model.parameters())
        self.total_params = sum(p.numel() for p in params)
        self.trainable_params = sum(p.numel() for p in params if p.requires_grad)
        self.non_trainable_params = self.total_params - self.trainable_params
        leaves = [layer for layer in layers if layer.is_leaf]
        self.total_mult_adds = sum(layer.mult_adds for layer in leaves)
        self.input_bytes = sum(x.numel() * x.element_size() for x in inputs)
        self.params_bytes = sum(p.numel() * p.element_size() for p in params)
        self.forward_backward_bytes = 2 * sum(layer.output_bytes for layer in leaves if layer.has_params)
        self.total_bytes = self.input_bytes + self.params_bytes + self.forward_backward_bytes

    # torchinfo's ModelStatistics names for the same numbers
    total_input = property(lambda self: self.input_bytes)
    total_output_bytes = property(lambda self: self.forward_backward_bytes)
    total_param_bytes = property(lambda self: self.params_bytes)
    summary_list = property(lambda self: self.layers)

    def __str__(self):
        return format_table(self)

    __repr__ = __str__


def summary(model, input_size=None, input_data=None, batch_dim=None, cache_forward_pass=None, col_names=None,
            col_width=25, depth=None, device=None, dtypes=None, mode="eval", row_settings=None, verbose=None,
            **kwargs):
    """Run ``model`` once and tabulate every module call, like torchinfo's ``summary``.

    For each module call (nested modules indented under their container): the output shape, the
    module's own parameters, its multiply-accumulates (counted like torchinfo: each weight and bias
    once per output pixel of a convolution, per row of a Linear layer, per sample elsewhere) and, for convolution
    and pooling layers, the receptive field and jump. Then the totals and the memory of input, parameters and
    activations.
    Convolutions and pooling that ``forward`` calls as functions (``F.max_pool2d(x, 2)``, ``F.conv2d``) are rows
    too, named ``F.max_pool2d``: they change the shapes and the receptive field that follow (torchinfo, which sees
    only modules, leaves them out; a functional convolution's multiply-accumulates count in the total). Other
    functional calls (``F.relu``, ``x.view``) are not rows.

    Args:
        model (nn.Module): the model to describe.
        input_size (tuple or list of tuples): the shape of the input, batch dimension included,
            e.g. ``(1, 1, 28, 28)``; a list of shapes for a model taking several inputs. The summary
            feeds zeros of this shape. Without ``input_size`` and ``input_data``, the table lists each
            module and its parameters only, as torchinfo's does.
        input_data (Tensor, sequence or dict): actual inputs, instead of ``input_size``: a Tensor, a sequence of
            the positional arguments of ``forward`` or a dict of its keyword arguments, as torchinfo takes them.
        batch_dim (int): where to insert a batch dimension of 1 into each ``input_size`` (given without it).
        cache_forward_pass, device: accepted for torchinfo's signature; the forward pass always runs, on the CPU.
        col_names (sequence of str): the columns, out of ``"input_size"``, ``"output_size"``, ``"num_params"``,
            ``"params_percent"``, ``"kernel_size"``, ``"mult_adds"``, ``"trainable"`` (torchinfo's) and
            ``"receptive_field"``, ``"jump"``. Default: output size, parameters, mult-adds, receptive field, jump.
        col_width (int): the least width of a column (columns grow to fit their cells).
        depth (int): show the calls nested at most this deep (the model's children are at depth 1); default: all.
        dtypes (list of torchless.dtype): the dtype of each input made from ``input_size``
            (default: the default float dtype).
        mode (str): ``"eval"`` (default: no dropout, BatchNorm statistics left alone), ``"train"``
            or ``"same"``; the model's own mode is restored afterwards.
        row_settings (sequence of str): ``"var_names"`` (default) labels rows ``name (Class)``, without it ``Class``;
            ``"depth"`` adds torchinfo's ``depth-index``; ``"hide_recursive_layers"`` leaves out later calls of a
            module; ``"ascii_only"`` is accepted (the table is ASCII anyway).
        verbose (int): 1 or 2 prints the table, 0 only returns it. Default: 0 in an interactive session
            (where the returned summary shows itself), 1 in a script.
        **kwargs: further keyword arguments of ``model``'s ``forward``.

    Returns:
        ModelSummary: ``str()`` is the table; ``.total_params``, ``.trainable_params``,
        ``.total_mult_adds``, ``.layers``, ... hold the numbers.

    Example::

        >>> result = torchless.summary(models.create("course"), input_size=(1, 1, 28, 28))
        >>> result.total_params
        5420
    """
    without_input = input_size is None and input_data is None
    options = TableOptions(col_names, col_width, depth, row_settings, without_input)
    if verbose not in (None, 0, 1, 2):
        raise ValueError("Verbose must be either 0 (quiet), 1 (default), or 2 (verbose).")
    if mode not in ("eval", "train", "same"):
        raise ValueError(f"mode must be 'eval', 'train' or 'same', got {mode!r}")
    if without_input:  # (torchinfo's parameters-only table: no forward pass)
        layers = [_parameters_row(module, name) for name, module in model.named_modules()]
        result = ModelSummary(model, layers, [], options)
    else:
        args, keywords = _inputs(input_size, input_data, batch_dim, dtypes)
        inputs = list(tensors([args, keywords]))
        layers = _record(model, args, dict(keywords, **kwargs), mode)
        track([layer for layer in layers if layer.is_leaf], list(inputs[0].shape) if inputs else None)
        result = ModelSummary(model, layers, inputs, options)
    if verbose is None:
        verbose = 0 if hasattr(sys, "ps1") else 1
    if verbose:
        print(result)
    return result


def _inputs(input_size, input_data, batch_dim, dtypes):
    """The positional and keyword arguments of the forward pass."""
    from .. import _creation
    from .._tensor import Tensor

    if input_size is not None and input_data is not None:
        raise RuntimeError("Only one of (input_data, input_size) should be specified.")
    if input_data is not None:
        if isinstance(input_data, dict):
            return [], dict(input_data)
        return ([input_data] if isinstance(input_data, Tensor) else list(input_data)), {}
    sizes = list(input_size) if isinstance(input_size[0], (tuple, list)) else [input_size]
    if batch_dim is not None:
        sizes = [(*size[:batch_dim], 1, *size[batch_dim:]) for size in sizes]
    dtypes = list(dtypes) if dtypes is not None else [None] * len(sizes)
    if len(dtypes) != len(sizes):
        raise ValueError(f"got {len(dtypes)} dtypes for {len(sizes)} inputs")
    return [_creation.zeros(tuple(size), dtype=dtype) for size, dtype in zip(sizes, dtypes)], {}


def _parameters_row(module, name):
    layer = LayerInfo(module, name, name.count(".") + 1 if name else 0)
    own = list(module.parameters(recurse=False))
    layer.num_params = sum(p.numel() for p in own)
    layer.trainable_params = sum(p.numel() for p in own if p.requires_grad)
    return layer


def _record(model, args, kwargs, mode):
    """Call ``model(*args, **kwargs)`` without gradients, with hooks recording a LayerInfo per module call."""
    from ..autograd import grad_mode

    names = {id(module): name for name, module in model.named_modules()}
    layers, open_calls, called = [], [], set()

    def before(module, args):
        layer = LayerInfo(module, names.get(id(module), ""), len(open_calls))
        layers.append(layer)
        open_calls.append(layer)

    def after(module, args, output):
        layer = open_calls.pop()
        layer.record(args, output, first_call=id(module) not in called)
        called.add(id(module))

    def functional_call(name, arguments, output):
        layers.append(FunctionalLayerInfo(name, arguments, output, len(open_calls)))
        if open_calls:  # (its rows now tell what the module calling it did, as a container's children do)
            open_calls[-1].is_leaf = False

    was_training = {id(m): m.training for m in model.modules()}
    handles = []
    try:
        for module in model.modules():
            handles += [module.register_forward_pre_hook(before), module.register_forward_hook(after)]
        if mode != "same":
            model.train(mode == "train")
        with grad_mode.no_grad(), recording_window_functions(functional_call):
            model(*args, **kwargs)
    except Exception as err:
        done = ", ".join(layer.name or layer.class_name for layer in layers if layer.output_shape is not None)
        reason = (str(err).splitlines() or [""])[0]
        raise RuntimeError(f"the forward pass failed with {type(err).__name__}: {reason} "
                           f"(layers that ran: {done or 'none'})") from err
    finally:
        for handle in handles:
            handle.remove()
        for module in model.modules():
            module.training = was_training[id(module)]
    return layers
