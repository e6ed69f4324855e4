"""Turning a photo or drawing of a digit into a 28x28 MNIST-like image.

MNIST digits are white on black, scaled so the longer side of the ink's bounding box is 20 pixels
and placed in a 28x28 field with the ink's centre of mass at the centre. ``to_mnist`` does the
same to any image, so a dark digit on white paper is recognised like a test-set digit, and a phone
photo of one too: its ink is measured against the paper's level where it lies, since a room's light
falls unevenly across a sheet.
"""
import os

import numpy as np

from .errors import CLIError

FIELD, BOX = 28, 20
# Grey levels: how far the paper's grain (noise, fibres, JPEG) may stray, and how far the ink, averaged over
# 3x3 pixels, must stand out from the paper to be a digit rather than grain.
PAPER_GRAIN, MIN_CONTRAST = 8.0, 24.0
WORKING_SIZE = 1024  # pixels on the longer side


def read_image(path):
    """A 2-D float array of grey levels in [0, 255] from a PNG/JPEG/... file or a .npy array."""
    if not os.path.exists(path):
        raise CLIError(f"no such file: {path}")
    if path.lower().endswith(".npy"):
        try:
            array = np.load(path, allow_pickle=False)
        except Exception as err:
            raise CLIError(f"cannot read {path} as a NumPy array: {err}") from None
        array = np.squeeze(np.asarray(array))
        if array.ndim != 2 or array.dtype.kind not in "biuf":
            raise CLIError(f"{path}: expected a 2-D grey image array (e.g. 28x28), got shape {list(array.shape)} "
                           f"of {array.dtype}")
        array = array.astype(np.float64)
        return array * 255.0 if array.max(initial=0) <= 1.0 else array
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as err:
        raise CLIError(f"cannot read image {path}: {err.strerror}") from None
    return decode_image(data, path)


def decode_image(data, name):
    """A 2-D float array of grey levels in [0, 255] from the bytes of a PNG/JPEG/... file called ``name``."""
    import io

    try:
        from PIL import Image, ImageOps, UnidentifiedImageError
    except ImportError:
        raise CLIError("reading PNG/JPEG images needs Pillow: pip install 'torchless[cli]'") from None
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            # A phone stores which way up its photo is in EXIF, leaving the pixels as the sensor saw them.
            image = ImageOps.exif_transpose(image)
            if image.mode.startswith(("I", "F")):
                return _high_depth_grey(image)
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                # Transparent pixels count as white paper, whatever colour they store.
                background = Image.new("RGBA", image.size, (255, 255, 255, 255))
                image = Image.alpha_composite(background, image.convert("RGBA"))
            return np.asarray(image.convert("L"), dtype=np.float64)
    # Pillow reports broken files as any of these (a damaged PNG chunk is a SyntaxError).
    except UnidentifiedImageError:  # Pillow's message names the in-memory buffer, not the file
        raise CLIError(f"cannot read image {name}: not an image file Pillow can identify") from None
    except (Image.DecompressionBombError, OSError, ValueError, SyntaxError, EOFError) as err:
        raise CLIError(f"cannot read image {name}: {err}") from None


def _high_depth_grey(image):
    """Grey levels in [0, 255] of a 16-bit, 32-bit integer or float image, by the range its mode implies.

    Pillow's own conversion to 8 bits clips instead of scaling, which would turn a 16-bit scan white.
    """
    levels = np.asarray(image, dtype=np.float64)
    if image.mode.startswith("I;16") or (image.mode == "I" and levels.max(initial=0) > 255):
        levels = levels / 257.0  # 65535 -> 255: a 16-bit scan (Pillow opens some as 32-bit "I")
    elif image.mode == "F" and levels.max(initial=0) <= 1.0:
        levels = levels * 255.0  # a float image in [0, 1]
    return np.clip(levels, 0.0, 255.0)


def to_mnist(grey):
    """A (28, 28) float32 array in [0, 1], white digit on black, boxed and centred the MNIST way."""
    grey = _at_most(np.asarray(grey, np.float64), WORKING_SIZE)
    if grey.shape == (FIELD, FIELD) and _border(grey).mean() < 128:
        if grey.max(initial=0) <= 0:
            raise CLIError("the image is blank: no digit found")
        return (grey / 255.0).astype(np.float32)  # already MNIST-like
    ink = _ink(grey)
    # The ink is judged averaged over 3x3 pixels: one speck of noise would stretch the box.
    smoothed = _mean3x3(ink)
    if smoothed.max(initial=0) < MIN_CONTRAST:
        raise CLIError("the image is blank: no digit found")
    rows, cols = np.nonzero(smoothed > 0.2 * smoothed.max())
    ink = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = BOX / max(ink.shape)
    size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
    boxed = _resize(ink, size)
    field = np.zeros((FIELD, FIELD))
    top, left = (FIELD - boxed.shape[0]) // 2, (FIELD - boxed.shape[1]) // 2
    field[top : top + boxed.shape[0], left : left + boxed.shape[1]] = boxed
    field = _centre_of_mass_shift(field)
    return (field / max(field.max(), 1e-12)).astype(np.float32)


def _ink(grey):
    """How much each pixel differs from the paper around it, in the ink's direction (0 on paper).

    The paper is what the border shows; the ink is the darker or the lighter extreme, whichever lies farther
    from it (a fixed mid-grey threshold takes the paper of a dim photo for ink). The paper's level is then
    followed across the image, so the shadow of a phone or a lamp's falloff is not read as ink.
    """
    paper = np.median(_border(grey))
    darkest, lightest = np.percentile(grey, [0.1, 99.9])
    ink_side = 255.0 - grey if paper - darkest >= lightest - paper else grey.copy()
    ink = ink_side - _paper_level(ink_side)
    ink -= np.median(_border(ink))  # the paper's grain is not ink either
    return np.clip(ink, 0, None, out=ink)


def _paper_level(ink_side, cells=8):
    """The paper's level in ``ink_side`` at every pixel: a quadratic surface, as smooth as light falls.

    The image is cut into ``cells`` x ``cells`` cells, each summed up by its median (paper, unless strokes
    cover most of it). The surface is fitted by least squares to the least inky half of the cells, then
    refitted to every cell that lies within the paper's own spread of it, until the cells kept settle: cells
    under strokes stand out on the inky side and are left out however many there are.
    """
    height, width = ink_side.shape
    rows = np.array_split(np.arange(height), min(cells, height))
    cols = np.array_split(np.arange(width), min(cells, width))
    medians = np.array([[np.median(ink_side[r[0] : r[-1] + 1, c[0] : c[-1] + 1]) for c in cols]
                        for r in rows]).ravel()
    y, x = np.meshgrid(_unit_coordinates([r.mean() for r in rows], height),
                       _unit_coordinates([c.mean() for c in cols], width), indexing="ij")
    y, x = y.ravel(), x.ravel()
    terms = np.stack([np.ones_like(x), y, x, y * y, y * x, x * x], axis=-1)
    kept = medians <= np.median(medians)
    for _ in range(8):
        coefficients = np.linalg.lstsq(terms[kept], medians[kept], rcond=None)[0]
        residuals = medians - terms @ coefficients
        spread = 1.4826 * np.median(np.abs(residuals[kept]))  # the paper's standard deviation, robustly
        settled = residuals <= max(3.0 * spread, PAPER_GRAIN)
        if (settled == kept).all():
            break
        kept = settled
    c0, cy, cx, cyy, cyx, cxx = coefficients
    y = _unit_coordinates(np.arange(height), height)[:, None]
    x = _unit_coordinates(np.arange(width), width)[None, :]
    return (c0 + cy * y + cyy * y * y) + (cx + cyx * y) * x + cxx * x * x


def _unit_coordinates(positions, length):
    """Pixel positions scaled to [-0.5, 0.5], which keeps the quadratic fit well conditioned."""
    return np.asarray(positions, np.float64) / max(length - 1, 1) - 0.5


def _mean3x3(a):
    padded = np.pad(a, 1, mode="edge")
    return sum(padded[i : i + a.shape[0], j : j + a.shape[1]] for i in range(3) for j in range(3)) / 9.0


def _border(a):
    return np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])


def _at_most(grey, longest_side):
    """``grey`` shrunk (averaging) so its longer side is at most ``longest_side``: a phone's 12 MP photo holds
    no more of a 20-pixel digit than a 1000-pixel copy."""
    height, width = grey.shape
    if max(height, width) <= longest_side:
        return grey
    from PIL import Image

    scale = longest_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(grey.astype(np.float32), mode="F").resize(size, Image.BOX), np.float64)


def _resize(array, size):
    from PIL import Image

    image = Image.fromarray(np.clip(array, 0, 255).astype(np.float32), mode="F")
    return np.asarray(image.resize(size, Image.LANCZOS), np.float64).clip(0, None)


def _centre_of_mass_shift(field):
    total = field.sum()
    ys, xs = np.indices(field.shape)
    dy = int(round((FIELD - 1) / 2 - (ys * field).sum() / total))
    dx = int(round((FIELD - 1) / 2 - (xs * field).sum() / total))
    shifted = np.zeros_like(field)
    src = field[max(0, -dy) : FIELD - max(0, dy), max(0, -dx) : FIELD - max(0, dx)]
    shifted[max(0, dy) : max(0, dy) + src.shape[0], max(0, dx) : max(0, dx) + src.shape[1]] = src
    return shifted
