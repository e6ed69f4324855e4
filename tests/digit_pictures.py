"""What the tests of ``torchless predict`` on pictures share: the fixtures' folder, the photo generator, the
pen-drawn digits as grey levels, and the two comparisons of a preprocessed digit with its clean twin (the pytest
fixtures ``bundled`` and ``generator`` built on them are in conftest.py)."""
import importlib.util
import pathlib

import numpy as np
from PIL import Image, ImageDraw

DIGITS = pathlib.Path(__file__).parent / "fixtures" / "digits"


def label(path):
    """The digit a fixture shows: the first character of its name."""
    return int(pathlib.Path(path).name[0])


def photo_generator():
    """tests/fixtures/digits/photos/generate.py as a module (it draws the photo fixtures and knows their sheets)."""
    spec = importlib.util.spec_from_file_location("generate_photos", DIGITS / "photos" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pen_drawings():
    """The pen-drawn fixtures as grey levels (dark ink on light paper), by digit."""
    drawings = {}
    for path in sorted(DIGITS.glob("[0-9]_pen.png")):
        with Image.open(path) as image:
            drawings[label(path)] = np.asarray(image.convert("L"), np.float64)
    return drawings


def pen_drawings_on_a_sheet():
    """The pen-drawn fixtures as grey levels, by digit, each on a wider sheet of paper (300 x 340)."""
    drawings = {}
    for digit, drawing in pen_drawings().items():
        sheet = np.full((300, 340), 242.0)
        sheet[50:250, 70:270] = drawing
        drawings[digit] = sheet
    return drawings


def assert_redrawn(paths, draw, session, folder):
    """Each picture of ``paths`` is what ``draw(digit, condition, rng)`` (a generator's function of the fixtures of
    ``session``, seeded by [digit, session] as they were drawn) saves into ``folder``, byte for byte."""
    for path in paths:
        digit, condition = label(path), path.stem.split("_", 1)[1]
        image, _, options = draw(digit, condition, np.random.default_rng([digit, session]))
        image.save(folder / path.name, **options)
        assert (folder / path.name).read_bytes() == path.read_bytes(), path.name


def lined(sheet, spacing, horizontal=True, vertical=False, tilt=0.0, level=150, width=1, seed=0):
    """``sheet`` with lines ``spacing`` pixels apart printed across it (grey ``level``), turned by ``tilt`` degrees."""
    height, width_ = sheet.shape
    lines = Image.new("L", (2 * width_, 2 * height), 0)
    pen = ImageDraw.Draw(lines)
    offset = np.random.default_rng(seed).uniform(0, spacing, 2)
    if horizontal:
        for y in np.arange(offset[0], 2 * height, spacing):
            pen.line([(0, y), (2 * width_, y)], fill=255, width=width)
    if vertical:
        for x in np.arange(offset[1], 2 * width_, spacing):
            pen.line([(x, 0), (x, 2 * height)], fill=255, width=width)
    lines = lines.rotate(tilt, Image.BILINEAR)
    coverage = np.asarray(lines, np.float64)[height // 2 : height // 2 + height, width_ // 2 : width_ // 2 + width_]
    coverage = coverage / 255
    return np.minimum(sheet, 242.0 - (242.0 - level) * coverage)


def eroded(mask, radius):
    """``mask`` where every pixel within ``radius`` (a square) is in it too (beyond the picture counts as in)."""
    padded = np.pad(mask, radius, constant_values=True)
    return np.lib.stride_tricks.sliding_window_view(padded, (2 * radius + 1,) * 2).all(axis=(-2, -1))


def centre_of_mass(field):
    """(row, column) of a field's centre of mass, its values the weights."""
    ys, xs = np.indices(field.shape)
    return (ys * field).sum() / field.sum(), (xs * field).sum() / field.sum()


def ink_box(field, level=0.1):
    """(top, bottom, left, right) of the ink above ``level`` in a 28x28 input, bottom and right exclusive."""
    rows, cols = np.nonzero(field > level)
    return rows.min(), rows.max() + 1, cols.min(), cols.max() + 1


def shifted_correlation(a, b):
    """The best correlation of ``a`` and ``b`` shifted by up to a pixel: centring by mass rounds to whole pixels,
    and a centre of mass half-way between two flips with the least change."""
    return max(np.corrcoef(np.roll(a, (dy, dx), (0, 1)).ravel(), b.ravel())[0, 1]
               for dy in (-1, 0, 1) for dx in (-1, 0, 1))
