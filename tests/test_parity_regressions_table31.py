"""`torchless predict` on a photo of a sheet lying on a darker table (session 31, table31).

When the paper does not fill the frame, the ink along the paper's edge with the table is a ring heavier than the
digit: the bundled model named none of 18 such photos. The table is now found (the dark pieces touching the
picture's edge, by Otsu's threshold) and left out of the ink. The references here are the same sheet without
its table, the sheet's known outline in the generated pictures, and a brute-force Otsu.
"""

import numpy as np
import pytest

Image = pytest.importorskip("PIL.Image")

from torchless.cli import images  # noqa: E402  (after the skip without Pillow)
from torchless.cli.predict import predict_arrays, read_digit  # noqa: E402
import digit_pictures  # noqa: E402  (PIL.Image, imported there too)

DIGITS = digit_pictures.DIGITS
TABLE_PHOTOS = sorted((DIGITS / "photos").glob("[0-9]_table.jpg"))


@pytest.fixture(scope="module")
def pen_drawings():
    return digit_pictures.pen_drawings()


# ------------------------------------------------------------------ the committed pictures


def test_the_table_pictures_are_committed():
    assert [p.name for p in TABLE_PHOTOS] == ["2_table.jpg", "3_table.jpg", "5_table.jpg", "6_table.jpg",
                                              "8_table.jpg", "9_table.jpg"]


def test_the_bundled_model_names_the_sheets_on_a_table(bundled):
    predicted = predict_arrays(bundled, [read_digit(str(p)) for p in TABLE_PHOTOS]).argmax(1)
    assert [int(c) for c in predicted] == [int(p.name[0]) for p in TABLE_PHOTOS]  # 2 of 6 before


def test_the_generator_redraws_the_committed_pictures(generator, tmp_path):
    for path in TABLE_PHOTOS:
        digit = int(path.name[0])
        image, _ = generator.on_a_table(digit, generator.TABLES[digit], np.random.default_rng([digit, 31, 31]))
        image.save(tmp_path / path.name, quality=75)
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()


@pytest.mark.parametrize("digit", [2, 3, 5, 6, 8, 9])
def test_the_table_mask_is_the_outside_of_the_known_sheet(generator, digit):
    image, sheet = generator.on_a_table(digit, generator.TABLES[digit], np.random.default_rng([digit, 31, 31]))
    table = images._table(np.asarray(image.convert("L"), np.float64))
    assert table is not None and table.shape == sheet.shape
    # The sheet's edge is blurred and the mask widened over it by a few pixels: beyond those, exact.
    assert not table[digit_pictures.eroded(sheet, images.TABLE_RIM + 2)].any()
    assert table[digit_pictures.eroded(~sheet, 2)].all()


# ------------------------------------------------------------------ a sheet pasted on a table


def _on_a_table(sheet, margins, table=60.0, turn=0.0, lamp=0.0, wood=0.0, seed=0):
    """``sheet`` (grey levels) turned by ``turn`` degrees and laid on a ``table`` level frame, ``margins`` (top,
    bottom, left, right) pixels wide, lit brighter towards one corner by ``lamp``, with a wavy ``wood`` grain."""
    sheet = _turned(sheet, turn, fill=-1.0)  # (negative: the table's)
    top, bottom, left, right = margins
    height, width = sheet.shape[0] + top + bottom, sheet.shape[1] + left + right
    ys, xs = np.indices((height, width))
    rng = np.random.default_rng(seed)
    frame = table * (1 + lamp * (1 - ys / height) * (xs / width))
    frame = frame + wood * np.sin(xs / 7.0 + 3 * np.sin(ys / 40.0)) + rng.normal(0, wood / 2, frame.shape)
    inner = frame[top : top + sheet.shape[0], left : left + sheet.shape[1]]
    inner[...] = np.where(sheet >= 0, sheet, inner)
    return np.clip(frame + rng.normal(0, 3, frame.shape), 0, 255)


def _turned(sheet, turn, fill):
    """``sheet`` turned by ``turn`` degrees, the corners it leaves bare at level ``fill``."""
    turned = Image.fromarray(sheet.astype(np.float32), "F").rotate(turn, Image.BILINEAR, expand=True, fillcolor=fill)
    return np.asarray(turned, np.float64)


def _sheet(pen_drawing, size=600):
    """A ``size`` sheet at grey level 240 with the pen drawing's digit in its middle half."""
    drawing = np.asarray(Image.fromarray(np.uint8(pen_drawing)).resize((size // 2, size // 2)), np.float64)
    sheet = np.full((size, size), 240.0)
    sheet[size // 4 : size // 4 + size // 2, size // 4 : size // 4 + size // 2] -= 200 * (255 - drawing) / 255
    return sheet


TABLES = {
    "around": dict(margins=(60, 60, 60, 60)),
    "one_side": dict(margins=(0, 0, 80, 0)),
    "corner": dict(margins=(70, 0, 0, 90)),
    "lamp": dict(margins=(60, 60, 60, 60), lamp=1.5),
    "turned": dict(margins=(40, 40, 40, 40), turn=10.0),
    "wood": dict(margins=(60, 60, 60, 60), table=110.0, wood=25.0),
    "small": dict(margins=(300, 300, 300, 300)),  # a sheet a sixteenth of the picture
}


@pytest.mark.parametrize("table", sorted(TABLES))
@pytest.mark.parametrize("digit", [0, 2, 3, 4, 7])
def test_a_sheet_on_a_table_reads_as_the_sheet_alone(bundled, pen_drawings, digit, table):
    sheet = _sheet(pen_drawings[digit])
    alone = images.to_mnist(_turned(sheet, TABLES[table].get("turn", 0.0), fill=240.0))
    framed = images.to_mnist(_on_a_table(sheet, seed=digit, **TABLES[table]))
    assert digit_pictures.ink_box(framed) == pytest.approx(digit_pictures.ink_box(alone), abs=1)
    assert digit_pictures.shifted_correlation(framed, alone) > 0.85
    assert predict_arrays(bundled, [framed]).argmax() == digit


@pytest.mark.parametrize("digit", [0, 3, 7])
def test_a_table_is_found_beside_a_shadow_on_the_sheet(pen_drawings, digit):
    """The shadow, joined to the table, is the darker of the two modes; the table is what is darker still."""
    margins = (50, 70, 60, 40)
    sheet = _sheet(pen_drawings[digit]) * np.where(np.arange(600) < 300, 0.6, 1.0)
    table = images._table(_on_a_table(sheet, margins, seed=digit))
    outline = np.zeros(table.shape, bool)
    outline[50:650, 60:660] = True
    assert not table[digit_pictures.eroded(outline, images.TABLE_RIM + 1)].any()
    assert table[digit_pictures.eroded(~outline, 1)].all()


# ------------------------------------------------------------------ what is no table


def test_a_sheet_filling_the_picture_has_no_table(pen_drawings):
    assert images._table(_sheet(pen_drawings[3])) is None


def test_a_light_digit_on_black_is_no_sheet(pen_drawings):
    """The black around a screenshot's white strokes touches every edge, but the strokes are no solid sheet."""
    assert images._table(255.0 - pen_drawings[0]) is None


@pytest.mark.parametrize("level", [0.0, 128.0, 255.0])
def test_a_blank_picture_has_no_table(level):
    assert images._table(np.full((40, 50), level)) is None


def test_a_shadow_holding_the_digit_is_no_table(pen_drawings):
    """A phone's shadow darkens one side of the sheet down to a table's level and reaches the edge, but the
    digit's strokes inside it are far darker than it: the strokes must stay ink."""
    grey = pen_drawings[4]
    shadowed = grey * np.where(np.indices(grey.shape)[1] < grey.shape[1] * 0.55, 0.45, 1.0)
    assert images._table(shadowed) is None


# ------------------------------------------------------------------ Otsu's threshold against brute force


@pytest.mark.parametrize("seed", range(4))
def test_otsu_threshold_maximises_the_spread_between_classes(seed):
    rng = np.random.default_rng(seed)
    levels = np.concatenate([rng.normal(rng.uniform(30, 110), 15, 3000), rng.normal(rng.uniform(150, 230), 20, 5000)])
    counts = np.bincount(np.clip(levels, 0, 255).astype(np.uint8), minlength=256).astype(np.float64)
    values = np.arange(256.0)

    def between(t):
        dark, bright = counts[:t], counts[t:]
        if dark.sum() == 0 or bright.sum() == 0:
            return -1.0
        mean_dark = (dark * values[:t]).sum() / dark.sum()
        mean_bright = (bright * values[t:]).sum() / bright.sum()
        return dark.sum() * bright.sum() * (mean_dark - mean_bright) ** 2

    spreads = [between(t) for t in range(1, 256)]
    found = images._otsu_threshold(counts.astype(np.int64))
    assert between(found) == pytest.approx(max(spreads), rel=1e-12)
