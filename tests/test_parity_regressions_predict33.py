"""`torchless predict` on ruled paper lying on a table, in a printed box the digit touches, under glare, and with
MNIST's stroke width (session 33, predict33).

The lines of ruled paper on a table stopped at the sheet's edge, short of the picture's, so they were not taken for
printed lines; a turned sheet's lines were not straight along any row; and the digit, joined through the lines to
the table, was taken for table: 19 of 30 generated pictures were named by the bundled model. A digit reaching across
its printed box kept the box's side. Glare fades the strokes under it below a threshold set by the strongest ink.
The outputs' strokes were 1.5 to 2 pixels wide where MNIST's are 2.3. The references here are the same drawing
without the lines, the box or the table, lines drawn at a known slope, MNIST's own strokes and brute-force loops.
"""
import io

import numpy as np
import pytest

Image = pytest.importorskip("PIL.Image")
ImageDraw = pytest.importorskip("PIL.ImageDraw")

from torchless.cli import images  # noqa: E402  (after the skip without Pillow)
from torchless.cli.predict import predict_arrays, read_digit  # noqa: E402
import digit_pictures  # noqa: E402  (PIL.Image, imported there too)

HARD = sorted((digit_pictures.DIGITS / "photos" / "hard").glob("[0-9]_*.jpg"))


@pytest.fixture(scope="module")
def pen_drawings():
    return digit_pictures.pen_drawings_on_a_sheet()


def _noisy(grey, seed):
    return np.clip(grey + np.random.default_rng(seed).normal(0, 2, grey.shape), 0, 255)


def _jpeg_grey(image, options):
    photo = io.BytesIO()
    image.save(photo, "JPEG", **options)
    return images.decode_image(photo.getvalue(), "photo.jpg")


# ------------------------------------------------------------------ the committed pictures


def test_the_hard_pictures_are_small_and_named_by_condition(generator):
    assert len(HARD) == 8 and sum(p.stat().st_size for p in HARD) < 80_000
    assert sorted({p.stem.split("_", 1)[1] for p in HARD}) == sorted(generator.HARD)


def test_the_generator_redraws_the_committed_pictures(generator, tmp_path):
    digit_pictures.assert_redrawn(HARD, generator.hard, 33, tmp_path)


def test_the_bundled_model_names_the_hard_pictures(bundled):
    predicted = predict_arrays(bundled, [read_digit(str(p)) for p in HARD]).argmax(1)
    assert [int(c) for c in predicted] == [digit_pictures.label(p) for p in HARD]  # 2 of 8 before


@pytest.mark.parametrize("path", HARD, ids=[p.name for p in HARD])
def test_each_hard_picture_becomes_an_mnist_like_field(path):
    field = read_digit(str(path))
    assert field.shape == (28, 28) and field.dtype == np.float32
    assert field.min() >= 0 and field.max() == pytest.approx(1.0)
    top, bottom, left, right = digit_pictures.ink_box(field)
    assert max(bottom - top, right - left) == 20
    cy, cx = digit_pictures.centre_of_mass(field)
    assert abs(cy - 14) <= 0.5 + 1e-9 and abs(cx - 14) <= 0.5 + 1e-9


# ------------------------------------------------------------------ ruled paper on a table


@pytest.mark.parametrize("digit", [0, 2, 5, 7, 9])
def test_ruled_paper_on_a_table_reads_as_the_same_drawing_on_plain_paper(generator, monkeypatch, digit, tmp_path):
    """The generator draws the same sheet without its lines when it prints none (its random draws unchanged)."""
    rng = np.random.default_rng([digit, 33])
    lined = _jpeg_grey(generator.ruled_on_a_table(digit, rng)[0], {"quality": 75})
    monkeypatch.setattr(generator, "_lines", lambda frame, *args, **kwargs: np.zeros(frame))
    plain = _jpeg_grey(generator.ruled_on_a_table(digit, np.random.default_rng([digit, 33]))[0], {"quality": 75})
    lined, plain = images.to_mnist(lined), images.to_mnist(plain)
    assert digit_pictures.ink_box(lined) == pytest.approx(digit_pictures.ink_box(plain), abs=1)
    assert digit_pictures.shifted_correlation(lined, plain) > 0.85


@pytest.mark.parametrize("digit", [0, 5, 9])
def test_the_table_under_a_ruled_sheet_is_the_outside_of_the_sheet(generator, digit):
    """The lines reach the sheet's edge and the digit crosses them: the table stopped at neither."""
    image, sheet = generator.ruled_on_a_table(digit, np.random.default_rng([digit, 33]))
    table = images._table(np.asarray(image.convert("L"), np.float64))
    assert table is not None
    # The sheet's edge is blurred and the mask widened over it by a few pixels: beyond those, exact (but for a line's
    # end where it meets a wedge of table along the picture's edge, within the square the table is opened by and the
    # rim it is widened by).
    inside = digit_pictures.eroded(sheet, images.TABLE_RIM + 2)
    band = 3 * images.TABLE_RIM + 1
    inside[:band], inside[-band:], inside[:, :band], inside[:, -band:] = False, False, False, False
    assert not table[inside].any()
    assert table[digit_pictures.eroded(~sheet, 2)].all()


@pytest.mark.parametrize("digit, tilt, squared", [(0, 5.0, False), (2, -9.0, False), (3, 12.0, False),
                                                  (7, -9.0, False), (0, 12.0, False), (2, 6.0, True), (7, -4.0, True)])
def test_the_lines_of_a_turned_sheet_are_not_ink(bundled, pen_drawings, digit, tilt, squared):
    """Lines turned by more than a pixel over a stretch were left in as ink (predict32's lines were level or 2 degrees
    off it)."""
    sheet = pen_drawings[digit]
    clean = images.to_mnist(_noisy(sheet, digit))
    lined = images.to_mnist(_noisy(digit_pictures.lined(sheet, 36, vertical=squared, tilt=tilt, level=140, width=2, seed=digit), digit))
    assert digit_pictures.ink_box(lined) == pytest.approx(digit_pictures.ink_box(clean), abs=1)
    assert digit_pictures.shifted_correlation(lined, clean) > 0.85
    assert predict_arrays(bundled, [lined]).argmax() == digit


@pytest.mark.parametrize("tilt", [-12.0, -4.5, 3.0, 8.0])
def test_lines_slope_is_the_drawn_lines_tilt(tilt):
    mask = digit_pictures.lined(np.full((240, 320), 242.0), 30, tilt=tilt, level=140) < 200
    # (Pillow turns the picture counter-clockwise: a line's rows fall as its columns grow)
    assert images._lines_slope(mask) == pytest.approx(-np.tan(np.radians(tilt)), abs=np.tan(np.radians(0.5)))


def test_lines_slope_of_level_lines_or_none_is_zero(pen_drawings):
    assert images._lines_slope(digit_pictures.lined(np.full((240, 320), 242.0), 30, level=140) < 200) == 0.0
    assert images._lines_slope(pen_drawings[4] < 128) == 0.0
    assert images._lines_slope(np.zeros((20, 30), bool)) == 0.0


@pytest.mark.parametrize("slope", [-0.2, -0.05, 0.1, 0.25])
def test_sheared_indices_move_every_pixel_somewhere_else_and_straighten_lines(slope):
    shape = (37, 53)
    rows, cols = images._sheared_indices(shape, slope)
    assert rows.min() == 0 and cols.min() == 0
    assert len(np.unique(rows * (cols.max() + 1) + cols)) == rows.size  # no two pixels meet
    # A digital line of that slope, and a line across it, land within a pixel of one row or one column.
    for start in (0, 10, 30):
        xs = np.arange(shape[1])
        ys = np.rint(start + xs * slope).astype(int)
        inside = (ys >= 0) & (ys < shape[0])
        assert np.ptp(rows[ys[inside], xs[inside]]) <= 1
        ys = np.arange(shape[0])
        xs = np.rint(start - ys * slope).astype(int)
        inside = (xs >= 0) & (xs < shape[1])
        assert np.ptp(cols[ys[inside], xs[inside]]) <= 2


# ------------------------------------------------------------------ a printed box the digit touches


ALONG_THE_STROKE = pytest.mark.xfail(strict=True, reason="a box's side drawn along the digit's outermost stroke, "
                                                        "5 px inside its edge, takes the sliver outside it along")


@pytest.mark.parametrize("digit, sides", [(2, "bottom"), (3, "left_top"), (4, "right"), (7, "bottom"),
                                          (0, "left_top"), pytest.param(0, "right", marks=ALONG_THE_STROKE)])
def test_a_box_the_digit_reaches_across_is_not_the_digit(bundled, pen_drawings, digit, sides):
    """The box's side drawn a few pixels inside the digit's outermost ink on the named sides."""
    sheet = pen_drawings[digit]
    rows, cols = np.nonzero(sheet < 128)
    inset = {side: (5 if side in sides else -12) for side in ("left", "top", "right", "bottom")}
    box = (cols.min() + inset["left"], rows.min() + inset["top"], cols.max() - inset["right"],
           rows.max() - inset["bottom"])
    image = Image.fromarray(np.uint8(sheet))
    ImageDraw.Draw(image).rectangle(box, outline=90, width=3)
    clean = images.to_mnist(_noisy(sheet, digit))
    boxed = images.to_mnist(_noisy(np.asarray(image, np.float64), digit))
    assert digit_pictures.ink_box(boxed) == pytest.approx(digit_pictures.ink_box(clean), abs=1)
    assert digit_pictures.shifted_correlation(boxed, clean) > 0.8
    assert predict_arrays(bundled, [boxed]).argmax() == digit


@pytest.mark.parametrize("digit", [1, 4, 7])
def test_a_digit_with_long_straight_strokes_is_no_box(pen_drawings, digit):
    strokes = pen_drawings[digit] < 128
    assert images._box_around(strokes) is None


# ------------------------------------------------------------------ glare and MNIST's strokes


@pytest.mark.parametrize("digit", [0, 2, 3])
def test_ink_faded_by_glare_is_brought_up_to_the_ink_beside_it(pen_drawings, digit):
    """The right half of the drawing faded to 30% of its contrast (a wide glare): the same field as unfaded."""
    sheet = pen_drawings[digit]
    faded = sheet.copy()
    faded[:, 170:] = 242.0 - 0.3 * (242.0 - sheet[:, 170:])
    clean = images.to_mnist(_noisy(sheet, digit))
    glared = images.to_mnist(_noisy(faded, digit))
    assert digit_pictures.ink_box(glared) == pytest.approx(digit_pictures.ink_box(clean), abs=1)
    assert digit_pictures.shifted_correlation(glared, clean) > 0.9  # 0.68 to 0.87 before


@pytest.mark.parametrize("pen", [2, 4, 7])
def test_strokes_come_out_as_wide_as_mnists(pen):
    """A ring drawn with a fine pen on a large picture: its stroke in the field is as wide as MNIST's median stroke
    (1.2 to 1.7 pixels before), measured as the next test measures MNIST's."""
    picture = Image.new("L", (420, 420), 240)
    ImageDraw.Draw(picture).ellipse((60, 60, 360, 360), outline=30, width=pen)
    field = images.to_mnist(_noisy(np.asarray(picture, np.float64), pen))
    assert _width(field) == pytest.approx(images.MNIST_STROKE, abs=0.3)


def test_mnists_median_stroke_is_the_width_aimed_at():
    """MNIST's own test digits, measured as the ring above: the constant is their median."""
    from torchless.vision import datasets

    try:
        digits = datasets.MNIST(None, train=False, download=False).data.numpy()[:500] / 255.0
    except RuntimeError:
        pytest.skip("no bundled MNIST")
    assert np.median([_width(d) for d in digits]) == pytest.approx(images.MNIST_STROKE, abs=0.15)


def _width(field):
    """The strokes' mean width where ``field`` is at least half its brightest: twice their area over their outline
    (a stroke w wide and l long has area w * l and an outline 2 * l long), the outline counted in pixel edges, which
    overcount a slanted line's length by 4/pi on average."""
    mask = field >= 0.5 * field.max()
    return 2.0 * np.count_nonzero(mask) / (_outline(mask) * np.pi / 4)


def _outline(mask):
    """The number of pixel edges between ``mask`` and its outside, by brute force."""
    padded = np.pad(mask, 1)
    count = 0
    for y in range(padded.shape[0]):
        for x in range(padded.shape[1]):
            count += int(y + 1 < padded.shape[0] and padded[y, x] != padded[y + 1, x])
            count += int(x + 1 < padded.shape[1] and padded[y, x] != padded[y, x + 1])
    return count


@pytest.mark.parametrize("every", [True, False])
@pytest.mark.parametrize("size", [1, 3, 7])
@pytest.mark.parametrize("density", [0.3, 0.8])
def test_square_filter_is_the_squares_all_or_any(every, size, density):
    """Against a brute-force window over the mask padded by its edge."""
    mask = np.random.default_rng(size).random((23, 31)) < density
    half = size // 2
    padded = np.pad(mask, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (size, size))
    expected = windows.all(axis=(-2, -1)) if every else windows.any(axis=(-2, -1))
    np.testing.assert_array_equal(images._square_filter(mask, size, every), expected)
