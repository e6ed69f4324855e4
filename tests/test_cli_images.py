"""What `torchless predict` makes of one pen-drawn digit stored the many ways real files store a picture.

Scanners write 16-bit greyscale PNGs, scientific tools float TIFFs, and phones JPEGs whose pixels lie on their
side with the right way up recorded in EXIF. Each file below holds the same drawing as the 8-bit greyscale
reference (decoded by Pillow's own 8-bit path), so each must give the same MNIST-like field and the same class.
"""
import io
import pathlib

import numpy as np
import pytest

Image = pytest.importorskip("PIL.Image")

from torchless.cli.images import decode_image, to_mnist  # noqa: E402  (after the skip without Pillow)

DIGITS = pathlib.Path(__file__).parent / "fixtures" / "digits"
EXIF_ORIENTATION = 0x0112


def _encoded(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def pen_seven():
    with Image.open(DIGITS / "7_pen.png") as image:
        return image.convert("L")


def _sixteen_bit(grey):
    return Image.fromarray(np.asarray(grey, np.uint16) * 257)  # 255 -> 65535: the same levels in 16 bits


def _thirty_two_bit(grey):
    return Image.fromarray(np.asarray(grey, np.int32) * 257)


def _float_unit(grey):
    return Image.fromarray(np.asarray(grey, np.float32) / 255)


def _float_levels(grey):
    return Image.fromarray(np.asarray(grey, np.float32))


@pytest.mark.parametrize("make, fmt", [
    (_sixteen_bit, "PNG"), (_sixteen_bit, "TIFF"), (_thirty_two_bit, "TIFF"), (_float_unit, "TIFF"),
    (_float_levels, "TIFF"),
], ids=["I;16 png", "I;16 tiff", "I tiff", "F tiff in [0, 1]", "F tiff in [0, 255]"])
def test_high_depth_images_keep_their_grey_levels(pen_seven, make, fmt):
    reference = np.asarray(pen_seven, np.float64)
    decoded = decode_image(_encoded(make(pen_seven), fmt), "seven")
    np.testing.assert_allclose(decoded, reference, atol=1e-4)
    np.testing.assert_allclose(to_mnist(decoded), to_mnist(reference), atol=1e-5)


@pytest.mark.parametrize("orientation, undo", [
    (3, Image.Transpose.ROTATE_180), (6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270),
    (2, Image.Transpose.FLIP_LEFT_RIGHT),
])
def test_exif_orientation_is_applied(pen_seven, orientation, undo):
    """The pixels are stored turned; EXIF's tag says how to turn them back (as every photo viewer does)."""
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    stored = pen_seven.transpose(undo).convert("RGB")
    data = _encoded(stored, "PNG", exif=exif.tobytes())  # PNG: lossless, so the comparison can be exact
    np.testing.assert_array_equal(decode_image(data, "photo"), np.asarray(pen_seven, np.float64))


ROTATIONS = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


@pytest.fixture(scope="module")
def course_model():
    from torchless.models import pretrained

    return pretrained("course").eval()


@pytest.mark.parametrize("digit", [0, 2, 3, 4, 7])
@pytest.mark.parametrize("orientation", sorted(ROTATIONS))
def test_turned_phone_photos_are_recognised(course_model, digit, orientation, tmp_path):
    """Read as stored, most of these turned digits are taken for others (a 3 on its side for a 6 or a 4)."""
    from torchless.cli.predict import predict_arrays, read_digit

    with Image.open(DIGITS / f"{digit}_pen.png") as image:
        stored = image.convert("RGB").transpose(ROTATIONS[orientation])
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    photo = tmp_path / "digit.jpg"
    photo.write_bytes(_encoded(stored, "JPEG", exif=exif.tobytes(), quality=95))
    assert predict_arrays(course_model, [read_digit(str(photo))]).argmax() == digit


def _photographed(drawing, light, seed):
    """``drawing`` on a sheet three times its size, lit by ``light`` (a function of the sheet's coordinates in
    [0, 1]), with sensor noise, as a JPEG a phone would write."""
    height, width = drawing.shape
    sheet = np.full((3 * height, 3 * width), 255.0)
    sheet[height // 2 : height // 2 + height, width : 2 * width] = drawing
    ys, xs = np.mgrid[0 : sheet.shape[0], 0 : sheet.shape[1]]
    lit = sheet * light(ys / ys.max(), xs / xs.max())
    lit += np.random.default_rng(seed).normal(0.0, 6.0, sheet.shape)
    grey = np.clip(lit, 0, 255).astype(np.uint8)
    return _encoded(Image.fromarray(np.stack([grey, grey * 0.95, grey * 0.9], -1).astype(np.uint8)), "JPEG",
                    quality=80)


LIGHTS = {
    "even": lambda y, x: np.ones_like(x),
    "dim room": lambda y, x: np.full_like(x, 0.5),  # the paper reads 127: below the old fixed threshold
    "dark room": lambda y, x: np.full_like(x, 0.3),
    "lamp on the right": lambda y, x: 0.55 + 0.45 * x,  # the left edge is darker than the ink's contrast
    "lens falloff": lambda y, x: 1 - 0.9 * ((y - 0.5) ** 2 + (x - 0.5) ** 2),
}


@pytest.mark.parametrize("light", sorted(LIGHTS))
@pytest.mark.parametrize("digit", [0, 1, 2, 3, 4, 7])
def test_photos_in_uneven_light_are_recognised(course_model, digit, light, tmp_path):
    from torchless.cli.predict import predict_arrays, read_digit

    with Image.open(DIGITS / f"{digit}_pen.png") as image:
        drawing = np.asarray(image.convert("L"), np.float64)
    photo = tmp_path / "digit.jpg"
    photo.write_bytes(_photographed(drawing, LIGHTS[light], seed=digit))
    assert predict_arrays(course_model, [read_digit(str(photo))]).argmax() == digit


@pytest.mark.parametrize("light", ["even", "dim room", "lens falloff"])
def test_blank_paper_photos_are_blank(light):
    """Paper with only its grain and the light's falloff holds no digit (rather than a box of noise)."""
    from torchless.cli.errors import CLIError

    grey = decode_image(_photographed(np.full((100, 100), 255.0), LIGHTS[light], seed=0), "paper")
    with pytest.raises(CLIError, match="blank"):
        to_mnist(grey)


@pytest.mark.parametrize("stroke", [1, 11])
def test_drawings_filling_the_image_keep_their_strokes(course_model, stroke):
    """A digit filling its image, drawn thin or with a thick marker (strokes wider than a cell of the paper's
    estimate), is read as it is."""
    from PIL import ImageFilter

    from torchless.cli.predict import predict_arrays

    digits = [0, 1, 2, 3, 4, 7]
    fields = []
    for digit in digits:
        with Image.open(DIGITS / f"{digit}_pen.png") as image:
            fields.append(to_mnist(np.asarray(image.convert("L").filter(ImageFilter.MinFilter(stroke)), np.float64)))
    assert list(predict_arrays(course_model, fields).argmax(1)) == digits
