"""The course's "Convolving" picture: kernel positions on the padded input, and where they land in the output."""
import numpy as np

from ._figure import colormap, new_figure

COLOURS = ("tab:red", "tab:orange", "tab:green", "tab:purple", "tab:brown")
TEXT_MAX = 16  # write each pixel's count when the padded grid is at most this wide


def convolving(input_size, kernel_size=3, stride=1, padding=0, dilation=1, positions=None):
    """Draw a kernel sliding over a padded input, as ``torchless explain conv --png`` does.

    Left: the input with its zero padding (grey); each input pixel is coloured (and, on small grids,
    labelled) by how many kernel positions use it, so the corners' few uses without padding show.
    Coloured outlines mark some kernel positions (dots: the pixels the kernel reads, spread apart
    by the dilation). Right: the output grid, with the value each marked position produces.

    Args:
        input_size (tuple): ``(H, W)`` or ``(C, H, W)``.
        kernel_size, stride, padding, dilation: as for ``nn.Conv2d`` (int, pair, or 'same'/'valid' padding).
        positions (list of (row, col)): output positions to mark (default: the first, its right
            neighbour, and the last).

    Returns:
        matplotlib.figure.Figure
    """
    from ..explain import conv

    e = conv(input_size, 1, kernel_size, stride, padding, dilation)
    (top, bottom), (left, right) = e.padding
    height, width = e.input_hw
    grid = np.full((height + top + bottom, width + left + right), np.nan)
    grid[top:top + height, left:left + width] = e.usage
    out_h, out_w = e.output_hw
    positions = _positions(positions, out_h, out_w)

    figure = new_figure(10, 5.6)
    inputs, outputs = figure.subplots(1, 2, width_ratios=[grid.shape[1], max(out_w, grid.shape[1] * 0.45)])
    image = inputs.imshow(grid, cmap=colormap("Blues", bad="#c8c8c8"), vmin=0, vmax=max(int(e.usage.max()), 1))
    _cell_lines(inputs, *grid.shape)
    if max(grid.shape) <= TEXT_MAX:
        for (r, c), count in np.ndenumerate(grid):
            if not np.isnan(count):
                inputs.text(c, r, int(count), ha="center", va="center", fontsize=8,
                            color="white" if count > 0.6 * e.usage.max() else "black")
    for n, (row, col) in enumerate(positions):
        _kernel_outline(inputs, row * e.stride[0], col * e.stride[1], e.kernel_size, e.dilation, COLOURS[n], n)
    pad_text = "" if not (top or bottom or left or right) else ", grey: zero padding"
    inputs.set_title(f"input {height}x{width}{pad_text}\ncolour: how many kernel positions use each pixel",
                     fontsize=10)
    figure.colorbar(image, ax=inputs, shrink=0.7, label="uses per pixel")

    outputs.imshow(np.zeros((out_h, out_w)), cmap=colormap("Greys"), vmin=0, vmax=1)
    _cell_lines(outputs, out_h, out_w)
    for n, (row, col) in enumerate(positions):
        outputs.add_patch(_square(col - 0.5, row - 0.5, 1, 1, COLOURS[n], fill=True))
    outputs.set_title(f"output {out_h}x{out_w}\none value per kernel position", fontsize=10)

    figure.suptitle(_describe(e), fontsize=12)
    formulas = e.formulas()
    same = formulas[0][len("H_out"):] == formulas[1][len("W_out"):]
    lines = ["H_out = W_out" + formulas[0][len("H_out"):]] if same else formulas
    figure.supxlabel("\n".join(lines + [_uses_text(e)]), fontsize=9)
    return figure


def _positions(positions, out_h, out_w):
    if positions is None:
        positions = [(0, 0), (0, 1), (out_h - 1, out_w - 1)]
    kept = []
    for row, col in positions:
        if 0 <= row < out_h and 0 <= col < out_w and (row, col) not in kept:
            kept.append((row, col))
    return kept[:len(COLOURS)]


def _kernel_outline(axes, top, left, kernel, dilation, colour, n):
    """The kernel's span as an outline (padded-grid coordinates); with dilation, a mark on each pixel it reads."""
    inset = 0.06 + 0.07 * n  # overlapping positions stay distinguishable
    span_h, span_w = dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1
    axes.add_patch(_square(left - 0.5 + inset, top - 0.5 + inset, span_w - 2 * inset, span_h - 2 * inset, colour))
    if dilation != (1, 1):
        for r in top + np.arange(kernel[0]) * dilation[0]:
            for c in left + np.arange(kernel[1]) * dilation[1]:
                axes.add_patch(_square(c - 0.38 + 0.22 * n, r - 0.38, 0.16, 0.16, colour, fill=True))


def _square(x, y, w, h, colour, fill=False):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, fill=fill, facecolor=colour if fill else "none", edgecolor=colour, linewidth=2)


def _cell_lines(axes, rows, cols):
    axes.set_xticks(np.arange(-0.5, cols, 1), minor=True)
    axes.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    axes.grid(which="minor", color="#888888", linewidth=0.4)
    axes.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    axes.set_xticks([])
    axes.set_yticks([])


def _describe(e):
    kernel = "x".join(map(str, e.kernel_size))
    parts = [f"{kernel} kernel", f"stride {_pair_text(e.stride)}"]
    parts.append(f"padding {e.padding_arg!r}" if isinstance(e.padding_arg, str)
                 else f"padding {_pair_text(tuple(p for p, _ in e.padding))}")
    if e.dilation != (1, 1):
        parts.append(f"dilation {_pair_text(e.dilation)}")
    h, w = e.input_hw
    return f"{', '.join(parts)}: {h}x{w} input -> {e.output_hw[0]}x{e.output_hw[1]} output"


def _uses_text(e):
    text = f"corner pixel used {e.corner_uses}x, centre pixel {e.centre_uses}x"
    if e.usage_without_padding is not None and any(sum(p) for p in e.padding):
        unpadded = e.usage_without_padding
        text += f" (without padding: {unpadded[0, 0]}x and {unpadded[e.input_hw[0] // 2, e.input_hw[1] // 2]}x)"
    return text


def _pair_text(pair):
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"
