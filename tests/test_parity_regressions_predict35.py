"""`torchless predict` on large photos: the minima and maxima over small windows (session 35, predict35).

``to_mnist`` spent a fifth of its time on a 1000-pixel photo in two morphological filters: the table's opening and
rim (``_square_filter`` by running sums of int32 counts, ``_extreme_filter`` by van Herk's running extremes, whose
``ufunc.accumulate`` steps element by element). Windows of up to SHIFTED_WINDOW pixels are now the extreme of their
shifted copies; the runs' lengths and painted runs are written pixel by pixel through a flat index instead of
summed marks. The references here are brute-force windows, pictures drawn at known places, and the same large
picture with every window taken by running extremes. Last, a 1 drawn with a short flag (known by
construction) is named 1: the generator's long-flagged 1s read as 7 are the models', not the preprocessing's.
"""
import numpy as np
import pytest

Image = pytest.importorskip("PIL.Image")
ImageDraw = pytest.importorskip("PIL.ImageDraw")

from torchless.cli import images  # noqa: E402  (after the skip without Pillow)
from torchless.cli.predict import predict_arrays  # noqa: E402
import digit_pictures  # noqa: E402  (PIL.Image, imported there too)


def _noisy(grey, seed):
    return np.clip(grey + np.random.default_rng(seed).normal(0, 2, grey.shape), 0, 255)


def _windows(a, size, axes):
    shape = [size if axis in axes else 1 for axis in (0, 1)]
    return np.lib.stride_tricks.sliding_window_view(a, shape)


# ------------------------------------------------------------------ the filters against brute force


@pytest.mark.parametrize("size", [1, 2, 3, 7, 14, 15, 16, 17, 33])
@pytest.mark.parametrize("dtype", [np.float64, np.uint8])
def test_extreme_filter_is_the_windows_minimum_and_maximum(size, dtype):
    """Either side of SHIFTED_WINDOW, over squares and along either axis alone."""
    a = (np.random.default_rng(size).random((41, 57)) * 255).astype(dtype)
    for axes in ((0, 1), (0,), (1,)):
        windows = _windows(a, size, axes)
        np.testing.assert_array_equal(images._extreme_filter(a, size, np.maximum, axes), windows.max(axis=(-2, -1)))
        np.testing.assert_array_equal(images._extreme_filter(a, size, np.minimum, axes), windows.min(axis=(-2, -1)))


def test_the_shifted_copies_cover_the_windows_the_pipeline_uses():
    """The table's rim (2 * TABLE_RIM + 1), the strokes' margin (3) and the lines' (5) are short windows."""
    assert 2 * images.TABLE_RIM + 1 <= images.SHIFTED_WINDOW and 5 <= images.SHIFTED_WINDOW


@pytest.mark.parametrize("every", [True, False])
@pytest.mark.parametrize("size", [1, 3, 5, 7, 9])
@pytest.mark.parametrize("shape", [(23, 31), (1, 40), (40, 1), (4, 4)])
def test_square_filter_is_the_squares_all_or_any(every, size, shape):
    """Against a brute-force window over the mask padded by its edge, thin masks and ones smaller than the square
    too."""
    mask = np.random.default_rng([size, *shape]).random(shape) < 0.6
    padded = np.pad(mask, size // 2, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (size, size))
    expected = windows.all(axis=(-2, -1)) if every else windows.any(axis=(-2, -1))
    np.testing.assert_array_equal(images._square_filter(mask, size, every), expected)


def test_a_bright_square_is_opened_away_and_a_wide_one_kept():
    """Hand-worked: a 5x5 square of True survives an opening by 5 unchanged, a 4x4 one vanishes."""
    mask = np.zeros((30, 30), bool)
    mask[3:8, 3:8] = True
    mask[15:19, 20:24] = True
    opened = images._square_filter(images._square_filter(mask, 5, every=True), 5, every=False)
    expected = np.zeros_like(mask)
    expected[3:8, 3:8] = True
    np.testing.assert_array_equal(opened, expected)


def _brute_run_lengths(mask, axis):
    along_rows = mask if axis == 1 else mask.T
    lengths = np.zeros(along_rows.shape, np.int64)
    for r, line in enumerate(along_rows):
        c = 0
        while c < len(line):
            end = c
            while end < len(line) and line[end]:
                end += 1
            lengths[r, c:end] = end - c
            c = max(end, c + 1)
    return lengths if axis == 1 else lengths.T


@pytest.mark.parametrize("shape, density", [((23, 31), 0.5), ((9, 40), 0.9), ((1, 12), 0.5), ((6, 5), 0.0),
                                            ((6, 5), 1.0)])
def test_run_lengths_and_painted_runs_against_a_walk_along_each_row(shape, density):
    mask = np.random.default_rng([*shape, int(10 * density)]).random(shape) < density
    for axis in (0, 1):
        lengths = images._run_lengths(mask, axis)
        assert lengths.dtype == np.int64
        np.testing.assert_array_equal(lengths, _brute_run_lengths(mask, axis))
    (row, start, stop), _, _ = images._connected_runs(mask)
    np.testing.assert_array_equal(images._paint_runs(shape, row, start, stop), mask)
    # Every other run alone: exactly their pixels.
    expected = np.zeros(shape, bool)
    for r, a, b in zip(row[::2], start[::2], stop[::2]):
        expected[r, a:b] = True
    np.testing.assert_array_equal(images._paint_runs(shape, row[::2], start[::2], stop[::2]), expected)


# ------------------------------------------------------------------ large pictures


@pytest.fixture(scope="module")
def large_sheet_on_a_table():
    """A 960 x 1200 photo of a sheet on a dark table, a 0 drawn on it as a ring at a known place."""
    picture = Image.new("L", (1200, 960), 60)
    pen = ImageDraw.Draw(picture)
    pen.polygon([(170, 90), (1040, 120), (1010, 880), (150, 850)], fill=238)
    pen.ellipse((470, 250, 730, 690), outline=25, width=34)
    return _noisy(np.asarray(picture, np.float64), 35)


def test_a_large_sheet_on_a_table_reads_as_its_ring(bundled, large_sheet_on_a_table):
    """The table is found (the sheet's inside is not table) and the ring is boxed, centred and named 0."""
    grey = large_sheet_on_a_table
    table = images._table(grey)
    assert table is not None and table[:60].all() and not table[200:760, 300:900].any()
    field = images.to_mnist(grey)
    top, bottom, left, right = digit_pictures.ink_box(field)
    assert bottom - top == 20 and 10 <= right - left <= 13  # the ring is 440 tall and 260 wide: 20 x 11.8
    cy, cx = digit_pictures.centre_of_mass(field)
    assert abs(cy - 14) <= 0.5 + 1e-9 and abs(cx - 14) <= 0.5 + 1e-9
    assert field[14, 14] < 0.1 and field[14, left] > 0.5  # the hole, the ring's left side
    assert predict_arrays(bundled, [field]).argmax() == 0


def test_a_large_picture_reads_the_same_with_every_window_by_running_extremes(monkeypatch, large_sheet_on_a_table):
    """Minima and maxima are exact: the shifted copies change no pixel of the field."""
    shifted = images.to_mnist(large_sheet_on_a_table)
    monkeypatch.setattr(images, "SHIFTED_WINDOW", 0)
    running = images.to_mnist(large_sheet_on_a_table)
    np.testing.assert_array_equal(shifted, running)


# ------------------------------------------------------------------ a 1 with a flag


@pytest.mark.parametrize("flag", [0.0, 0.5])
def test_a_one_with_a_short_flag_is_named_one(bundled, generator, flag):
    """A 1 drawn as a stem, or with a flag half as long as the generator's (which the models read as 7 in a fifth to
    a half of its drawings: a 1 with a long flag is rare in MNIST), is boxed 20 tall and named 1."""
    fields = []
    for seed in range(5):
        rng = np.random.default_rng([seed, 35])
        stroke = [(0.33 - 0.21 * flag, 0.2 * flag), (0.33, 0.0), (0.33, 1.0)] if flag else [(0.33, 0.0), (0.33, 1.0)]
        coverage = generator.ink_coverage(1, rng, 160, 0.1, [stroke])
        sheet = np.full((coverage.shape[0] + 80, coverage.shape[1] + 160), 240.0)
        sheet[40 : 40 + coverage.shape[0], 80 : 80 + coverage.shape[1]] -= 215 * coverage
        field = images.to_mnist(_noisy(sheet, seed))
        top, bottom, left, right = digit_pictures.ink_box(field)
        assert bottom - top == 20 and right - left < 20
        fields.append(field)
    assert (predict_arrays(bundled, fields).argmax(1) == 1).all()
