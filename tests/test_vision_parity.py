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


# ---------------------------------------------------------------------------------------------- v2's colour functions
def test_v2_posterize_and_equalize_take_float_images_as_torchvision_v2():
    from torchless.vision.transforms import v2
    floats = torchless.from_numpy(RGB.copy()).float() / 255
    out = v2.functional.posterize(floats, 3)
    assert out.dtype == torchless.float32
    np.testing.assert_array_equal(out.numpy(), FIXTURE["v2_posterize3_f32"])
    np.testing.assert_array_equal(v2.functional.equalize(floats).numpy(), FIXTURE["v2_equalize_f32"])
    batch = v2.functional.equalize(floats.double()[None, None])
    assert batch.dtype == torchless.float64
    np.testing.assert_array_equal(batch.numpy(), FIXTURE["v2_equalize_f64_batch"])
    np.testing.assert_array_equal(v2.RandomPosterize(3, p=1.0)(floats).numpy(), FIXTURE["v2_posterize3_f32"])
    np.testing.assert_array_equal(v2.RandomEqualize(p=1.0)(floats).numpy(), FIXTURE["v2_equalize_f32"])
    with pytest.raises(TypeError, match="Only torch.uint8 image tensors are supported"):
        F.posterize(floats, 3)  # v1 still refuses them, as torchvision's v1
    with pytest.raises(TypeError, match=r"bits must be a positive integer in the range \[0, 8\], got 9 instead."):
        v2.functional.posterize(floats, 9)


def test_v2_grayscale_repeats_one_channel_to_three():
    from torchless.vision.transforms import v2
    one = torchless.from_numpy(RGB[:1].copy())
    np.testing.assert_array_equal(v2.functional.rgb_to_grayscale(one, 3).numpy(), FIXTURE["v2_grayscale_1to3"])
    np.testing.assert_array_equal(v2.Grayscale(3)(one).numpy(), FIXTURE["v2_grayscale_1to3"])
    assert tuple(F.rgb_to_grayscale(one, 3).shape) == (1, 11, 15)  # v1 returns it as it is


def test_v2_errors_for_bool_images_and_thresholds_are_v2s():
    from torchless.vision.transforms import v2
    mask = torchless.from_numpy(RGB.copy()) > 100
    for call in (lambda: v2.functional.invert(mask), lambda: v2.functional.solarize(mask, 0.5),
                 lambda: v2.RandomInvert(p=1.0)(mask)):
        with pytest.raises(TypeError, match=r"Number of value bits is only defined for integer dtypes, but got "
                                            r"torchless.bool."):
            call()
    assert v2.functional.autocontrast(mask).dtype == torchless.bool  # v2 takes them here
    with pytest.raises(TypeError, match="Threshold should be less or equal the maximum value of the dtype, but got 300"):
        v2.functional.solarize(torchless.from_numpy(RGB.copy()), 300)
    with pytest.raises(TypeError, match="Threshold should be less than bound of img."):
        F.solarize(torchless.from_numpy(RGB.copy()), 300)  # v1's wording


def test_v2_reprs_of_random_colour_transforms_put_p_first():
    from torchless.vision.transforms import v2
    assert repr(v2.RandomPosterize(3)) == "RandomPosterize(p=0.5, bits=3)"
    assert repr(v2.RandomSolarize(0.5)) == "RandomSolarize(p=0.5, threshold=0.5)"
    assert repr(v2.RandomAdjustSharpness(2)) == "RandomAdjustSharpness(p=0.5, sharpness_factor=2)"


# ------------------------------------------------------------ v1 errors and arithmetic, against torch 2.x itself
torch = pytest.importorskip("torch")


def test_bool_images_raise_torchs_subtraction_error():
    # what torchvision's v1 ``bound - img`` runs into: torch 2.13's RuntimeError (torchless's own subtraction's)
    with pytest.raises(RuntimeError) as expected:
        1 - torch.zeros(3, dtype=torch.bool)
    mask = torchless.from_numpy(RGB.copy()) > 100
    for call in (lambda: F.invert(mask), lambda: F.solarize(mask, 0.5), lambda: F.autocontrast(mask),
                 lambda: F.invert(mask[:1]), lambda: F.autocontrast(mask[None])):
        with pytest.raises(RuntimeError) as raised:
            call()
        assert type(raised.value) is type(expected.value)
        assert str(raised.value) == str(expected.value)


def test_five_dimensional_tensors_raise_torchs_conv2d_and_pad_errors():
    floats = np.ascontiguousarray(RGB[None, None] / 255.0, dtype=np.float32)
    with pytest.raises(RuntimeError) as conv:
        torch.nn.functional.conv2d(torch.from_numpy(floats), torch.zeros(3, 1, 3, 3), groups=3)
    with pytest.raises(RuntimeError) as raised:
        F.adjust_sharpness(torchless.from_numpy(floats), 2.0)
    assert str(raised.value) == str(conv.value)
    with pytest.raises(NotImplementedError) as pad:
        torch.nn.functional.pad(torch.from_numpy(floats), [1, 1, 2, 2], mode="reflect")
    with pytest.raises(NotImplementedError) as raised:
        F.gaussian_blur(torchless.from_numpy(floats), [3, 5], [1.0, 1.0])
    assert str(raised.value) == str(pad.value)
    from torchless.vision.transforms import v2  # v2 takes any batch dimensions
    blurred = v2.functional.gaussian_blur(torchless.from_numpy(floats), [3, 5], [1.0, 1.0])
    np.testing.assert_array_equal(  # (v2's own kernel, a softmax: v1's differs in last bits)
        blurred.numpy()[0, 0], v2.functional.gaussian_blur(torchless.from_numpy(floats[0, 0]), [3, 5], [1.0, 1.0]).numpy())
    sharp = v2.functional.adjust_sharpness(torchless.from_numpy(floats), 2.0)
    np.testing.assert_array_equal(sharp.numpy()[0], F.adjust_sharpness(torchless.from_numpy(floats[0]), 2.0).numpy())


def test_autocontrast_scale_is_torchs_reciprocal_times_bound():
    # torchvision: scale = bound / (maximum - minimum), which PyTorch computes as (max - min).reciprocal() * bound
    pixels = np.random.default_rng(0).integers(0, 256, (3, 6, 7), dtype=np.uint8)
    image = torch.from_numpy(pixels)
    minimum = image.amin(dim=(-2, -1), keepdim=True).float()
    maximum = image.amax(dim=(-2, -1), keepdim=True).float()
    expected = ((image - minimum) * (255.0 / (maximum - minimum))).clamp(0, 255).to(torch.uint8)
    np.testing.assert_array_equal(F.autocontrast(torchless.from_numpy(pixels)).numpy(), expected.numpy())


def test_integer_solarize_thresholds_wrap_to_the_dtype_as_torch_scalars():
    pixels = np.array([[[0, 5, 255]]], np.uint8)
    expected = torch.where(torch.from_numpy(pixels) >= -1, 255 - torch.from_numpy(pixels), torch.from_numpy(pixels))
    np.testing.assert_array_equal(F.solarize(torchless.from_numpy(pixels), -1).numpy(), expected.numpy())
