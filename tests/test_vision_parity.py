"""torchless.vision against torchvision's own outputs on a small crop of a real photograph.

torchvision is not installed here: ``fixtures/torchvision/parity.npz`` holds the crop, files made from it and
what torchvision 0.29 (torch 2.14) returned for them, written by ``fixtures/torchvision/make_fixtures.py``.
Each case is one that torchless got wrong before it was compared with torchvision.
"""
from pathlib import Path

import numpy as np
import pytest

import torchless
import torchless.vision.transforms.functional as F
from torchless.vision import io as vio
from torchless.vision.io import ImageReadMode
from torchless.vision.transforms import InterpolationMode

FIXTURE = np.load(Path(__file__).parent / "fixtures" / "torchvision" / "parity.npz")
RGB = FIXTURE["rgb"]  # 3 x 11 x 15 uint8 crop of a colour photograph


@pytest.fixture
def Image():
    return pytest.importorskip("PIL.Image")


def file_bytes(name):
    return torchless.from_numpy(FIXTURE[f"file_{name}"].copy())


# ---------------------------------------------------------------------------------------------- decoding
FILES = sorted((key[len("file_"):] for key in FIXTURE.files if key.startswith("file_")), key=len, reverse=True)
DECODED = sorted(key for key in FIXTURE.files if key.startswith("decode_") and key != "decode_png_p_GRAY_ALPHA")


@pytest.mark.parametrize("key", DECODED)
def test_decode_image_gives_torchvisions_channels_and_values(Image, key):
    # decode_png_p_GRAY_ALPHA is left out: torchvision reads libpng's one grey channel as two (its bug)
    name, mode = next((name, key[len(f"decode_{name}_"):]) for name in FILES if key.startswith(f"decode_{name}_"))
    out = vio.decode_image(file_bytes(name), ImageReadMode[mode])
    assert out.dtype == torchless.uint8
    np.testing.assert_array_equal(out.numpy(), FIXTURE[key])


def test_png_gray_uses_libpngs_weights_not_pillows(Image):
    # Pillow's convert("L") rounds 0.299 R + 0.587 G + 0.114 B; libpng truncates its own 15-bit weights
    pillow = np.asarray(Image.fromarray(RGB.transpose(1, 2, 0)).convert("L"))
    assert not np.array_equal(pillow, FIXTURE["decode_png_rgb_GRAY"][0])
    np.testing.assert_array_equal(vio.decode_png(file_bytes("png_rgb"), "GRAY").numpy(), FIXTURE["decode_png_rgb_GRAY"])


def test_jpeg_gray_is_the_luma_plane_libjpeg_decodes(Image):
    out = vio.decode_jpeg(file_bytes("jpg_rgb"), ImageReadMode.GRAY).numpy()
    np.testing.assert_array_equal(out, FIXTURE["decode_jpg_rgb_GRAY"])
    outs = vio.decode_jpeg([file_bytes("jpg_rgb")] * 2, ImageReadMode.GRAY)
    assert isinstance(outs, list) and len(outs) == 2
    np.testing.assert_array_equal(outs[1].numpy(), FIXTURE["decode_jpg_rgb_GRAY"])


def test_palette_png_unchanged_is_its_indices_and_gif_always_rgb(Image):
    assert vio.decode_png(file_bytes("png_p")).shape == (1, 11, 15)
    for mode in ("UNCHANGED", "GRAY", "RGB"):
        np.testing.assert_array_equal(vio.decode_image(file_bytes("gif"), mode).numpy(), FIXTURE["decode_gif_RGB"])
    np.testing.assert_array_equal(vio.decode_gif(file_bytes("gif")).numpy(), FIXTURE["decode_gif_RGB"])


def test_format_specific_decoders_refuse_other_formats_with_torchvisions_messages(Image):
    with pytest.raises(RuntimeError, match="Content is not png!"):
        vio.decode_png(file_bytes("jpg_rgb"))
    with pytest.raises(RuntimeError, match="Not a JPEG file: starts with 0x89 0x50"):
        vio.decode_jpeg(file_bytes("png_rgb"))
    with pytest.raises(ValueError, match="Input list must contain at least one element"):
        vio.decode_jpeg([])
    with pytest.raises(RuntimeError, match="The provided mode is not supported for JPEG files"):
        vio.decode_jpeg(file_bytes("jpg_cmyk"), ImageReadMode.RGB_ALPHA)


def test_decode_image_refuses_formats_torchvision_has_no_decoder_for(Image, tmp_path):
    Image.fromarray(RGB.transpose(1, 2, 0)).save(tmp_path / "crop.bmp")
    with pytest.raises(RuntimeError, match="Only jpeg, png, webp and gif are currently supported"):
        vio.read_image(tmp_path / "crop.bmp")


def test_read_modes_are_looked_up_by_name_as_torchvision_does():
    data = file_bytes("png_rgb")
    with pytest.raises(KeyError):
        vio.decode_image(data, "CMYK")
    with pytest.raises(AttributeError):
        vio.decode_image(data, 1)


def test_encode_jpeg_takes_a_list(Image):
    encoded = vio.encode_jpeg([torchless.from_numpy(RGB.copy())] * 2, quality=90)
    assert isinstance(encoded, list) and len(encoded) == 2 and encoded[0].dtype == torchless.uint8
    with pytest.raises(ValueError, match="at least one input tensor"):
        vio.encode_jpeg([])


# ---------------------------------------------------------------------------------------------- transforms
@pytest.mark.parametrize("size", [(7, 5), (19, 24)])
@pytest.mark.parametrize("antialias", [True, False])
def test_bicubic_resize_of_tensors_matches_torchvision(size, antialias):
    key = f"{size[0]}x{size[1]}_{'aa' if antialias else 'noaa'}"
    image = torchless.from_numpy(RGB.copy())
    out = F.resize(image, list(size), InterpolationMode.BICUBIC, antialias=antialias)
    assert out.dtype == torchless.uint8
    assert np.abs(out.numpy().astype(int) - FIXTURE[f"bicubic_u8_{key}"]).max() <= 1  # float32 rounding
    floats = F.resize(image.float() / 255, list(size), InterpolationMode.BICUBIC, antialias=antialias)
    np.testing.assert_allclose(floats.numpy(), FIXTURE[f"bicubic_f32_{key}"], atol=2e-6)


def test_tensor_resize_errors_are_torchs():
    image = torchless.from_numpy(RGB.copy())
    with pytest.raises(ValueError, match="Lanczos mode requires antialias=True"):
        F.resize(image, [5, 5], InterpolationMode.LANCZOS)
    with pytest.raises(NotImplementedError, match=r"\(got box\)"):
        F.resize(image, [5, 5], InterpolationMode.BOX)
    with pytest.raises(RuntimeError, match=r"output \(H: 0, W: 5\)"):
        F.resize(image, [0, 5])
    with pytest.raises(ValueError, match="This should never happen!!"):
        F.resize(image, None, max_size=20)


def test_adjust_hue_of_uint8_truncates_back_as_convert_image_dtype():
    out = F.adjust_hue(torchless.from_numpy(RGB.copy()), 0.23)
    np.testing.assert_array_equal(out.numpy(), FIXTURE["hue_u8"])


def test_nearest_rotation_and_affine_round_ties_as_torchvision():
    image = torchless.from_numpy(RGB.copy())
    np.testing.assert_array_equal(F.rotate(image, 30.0).numpy(), FIXTURE["rotate30_nearest_u8"])
    np.testing.assert_array_equal(F.affine(image, 33.0, [1, -2], 1.1, [7.0, 0.0]).numpy(),
                                  FIXTURE["affine_nearest_u8"])


def test_gaussian_blur_kernel_is_computed_in_float64_for_float64_images():
    image = torchless.from_numpy(RGB.astype(np.float64) / 255)
    np.testing.assert_allclose(F.gaussian_blur(image, [5, 3], [1.3, 0.8]).numpy(), FIXTURE["blur_f64"], atol=1e-12)


def test_int16_tensor_becomes_an_i16_pil_image(Image):
    pic = F.to_pil_image(torchless.from_numpy(FIXTURE["int16"].copy())[None])
    assert pic.mode == "I;16"
    np.testing.assert_array_equal(np.asarray(pic), FIXTURE["int16_pil"])


def test_reflect_padding_error_is_torchs():
    with pytest.raises(RuntimeError, match=r"Argument #4: .* \(20, 20\) at dimension 3 of input \[1, 3, 11, 15\]"):
        F.pad(torchless.from_numpy(RGB.copy()), 20, padding_mode="reflect")
    with pytest.raises(RuntimeError, match=r"Argument #6: .* padding \(11, 11\) at dimension 2"):
        F.pad(torchless.from_numpy(RGB.copy()), [1, 11], padding_mode="reflect")


def test_non_images_get_the_message_of_torchviss_pillow_functions():
    with pytest.raises(TypeError, match="img should be PIL Image. Got <class 'list'>"):
        F.adjust_brightness([1, 2], 0.5)
    with pytest.raises(TypeError, match="img should be PIL Image. Got"):
        F.hflip([1, 2])
    with pytest.raises(TypeError, match="img should be PIL Image or Tensor. Got"):
        F.gaussian_blur([1, 2], 3)
