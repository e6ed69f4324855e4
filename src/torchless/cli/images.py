"""Turning a photo or drawing of a digit into a 28x28 MNIST-like image.

MNIST digits are white on black, scaled so the longer side of the ink's bounding box is 20 pixels
and placed in a 28x28 field with the ink's centre of mass at the centre. ``to_mnist`` does the
same to any image, so a dark digit on white paper is recognised like a test-set digit.
"""
import os

import numpy as np

from .errors import CLIError

FIELD, BOX = 28, 20


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
    grey = np.asarray(grey, np.float64)
    if grey.shape == (FIELD, FIELD) and _border(grey).mean() < 128:
        if grey.max(initial=0) <= 0:
            raise CLIError("the image is blank: no digit found")
        return (grey / 255.0).astype(np.float32)  # already MNIST-like
    border = _border(grey)
    ink = 255.0 - grey if np.median(border) > 127 else grey.copy()
    ink -= np.median(_border(ink))  # the paper's own grey level is not ink
    np.clip(ink, 0, None, out=ink)
    if ink.max(initial=0) <= 0:
        raise CLIError("the image is blank: no digit found")
    rows, cols = np.nonzero(ink > 0.2 * ink.max())
    ink = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = BOX / max(ink.shape)
    size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
    boxed = _resize(ink, size)
    field = np.zeros((FIELD, FIELD))
    top, left = (FIELD - boxed.shape[0]) // 2, (FIELD - boxed.shape[1]) // 2
    field[top : top + boxed.shape[0], left : left + boxed.shape[1]] = boxed
    field = _centre_of_mass_shift(field)
    return (field / max(field.max(), 1e-12)).astype(np.float32)


def _border(a):
    return np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])


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
