"""Headless matplotlib figures, imported only when a picture is asked for."""
MISSING = "drawing pictures needs matplotlib: pip install 'torchless[viz]'"


def require():
    """Import matplotlib or raise an ImportError that says how to install it."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(MISSING) from None


def new_figure(width, height):
    """A Figure drawn by the Agg canvas: renders to PNG anywhere, never opens a window, and leaves
    pyplot's global backend alone (a notebook's inline backend keeps working)."""
    require()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save(figure, path, dpi=100):
    """Write ``figure`` to ``path`` (PNG unless the extension says otherwise) and return ``path``."""
    figure.savefig(path, dpi=dpi)
    return path


def colormap(name, bad="white"):
    """A copy of a named colormap drawing NaN (the gaps between tiles) in ``bad``."""
    import matplotlib

    return matplotlib.colormaps[name].with_extremes(bad=bad)


def mosaic(tiles, gap=1):
    """Tiles (rows, cols, h, w) laid out in one (rows*(h+gap)-gap, cols*(w+gap)-gap) array, NaN between."""
    import numpy as np

    rows, cols, h, w = tiles.shape
    padded = np.full((rows, cols, h + gap, w + gap), np.nan)
    padded[:, :, :h, :w] = tiles
    return padded.transpose(0, 2, 1, 3).reshape(rows * (h + gap), cols * (w + gap))[:-gap or None, :-gap or None]
