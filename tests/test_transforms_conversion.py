"""Conversions between tensors, arrays and PIL images, and between image dtypes: to_pil_image / ToPILImage,
pil_to_tensor / PILToTensor, convert_image_dtype / ConvertImageDtype.

Expected values are written out from torchvision's rules (mode inference, ``* 255`` then truncation,
``max + 1 - 0.001`` for float -> int, whole-bit shifts between integer types), and the error messages
from torchvision's source.
"""
import subprocess
import sys

import numpy as np
import pytest

import torchless
from torchless.vision import transforms as T
from torchless.vision.transforms import functional as F


def pil():
    return pytest.importorskip("PIL.Image")


def noise(*shape, dtype=np.uint8, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape).astype(dtype)


# ------------------------------------------------------------------------------------------ to_pil_image
@pytest.mark.parametrize("channels, mode", [(1, "L"), (2, "LA"), (3, "RGB"), (4, "RGBA")])
def test_uint8_tensors_and_arrays_infer_the_mode_from_the_channels(channels, mode):
    pil()
    hwc = noise(5, 7, channels)
    from_tensor = F.to_pil_image(torchless.tensor(hwc.transpose(2, 0, 1).copy()))
    from_array = T.ToPILImage()(hwc)
    for image in (from_tensor, from_array):
        assert image.mode == mode and image.size == (7, 5)
        np.testing.assert_array_equal(np.asarray(image), hwc[..., 0] if channels == 1 else hwc)


def test_two_dimensional_inputs_are_one_channel_images():
    pil()
    grey = noise(4, 6)
    assert np.array_equal(np.asarray(F.to_pil_image(grey)), grey) and F.to_pil_image(grey).mode == "L"
    assert np.array_equal(np.asarray(F.to_pil_image(torchless.tensor(grey))), grey)


def test_float_images_are_scaled_by_255_and_truncated():
    pil()
    chw = np.array([[[0.0, 0.5, 0.999], [1.0, 0.2, 0.0039]]], np.float32)
    image = F.to_pil_image(torchless.tensor(chw))
    # 0.5 * 255 = 127.5 -> 127; 0.999 * 255 = 254.7 -> 254; 0.0039 * 255 = 0.99 -> 0
    assert image.mode == "L" and np.asarray(image).tolist() == [[0, 127, 254], [255, 51, 0]]
    rgb = np.random.default_rng(1).random((3, 4, 5))
    expected = (rgb.transpose(1, 2, 0) * 255).astype(np.uint8)
    np.testing.assert_array_equal(np.asarray(F.to_pil_image(torchless.tensor(rgb))), expected)


def test_mode_f_keeps_float32_values_and_int32_gives_mode_i():
    pil()
    values = np.array([[0.25, -3.5], [1e6, 2.0]], np.float32)
    image = F.to_pil_image(torchless.tensor(values[None]), mode="F")
    assert image.mode == "F" and np.array_equal(np.asarray(image), values)
    ints = np.array([[-5, 70000]], np.int32)
    image = T.ToPILImage()(torchless.tensor(ints[None]))
    assert image.mode == "I" and np.asarray(image).tolist() == [[-5, 70000]]


def test_round_trips_through_pil_images_are_exact():
    Image = pil()
    hwc = noise(9, 11, 3, seed=2)
    image = Image.fromarray(hwc)
    assert np.array_equal(np.asarray(F.to_pil_image(F.pil_to_tensor(image))), hwc)
    assert np.array_equal(np.asarray(F.to_pil_image(F.to_tensor(image))), hwc)  # v / 255 * 255 truncates to v
    every_level = np.arange(256, dtype=np.uint8).reshape(16, 16)
    assert np.array_equal(np.asarray(T.ToPILImage()(T.ToTensor()(every_level))), every_level)


def test_to_pil_image_errors_as_torchvision():
    pil()
    with pytest.raises(TypeError, match=r"pic should be Tensor or ndarray. Got <class 'list'>."):
        F.to_pil_image([[1, 2]])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4 dimensions."):
        F.to_pil_image(torchless.zeros(1, 1, 2, 2))
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 1 dimensions."):
        F.to_pil_image(np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="pic should not have > 4 channels. Got 5 channels."):
        F.to_pil_image(torchless.zeros(5, 2, 2))
    with pytest.raises(ValueError, match=r"Incorrect mode \(RGB\) supplied for input type <class 'numpy.dtype'>. "
                                         r"Should be L"):
        F.to_pil_image(np.zeros((2, 2), np.uint8), mode="RGB")
    with pytest.raises(ValueError, match=r"Only modes \['LA'\] are supported for 2D inputs"):
        F.to_pil_image(np.zeros((2, 2, 2), np.uint8), mode="RGBA")
    with pytest.raises(ValueError, match=r"Only modes \['RGB', 'YCbCr', 'HSV'\] are supported for 3D inputs"):
        F.to_pil_image(np.zeros((2, 2, 3), np.uint8), mode="LA")
    with pytest.raises(ValueError, match=r"Only modes \['RGBA', 'CMYK', 'RGBX'\] are supported for 4D inputs"):
        F.to_pil_image(np.zeros((2, 2, 4), np.uint8), mode="RGB")
    with pytest.raises(TypeError, match="Input type int64 is not supported"):
        F.to_pil_image(np.zeros((2, 2), np.int64))
    with pytest.raises(TypeError, match="Input type int32 is not supported"):
        F.to_pil_image(np.zeros((2, 2, 3), np.int32))


def test_other_three_channel_modes_are_passed_to_pillow():
    pil()
    hwc = noise(3, 4, 3, seed=5)
    image = F.to_pil_image(hwc, mode="YCbCr")
    assert image.mode == "YCbCr" and np.array_equal(np.asarray(image), hwc)


def test_to_pil_image_without_pillow_says_how_to_install_it():
    code = ("import sys; sys.modules['PIL'] = None\n"
            "import numpy as np\n"
            "from torchless.vision.transforms import functional as F\n"
            "F.to_pil_image(np.zeros((2, 2), np.uint8))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode != 0
    assert "ImportError: converting to a PIL image needs Pillow: pip install 'torchless[viz]'" in done.stderr


# ------------------------------------------------------------------------------------------ pil_to_tensor
@pytest.mark.parametrize("mode, channels, dtype", [("L", 1, np.uint8), ("LA", 2, np.uint8), ("RGB", 3, np.uint8),
                                                   ("RGBA", 4, np.uint8), ("I", 1, np.int32), ("F", 1, np.float32)])
def test_pil_to_tensor_keeps_values_and_dtype(mode, channels, dtype):
    Image = pil()
    hwc = noise(6, 5, channels, seed=3)
    if dtype != np.uint8:  # values beyond 8 bits, negative ones too
        hwc = (hwc.astype(dtype) * 1000 - 7).astype(dtype)
    image = Image.fromarray(hwc[..., 0] if channels == 1 else hwc, mode)
    out = T.PILToTensor()(image)
    assert tuple(out.shape) == (channels, 6, 5) and out.dtype == torchless.tensor(np.zeros(1, dtype)).dtype
    np.testing.assert_array_equal(out.numpy(), hwc.transpose(2, 0, 1))


def test_pil_to_tensor_of_binary_images_and_arrays():
    Image = pil()
    bits = Image.fromarray(np.array([[0, 255, 255]], np.uint8)).convert("1")
    assert F.pil_to_tensor(bits).numpy().tolist() == [[[False, True, True]]]  # unscaled, unlike to_tensor
    hwc = noise(3, 4, 3, seed=8)
    out = F.pil_to_tensor(hwc)  # an array standing in for a PIL image
    assert out.dtype == torchless.uint8 and np.array_equal(out.numpy(), hwc.transpose(2, 0, 1))
    hwc[0, 0, 0] ^= 1
    assert out.numpy()[0, 0, 0] != hwc[0, 0, 0]  # a copy, as torchvision's


def test_pil_to_tensor_errors():
    with pytest.raises(TypeError, match=r"pic should be PIL Image. Got <class 'torchless.Tensor'>"):
        F.pil_to_tensor(torchless.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 1 dimensions."):
        F.pil_to_tensor(np.zeros(4, np.uint8))
    assert repr(T.PILToTensor()) == "PILToTensor()"
    assert repr(T.ToPILImage()) == "ToPILImage()" and repr(T.ToPILImage("RGBA")) == "ToPILImage(mode=RGBA)"


# ------------------------------------------------------------------------------------ convert_image_dtype
def test_uint8_to_float_divides_by_255_and_back_multiplies_by_255_999():
    levels = torchless.tensor(np.arange(256, dtype=np.uint8).reshape(1, 16, 16))
    as_float = F.convert_image_dtype(levels)
    assert as_float.dtype == torchless.float32
    np.testing.assert_array_equal(as_float.numpy(), np.arange(256, dtype=np.float32).reshape(1, 16, 16) / 255)
    back = T.ConvertImageDtype(torchless.uint8)(as_float)
    assert back.dtype == torchless.uint8 and np.array_equal(back.numpy(), levels.numpy())


def test_float_to_int_gives_each_integer_an_equal_share_of_the_unit_interval():
    x = torchless.tensor(np.array([0.0, 0.00390, 0.00391, 0.5, 0.99609, 0.9961, 1.0], np.float32))
    # floor(x * 255.999): the 256 levels split [0, 1] into equal parts, 1.0 alone reaching 255
    assert F.convert_image_dtype(x, torchless.uint8).numpy().tolist() == [0, 0, 1, 127, 254, 255, 255]
    assert F.convert_image_dtype(x, torchless.int8).numpy().tolist() == [0, 0, 0, 63, 127, 127, 127]
    assert F.convert_image_dtype(torchless.tensor([0.5], dtype=torchless.float64), torchless.int32).item() == \
        int(0.5 * (2147483647 + 1 - 0.001))


@pytest.mark.parametrize("source, target, values, expected", [
    (np.uint8, torchless.int16, [0, 1, 128, 255], [0, 128, 16384, 32640]),    # * (32768 // 256)
    (np.int16, torchless.uint8, [0, 127, 128, 32767], [0, 0, 1, 255]),       # // 128
    (np.int32, torchless.int16, [65535, 65536, 2147483647], [0, 1, 32767]),  # // 65536
    (np.int8, torchless.uint8, [0, 1, 127], [0, 2, 254]),                   # * 2: int8's maximum is not mapped to 255
    (np.uint8, torchless.int64, [1, 255], [2 ** 55, 255 * 2 ** 55]),
])
def test_integer_to_integer_shifts_by_whole_bits(source, target, values, expected):
    out = F.convert_image_dtype(torchless.tensor(np.array(values, source)), target)
    assert out.dtype == target and out.numpy().tolist() == expected


def test_int_to_float_and_float_to_float():
    out = F.convert_image_dtype(torchless.tensor(np.array([0, 16384, 32767], np.int16)), torchless.float64)
    assert out.dtype == torchless.float64 and out.numpy().tolist() == [0.0, 16384 / 32767, 1.0]
    halves = F.convert_image_dtype(torchless.tensor(np.array([0.25, 1.0], np.float64)), torchless.float32)
    assert halves.dtype == torchless.float32 and halves.numpy().tolist() == [0.25, 1.0]


def test_same_dtype_returns_the_input_itself():
    x = torchless.rand(3, 2, 2)
    assert F.convert_image_dtype(x, torchless.float32) is x


@pytest.mark.parametrize("source, target", [(torchless.float32, torchless.int32), (torchless.float32, torchless.int64),
                                            (torchless.float64, torchless.int64)])
def test_unsafe_float_to_int_casts_raise(source, target):
    with pytest.raises(RuntimeError, match=f"The cast from {source} to {target} cannot be performed safely."):
        F.convert_image_dtype(torchless.zeros(1, 2, 2, dtype=source), target)


def test_convert_image_dtype_takes_tensors_only():
    with pytest.raises(TypeError, match="Input img should be Tensor Image"):
        F.convert_image_dtype(np.zeros((2, 2), np.uint8))
    assert repr(T.ConvertImageDtype(torchless.float32)) == "ConvertImageDtype()"
