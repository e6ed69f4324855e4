"""torchless.vision.utils: make_grid against a plain-loop layout written here from torchvision's rules, its
errors with torchvision's types and messages, save_image's pixels read back through Pillow, and the draw_*
functions against torchvision's own pixels (fixtures/torchvision/parity.npz)."""
import io
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

import torchless
from torchless.vision.utils import make_grid, save_image

RNG = np.random.default_rng(7)


# ------------------------------------------------------------------ an independent reference
def reference_batch(images):
    """The (N, C, H, W) float batch make_grid lays out: lists stacked, 2-D/3-D inputs made 4-D, and
    1-channel images repeated to 3 channels."""
    batch = np.stack(images) if isinstance(images, list) else np.array(images)
    if batch.ndim == 2:
        batch = batch[None]
    if batch.ndim == 3:
        batch = batch[None]
    if batch.shape[1] == 1:
        batch = np.concatenate([batch, batch, batch], axis=1)
    return batch


def reference_normalize(batch, value_range, scale_each):
    """Clamp to (low, high), then (x - low) / max(high - low, 1e-5), over the batch or per image."""
    batch = batch.copy()
    groups = [batch[i:i + 1] for i in range(len(batch))] if scale_each else [batch]
    for group in groups:
        low, high = value_range if value_range is not None else (float(group.min()), float(group.max()))
        group[...] = (np.clip(group, low, high) - np.float32(low)) / np.float32(max(high - low, 1e-5))
    return batch


def reference_grid(images, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    batch = reference_batch(images)
    if normalize:
        batch = reference_normalize(batch, value_range, scale_each)
    if len(batch) == 1:
        return batch[0]
    n, channels, h, w = batch.shape
    columns = min(nrow, n)
    rows = math.ceil(n / columns)
    grid = np.full((channels, rows * (h + padding) + padding, columns * (w + padding) + padding), pad_value,
                   batch.dtype)
    for k in range(n):
        top = padding + (k // columns) * (h + padding)
        left = padding + (k % columns) * (w + padding)
        for c in range(channels):
            for i in range(h):
                for j in range(w):
                    grid[c, top + i, left + j] = batch[k, c, i, j]
    return grid


def images(*shape):
    return RNG.uniform(-2.0, 3.0, size=shape).astype(np.float32)


def as_torchless(images):
    return [torchless.from_numpy(i) for i in images] if isinstance(images, list) else torchless.from_numpy(images)


# ------------------------------------------------------------------ layouts
LAYOUTS = [
    # (shape, nrow, padding, pad_value)
    ((8, 3, 4, 5), 8, 2, 0.0),
    ((5, 3, 4, 4), 2, 2, 0.0),      # 5 images, 2 per row: 3 rows, the last half empty
    ((7, 1, 3, 6), 3, 1, 0.5),      # greyscale: 3 channels in the grid
    ((3, 3, 2, 2), 8, 0, 0.0),      # no padding; fewer images than nrow
    ((10, 3, 5, 3), 4, 3, -1.0),
    ((2, 2, 3, 3), 1, 2, 0.25),     # 2 channels stay 2; one column
    ((4, 4, 3, 3), 2, 1, 1.0),      # RGBA
    ((9, 1, 2, 2), 3, 5, 0.75),     # padding wider than the images
    ((1, 3, 4, 4), 8, 2, 0.0),      # a batch of one: the image itself
    ((1, 1, 4, 4), 8, 2, 0.0),
    ((3, 4, 5), 8, 2, 0.0),         # one C x H x W image
    ((1, 4, 5), 8, 2, 0.0),         # one greyscale image: 3 x H x W
    ((4, 5), 8, 2, 0.0),            # H x W
]


@pytest.mark.parametrize("shape, nrow, padding, pad_value", LAYOUTS)
def test_layout_matches_the_reference(shape, nrow, padding, pad_value):
    batch = images(*shape)
    grid = make_grid(torchless.from_numpy(batch), nrow=nrow, padding=padding, pad_value=pad_value)
    expected = reference_grid(batch, nrow, padding, pad_value=pad_value)
    assert isinstance(grid, torchless.Tensor) and grid.dtype == torchless.float32
    assert tuple(grid.shape) == expected.shape
    np.testing.assert_array_equal(grid.numpy(), expected)


def test_grid_size_formula_and_image_positions():
    # 5 constant images 2 x 3, 2 per row, padding 1: 3 rows; image k fills its cell with k + 1
    batch = np.arange(1, 6, dtype=np.float32)[:, None, None, None] * np.ones((5, 3, 2, 3), np.float32)
    grid = make_grid(torchless.from_numpy(batch), nrow=2, padding=1, pad_value=-1).numpy()
    assert grid.shape == (3, 3 * (2 + 1) + 1, 2 * (3 + 1) + 1)
    assert (grid[:, 1:3, 1:4] == 1).all() and (grid[:, 1:3, 5:8] == 2).all()
    assert (grid[:, 4:6, 1:4] == 3).all() and (grid[:, 7:9, 1:4] == 5).all()
    assert (grid[:, 7:9, 5:8] == -1).all()  # the sixth cell is empty
    assert (grid[:, 0] == -1).all() and (grid[:, :, 0] == -1).all() and (grid[:, 3] == -1).all()


def test_list_of_images_is_stacked():
    batch = [images(1, 3, 4) for _ in range(5)]
    grid = make_grid(as_torchless(batch), nrow=3, padding=1)
    np.testing.assert_array_equal(grid.numpy(), reference_grid(batch, 3, 1))
    single = make_grid([torchless.from_numpy(batch[0])])
    np.testing.assert_array_equal(single.numpy(), np.concatenate([batch[0]] * 3))


@pytest.mark.parametrize("value_range", [None, (-1.0, 1.0), (0.5, 2.5), (0, 1), (2.0, 2.0)])
@pytest.mark.parametrize("scale_each", [False, True])
@pytest.mark.parametrize("shape", [(6, 3, 4, 4), (5, 1, 3, 5), (3, 4, 4), (4, 4)])
def test_normalize_matches_the_reference(value_range, scale_each, shape):
    batch = images(*shape)
    grid = make_grid(torchless.from_numpy(batch), nrow=4, padding=1, normalize=True, value_range=value_range,
                     scale_each=scale_each, pad_value=0.5)
    expected = reference_grid(batch, 4, 1, True, value_range, scale_each, pad_value=0.5)
    np.testing.assert_allclose(grid.numpy(), expected, rtol=1e-6, atol=1e-7)
    cells = grid.numpy()
    assert cells.min() >= 0.0 and cells.max() <= 1.0


def test_scale_each_stretches_every_image_to_the_full_range():
    dim = np.array([[[0.0, 0.1], [0.1, 0.05]]], np.float32)     # min 0, max 0.1
    bright = np.array([[[1.0, 0.9], [0.9, 0.95]]], np.float32)  # min 0.9, max 1
    batch = torchless.from_numpy(np.stack([dim, bright]))
    together = make_grid(batch, padding=0, normalize=True).numpy()
    each = make_grid(batch, padding=0, normalize=True, scale_each=True).numpy()
    # over the batch the range is already (0, 1): nothing moves
    np.testing.assert_allclose(together[0], [[0.0, 0.1, 1.0, 0.9], [0.1, 0.05, 0.9, 0.95]], atol=1e-6)
    np.testing.assert_allclose(each[0], [[0.0, 1.0, 1.0, 0.0], [1.0, 0.5, 0.0, 0.5]], atol=1e-5)


def test_constant_image_normalizes_to_zero_not_nan():
    grid = make_grid(torchless.full((2, 3, 2, 2), 4.0), normalize=True, padding=0)
    np.testing.assert_array_equal(grid.numpy(), np.zeros((3, 2, 4), np.float32))


def test_normalize_leaves_the_input_alone_and_other_dtypes_are_kept():
    batch = images(3, 3, 2, 2)
    source = torchless.from_numpy(batch.copy())
    make_grid(source, normalize=True, scale_each=True)
    np.testing.assert_array_equal(source.numpy(), batch)
    doubles = make_grid(torchless.from_numpy(batch.astype(np.float64)), padding=1)
    assert doubles.dtype == torchless.float64
    bytes_ = (np.arange(2 * 3 * 2 * 2) * 9).astype(np.uint8).reshape(2, 3, 2, 2)
    grid = make_grid(torchless.from_numpy(bytes_), padding=1, pad_value=255)
    assert grid.dtype == torchless.uint8
    np.testing.assert_array_equal(grid.numpy(), reference_grid(bytes_, padding=1, pad_value=255))


def test_grid_does_not_track_gradients():
    weights = torchless.randn(4, 1, 3, 3, requires_grad=True)
    assert not make_grid(weights, nrow=2, normalize=True).requires_grad
    assert not make_grid(weights, nrow=2).requires_grad


# ------------------------------------------------------------------ errors (torchvision's types and messages)
@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 3, 4, 4), np.float32), "tensor or list of tensors expected, got <class 'numpy.ndarray'>"),
    ((torchless.zeros(3, 2, 2), torchless.zeros(3, 2, 2)), "tensor or list of tensors expected, got <class 'tuple'>"),
    ([torchless.zeros(3, 2, 2), np.zeros((3, 2, 2))],
     "tensor or list of tensors expected, got a list containing <class 'numpy.ndarray'>"),
    ([torchless.zeros(3, 2, 2), 1.0], "tensor or list of tensors expected, got a list containing <class 'float'>"),
])
def test_non_tensors_are_type_errors(bad, message):
    with pytest.raises(TypeError) as raised:
        make_grid(bad)
    assert str(raised.value) == message


def test_value_range_must_be_a_tuple_when_normalizing():
    with pytest.raises(TypeError) as raised:
        make_grid(torchless.zeros(2, 3, 2, 2), normalize=True, value_range=[0, 1])
    assert str(raised.value) == "value_range has to be a tuple (min, max) if specified. min and max are numbers"
    make_grid(torchless.zeros(2, 3, 2, 2), value_range=[0, 1])  # only checked when normalizing, as torchvision


@pytest.mark.parametrize("torch_call, torchless_call", [
    # make_grid's shape errors are those of the operations it runs (stack; size(2) of a 1-D tensor)
    (lambda: torch.stack([torch.zeros(3, 4, 4), torch.zeros(3, 5, 5)]),
     lambda: make_grid([torchless.zeros(3, 4, 4), torchless.zeros(3, 5, 5)])),
    (lambda: torch.stack([]), lambda: make_grid([])),
    (lambda: torch.zeros(5).size(2), lambda: make_grid(torchless.zeros(5))),
])
def test_shape_errors_are_torchs(torch_call, torchless_call):
    with pytest.raises(Exception) as expected:
        torch_call()
    with pytest.raises(type(expected.value)) as raised:
        torchless_call()
    assert str(raised.value) == str(expected.value)


# ------------------------------------------------------------------ save_image
def expected_pixels(grid):
    """torchvision's conversion: x * 255 + 0.5, clamped to [0, 255], truncated to uint8 (in float32), HWC."""
    scaled = np.clip(grid.astype(np.float32) * np.float32(255) + np.float32(0.5), 0, 255)
    return scaled.astype(np.uint8).transpose(1, 2, 0)


def read_png(source):
    Image = pytest.importorskip("PIL.Image")
    with Image.open(source) as image:
        assert image.format == "PNG"
        return image.mode, np.asarray(image)


def test_save_image_writes_the_grid_pixels(tmp_path):
    pytest.importorskip("PIL")
    batch = images(5, 3, 4, 6) / 3 + 0.2  # spills below 0 and above 1: clamped
    batch[0, 0, 0, :4] = [0.5 / 255, 1.5 / 255, 254.4 / 255, 254.6 / 255]  # rounding, not truncation
    path = tmp_path / "grid.png"
    save_image(torchless.from_numpy(batch), path, nrow=2, padding=1, pad_value=1.0)
    mode, pixels = read_png(path)
    assert mode == "RGB"
    np.testing.assert_array_equal(pixels, expected_pixels(reference_grid(batch, 2, 1, pad_value=1.0)))
    assert list(pixels[1, 1:5, 0]) == [1, 2, 254, 255]


def test_save_image_greyscale_normalized_to_a_file_object():
    pytest.importorskip("PIL")
    batch = images(3, 1, 5, 5)
    stream = io.BytesIO()
    save_image(torchless.from_numpy(batch), stream, format="PNG", normalize=True, padding=0)
    stream.seek(0)
    mode, pixels = read_png(stream)
    assert mode == "RGB" and pixels.shape == (5, 15, 3)
    np.testing.assert_array_equal(pixels, expected_pixels(reference_grid(batch, padding=0, normalize=True)))


def test_save_image_of_one_image_and_a_list(tmp_path):
    pytest.importorskip("PIL")
    image = RNG.uniform(0, 1, (2, 3)).astype(np.float32)
    save_image(torchless.from_numpy(image), tmp_path / "one.png")
    _, pixels = read_png(tmp_path / "one.png")
    np.testing.assert_array_equal(pixels, expected_pixels(np.stack([image] * 3)))
    parts = [RNG.uniform(0, 1, (3, 2, 2)).astype(np.float32) for _ in range(3)]
    save_image(as_torchless(parts), tmp_path / "list.png", nrow=3, padding=1)
    _, pixels = read_png(tmp_path / "list.png")
    np.testing.assert_array_equal(pixels, expected_pixels(reference_grid(parts, 3, 1)))


def test_save_image_without_pillow_names_the_extra(tmp_path):
    code = ("import sys; sys.modules['PIL'] = None\n"
            "import torchless\n"
            "from torchless.vision.utils import make_grid, save_image\n"
            "make_grid(torchless.zeros(2, 3, 2, 2))\n"  # the grid itself needs no Pillow
            f"save_image(torchless.zeros(3, 2, 2), {str(tmp_path / 'x.png')!r})\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode != 0
    assert "ImportError: reading and writing image files needs Pillow: pip install 'torchless[viz]'" in done.stderr


def test_importing_torchless_imports_neither_vision_nor_pil():
    code = ("import sys, torchless; import torchless.vision; "
            "assert not [m for m in sys.modules if m == 'PIL' or m.startswith(('PIL.', 'torchless.vision.'))], "
            "sorted(m for m in sys.modules if 'PIL' in m or 'vision' in m)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# ------------------------------------------------------------------ draw_bounding_boxes / masks / keypoints
# Against torchvision 0.29's own results on a crop of a photograph (fixtures/torchvision/make_fixtures.py):
# the boxes, labels and keypoints are drawn with Pillow's ImageDraw in both, so pixels agree exactly.
@pytest.fixture
def drawn():
    pytest.importorskip("PIL.ImageDraw")
    from pathlib import Path
    fixture = np.load(Path(__file__).parent / "fixtures" / "torchvision" / "parity.npz")
    return {key[len("draw_"):]: fixture[key] for key in fixture.files if key.startswith("draw_")}


def t(array):
    return torchless.from_numpy(np.array(array))


def test_draw_bounding_boxes_matches_torchvision(drawn):
    from torchless.vision.utils import draw_bounding_boxes
    image, boxes = t(drawn["rgb"]), t(drawn["boxes"])
    out = draw_bounding_boxes(image, boxes, labels=["a", "Hi"], width=2)
    assert out.dtype == torchless.uint8
    np.testing.assert_array_equal(out.numpy(), drawn["boxes_labels"])
    out = draw_bounding_boxes(image, boxes, labels=["a", "Hi"], colors=["red", (0, 255, 0)], fill=True,
                              fill_labels=True)
    np.testing.assert_array_equal(out.numpy(), drawn["boxes_fill"])
    gray = draw_bounding_boxes(image[:1].float() / 255, boxes)  # 1 channel in, 3 out; float via uint8
    assert gray.dtype == torchless.float32
    np.testing.assert_array_equal(gray.numpy(), drawn["boxes_gray_f32"])
    oriented = draw_bounding_boxes(image, t([[4., 4., 30., 8., 28., 20., 3., 17.]]), colors="yellow", fill=True)
    np.testing.assert_array_equal(oriented.numpy(), drawn["oriented"])


def test_draw_segmentation_masks_matches_torchvision(drawn):
    from torchless.vision.utils import draw_segmentation_masks
    image, masks = t(drawn["rgb"]), t(drawn["masks"])
    np.testing.assert_array_equal(draw_segmentation_masks(image, masks, alpha=0.37).numpy(), drawn["masks_u8"])
    out = draw_segmentation_masks(image.double() / 255, masks, alpha=0.6)  # default colours, made in float32
    assert out.dtype == torchless.float64
    np.testing.assert_array_equal(out.numpy(), drawn["masks_f64"])
    out = draw_segmentation_masks(image.half() / 255, masks, colors=["blue", "#abcdef"])
    np.testing.assert_array_equal(out.numpy(), drawn["masks_f16"])


def test_draw_keypoints_matches_torchvision(drawn):
    from torchless.vision.utils import draw_keypoints
    image, keypoints, visibility = t(drawn["rgb"]), t(drawn["keypoints"]), t(drawn["keypoints_visibility"])
    out = draw_keypoints(image, keypoints, connectivity=[(0, 1), (1, 2)], colors="red", radius=2, width=1,
                         visibility=visibility)
    np.testing.assert_array_equal(out.numpy(), drawn["keypoints_u8"])
    out = draw_keypoints(image.float() / 255, keypoints, connectivity=[(0, 2)])
    np.testing.assert_array_equal(out.numpy(), drawn["keypoints_f32"])


def test_drawing_errors_are_torchvisions():
    from torchless.vision.utils import draw_bounding_boxes, draw_keypoints, draw_segmentation_masks
    image = torchless.zeros(3, 6, 8, dtype=torchless.uint8)
    boxes = torchless.tensor([[1, 1, 4, 4]])
    with pytest.raises(TypeError, match="Tensor expected, got <class 'numpy.ndarray'>"):
        draw_bounding_boxes(np.zeros((3, 6, 8), np.uint8), boxes)
    with pytest.raises(ValueError, match="The image dtype must be uint8 or float, got torchless.int32"):
        draw_bounding_boxes(image.int(), boxes)
    with pytest.raises(ValueError, match="Pass individual images, not batches"):
        draw_bounding_boxes(image[None], boxes)
    with pytest.raises(ValueError, match="Only grayscale and RGB images are supported"):
        draw_bounding_boxes(image[:2], boxes)
    with pytest.raises(ValueError, match=r"Boxes need to be in \(xmin, ymin, xmax, ymax\) format"):
        draw_bounding_boxes(image, torchless.tensor([[5, 1, 4, 4]]))
    with pytest.raises(ValueError, match=r"Number of boxes \(1\) and labels \(2\) mismatch"):
        draw_bounding_boxes(image, boxes, labels=["a", "b"])
    with pytest.raises(ValueError, match="Number of colors must be equal or larger than the number of objects, "
                                         "but got 1 < 2"):
        draw_bounding_boxes(image, torchless.cat([boxes, boxes]), colors=["red"])
    with pytest.raises(ValueError, match=r"If passed as tuple, colors should be an RGB triplet, but got \(1, 2\)"):
        draw_bounding_boxes(image, boxes, colors=(1, 2))
    with pytest.warns(UserWarning, match="boxes doesn't contain any box. No box was drawn"):
        assert draw_bounding_boxes(image, torchless.zeros(0, 4)) is image
    with pytest.warns(UserWarning, match="Argument 'font_size' will be ignored since 'font' is not set."):
        draw_bounding_boxes(image, boxes, font_size=12)

    masks = torchless.zeros(2, 6, 8, dtype=torchless.bool)
    with pytest.raises(TypeError, match="The image must be a tensor, got <class 'list'>"):
        draw_segmentation_masks([1], masks)
    with pytest.raises(ValueError, match="Pass an RGB image. Other Image formats are not supported"):
        draw_segmentation_masks(image[:1], masks)
    with pytest.raises(ValueError, match=r"masks must be of shape \(H, W\) or \(batch_size, H, W\)"):
        draw_segmentation_masks(image, masks[None])
    with pytest.raises(ValueError, match="The masks must be of dtype bool. Got torchless.int32"):
        draw_segmentation_masks(image, masks.int())
    with pytest.raises(ValueError, match="The image and the masks must have the same height and width"):
        draw_segmentation_masks(image, masks[:, :3])
    with pytest.warns(UserWarning, match="masks doesn't contain any mask. No mask was drawn"):
        draw_segmentation_masks(image, masks[:0])

    keypoints = torchless.zeros(2, 4, 2)
    with pytest.raises(ValueError, match=r"keypoints must be of shape \(num_instances, K, 2\)"):
        draw_keypoints(image, keypoints[0])
    with pytest.raises(ValueError, match=r"visibility must be of shape \(num_instances, K\). Got ndim=1"):
        draw_keypoints(image, keypoints, visibility=torchless.ones(4, dtype=torchless.bool))
    with pytest.raises(ValueError, match=r"Got visibility.shape=torchless.Size\(\[2, 3\]\) and "
                                         r"keypoints.shape=torchless.Size\(\[2, 4, 2\]\)"):
        draw_keypoints(image, keypoints, visibility=torchless.ones(2, 3, dtype=torchless.bool))


def test_draw_segmentation_masks_blends_like_torch_float32_arithmetic():
    # an independent reference: PyTorch's uint8 * python float is float32, truncated back to uint8
    from torchless.vision.utils import draw_segmentation_masks
    pixels = RNG.integers(0, 256, (3, 5, 7), dtype=np.uint8)
    masks = np.zeros((2, 5, 7), bool)
    masks[0, :3] = True
    masks[1, 2:] = True
    colors = [(200, 10, 0), (0, 90, 255)]
    out = draw_segmentation_masks(t(pixels), t(masks), alpha=0.3, colors=colors)
    drawn = pixels.copy()
    for mask, color in zip(masks, colors):
        drawn[:, mask] = np.array(color, np.uint8)[:, None]
    drawn[:, masks.sum(0) > 1] = 0
    expected = torch.from_numpy(pixels) * (1 - 0.3) + torch.from_numpy(drawn) * 0.3
    np.testing.assert_array_equal(out.numpy(), expected.to(torch.uint8).numpy())


def test_drawing_without_pillow_names_the_extra():
    code = ("import sys; sys.modules['PIL'] = None\n"
            "import torchless\n"
            "from torchless.vision.utils import draw_bounding_boxes\n"
            "draw_bounding_boxes(torchless.zeros(3, 4, 4, dtype=torchless.uint8), torchless.tensor([[0, 0, 2, 2]]))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode != 0
    assert "ImportError: draw_bounding_boxes (it draws with PIL.ImageDraw) needs Pillow: pip install" in done.stderr
