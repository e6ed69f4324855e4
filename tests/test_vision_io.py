"""``torchless.vision.io``: image files as uint8 C x H x W tensors. References are Pillow's own reading
and conversion (``Image.open(...).convert(mode)``) and NumPy; error messages are torchvision's."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import torchless
from torchless.vision import io as vio
from torchless.vision.io import ImageReadMode

DIGITS = Path(__file__).parent / "fixtures" / "digits"


@pytest.fixture
def Image():
    return pytest.importorskip("PIL.Image")


def noise(*shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape).astype(np.uint8)


def pillow_chw(path_or_image, mode=None):
    """What Pillow reads, converted to ``mode`` when given, as a C x H x W array."""
    from PIL import Image
    image = Image.open(path_or_image) if isinstance(path_or_image, (str, Path)) else path_or_image
    if mode is not None:
        image = image.convert(mode)
    array = np.asarray(image)
    return (array[:, :, None] if array.ndim == 2 else array).transpose(2, 0, 1)


def test_importing_torchless_imports_neither_pil_nor_vision():
    code = "import sys, torchless; print('PIL' in sys.modules, 'torchless.vision' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split() \
        == ["False", "False"]


def test_io_loads_as_a_lazy_vision_submodule():
    import torchless.vision
    assert torchless.vision.io.read_image is vio.read_image


# ------------------------------------------------------------------------------------------- read_file
def test_read_file_gives_the_bytes_as_a_1d_uint8_tensor():
    path = DIGITS / "7_pen.png"
    data = vio.read_file(path)
    assert data.dtype == torchless.uint8 and data.ndim == 1
    assert data.numpy().tobytes() == path.read_bytes()


def test_read_file_of_a_missing_file_raises_runtime_error(tmp_path):
    with pytest.raises(RuntimeError, match="No such file"):
        vio.read_file(tmp_path / "missing.png")


# ------------------------------------------------------------------------------------------ read_image
@pytest.mark.parametrize("name", ["0_pen.png", "3_canvas.png", "7_pen.jpg"])
def test_read_image_unchanged_gives_the_files_channels_as_pillow_reads_them(Image, name):
    out = vio.read_image(DIGITS / name)
    assert out.dtype == torchless.uint8
    np.testing.assert_array_equal(out.numpy(), pillow_chw(DIGITS / name))


@pytest.mark.parametrize("mode, pil_mode", [(ImageReadMode.RGB, "RGB"), (ImageReadMode.RGB_ALPHA, "RGBA"),
                                            ("RGBA", "RGBA")])
@pytest.mark.parametrize("name", ["0_pen.png", "3_canvas.png"])
def test_read_image_modes_convert_as_pillow_does(Image, mode, pil_mode, name):
    out = vio.read_image(DIGITS / name, mode)
    np.testing.assert_array_equal(out.numpy(), pillow_chw(DIGITS / name, pil_mode))


@pytest.mark.parametrize("mode", [ImageReadMode.GRAY, ImageReadMode.GRAY_ALPHA, "gray"])
@pytest.mark.parametrize("name", ["0_pen.png", "3_canvas.png"])
def test_gray_modes_of_colour_pngs_use_libpngs_truncated_weights(Image, mode, name):
    # torchvision's libpng: png_set_rgb_to_gray(png, 1, 0.2989, 0.587), i.e. 9794 R + 19234 G + 3740 B over 2 ** 15,
    # truncated (Pillow's convert("L") rounds 0.299 / 0.587 / 0.114 instead); tests/test_vision_parity.py
    # checks it against torchvision's own output
    rgba = pillow_chw(DIGITS / name, "RGBA").astype(np.int64)
    luma = (9794 * rgba[0] + 19234 * rgba[1] + 3740 * rgba[2]) >> 15
    expected = np.stack([luma] if mode != ImageReadMode.GRAY_ALPHA else [luma, rgba[3]]).astype(np.uint8)
    np.testing.assert_array_equal(vio.read_image(DIGITS / name, mode).numpy(), expected)


def test_rgb_mode_turns_a_grayscale_png_into_three_equal_channels(Image, tmp_path):
    gray = noise(6, 7, seed=1)
    Image.fromarray(gray, "L").save(tmp_path / "gray.png")
    out = vio.read_image(tmp_path / "gray.png", ImageReadMode.RGB).numpy()
    np.testing.assert_array_equal(out, np.stack([gray] * 3))
    np.testing.assert_array_equal(vio.read_image(tmp_path / "gray.png").numpy(), gray[None])


def test_palette_pngs_keep_their_indices_unless_a_mode_expands_them(Image, tmp_path):
    # torchvision asks libpng to expand the palette only for an explicit mode: UNCHANGED gives the indices
    rgb = noise(5, 6, 3, seed=2)
    palette = Image.fromarray(rgb, "RGB").quantize(20)
    palette.save(tmp_path / "p.png")
    np.testing.assert_array_equal(vio.read_image(tmp_path / "p.png").numpy(), np.asarray(palette)[None])
    np.testing.assert_array_equal(vio.read_image(tmp_path / "p.png", "RGB").numpy(), pillow_chw(palette, "RGB"))
    palette.save(tmp_path / "pt.png", transparency=0)
    out = vio.read_image(tmp_path / "pt.png", ImageReadMode.RGB_ALPHA).numpy()
    np.testing.assert_array_equal(out, pillow_chw(tmp_path / "pt.png", "RGBA"))
    assert (out[3] == 0).any()


# --------------------------------------------------------------------------------------------- PNG out
@pytest.mark.parametrize("channels", [1, 3])
def test_write_png_then_read_image_gives_the_pixels_back(Image, tmp_path, channels):
    pixels = noise(channels, 9, 11, seed=channels)
    vio.write_png(torchless.from_numpy(pixels), tmp_path / "out.png", compression_level=9)
    np.testing.assert_array_equal(vio.read_image(tmp_path / "out.png").numpy(), pixels)
    np.testing.assert_array_equal(pillow_chw(tmp_path / "out.png"), pixels)


def test_encode_png_then_decode_image_gives_the_pixels_back(Image):
    pixels = noise(3, 4, 5, seed=3)
    encoded = vio.encode_png(torchless.from_numpy(pixels), compression_level=0)
    assert encoded.dtype == torchless.uint8 and encoded.ndim == 1
    assert encoded.numpy()[:4].tobytes() == b"\x89PNG"
    np.testing.assert_array_equal(vio.decode_image(encoded).numpy(), pixels)


def test_decode_image_takes_a_path(Image):
    np.testing.assert_array_equal(vio.decode_image(str(DIGITS / "1_pen.png")).numpy(),
                                  pillow_chw(DIGITS / "1_pen.png"))


# -------------------------------------------------------------------------------------------- JPEG out
def test_encode_jpeg_matches_pillows_jpeg_at_the_same_quality(Image):
    import io
    pixels = noise(3, 16, 16, seed=4)
    encoded = vio.encode_jpeg(torchless.from_numpy(pixels), quality=90)
    buffer = io.BytesIO()
    Image.fromarray(pixels.transpose(1, 2, 0), "RGB").save(buffer, format="JPEG", quality=90)
    np.testing.assert_array_equal(vio.decode_image(encoded).numpy(), pillow_chw(Image.open(buffer)))


def test_write_jpeg_writes_a_jpeg_close_to_the_input(Image, tmp_path):
    smooth = np.broadcast_to(np.linspace(0, 255, 32).astype(np.uint8), (1, 32, 32)).copy()
    vio.write_jpeg(torchless.from_numpy(smooth), tmp_path / "out.jpg", quality=95)
    assert (tmp_path / "out.jpg").read_bytes()[:3] == b"\xff\xd8\xff"
    out = vio.read_image(tmp_path / "out.jpg").numpy()
    assert out.shape == (1, 32, 32) and np.abs(out.astype(int) - smooth).max() <= 4


# --------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("data, message", [
    (np.zeros(8, np.float32), "Expected a torch.uint8 tensor"),
    (np.zeros((2, 4), np.uint8), "Expected a non empty 1-dimensional tensor"),
    (np.zeros(0, np.uint8), "Expected a non empty 1-dimensional tensor"),
    (np.frombuffer(b"not an image at all", np.uint8).copy(), "Unsupported image file"),
])
def test_decode_image_refuses_what_torchvision_refuses(Image, data, message):
    with pytest.raises(RuntimeError, match=message):
        vio.decode_image(torchless.from_numpy(data))


@pytest.mark.parametrize("encode", [vio.encode_png, vio.encode_jpeg])
@pytest.mark.parametrize("image, message", [
    (np.zeros((3, 2, 2), np.float32), "Input tensor dtype should be uint8"),
    (np.zeros((2, 2), np.uint8), "Input data should be a 3-dimensional tensor"),
    (np.zeros((2, 2, 2), np.uint8), "The number of channels should be 1 or 3, got: 2"),
])
def test_encoders_refuse_what_torchvision_refuses(Image, encode, image, message):
    with pytest.raises(RuntimeError, match=message):
        encode(torchless.from_numpy(image))


def test_encoders_check_their_levels():
    image = torchless.from_numpy(np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(RuntimeError, match="Compression level should be between 0 and 9"):
        vio.encode_png(image, compression_level=10)
    with pytest.raises(ValueError, match="Image quality should be a positive number between 1 and 100"):
        vio.encode_jpeg(image, quality=0)


def test_read_modes_have_torchvisions_values_and_unknown_names_are_refused():
    assert [m.value for m in ImageReadMode] == [0, 1, 2, 3, 4]
    assert ImageReadMode.RGBA is ImageReadMode.RGB_ALPHA
    with pytest.raises(KeyError, match="CMYK"):  # torchvision: ImageReadMode[mode.upper()]
        vio.decode_image(torchless.from_numpy(np.zeros(4, np.uint8)), "CMYK")
