"""Turning a photo or drawing of a digit into a 28x28 MNIST-like image.

MNIST digits are white on black, scaled so the longer side of the ink's bounding box is 20 pixels
and placed in a 28x28 field with the ink's centre of mass at the centre. ``to_mnist`` does the
same to any image, so a dark digit on white paper is recognised like a test-set digit, and a phone
photo of one too:

* the ink is measured against the paper's level where it lies (a room's light falls unevenly across a
  sheet, and a phone casts sharp shadows), as a fraction of the paper's brightness there;
* a darker table around a sheet that does not fill the frame is left out, its edge with the paper too;
* the lines printed across ruled or squared paper, finer than the pen's strokes, are taken off the ink;
* the digit is the heaviest connected piece of ink (the nearer the centre, the heavier it counts) and the
  pieces near it, not the specks of dirt, the margin's ruled line, a thumb or pen at the picture's edge, or a
  box printed around the digit, that share the picture;
* a fine pen's strokes are thickened to MNIST's, which a 20-pixel box would otherwise fade.
"""
import os

import numpy as np

from .errors import CLIError

FIELD, BOX = 28, 20
# How far the ink, averaged over 3x3 pixels, must stand out from the paper to be a digit rather than grain:
# at least this many grey levels, and this many times the grain's own spread (a dim photo's noise, brightened
# with its paper, is coarser than a scan's).
MIN_CONTRAST, GRAIN_SPREADS = 24.0, 6.0
WORKING_SIZE = 1024  # pixels on the longer side
NPY_MAGIC = b"\x93NUMPY"
# The paper's level is taken from squares this fraction of the picture's shorter side: wider than a marker's
# stroke on a digit that fills the picture.
OPENING = 0.35
# Once the strokes are found, the squares are made this many strokes wide.
STROKES_PER_SQUARE = 2.0
# The median width of MNIST's strokes in its 20-pixel boxes, where the ink is at least half its brightest (as
# _stroke_width measures it: 2.2 to 2.5 pixels by digit in the test set; a quarter are narrower than 2.0).
MNIST_STROKE = 2.3
THICKENING_STEPS = 3
# Minima and maxima over windows up to this size are taken over shifted copies, wider ones by running extremes.
SHIFTED_WINDOW = 15
# Pieces of ink kept with the heaviest: at least this fraction of its ink, and no farther from its box than
# this fraction of its size (the bar of a 5 or a 7 drawn apart, a 4 drawn in two strokes).
MIN_PIECE, NEAR = 0.05, 0.25
# The lines printed on ruled or squared paper are straight over every stretch of this fraction of the picture, and
# run on across at least this fraction of it.
LINE_STRETCH, LINE_SPAN = 0.125, 0.7
# They are printed finer than this fraction of the width of the pen's strokes.
THINNER_LINES = 0.7
# Ink faded by glare to this fraction of the strongest is still judged against the ink near it.
FADED_INK = 0.25
# A sheet turned by up to this many degrees is sheared straight when that piles its lines up by this factor more.
LINE_TURN, LINE_TURN_GAIN = 15.0, 1.25
# A box printed around the digit: ink along at least this fraction of each side of the digit's bounding box, in a
# band this fraction of its size wide (a photographed box is turned a little); the digit inside holds at least
# this fraction of the ink.
BOX_COVER, BOX_SIDE, MIN_BOXED = 0.9, 0.06, 0.2
# The box's sides are straight runs at least this fraction of the strokes' width or height, and span at least this
# fraction of both.
BOX_RUN, BOX_SPAN = 0.4, 0.6
# A darker table around a photographed sheet is told from the sheet's own dark patches by touching at least
# this fraction of the picture's edge, and its rim is widened by this many pixels (the sheet's blurred edge).
TABLE_EDGE, TABLE_RIM = 0.15, 3
# The sheet covers at least this fraction of the picture and this fraction of its own bounding box, and ink
# darker than the table's threshold at least this fraction of the sheet, and at most this fraction (more is the
# holes of a light digit on black, filled in: the "sheet" would be the digit).
MIN_SHEET, MIN_SHEET_FILL, MIN_SHEET_INK, MAX_SHEET_INK = 0.1, 0.6, 1e-3, 0.3


def read_image(path):
    """A 2-D float array of grey levels in [0, 255] from a PNG/JPEG/... file or a .npy array."""
    if not os.path.exists(path):
        raise CLIError(f"no such file: {path}")
    if path.lower().endswith(".npy"):
        return _read_array(path)
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as err:
        raise CLIError(f"cannot read image {path}: {err.strerror}") from None
    return decode_image(data, path)


def _read_array(path):
    """The grey levels of the .npy file ``path``: a 2-D array in [0, 255], or in [0, 1] as MNIST's tensors."""
    try:
        with open(path, "rb") as file:
            # (np.load takes any other file for a pickle, and says so, which misleads)
            is_npy = file.read(len(NPY_MAGIC)) == NPY_MAGIC
            file.seek(0)
            array = np.load(file, allow_pickle=False) if is_npy else None
    except Exception as err:
        raise CLIError(f"cannot read {path} as a NumPy array: {err}") from None
    if array is None:
        raise CLIError(f"cannot read {path}: not a NumPy .npy file")
    array = np.squeeze(np.asarray(array))
    if array.ndim != 2 or array.size == 0 or array.dtype.kind not in "biuf":
        raise CLIError(f"{path}: expected a 2-D grey image array (e.g. 28x28), got shape {list(array.shape)} "
                       f"of {array.dtype}")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise CLIError(f"{path}: the array holds NaN or infinite values")
    return array * 255.0 if array.max() <= 1.0 else array


def decode_image(data, name):
    """A 2-D float array of grey levels in [0, 255] from the bytes of a PNG/JPEG/... file called ``name``."""
    import io

    try:
        from PIL import Image, ImageOps, UnidentifiedImageError
    except ImportError:
        raise CLIError("reading PNG/JPEG images needs Pillow: pip install 'torchless[cli]'") from None
    try:
        with Image.open(io.BytesIO(data)) as image:
            # A JPEG decodes at 1/2, 1/4 or 1/8 of its size in a fraction of the time and memory: ask for the
            # smallest that still has WORKING_SIZE pixels on its longer side (other formats ignore this).
            image.draft(None, _shrunk_size(image.size, WORKING_SIZE))
            image.load()
            # A phone stores which way up its photo is in EXIF, leaving the pixels as the sensor saw them.
            image = ImageOps.exif_transpose(image)
            if image.mode.startswith(("I", "F")):
                return _high_depth_grey(image)
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                # Transparent pixels count as white paper, whatever colour they store.
                background = Image.new("RGBA", image.size, (255, 255, 255, 255))
                image = Image.alpha_composite(background, image.convert("RGBA"))
            grey = image.convert("L")
            # Halved, quartered... by Pillow while still 8-bit, rather than as an array of 12 million floats.
            factor = max(grey.size) // WORKING_SIZE
            return np.asarray(grey.reduce(factor) if factor > 1 else grey, dtype=np.float64)
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
    if not np.isfinite(levels).all():
        raise ValueError("its pixels hold NaN or infinite values")
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
    table = _table(grey)
    ink_side, dark_ink = _ink_side(grey, table)
    table = table if dark_ink else None
    blocks, block = _block_medians(ink_side)
    # First with squares wider than any stroke could be, then with squares a few strokes wide: the narrower
    # the square, the closer the paper's level follows a shadow into its corners.
    ink, strokes = _find_digit(ink_side, dark_ink, table, blocks, block, OPENING * min(blocks.shape))
    # (+ 2: the grain's 3x3 averaging of the blocks widens each stroke by a block on either side)
    square = min(OPENING * min(blocks.shape), STROKES_PER_SQUARE * _stroke_width(strokes) / block + 2)
    ink, strokes = _find_digit(ink_side, dark_ink, table, blocks, block, square)
    rows, cols = np.nonzero(strokes)
    if max(np.ptp(rows), np.ptp(cols)) + 1 < 2 * BOX:
        # The mask, found on the ink averaged over 3x3 pixels, reaches a pixel beyond every stroke's end: in a
        # digit under twice the box's size that pixel is a sizeable part of it (a tenth of one 20 pixels tall),
        # so there the box is the ink's own.
        inked = strokes & (ink > 0.2 * ink.max())
        rows, cols = np.nonzero(inked) if inked.any() else (rows, cols)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    # The strokes' anti-aliased rims lie just outside the threshold: a pixel's margin keeps them.
    ink = np.where(_extreme_filter(np.pad(strokes, 1), 3, np.maximum), ink, 0.0)[top:bottom, left:right]
    boxed = _mnist_strokes(ink, _boxed(ink))
    field = np.zeros((FIELD, FIELD))
    top, left = (FIELD - boxed.shape[0]) // 2, (FIELD - boxed.shape[1]) // 2
    field[top : top + boxed.shape[0], left : left + boxed.shape[1]] = boxed
    field = _centre_of_mass_shift(field)
    return (field / max(field.max(), 1e-12)).astype(np.float32)


def _boxed(ink):
    """``ink`` scaled so its longer side is BOX pixels."""
    scale = BOX / max(ink.shape)
    size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
    return _resize(ink, size)


def _find_digit(ink_side, dark_ink, table, blocks, block, square):
    """The ink (see ``_ink``) with the paper's level taken by squares of ``square`` blocks, and the digit's
    strokes in it (a boolean mask)."""
    ink, grain = _ink(ink_side, dark_ink, table, _paper_level(blocks, block, ink_side.shape, square))
    # The ink is judged averaged over 3x3 pixels: one speck of noise would stretch the box.
    smoothed = _mean3x3(ink)
    if smoothed.max(initial=0) < max(MIN_CONTRAST, GRAIN_SPREADS * grain):
        raise CLIError("the image is blank: no digit found")
    mask = smoothed > 0.2 * smoothed.max()
    sheet = None if table is None else ~table
    lines = _printed_lines_on_the_sheet(mask, sheet)
    if lines.all(where=mask):
        raise CLIError("the image is blank: no digit found")
    strokes = _digit_strokes(mask & ~lines, smoothed)
    # Light reflected off glossy paper washes out the ink under it, fading a stroke along its way: where the
    # strongest ink near a pixel (within a square of the paper's) is itself faded to under half the strongest of
    # all, the strokes go on as far as the ink is a fifth of that (down to a floor, below which paper grain would be
    # ink too), and are brought up to it. Not along printed lines, whose faint rims would reach from the digit
    # across the picture, nor beside a printed box's strong line.
    level = np.maximum(_strongest_near(smoothed, block, square), FADED_INK * smoothed.max())
    faint = (smoothed > 0.2 * level) & (level < 0.5 * smoothed.max())
    ink = np.minimum(ink / level, 1.0) * smoothed.max()
    if not (faint & ~mask).any():  # (no faded ink: the strokes are as found)
        return ink, strokes
    lines |= _printed_lines_on_the_sheet(faint | mask, sheet)
    if lines.any():
        faint &= ~_extreme_filter(np.pad(lines, 2).view(np.uint8), 5, np.maximum).view(bool)
    (row, start, stop), piece, count = _connected_runs(strokes | faint)
    counted = np.pad(np.cumsum(strokes, axis=1), ((0, 0), (1, 0)))
    on_strokes = np.zeros(count, bool)
    on_strokes[piece[counted[row, stop] > counted[row, start]]] = True
    runs = on_strokes[piece]
    return ink, _paint_runs(strokes.shape, row[runs], start[runs], stop[runs])


def _strongest_near(ink, block, square):
    """The strongest ``ink`` within about ``square`` blocks of ``block`` pixels of each pixel: the maximum over each
    block, then over each square of blocks (a square, not a pixel's distance, is all the glare rule needs, and the
    blocks are a few hundred times fewer than the pixels)."""
    height, width = ink.shape
    rows, cols = -(-height // block), -(-width // block)
    padded = np.pad(ink, ((0, rows * block - height), (0, cols * block - width)), mode="edge")
    strongest = padded.reshape(rows, block, cols, block).max(axis=(1, 3))
    size = max(3, round(square)) | 1
    strongest = _extreme_filter(np.pad(strongest, size // 2, mode="edge"), size, np.maximum)
    return np.repeat(np.repeat(strongest, block, 0), block, 1)[:height, :width]


def _printed_lines_on_the_sheet(mask, sheet):
    """The printed lines (see ``_printed_lines``) in ``mask``, on a ``sheet`` (a boolean mask of the paper, or None
    when it fills the picture) that may lie turned: the lines run across the sheet, not the picture, and a sheet
    turned by a few degrees is sheared straight first (a line turned by more than a pixel in a stretch is no
    longer straight along a row)."""
    sheet = np.ones_like(mask) if sheet is None else sheet
    slope = _lines_slope(mask)
    if slope == 0:
        lines = np.zeros_like(mask)
        box = _bounding_slices(sheet)
        lines[box] = _printed_lines(mask[box])
        return lines
    rows, cols = _sheared_indices(mask.shape, slope)
    shape = (rows.max() + 1, cols.max() + 1)
    sheared, sheared_sheet = np.zeros(shape, bool), np.zeros(shape, bool)
    sheared[rows, cols], sheared_sheet[rows, cols] = mask, sheet
    lines = np.zeros(shape, bool)
    box = _bounding_slices(sheared_sheet)
    lines[box] = _printed_lines(sheared[box])
    return lines[rows, cols]


def _lines_slope(mask):
    """The slope (rise over run) of the printed lines in ``mask`` if they are turned by a degree or more, else 0:
    the one whose rows and columns, sheared straight by it, pile the mask's pixels up highest (the sum of the
    squared counts of each row and column is largest)."""
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return 0.0
    slopes = np.tan(np.radians(np.arange(-LINE_TURN, LINE_TURN + 0.25, 0.5)))
    scores = []
    for slope in slopes:
        along_rows = np.bincount(np.rint(ys - xs * slope).astype(np.int64) - int(np.floor(-abs(slope) * xs.max())))
        along_cols = np.bincount(np.rint(xs + ys * slope).astype(np.int64) - int(np.floor(-abs(slope) * ys.max())))
        scores.append(float(along_rows @ along_rows.astype(np.float64) + along_cols @ along_cols.astype(np.float64)))
    best = int(np.argmax(scores))
    level = len(slopes) // 2
    turned = abs(slopes[best]) >= np.tan(np.radians(1.0)) and scores[best] >= LINE_TURN_GAIN * scores[level]
    return float(slopes[best]) if turned else 0.0


def _sheared_indices(shape, slope):
    """Where each pixel of an image of ``shape`` goes when its columns are shifted by ``-slope`` times their column
    and then its rows by ``slope`` times their (new) row: lines of that slope become rows and columns. Both shifts
    are whole pixels, so no two pixels meet."""
    ys, xs = np.indices(shape)
    rows = ys - np.rint(xs * slope).astype(np.int64)
    rows -= rows.min()
    cols = xs + np.rint(rows * slope).astype(np.int64)
    cols -= cols.min()
    return rows, cols


def _bounding_slices(mask):
    """The (rows, columns) slices of the bounding box of ``mask``'s true pixels."""
    rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _mnist_strokes(ink, boxed):
    """``boxed`` (``ink``, a digit's box, scaled to 20 pixels), or ``ink`` thickened and boxed again if the strokes
    in ``boxed`` are narrower than MNIST's: a fine pen's hairline would otherwise fade to a faint trace, and even a
    ballpoint's strokes come out thinner than a model trained on MNIST knows digits (their width is measured where
    the ink is at least half its brightest, as in MNIST, after scaling).

    Only a box much larger than 20 pixels is thickened, where a pixel is a small part of a stroke (the width
    of a few pixels' strokes is too rough a guess to act on). Thick strokes are left as they are: thinning
    ink breaks strokes at every speck of the paper's grain.
    """
    wanted = MNIST_STROKE
    if max(ink.shape) < 2 * BOX:
        return boxed
    # Growing each side by ``grow`` pixels widens the strokes and the box alike: solve for the width wanted. (A
    # hairline comes out of the scaling wider than its share of the box, blurred: a few steps reach the width.)
    for _ in range(THICKENING_STEPS):
        width, length = _stroke_width(boxed > 0.5 * boxed.max()), max(ink.shape)
        grow = round((wanted - width) * length / BOX / (2 * (1 - wanted / BOX)))
        if grow <= 0:
            break
        ink = _extreme_filter(np.pad(ink, 2 * grow), 2 * grow + 1, np.maximum)
        boxed = _boxed(ink)
    return boxed


def _ink_side(grey, table=None):
    """``grey`` turned so the ink is high and the paper low, and whether the ink is darker than the paper.

    The ink is the darker or the lighter extreme of the grey levels, whichever fewer pixels come near: strokes
    cover less of a picture than the paper does. (A fixed mid-grey threshold takes the paper of a dim photo
    for ink, and the level at the border is no guide when a shadow darkens half the sheet.) Only the sheet
    counts, not the ``table`` around it.
    """
    # (Each pixel against a plane fitted to the picture's levels: light falling off across a large photo would
    # otherwise make its dark corner the extreme a small digit's strokes are too few to reach.)
    sheet = _without_slope(grey)
    sheet = sheet if table is None else sheet[~table]
    darkest, lightest = np.percentile(sheet, [0.1, 99.9])
    near = (lightest - darkest) / 4
    dark_ink = np.count_nonzero(sheet <= darkest + near) <= np.count_nonzero(sheet >= lightest - near)
    return (255.0 - grey if dark_ink else grey.copy()), dark_ink


def _without_slope(grey):
    """``grey`` less the plane fitted to its levels (by least squares, on every fourth pixel of every fourth row)."""
    ys, xs = np.indices(grey.shape, dtype=np.float64)
    sample = (slice(None, None, 4), slice(None, None, 4))
    basis = np.stack([np.ones_like(ys[sample]), ys[sample], xs[sample]], -1).reshape(-1, 3)
    (level, dy, dx), *_ = np.linalg.lstsq(basis, grey[sample].ravel(), rcond=None)
    return grey - (level + dy * ys + dx * xs)


def _ink(ink_side, dark_ink, table, paper_level):
    """How far each pixel of ``ink_side`` stands above the paper's level there (0 on paper and on the ``table``
    mask, if any), and the spread of the paper's grain in the same units.

    Dark ink is measured as a fraction of the paper's brightness where it lies: light scales both, so a stroke
    in a shadow is as much a stroke as one in full light.
    """
    ink = ink_side - paper_level
    if dark_ink:
        ink *= 255.0 / np.maximum(255.0 - paper_level, MIN_CONTRAST)
    # The paper's grain is not ink either (and most of a picture is paper). A quarter of the pixels tell its
    # median and spread as well as all of them, in a quarter of the time.
    sample = ink[::2, ::2]
    if table is not None:
        sample = sample[~table[::2, ::2]]
        ink[table] = 0.0
    paper = np.median(sample)
    grain = 1.4826 * np.median(np.abs(sample - paper))  # the grain's standard deviation, robustly
    ink -= paper
    return np.clip(ink, 0, None, out=ink), grain


def _table(grey):
    """The table around a photographed sheet of paper (a boolean mask), or None if the paper fills the picture.

    The table is darker than the paper, and the ink along their edge would be the heaviest piece of all. The
    table is the dark pieces touching the picture's edge, dark by the threshold between the two modes of the
    grey levels (Otsu's); the sheet and all it holds is what they enclose. A phone's shadow across the sheet
    may be the darker mode instead, joined to the table: then the table is what is darker than the shadow.
    """
    counts = np.bincount(np.clip(grey[::2, ::2], 0, 255).astype(np.uint8).ravel(), minlength=256)
    threshold = _otsu_threshold(counts)
    table = _dark_at_the_edge(grey, threshold)
    if table is None and threshold > 1:
        table = _dark_at_the_edge(grey, _otsu_threshold(counts[:threshold]))
    if table is None:
        return None
    rim = 2 * TABLE_RIM + 1
    return _extreme_filter(np.pad(table, TABLE_RIM, mode="edge").view(np.uint8), rim, np.maximum).view(bool)


def _dark_at_the_edge(grey, threshold):
    """The pieces of ``grey`` darker than ``threshold`` that touch the picture's edge, if they are a table."""
    dark = grey < threshold
    if _border(dark).mean() < TABLE_EDGE:  # (most photos: the paper reaches the edge all round)
        return None
    # The printed lines of ruled paper reach the sheet's edge, and the digit's strokes cross them: opened by a
    # square wider than the lines, the table no longer reaches the digit through them. (Along the picture's edge,
    # the opening would take off the thin wedges of table beside a turned sheet: there the table stays whole.)
    # (The lines' ends at the edge, where the sheet reaches it, are no table: a piece of table holds opened pixels
    # or runs along the edge wider than the square.)
    size = 2 * TABLE_RIM + 1
    opened = _square_filter(_square_filter(dark, size, every=True), size, every=False)
    solid = opened.copy()
    for edge in (np.s_[:size], np.s_[-size:], np.s_[:, :size], np.s_[:, -size:]):
        solid[edge] |= dark[edge]
    (row, start, stop), piece, count = _connected_runs(solid)
    height, width = dark.shape
    along_edge = ((row == 0) | (row == height - 1)) * (stop - start) + (start == 0) + (stop == width)
    along_edge = np.bincount(piece, along_edge, count)
    counted = np.pad(np.cumsum(opened, axis=1), ((0, 0), (1, 0)))
    holds_opened = np.zeros(count, bool)
    holds_opened[piece[counted[row, stop] > counted[row, start]]] = True
    runs = ((along_edge > 0) & holds_opened | (along_edge >= size))[piece]
    table = _paint_runs(dark.shape, row[runs], start[runs], stop[runs])
    # The sheet is a solid quadrilateral, turned a little at most, holding dark ink: not the strokes of a
    # light digit on black.
    rows, cols = np.nonzero(~table)
    ink = (np.count_nonzero(dark) - np.count_nonzero(table)) / max(len(rows), 1)
    if (_border(table).mean() < TABLE_EDGE or len(rows) < MIN_SHEET * table.size
            or len(rows) < MIN_SHEET_FILL * (np.ptp(rows) + 1) * (np.ptp(cols) + 1)
            or not MIN_SHEET_INK <= ink <= MAX_SHEET_INK):
        return None
    # A shadow across the sheet holds the digit's strokes, much darker than itself; a table holds none.
    paper, below = np.median(grey[~table]), grey[table]
    level = np.median(below)
    if paper - level < MIN_CONTRAST or np.count_nonzero(below < level - (paper - level) / 2) > 1e-3 * below.size:
        return None
    return table


def _otsu_threshold(counts):
    """The grey level splitting a histogram's ``counts`` in two classes with the widest spread between their
    means (Otsu's method): the pixels at or above it are the bright class."""
    levels = np.arange(len(counts))
    weight = np.cumsum(counts)[:-1]  # the dark class's count for each threshold 1, 2, ...
    total = weight[-1] + counts[-1]
    dark_sum = np.cumsum(counts * levels)[:-1]
    bright_sum = (counts * levels).sum() - dark_sum
    both = weight * (total - weight)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = np.where(both > 0, both * (dark_sum / weight - bright_sum / (total - weight)) ** 2, -1.0)
    return int(np.argmax(between)) + 1


def _block_medians(ink_side, cells=192):
    """The medians of square blocks of ``ink_side``, ``cells`` on its longer side (which the paper's grain
    does not move), and the blocks' side in pixels."""
    height, width = ink_side.shape
    block = max(1, -(-max(height, width) // cells))
    rows, cols = -(-height // block), -(-width // block)
    padded = np.pad(ink_side, ((0, rows * block - height), (0, cols * block - width)), mode="edge")
    return np.median(padded.reshape(rows, block, cols, block).transpose(0, 2, 1, 3).reshape(rows, cols, -1), -1), block


def _paper_level(blocks, block, shape, square):
    """The paper's level at every pixel of an image of ``shape`` from its ``blocks`` medians: what is left of
    them once a grey opening by ``square`` x ``square`` blocks has taken the strokes off.

    The opening keeps, at each place, the highest level that a square wider than the strokes can reach from
    below (a minimum, then a maximum, over the square). It follows the paper up a lamp's slope and across the
    sharp edge of a phone's shadow, both wider than the square, where a smooth surface fitted to the paper
    would cut through the edge.
    """
    square = max(3, round(square)) | 1
    # Beyond the border the paper is taken to go on as it goes there (an odd reflection continues a slope): cut
    # off at the border, the opening would flatten light that falls off towards the edges, leaving its rise
    # along them as ink.
    # The grain is averaged out first: a minimum over a square's many blocks would find the lowest grain,
    # setting the paper's level below the paper.
    padded = np.pad(_mean3x3(blocks), square - 1, mode="reflect", reflect_type="odd")
    opened = _extreme_filter(_extreme_filter(padded, square, np.minimum), square, np.maximum)
    if block == 1:
        return opened
    from PIL import Image

    # Bilinear between the blocks' centres (Pillow's resize aligns them), then the padding cut off.
    rows, cols = blocks.shape
    image = Image.fromarray(opened.astype(np.float32), mode="F")
    return np.asarray(image.resize((cols * block, rows * block), Image.BILINEAR), np.float64)[: shape[0], : shape[1]]


def _stroke_width(mask):
    """The mean width in pixels of the strokes in ``mask``: twice their area over their outline's length
    (a stroke of width w and length l has area w*l and an outline of about 2*l), the outline counted in pixel
    edges, which overcount a slanted line's length by 4/pi on average."""
    padded = np.pad(mask, 1).astype(np.int8)
    edges = np.count_nonzero(np.diff(padded, axis=0)) + np.count_nonzero(np.diff(padded, axis=1))
    return 2.0 * np.count_nonzero(mask) / max(edges * np.pi / 4, 1.0)


def _extreme_filter(a, size, extreme, axes=(0, 1)):
    """``extreme`` (np.minimum or np.maximum) over every ``size`` x ``size`` square wholly inside ``a`` (so the
    result is ``size - 1`` smaller than ``a`` along both axes), or over every ``size`` long segment along the one
    axis in ``axes``.

    Each axis in turn: a short window as the extreme of its ``size`` shifted copies, a long one by van Herk and
    Gil & Werman's method: running extremes forwards and backwards within blocks of ``size``, two of which cover
    any window, whatever its size. (NumPy's ``accumulate`` runs element by element, so on a whole picture the
    shifted copies are several times faster up to a window of SHIFTED_WINDOW.)
    """
    for axis in axes:
        if size <= SHIFTED_WINDOW:
            a = _combined_shifts(a, size, axis, extreme)
            continue
        a = np.moveaxis(a, axis, -1)
        length = a.shape[-1]
        blocks = -(-length // size)
        padded = np.pad(a, [(0, 0), (0, blocks * size - length)], mode="edge").reshape(a.shape[0], blocks, size)
        forward = extreme.accumulate(padded, axis=-1).reshape(a.shape[0], -1)
        backward = extreme.accumulate(padded[..., ::-1], axis=-1)[..., ::-1].reshape(a.shape[0], -1)
        a = np.moveaxis(extreme(backward[:, : length - size + 1], forward[:, size - 1 : length]), -1, axis)
    return a


def _combined_shifts(a, size, axis, combine):
    """``combine`` (a binary ufunc) of the ``size`` windows of ``a`` shifted by 0, 1, ... ``size - 1`` along
    ``axis``: ``size - 1`` shorter than ``a`` there."""
    length = a.shape[axis] - size + 1
    window = [slice(None), slice(None)]
    window[axis] = slice(0, length)
    out = a[tuple(window)].copy()
    for shift in range(1, size):
        window[axis] = slice(shift, shift + length)
        combine(out, a[tuple(window)], out=out)
    return out


def _square_filter(mask, size, every):
    """Whether ``every`` pixel (an erosion) or any pixel (a dilation) of ``mask`` in the ``size`` x ``size`` square
    around each pixel is true, the mask going on beyond its border as it ends there (``_extreme_filter`` on a mask
    padded by its edge, each axis as its shifted copies and-ed or or-ed: boolean operations on whole rows)."""
    half = size // 2
    for axis in (0, 1):
        padded = np.pad(mask, [(half, half) if a == axis else (0, 0) for a in (0, 1)], mode="edge")
        mask = _combined_shifts(padded, size, axis, np.logical_and if every else np.logical_or)
    return mask


def _printed_lines(mask):
    """The pixels of ``mask`` on the straight lines printed across ruled or squared paper (a boolean mask).

    A line is a piece of ink straight along a row or a column in every stretch of LINE_STRETCH of the picture,
    running on across most of it: a digit's own bars are as straight, but shorter. (A photo seldom keeps the
    lines level: each stretch is straight up to a pixel either side, and the stretches join across a tilt.)
    Where a stroke crosses a line or runs along it, the ink is thicker than the line: that ink is the stroke's.
    (A line as thick as the strokes is left in: the lines cannot be told from a digit filling the picture.)
    """
    found = [_straight_across(mask, axis) for axis in (0, 1)]
    lines = np.zeros_like(mask)
    if not (found[0].any() or found[1].any()):
        return lines
    # The lines' commonest thickness (where lines cross, or a stroke runs along them, they are thicker) is a
    # printed line's, finer than a pen's strokes (those of the largest piece left between the lines): the long
    # stem of a 1 filling the picture is as wide as the rest of it.
    thickness = [_run_lengths(mask, 1 - axis) for axis in (0, 1)]
    line_width = [np.bincount(t[f]).argmax() if f.any() else 0 for t, f in zip(thickness, found)]
    between = mask & ~(found[0] & (thickness[0] <= 2 * line_width[0] + 1))
    between &= ~(found[1] & (thickness[1] <= 2 * line_width[1] + 1))
    if not between.any():  # ruled paper and nothing else, or a digit all straight strokes (a marker's 1)
        return lines if _connected_runs(found[0] | found[1])[2] < 2 else found[0] | found[1]
    (row, start, stop), piece, _ = _connected_runs(between)
    largest = np.argmax(np.bincount(piece, stop - start)) == piece
    stroke_width = _stroke_width(_paint_runs(mask.shape, row[largest], start[largest], stop[largest]))
    for straight, across, width in zip(found, thickness, line_width):
        if straight.any() and width < THINNER_LINES * stroke_width:
            lines |= straight & (across <= 2 * width + 1)
    return lines


def _straight_across(mask, axis):
    """The pieces of ``mask`` straight along ``axis`` in every stretch, running on across most of the picture."""
    length = mask.shape[axis]
    stretch = max(3, round(LINE_STRETCH * length))
    # Up to a pixel either side counts as level (the mask widened by one across ``axis``), and a run as long as a
    # stretch is straight along it (a binary opening by a segment keeps exactly the runs as long as it).
    level = mask.copy()
    near, far = [slice(None), slice(None)], [slice(None), slice(None)]
    near[1 - axis], far[1 - axis] = slice(None, -1), slice(1, None)
    level[tuple(far)] |= mask[tuple(near)]
    level[tuple(near)] |= mask[tuple(far)]
    straight = mask & (_run_lengths(level, axis) >= stretch)
    if not straight.any():
        return straight
    (row, start, stop), piece, count = _connected_runs(straight if axis == 1 else straight.T)
    first, last = np.full(count, length), np.full(count, -1)
    np.minimum.at(first, piece, start)
    np.maximum.at(last, piece, stop)
    across = (last - first >= LINE_SPAN * length)[piece]
    found = _paint_runs((mask.shape[1 - axis], length), row[across], start[across], stop[across])
    return found if axis == 1 else found.T


def _run_lengths(mask, axis):
    """For each pixel of ``mask``, the length of the run of true pixels along ``axis`` it lies in (0 off it)."""
    along_rows = mask if axis == 1 else mask.T
    edges = np.diff(np.pad(along_rows, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    runs = np.nonzero(edges == -1)[1] - np.nonzero(edges == 1)[1]
    # (a boolean index walks the mask row by row, as the runs were found: each run's pixels get its length)
    lengths = np.zeros(along_rows.shape, np.int64)
    lengths[along_rows] = np.repeat(runs, runs)
    return lengths if axis == 1 else lengths.T


def _digit_strokes(mask, ink, boxed=False):
    """The part of ``mask`` that is the digit: its heaviest connected piece (by ``ink``, the more so the nearer the
    picture's centre) and the pieces near it.

    Specks of dirt, a margin's ruled line, a thin strip of the table along the picture's edge, a thumb or a pen
    reaching in from the edge are ink too. They are left out as pieces far lighter than the digit or away from it,
    as pieces running from one side of the picture to the other (a digit is seldom cut by both edges), and as
    pieces at the edge when the digit lies clear of it (farther from every edge than the pieces near it may be).
    A box printed around the digit is taken off it.
    """
    runs, piece, count = _connected_runs(mask)
    row, start, stop = runs
    height, width = mask.shape
    summed = np.pad(np.cumsum(ink, axis=1), ((0, 0), (1, 0)))
    mass = np.bincount(piece, summed[row, stop] - summed[row, start], count)
    top, left = np.full(count, height), np.full(count, width)
    bottom, right = np.full(count, -1), np.full(count, -1)
    np.minimum.at(top, piece, row)
    np.maximum.at(bottom, piece, row)
    np.minimum.at(left, piece, start)
    np.maximum.at(right, piece, stop - 1)
    spanning = ((top == 0) & (bottom == height - 1)) | ((left == 0) & (right == width - 1))
    at_edge = (top == 0) | (bottom == height - 1) | (left == 0) | (right == width - 1)
    candidate = ~spanning if not spanning.all() else np.ones(count, bool)
    # (0 at the picture's centre, 1 in its corners: a digit is photographed near the middle)
    off_centre = np.hypot((top + bottom + 1) / height - 1, (left + right + 1) / width - 1) / np.sqrt(2)
    main = np.flatnonzero(candidate)[np.argmax((mass * (1 - off_centre))[candidate])]
    reach = NEAR * max(bottom[main] - top[main], right[main] - left[main])
    near = ((top <= bottom[main] + reach) & (bottom >= top[main] - reach)
            & (left <= right[main] + reach) & (right >= left[main] - reach))
    # (a digit cropped tightly may have a stroke apart at the edge: only one lying clear of the edges has no part
    # there)
    clear = min(top[main], left[main], height - 1 - bottom[main], width - 1 - right[main]) > reach
    kept = candidate & near & (mass >= MIN_PIECE * mass[main]) & ~(clear & at_edge)
    strokes = _paint_runs(mask.shape, row[kept[piece]], start[kept[piece]], stop[kept[piece]])
    box = None if boxed else _box_around(strokes)
    if box is not None and (strokes & ~box).sum() >= MIN_BOXED * strokes.sum():
        return _digit_strokes(mask & ~box, ink, boxed=True)
    return strokes


def _box_around(strokes):
    """The sides of a box drawn around the digit in ``strokes`` (a boolean mask), if ``strokes`` is one: ink
    along nearly the whole of each side of a box, which no digit has.

    The box's top and bottom are the outermost long rows of ink, its left and right the outermost long columns
    (not the strokes' bounding box: a digit touching the box may reach across its side).
    """
    rows, cols = np.nonzero(strokes)
    height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
    rows = np.nonzero((_run_lengths(strokes, 1) >= BOX_RUN * width).any(1))[0]
    cols = np.nonzero((_run_lengths(strokes, 0) >= BOX_RUN * height).any(0))[0]
    if len(rows) == 0 or len(cols) == 0 or np.ptp(rows) + 1 < BOX_SPAN * height or np.ptp(cols) + 1 < BOX_SPAN * width:
        return None
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    band = max(2, round(BOX_SIDE * max(bottom - top, right - left)))
    covered = [strokes[top : top + band, left:right].any(0), strokes[bottom - band : bottom, left:right].any(0),
               strokes[top:bottom, left : left + band].any(1), strokes[top:bottom, right - band : right].any(1)]
    if min(side.mean() for side in covered) < BOX_COVER:
        return None
    sides = np.zeros_like(strokes)
    for axis, ends in ((0, (slice(top, top + band), slice(bottom - band, bottom))),
                       (1, (slice(left, left + band), slice(right - band, right)))):
        # Across a side, the box's line is thinner than where the digit's strokes touch it: those stay the digit's.
        thickness = _run_lengths(strokes, axis)
        for end in ends:
            side = np.zeros_like(strokes)
            side[(end, slice(left, right)) if axis == 0 else (slice(top, bottom), end)] = True
            side &= strokes
            sides |= side & (thickness <= 2 * np.bincount(thickness[side]).argmax() + 1)
    return sides


def _connected_runs(mask):
    """The horizontal runs of ``mask`` as (rows, starts, stops) and the 8-connected piece each run is part of.

    Runs touch when they lie on neighbouring rows and overlap or meet at a corner. Pieces are then found by
    hooking every run to the smallest label among its neighbours and jumping pointers, a few passes over
    the (few thousand) runs rather than many over the pixels.
    """
    height, width = mask.shape
    edges = np.diff(np.pad(mask, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    row, start = np.nonzero(edges == 1)
    stop = np.nonzero(edges == -1)[1]
    stride = width + 2  # a run's start and stop as one sortable key: row * stride + column
    first = np.searchsorted(row * stride + stop, (row + 1) * stride + start, side="left")
    last = np.searchsorted(row * stride + start, (row + 1) * stride + stop, side="right")
    counts = np.maximum(last - first, 0)
    upper = np.repeat(np.arange(len(row)), counts)
    lower = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(first, counts)
    labels = np.arange(len(row))
    while True:
        hooked = np.minimum(labels[upper], labels[lower])
        previous = labels.copy()
        np.minimum.at(labels, upper, hooked)
        np.minimum.at(labels, lower, hooked)
        while True:  # pointer jumping: every run straight to its root
            jumped = labels[labels]
            if (jumped == labels).all():
                break
            labels = jumped
        if (labels == previous).all():
            break
    roots, piece = np.unique(labels, return_inverse=True)
    return (row, start, stop), piece, len(roots)


def _paint_runs(shape, row, start, stop):
    """A boolean image of ``shape`` true on the given runs."""
    lengths = stop - start
    # The flat index of every pixel of every run: each run's first, counted on by 0, 1, ... along it.
    first = row * shape[1] + start - (np.cumsum(lengths) - lengths)
    image = np.zeros(shape, bool)
    image.ravel()[np.repeat(first, lengths) + np.arange(lengths.sum())] = True
    return image


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

    size = _shrunk_size((width, height), longest_side)
    return np.asarray(Image.fromarray(grey.astype(np.float32), mode="F").resize(size, Image.BOX), np.float64)


def _shrunk_size(size, longest_side):
    """(width, height) ``size`` scaled so its longer side is ``longest_side``."""
    scale = longest_side / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _resize(array, size):
    from PIL import Image

    image = Image.fromarray(np.clip(array, 0, 255).astype(np.float32), mode="F")
    return np.asarray(image.resize(size, Image.LANCZOS), np.float64).clip(0, None)


def _centre_of_mass_shift(field):
    """``field`` shifted by whole pixels to put the ink's centre of mass nearest pixel (14, 14), where MNIST's
    digits have theirs (row and column 14 +- 0.5 in the test set, not the field's middle at 13.5)."""
    total = field.sum()
    ys, xs = np.indices(field.shape)
    dy = int(np.floor(FIELD / 2 + 0.5 - (ys * field).sum() / total))
    dx = int(np.floor(FIELD / 2 + 0.5 - (xs * field).sum() / total))
    shifted = np.zeros_like(field)
    src = field[max(0, -dy) : FIELD - max(0, dy), max(0, -dx) : FIELD - max(0, dx)]
    shifted[max(0, dy) : max(0, dy) + src.shape[0], max(0, dx) : max(0, dx) + src.shape[1]] = src
    return shifted
