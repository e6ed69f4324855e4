"""The kernels of every 2-D convolution layer, as tiles: one column per filter, one row per input channel."""
import numpy as np

from ._figure import colormap, mosaic, new_figure

INCH_PER_PIXEL = 0.16


def filters(model, max_filters=16, max_channels=8):
    """A figure with a tile grid of each ``Conv2d`` layer's weights.

    Tile (row ``i``, column ``o``) is ``weight[o, i]``, the ``kH x kW`` kernel that filter ``o``
    slides over input channel ``i``. Colours are red for positive and blue for negative weights, white
    for 0, on one symmetric scale per layer, so the tiles of a layer compare directly.

    Args:
        model (nn.Module): a model with at least one ``Conv2d``.
        max_filters, max_channels (int): draw at most this many filters (columns) and input
            channels (rows) per layer; the title says when some are left out.

    Returns:
        matplotlib.figure.Figure
    """
    layers = _conv_layers(model)
    if not layers:
        raise ValueError(f"{type(model).__name__} has no Conv2d layer to draw")
    grids = [_grid(layer.weight.detach().numpy(), max_filters, max_channels) for _, layer in layers]
    heights = [grid.shape[0] * INCH_PER_PIXEL + 1.1 for grid in grids]
    width = max(4.5, max(grid.shape[1] for grid in grids) * INCH_PER_PIXEL + 2.2)
    figure = new_figure(width, sum(heights))
    figure.suptitle(f"{type(model).__name__}: convolution filters (red > 0 > blue)")
    panels = figure.subfigures(len(layers), 1, height_ratios=heights) if len(layers) > 1 else [figure]
    for panel, (name, layer), grid in zip(panels, layers, grids):
        _draw(panel, name, layer, grid, max_filters, max_channels)
    return figure


def _conv_layers(model):
    from ..nn import Conv2d

    return [(name, m) for name, m in model.named_modules() if isinstance(m, Conv2d)]


def _grid(weight, max_filters, max_channels):
    tiles = weight[:max_filters, :max_channels].transpose(1, 0, 2, 3)  # rows: input channels
    return mosaic(tiles.astype(np.float64))


def _draw(panel, name, layer, grid, max_filters, max_channels):
    out_c, in_c, kh, kw = layer.weight.shape
    axes = panel.subplots()
    limit = float(np.nanmax(np.abs(grid))) or 1.0
    image = axes.imshow(grid, cmap=colormap("RdBu_r"), vmin=-limit, vmax=limit, interpolation="nearest")
    shown = ""
    if out_c > max_filters or in_c > max_channels:
        shown = f" (first {min(out_c, max_filters)} x {min(in_c, max_channels)} shown)"
    axes.set_title(f"{name}: {out_c} filters x {in_c} input channel{'s' if in_c > 1 else ''}, "
                   f"{kh}x{kw} kernels{shown}", fontsize=10)
    axes.set_xticks(np.arange(min(out_c, max_filters)) * (kw + 1) + (kw - 1) / 2,
                    labels=range(min(out_c, max_filters)), fontsize=8)
    axes.set_yticks(np.arange(min(in_c, max_channels)) * (kh + 1) + (kh - 1) / 2,
                    labels=range(min(in_c, max_channels)), fontsize=8)
    axes.set_xlabel("filter (output channel)", fontsize=9)
    axes.set_ylabel("input channel", fontsize=9)
    axes.tick_params(length=0)
    for side in axes.spines.values():
        side.set_visible(False)
    panel.colorbar(image, ax=axes, shrink=0.9, label="weight", aspect=12)
