"""``torchless.vision.transforms.v2``: the tutorial pipelines (``ToImage``, ``ToDtype(float32, scale=True)``,
``Normalize``) against the same computation done by hand with NumPy and Pillow, ``ToImage``/``ToDtype``
against NumPy references written from torchvision's v2 rules, and the v1 classes re-exported under v2.
"""
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import torchless
from torchless.vision import transforms as T
from torchless.vision.transforms import functional as F
from torchless.vision.transforms import v2

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def pil():
    return pytest.importorskip("PIL.Image")


def noise(*shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape).astype(np.uint8)


def by_hand_normalized(hwc_uint8):
    """ToImage + ToDtype(float32, scale=True) + Normalize, written with NumPy: x * (1/255), then (x - m) / s."""
    chw = hwc_uint8.transpose(2, 0, 1).astype(np.float32) * np.float32(1 / 255)
    mean = np.array(MEAN, np.float32)[:, None, None]
    std = np.array(STD, np.float32)[:, None, None]
    return (chw - mean) / std


def tutorial_pipeline():
    return v2.Compose([v2.ToImage(), v2.ToDtype(torchless.float32, scale=True), v2.Normalize(MEAN, STD)])


# ------------------------------------------------------------------------------------ tutorial pipelines
def test_tutorial_pipeline_on_a_pil_image_matches_numpy_by_hand():
    Image = pil()
    pixels = noise(7, 9, 3)
    out = tutorial_pipeline()(Image.fromarray(pixels, "RGB"))
    assert out.dtype == torchless.float32 and tuple(out.shape) == (3, 7, 9)
    np.testing.assert_allclose(out.numpy(), by_hand_normalized(pixels), rtol=1e-6, atol=1e-6)


def test_tutorial_pipeline_on_an_array_matches_numpy_by_hand():
    pixels = noise(5, 4, 3, seed=1)
    np.testing.assert_allclose(tutorial_pipeline()(pixels).numpy(), by_hand_normalized(pixels), rtol=1e-6, atol=1e-6)


def test_d2l_resize_pipeline_on_a_grayscale_pil_image_matches_pillow_by_hand():
    Image = pil()
    image = Image.fromarray(noise(28, 28, seed=2), "L")
    out = v2.Compose([v2.Resize(32), v2.ToImage(), v2.ToDtype(torchless.float32, scale=True)])(image)
    resized = np.asarray(image.resize((32, 32), Image.BILINEAR))
    np.testing.assert_array_equal(out.numpy(), resized[None].astype(np.float32) * np.float32(1 / 255))


def test_augmenting_pipeline_gives_the_v1_result_under_the_same_seed():
    pixels = noise(40, 50, 3, seed=3)
    # v2's geometric transforms take tensors and PIL images (an array passes through, and leaves them no image to
    # size up): ToImage comes first
    v2_pipeline = v2.Compose([v2.ToImage(), v2.RandomResizedCrop(24, antialias=True), v2.RandomHorizontalFlip(p=0.5),
                              v2.ToDtype(torchless.float32, scale=True)])
    v1_pipeline = T.Compose([T.RandomResizedCrop(24, antialias=True), T.RandomHorizontalFlip(p=0.5),
                             T.PILToTensor()])
    torchless.manual_seed(5)
    got = v2_pipeline(pixels)
    torchless.manual_seed(5)
    reference = v1_pipeline(pixels).numpy().astype(np.float32) * np.float32(1 / 255)
    # the same crop and flip; v2 resizes the uint8 tensor with torch's integer kernel (a unit apart at times)
    np.testing.assert_allclose(got.numpy(), reference, rtol=0, atol=1.01 / 255)


# ------------------------------------------------------------------------------------------------ ToImage
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_to_image_moves_channels_first_and_keeps_dtype_and_values(dtype):
    pixels = noise(3, 4, 2).astype(dtype)
    out = v2.ToImage()(pixels)
    assert out.dtype == torchless.from_numpy(pixels).dtype
    np.testing.assert_array_equal(out.numpy(), pixels.transpose(2, 0, 1))


def test_to_image_gives_a_2d_array_or_tensor_one_channel():
    pixels = noise(3, 4)
    np.testing.assert_array_equal(v2.ToImage()(pixels).numpy(), pixels[None])
    np.testing.assert_array_equal(v2.ToImage()(torchless.from_numpy(pixels)).numpy(), pixels[None])


def test_to_image_wraps_a_chw_tensor_as_an_image():
    from torchless.vision import tv_tensors

    image = torchless.from_numpy(noise(3, 4, 5))
    out = v2.ToImage()(image)
    assert type(out) is tv_tensors.Image
    np.testing.assert_array_equal(out.numpy(), image.numpy())


def test_to_image_reads_a_pil_image_unscaled():
    Image = pil()
    pixels = noise(6, 5, 3, seed=4)
    out = v2.ToImage()(Image.fromarray(pixels, "RGB"))
    assert out.dtype == torchless.uint8
    np.testing.assert_array_equal(out.numpy(), pixels.transpose(2, 0, 1))


def test_to_image_passes_other_inputs_through_but_its_functional_refuses_them():
    label = 3
    assert v2.ToImage()(label) is label
    with pytest.raises(TypeError, match="Input can either be a pure Tensor, a numpy array, or a PIL image, but got"):
        v2.functional.to_image([1, 2])


# ------------------------------------------------------------------------------------------------ ToDtype
def test_to_dtype_without_scale_only_casts():
    pixels = noise(2, 3, 4)
    out = v2.ToDtype(torchless.float32)(torchless.from_numpy(pixels))
    np.testing.assert_array_equal(out.numpy(), pixels.astype(np.float32))
    floats = np.array([[[0.2, 1.7, -2.5]]], np.float32)
    np.testing.assert_array_equal(v2.ToDtype(torchless.int64)(torchless.from_numpy(floats)).numpy(), [[[0, 1, -2]]])


@pytest.mark.parametrize("dtype, np_dtype", [(torchless.float32, np.float32), (torchless.float64, np.float64)])
def test_to_dtype_scales_uint8_by_multiplying_with_the_reciprocal_of_255(dtype, np_dtype):
    pixels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    out = v2.ToDtype(dtype, scale=True)(torchless.from_numpy(pixels))
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.numpy(), pixels.astype(np_dtype) * np_dtype(1 / 255))


def test_to_dtype_uint8_to_float32_matches_torch_multiplying_by_the_reciprocal():
    torch = pytest.importorskip("torch")
    pixels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    reference = torch.from_numpy(pixels).to(torch.float32).mul_(1.0 / 255).numpy()
    np.testing.assert_array_equal(v2.functional.to_dtype(torchless.from_numpy(pixels), scale=True).numpy(), reference)


@pytest.mark.parametrize("np_dtype", [np.float32, np.float64])
def test_to_dtype_scales_floats_to_uint8_by_255_999_and_truncates(np_dtype):
    values = np.linspace(0, 1, 1001, dtype=np_dtype).reshape(1, 7, 143)
    out = v2.ToDtype(torchless.uint8, scale=True)(torchless.from_numpy(values))
    assert out.dtype == torchless.uint8
    np.testing.assert_array_equal(out.numpy(), (values * np_dtype(256 - 1e-3)).astype(np.uint8))
    assert out.numpy().max() == 255


def test_to_dtype_returns_the_input_when_the_dtype_is_already_right():
    image = torchless.from_numpy(noise(1, 2, 2))
    assert v2.ToDtype(torchless.uint8, scale=True)(image) is image


def test_to_dtype_refuses_unsafe_float_to_int_scaling():
    image = torchless.from_numpy(np.zeros((1, 2, 2), np.float32))
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        v2.ToDtype(torchless.int32, scale=True)(image)


def test_to_dtype_takes_a_dict_and_refuses_a_non_dtype():
    # a dict from input type to dtype, as torchvision's (a plain tensor is looked up as its type, then "others")
    image = torchless.zeros(3, 2, 2, dtype=torchless.uint8)
    assert v2.ToDtype({"others": torchless.float32})(image).dtype == torchless.float32
    assert v2.ToDtype({torchless.Tensor: None, "others": torchless.float32})(image) is image
    with pytest.raises(ValueError, match="No dtype was specified for type"):
        v2.ToDtype({str: torchless.float32})(image)
    with pytest.raises(ValueError, match="dtype must be a dict or a torch.dtype, got <class 'str'> instead"):
        v2.ToDtype("float32")


def test_to_dtype_passes_non_tensors_through():
    pixels = noise(2, 2, 3)
    assert v2.ToDtype(torchless.float32, scale=True)(pixels) is pixels


def test_convert_image_dtype_is_to_dtype_with_scale_and_defaults_to_float32():
    pixels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    out = v2.ConvertImageDtype()(torchless.from_numpy(pixels))
    np.testing.assert_array_equal(out.numpy(), pixels.astype(np.float32) * np.float32(1 / 255))


# -------------------------------------------------------------------------------- ToPureTensor, ToTensor
def test_to_pure_tensor_returns_its_input():
    image = torchless.from_numpy(noise(3, 2, 2))
    assert v2.ToPureTensor()(image) is image


def test_v2_to_tensor_warns_that_it_is_deprecated_and_acts_as_v1():
    deprecation = r"The transform `ToTensor\(\)` is deprecated .* scale=True\)\]\)`\.Output is equivalent up "
    with pytest.warns(UserWarning, match=deprecation):
        transform = v2.ToTensor()
    pixels = noise(4, 3, 3)
    np.testing.assert_array_equal(transform(pixels).numpy(), pixels.transpose(2, 0, 1).astype(np.float32) / 255)


def test_v2_functional_to_tensor_warns_and_the_rest_are_v1():
    with pytest.warns(UserWarning, match=r"The function `to_tensor\(\.\.\.\)` is deprecated"):
        v2.functional.to_tensor(noise(2, 2))
    # hflip dispatches on tv_tensors as horizontal_flip does; on a plain tensor it is v1's
    image = torchless.from_numpy(noise(3, 4, 5))
    np.testing.assert_array_equal(v2.functional.hflip(image).numpy(), F.hflip(image).numpy())
    assert {"to_image", "to_dtype", "hflip"} <= set(v2.functional.__all__)


# ------------------------------------------------------------------------------------- v1 classes as v2
SHARED = ["Compose", "RandomApply", "RandomChoice", "RandomOrder", "Normalize", "Resize", "CenterCrop", "RandomCrop",
          "RandomResizedCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "RandomRotation", "RandomAffine",
          "RandomPerspective", "ColorJitter", "GaussianBlur", "Grayscale", "RandomGrayscale", "RandomInvert",
          "RandomPosterize", "RandomSolarize", "RandomAdjustSharpness", "RandomAutocontrast", "RandomEqualize",
          "RandomErasing", "Pad", "FiveCrop", "TenCrop", "Lambda", "ToPILImage", "PILToTensor"]


# v2's colour functionals differ from v1's (float posterize/equalize, errors, batch dimensions), and so do v2's
# arguments and reprs: these classes are v1's subclassed to call them / to take and show v2's arguments
V2_SUBCLASSED = ["GaussianBlur", "Grayscale", "RandomGrayscale", "RandomInvert", "RandomPosterize", "RandomSolarize",
                 "RandomAdjustSharpness", "RandomAutocontrast", "RandomEqualize", "Compose", "RandomApply",
                 "RandomChoice", "RandomOrder", "Normalize", "Resize", "CenterCrop", "RandomCrop", "RandomResizedCrop",
                 "RandomRotation", "RandomAffine", "RandomPerspective", "ColorJitter", "RandomErasing", "Pad", "Lambda",
                 "RandomHorizontalFlip", "RandomVerticalFlip", "ToPILImage", "PILToTensor", "FiveCrop", "TenCrop"]


@pytest.mark.parametrize("name", SHARED)
def test_v1_transforms_are_re_exported_under_their_names(name):
    if name in V2_SUBCLASSED:
        assert issubclass(getattr(v2, name), getattr(T, name)) and getattr(v2, name) is not getattr(T, name)
    else:
        assert getattr(v2, name) is getattr(T, name)
    assert name in v2.__all__


# ----------------------------------------------------------------------------------------------- reprs
def test_reprs_list_plain_attributes_as_torchvision_v2_does():
    assert repr(v2.ToDtype(torchless.float32, scale=True)) == "ToDtype(scale=True)"
    assert repr(v2.ToImage()) == "ToImage()"
    assert repr(v2.ToPureTensor()) == "ToPureTensor()"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(v2.ToTensor()) == "ToTensor()"
    # torchvision 0.29.1's repr of the same pipeline (nn.Module's layout indents v2 Compose's lines by 2 more)
    assert repr(tutorial_pipeline()) == ("Compose(\n      ToImage()\n      ToDtype(scale=True)\n"
                                         "      Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225], "
                                         "inplace=False)\n)")


# ------------------------------------------------------------------------------------ reprs
# torchvision 0.29.1's reprs, stored by tests/fixtures/torchvision/make_fixtures.py --v2-reprs
REPR_FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "torchvision" / "v2_reprs.json").read_text())


def _named_function(x):
    return x


def _built(module, name, args):
    _named_function.__name__ = "fn"  # the cases' ``fn``, as make_fixtures.py names it
    return eval(f"T.{name}({args})", {"T": module, "dt": torchless, "fn": _named_function, "int": int,
                                      "float": float})


@pytest.mark.parametrize("case", REPR_FIXTURE["cases"], ids=lambda case: f"{case['name']}({case['args']})")
def test_repr_matches_torchvision(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(_built(v2, case["name"], case["args"])) == case["v2"]
        if "v1" in case:
            assert repr(_built(T, case["name"], case["args"])) == case["v1"]


# torchvision's v2 rule for size=None: short, long = the edges; the new long edge is max_size, the new short one
# int(max_size * short / long). Worked by hand: 20x40 -> 5x10, 40x20 -> 10x5, 30x30 -> 10x10, 7x3 -> 10x4
# (int(30 / 7) = 4), 3x7 -> 4x10, and 5x10 (already fitting) stays 5x10; 12x40 -> 3x10 (int(3.0) = 3).
@pytest.mark.parametrize("hw, expected", [((20, 40), (5, 10)), ((40, 20), (10, 5)), ((30, 30), (10, 10)),
                                          ((7, 3), (10, 4)), ((3, 7), (4, 10)), ((5, 10), (5, 10)),
                                          ((12, 40), (3, 10))])
def test_v2_resize_with_size_none_fits_the_longer_edge_to_max_size(hw, expected):
    image = torchless.rand(3, *hw)
    resize = v2.Resize(None, max_size=10)
    assert tuple(resize(image).shape) == (3, *expected)
    assert tuple(v2.functional.resize(image, None, max_size=10).shape) == (3, *expected)
    assert tuple(v2.Resize(size=None, max_size=10, antialias=False)(image).shape) == (3, *expected)
    assert resize.size is None and resize.max_size == 10


def test_v2_resize_with_size_none_repr_and_errors():
    # torchvision 0.29.1 prints no size (a None attribute is left out of v2's reprs)
    assert repr(v2.Resize(None, max_size=10)) == "Resize(interpolation=bilinear, max_size=10, antialias=True)"
    for make in (lambda: v2.Resize(None), lambda: v2.Resize(None, max_size=10.0),
                 lambda: v2.functional.resize(torchless.rand(1, 4, 4), None)):
        with pytest.raises(ValueError, match=r"^max_size must be an integer when size is None, but got (None|10\.0) "
                                             r"instead\.$"):
            make()
    with pytest.raises(ValueError, match=r"^max_size should only be passed if size is None or specifies the length "
                                         r"of the smaller edge, i\.e\. size should be an int or a sequence of length 1 "
                                         r"in torchscript mode\.$"):
        v2.functional.resize(torchless.rand(1, 4, 4), [3, 4], max_size=10)
    with pytest.raises(ValueError, match="^This should never happen!!$"):  # v1 keeps refusing size=None
        F.resize(torchless.rand(1, 4, 4), None, max_size=10)
