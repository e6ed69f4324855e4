"""The activation maps every convolution and pooling layer computes for one input image."""
import math

import numpy as np

from ._figure import colormap, mosaic, new_figure

MAP_INCHES = 0.95
PER_ROW = 10


def activations(model, x, max_channels=20, class_names=None):
    """A figure with the input image and, for each convolution/pooling call, its output maps.

    One row of tiles per layer call (in the order the forward pass makes them), one tile per channel,
    on one colour scale per layer: for maps with negative values (a convolution before its ReLU)
    red is positive and blue negative; for non-negative maps (after ReLU and pooling) bright is high.
    If the model returns class scores, the title gives the predicted class and its probability.

    Args:
        model (nn.Module): a CNN; it runs once in eval mode without gradients (its mode is restored).
        x (Tensor or array): one image, ``(C, H, W)`` or ``(1, C, H, W)``, preprocessed as the model expects.
        max_channels (int): draw at most this many maps per layer.
        class_names (sequence of str): names for the class indices in the title.

    Returns:
        matplotlib.figure.Figure
    """
    batch = _batch(x)
    calls, output = _run(model, batch)
    if not calls:
        raise ValueError(f"{type(model).__name__} has no convolution or pooling layer to show")
    image = batch[0].numpy()
    panels = [(f"input: {_shape(image.shape)}", image[:1], "gray", (float(image.min()), float(image.max())))]
    for name, layer, maps in calls:
        shown = maps[:max_channels]
        label = f"{name} ({type(layer).__name__}): {_shape(maps.shape)}"
        if len(maps) > len(shown):
            label += f", first {len(shown)} of {len(maps)} maps"
        limit = float(np.abs(shown).max()) or 1.0
        signed = shown.min() < 0
        panels.append((label, shown, "RdBu_r" if signed else "magma", (-limit if signed else 0.0, limit)))
    rows = [math.ceil(len(maps) / PER_ROW) for _, maps, _, _ in panels]
    figure = new_figure(PER_ROW * MAP_INCHES + 1.2, sum(r * MAP_INCHES + 0.35 for r in rows) + 0.4)
    figure.suptitle(_title(model, output, class_names), fontsize=12)
    axes = figure.subplots(len(panels), 1, height_ratios=rows, squeeze=False)[:, 0]
    for ax, (label, maps, cmap, (vmin, vmax)) in zip(axes, panels):
        shown = ax.imshow(_rows_of_tiles(maps), cmap=colormap(cmap), vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_title(label, fontsize=10, loc="left")
        ax.set_axis_off()
        figure.colorbar(shown, ax=ax, shrink=0.9, aspect=8 * max(1, rows[0]), pad=0.01)
    return figure


def _rows_of_tiles(maps):
    """Maps (C, H, W) as rows of PER_ROW tiles; every layer gets PER_ROW columns so tiles line up."""
    count, height, width = maps.shape
    rows = math.ceil(count / PER_ROW)
    tiles = np.full((rows * PER_ROW, height, width), np.nan)
    tiles[:count] = maps
    return mosaic(tiles.reshape(rows, PER_ROW, height, width), gap=max(1, height // 10))


def _shape(shape):
    return "x".join(map(str, shape))


def _batch(x):
    from .. import as_tensor

    batch = as_tensor(x)
    if batch.dim() == 3:
        batch = batch.unsqueeze(0)
    if batch.dim() != 4 or batch.shape[0] != 1:
        raise ValueError(f"expected one image of shape (C, H, W) or (1, C, H, W), got {tuple(batch.shape)}")
    return batch


def _run(model, batch):
    """Forward once; the (name, module, maps array) of every convolution/pooling call, and the output."""
    from .._summary.receptive import window_geometry
    from ..autograd import grad_mode

    names = {id(m): n for n, m in model.named_modules()}
    calls = []

    def keep(module, args, output):
        if output.dim() == 4:  # maps to draw: (1, C, H, W)
            calls.append((names[id(module)], module, output.detach().numpy()[0]))

    handles = [m.register_forward_hook(keep) for m in model.modules()
               if not any(True for _ in m.children()) and window_geometry(m) is not None]
    was_training = model.training
    try:
        model.eval()
        with grad_mode.no_grad():
            output = model(batch)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return calls, output


def _title(model, output, class_names):
    from ..nn import functional as F

    name = type(model).__name__
    if not (output.dim() == 2 and output.shape[1] > 1):
        return f"{name}: activation maps"
    probabilities = F.softmax(output, dim=1)[0].numpy()
    best = int(probabilities.argmax())
    label = class_names[best] if class_names is not None else best
    return f"{name} predicts {label} (probability {probabilities[best]:.2f}): activation maps"
